"""Answers to customers' questions, built from the policy and its wording file.

`Answerer.answer(intent, entities, context, text)` knows nothing of Rasa: it
takes the recognized intent, the entity values of the latest message, the
conversation's remembered values and the message itself, and returns the text,
the clauses cited and the buttons that offer the next steps.

An answer gives the point asked first, in a few sentences: the clause that
answers the question (chosen by bot/policy/ranker.py within the topic's
`scope`) in its plain-language summary, cited; the verbatim text, the request
form and the contact point are one button away. Whole sections are shown only
when asked for (`full=True`: 「もっと詳しく」「原文を見る」「全部教えて」).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import yaml

from bot.policy.document import Node, Policy, load_policy
from bot.policy.ranker import ClauseRanker, Ranked, subtree
from bot.settings import CompanySettings
from bot.text import normalize

ANSWERS_FILE = Path(__file__).resolve().parents[2] / "data" / "policy" / "answers.yml"

Entities = Mapping[str, Sequence[str]]

# Topics never offered as a guess of what the customer meant.
_NOT_OFFERED = {"out_of_scope"}
# Payloads of the buttons under answers (intents of domain.yml).
MORE_DETAIL = "/ask_more_detail"
FILE_REQUEST = "/request_privacy_action"
CONTACT = "/ask_contact"
HUMAN = "/ask_human"
PROCEDURE = "ask_request_procedure"
PURPOSE_TOPIC = "ask_purpose"
# The right to request 開示等 (5.(1)): cited by every answer that offers to file a request.
REQUEST_CLAUSE = "5.(1)"
COMPLAIN = "complain"
# The steps of a request that have a topic of their own (5.(2), 5.(3), 5.(4)):
# a procedure question about one of them is answered by that topic.
PROCEDURE_STEPS = {"ask_documents", "ask_fee", "ask_response_time", "ask_verification_reason"}
# A complaint is answered with the clause it is about when its words match one this well (BM25).
COMPLAINT_CLAUSE_MIN_SCORE = 3.0
# The ranker picks a clause within a topic when its BM25 score is at least
# MIN_FOCUS_SCORE and FOCUS_MARGIN times the next clause's; else the topic's
# overview answers (「開示を断られることは？」 is about all of 5.(1)①–⑦).
MIN_FOCUS_SCORE = 1.6
FOCUS_MARGIN = 1.25
# Words two clauses share (委託先 in every item of 6) add the same to both
# scores and hide the words that tell them apart: a clause also wins when what
# it scores beyond the shared words is FOCUS_MARGIN times the other's and at
# least MIN_FOCUS_GAP more (BM25; one telling word scores about 1.5–2.5).
MIN_FOCUS_GAP = 1.0
# How many of the best clauses `focus` looks at for a sibling of the best one.
FOCUS_CANDIDATES = 4
# A question about the request form itself, which the policy does not publish.
# The request form (「書式はダウンロードできる？」): a URL or a download alone may
# be the policy's own page (answers.yml `unstated`).
_ASKS_FORM = re.compile(r"書式|様式|用紙|申請書|フォーム|テンプレート|ひな形|雛形")


# 「…だけ？」「ほかにもある？」: asking what counts besides the items named.
_BEYOND_LISTED = re.compile(r"だけ(じゃ|では|で|です|なの|\?|？)|のみ|ほかにも|他にも|ほかに何|他に何|以外にも")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Answer:
    """One bot message: `topic` is the intent answered, `citations` the refs of
    the clauses used, in the order cited ("3.(5)", "5.(2)⑤")."""

    topic: str
    text: str
    citations: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Want:
    """A wish to stop something without naming the request (answers.yml `wants`):
    the request `kind` that does it, the clause `about` what is stopped, the pattern
    `asked` (on normalized text) and the first lines of the answer."""

    kind: str
    about: Optional[str]
    asked: re.Pattern[str]
    offer: str
    offer_general: str


@dataclass
class _Draft:
    """An answer being assembled: paragraphs, cited sections, contact point."""

    paragraphs: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    contact: bool = False
    buttons: list[Button] = field(default_factory=list)
    # Offer the verbatim text of what was cited.
    full_text: bool = False
    # Offer to file a request of these kinds.
    kinds: list[str] = field(default_factory=list)

    def say(self, *lines: str) -> None:
        self.paragraphs.extend(line for line in lines if line)

    def cite(self, *refs: str) -> None:
        self.cited.extend(ref for ref in refs if ref not in self.cited)


Renderer = Callable[[_Draft, Mapping[str, Any], Entities, Entities, str], None]


class Answerer:
    def __init__(
        self,
        policy: Policy,
        wording: Mapping[str, Any],
        settings: CompanySettings = CompanySettings(),
        ranker: Optional[ClauseRanker] = None,
    ) -> None:
        self.policy = policy
        self.wording = wording
        self.topics: Mapping[str, Mapping[str, Any]] = wording["topics"]
        self.settings = settings
        self.ranker = ranker or ClauseRanker(policy)
        self._owner = _owners(policy, self.topics)
        labels = wording["buttons"]
        self._button_intents = {
            **{spec["label"]: name for name, spec in self.topics.items() if "label" in spec},
            labels["contact"]: CONTACT[1:], labels["full_text"]: MORE_DETAIL[1:]}
        self._unstated = [{"what": fact["what"], "asked": re.compile(fact["asked"])}
                          for fact in wording.get("unstated", [])]
        self._wants = [Want(want["kind"], want["about"], re.compile(want["asked"]), want["offer"],
                            want.get("offer_general", want["offer"]))
                       for want in wording.get("wants", [])]
        self._special: dict[str, Renderer] = {
            "ask_definition": self._definition,
            PURPOSE_TOPIC: self._purpose,
            "ask_documents": self._documents,
            "ask_fee": self._fee,
            "ask_refusal": self._refusal,
            PROCEDURE: self._procedure,
            "ask_verification_reason": self._verification,
            COMPLAIN: self._complaint,
            "out_of_scope": self._out_of_scope,
        }

    # -- what the customer may have meant ----------------------------------

    def topic_of(self, ref: str) -> Optional[str]:
        """The topic whose scope holds `ref` most closely (None outside every scope)."""
        return self._owner.get(ref)

    def agreed_topic(self, text: str, intents: Sequence[str], clauses: int = 3, min_score: float = 2.0
                     ) -> Optional[str]:
        """The first of `intents` (the NLU's, best first) that is the topic of one of
        the ranker's `clauses` best clauses for `text` scoring at least `min_score`
        (BM25): two independent signals agree. None when none is."""
        topics = {self.topic_of(ranked.ref) for ranked in self.ranker.rank(text, limit=clauses)
                  if ranked.score >= min_score}
        return next((intent for intent in intents if intent in topics), None)

    def button_intent(self, title: str) -> Optional[str]:
        """The intent of the answer button titled `title` (「お問い合わせ窓口」:
        ask_contact, 「原文を見る」: ask_more_detail, a topic's label on the buttons
        that offer topics: that topic), else None. A button of an earlier answer
        arrives as its title (bot/channels/guard.py): typed equals clicked."""
        return self._button_intents.get(normalize(title).strip())

    def shared_clauses(self, intent: str, other: str) -> list[str]:
        """The outermost refs that lie in the scopes of both topics (4.(3) is in
        ask_security's 4 and in ask_outsourcing's own scope), in document order;
        [] when the scopes do not meet or a topic has no scope."""
        def covered(topic: str) -> set[str]:
            return {node.ref for root in self.topics.get(topic, {}).get("scope", [])
                    for node in subtree(self.policy[root])}
        both = covered(intent) & covered(other)
        return _outermost([node.ref for node in self.policy.walk() if node.ref in both])

    def clarify(self, ranked_intents: Sequence[str], text: str = "", limit: int = 3) -> Answer:
        """Offer the likeliest topics as buttons: first those of the clauses that
        best match `text`, then the intents in ranking order, completed from
        the main topics when both have too few.

        The last button answers "none of these" with out_of_scope, which Rasa's
        two-stage fallback takes as a no and asks the customer to rephrase.
        """
        by_clause = [self.topic_of(ranked.ref) for ranked in self.ranker.rank(text, limit=limit)] if text else []
        offered = [*by_clause, *ranked_intents, *self.wording["main_topics"]]
        labels = {intent: spec["label"] for intent, spec in {**self.topics, **self.wording["forms"]}.items()}
        candidates = list(dict.fromkeys(
            intent for intent in offered if intent in labels and intent not in _NOT_OFFERED
        ))[:limit]
        buttons = [Button(labels[intent], f"/{intent}") for intent in candidates]
        buttons.append(Button(self.wording["none_of_these"], "/out_of_scope"))
        return Answer("clarify", self.wording["clarify"], buttons=tuple(buttons))

    def rephrase(self) -> Answer:
        return Answer("rephrase", self.wording["rephrase"])

    def waiting(self) -> Answer:
        """「ちょっと待って」 and nothing else: the customer may take their time."""
        return Answer("rephrase", self.wording["waiting"])

    def foreign_language(self) -> Answer:
        """A message not in Japanese: the same request to rephrase, in both languages."""
        return Answer("rephrase", self.wording["foreign"].format(**self.policy.fact("11", "contact")))

    # -- answers -----------------------------------------------------------

    def answer(
        self,
        intent: str,
        entities: Entities = {},  # noqa: B006 (never changed: Entities is a Mapping)
        context: Entities = {},  # noqa: B006
        text: str = "",
        full: bool = False,
        lead: str = "",
        complaint: bool = False,
        contact: bool = False,
    ) -> Answer:
        """Answer `intent` about the message `text`.

        `entities` are from the latest message, `context` holds values
        remembered from earlier turns (used for follow-ups); `full` shows the
        whole text of the topic instead of the clause asked about; `lead` is a
        first line said before everything (an apology, a reassurance);
        `complaint` (an angry question) adds who takes complaints (11);
        `contact` the contact point (asked where to go).
        """
        if intent == PROCEDURE and not full:
            intent = self._part_of_procedure(text)
        elif intent == PROCEDURE:
            # The whole procedure is its steps (section 5 quotes nothing of its own).
            return self.procedure_steps([*entities.get("request_kind", []), *context.get("request_kind", [])],
                                        lead)
        topic = self.topics[intent]
        draft = _Draft(contact=contact or bool(topic.get("contact")))
        draft.say(lead)
        if full:
            self._whole(draft, topic)
        else:
            render = self._special.get(intent, self._general)
            render(draft, topic, entities, context, text)
        if complaint:
            draft.say(self.topics[COMPLAIN]["intro"])
            draft.cite(*self.topics[COMPLAIN]["cite"])
        draft.say(*topic.get("notes", []))
        if _ASKS_FORM.search(text):
            draft.say(self.wording["form_not_published"])
            draft.contact = True
        else:
            self._say_unstated(draft, text)
        return self._finish(intent, draft)

    def _say_unstated(self, draft: _Draft, text: str) -> None:
        """Say that the policy states nothing of what `text` asks for (answers.yml
        `unstated`: office hours, a manager's name...), with the contact point."""
        folded = normalize(text)
        for fact in self._unstated:
            if fact["asked"].search(folded):
                draft.say(self.wording["unstated_intro"].format(what=fact["what"]))
                draft.contact = True

    def _part_of_procedure(self, text: str) -> str:
        """The topic of the step of a request that a procedure question asks
        about (「開示請求に必要な書類は？」: the documents of 5.(2), whatever the
        kind), else the procedure itself. Refusal grounds (5.(1)①–⑦) are no
        step: 「第三者への提供を止めてもらう請求」 mentions 第三者 as 5.(1)① does."""
        node = self.focus(self.topics[PROCEDURE], text)
        owner = self.topic_of(node.ref) if node is not None else None
        return owner if owner in PROCEDURE_STEPS else PROCEDURE

    def wanted(self, text: str) -> Optional[Want]:
        """What `text` asks to be stopped without naming a request (「DMはやめてほしい」,
        answers.yml `wants`), or None."""
        folded = normalize(text)
        return next((want for want in self._wants if want.asked.search(folded)), None)

    def stop_offer(self, intent: str, kind: str, about: Optional[str], lead: str = "") -> Answer:
        """The request of 5.(1) that stops what the clause `about` describes (None:
        no clause in particular), in two sentences, cited, the request one button
        away; answered as `intent`, the thread it was asked in. A kind without a
        `wants` entry gets the plain procedure answer."""
        want = next((want for want in self._wants if want.kind == kind), None)
        draft = _Draft()
        draft.say(lead)
        node = self.policy[about] if about else None
        if want is not None:
            label = node.facts.get("label") if node is not None else None
            draft.say(want.offer.format(what=label) if label else want.offer_general)
        else:
            draft.say(self.topics[PROCEDURE]["meanings"][kind])
        draft.say(self.topics[PROCEDURE]["short"].format(kind=kind))
        # The clause the answer is mainly about first: the right for a procedure question.
        cited = [REQUEST_CLAUSE, node.ref] if node is not None else [REQUEST_CLAUSE]
        draft.cite(*(cited if intent == PROCEDURE else reversed(cited)))
        draft.kinds.append(kind)
        draft.full_text = True
        return self._finish(intent, draft)

    def uses_of(self, ref: str, lead: str = "") -> Optional[Answer]:
        """Which data items the purpose `ref` (an item of 2.(3)) uses, as its text and
        2.(3)'s lead-in state them, or that the policy does not say; None when
        `ref` is no purpose."""
        node = self.policy[ref] if ref in self.policy else None
        if node is None or "uses" not in node.facts:
            return None
        topic = self.topics[PURPOSE_TOPIC]
        draft = _Draft()
        draft.say(lead)
        if node.facts["uses"]:
            draft.say(topic["uses"].format(purpose=_label(node), items="、".join(node.facts["uses"])))
        else:
            draft.say(topic["uses_not_stated"].format(purpose=_label(node)))
            draft.contact = True
        draft.cite(node.ref, "2.(3)")
        draft.full_text = True
        return self._finish(PURPOSE_TOPIC, draft)

    def covers(self, intent: str, ref: str) -> bool:
        """Whether the clause `ref` is in the scope of the topic `intent`."""
        return ref in self.policy and self._in_scope(self.topics[intent], self.policy[ref])

    def renders_itself(self, intent: str) -> bool:
        """Whether `intent` has an answer of its own shape (the fee of a kind, a
        named document, a data item's purposes) rather than a clause's summary."""
        return intent in self._special

    def clause(self, intent: str, ref: str, lead: str = "") -> Answer:
        """Answer `intent` with the clause `ref` (chosen by the caller)."""
        topic = self.topics[intent]
        draft = _Draft(contact=bool(topic.get("contact")))
        draft.say(lead)
        self._summarise(draft, self.policy[ref])
        draft.say(*topic.get("notes", []))
        return self._finish(intent, draft)

    def proviso(self, intent: str, ref: str, lead: str = "") -> Answer:
        """The proviso of the clause `ref` (its sentence from 「ただし、」 on, verbatim,
        with the items it refers to), answered as `intent`; a clause without one is
        said to have none, then summarised. Cites `ref`."""
        node = self.policy[ref]
        citation = self.policy.cite([ref])
        start = node.text.find("ただし、")
        if start < 0:
            draft = _Draft()
            draft.say(lead, self.wording["no_proviso"].format(citation=citation))
            self._summarise(draft, node)
            return self._finish(intent, draft)
        draft = _Draft()
        draft.say(lead, self.wording["proviso"].format(citation=citation), node.text[start:])
        # 「次の各号のいずれか」: the items are part of what the proviso says.
        draft.say(*(_render_node(child) for child in node.children))
        draft.cite(ref)
        return self._finish(intent, draft)

    def full_text(self, intent: str, refs: Sequence[str]) -> Answer:
        """The verbatim text of `refs` (what the previous answer summarised)."""
        draft = _Draft()
        known = [ref for ref in refs if ref in self.policy and ref != "11"]
        if not known:
            return self.answer(intent, full=True)
        shown = _outermost(known)
        draft.say(self.wording["full_text_intro"].format(citation=self.policy.cite(shown)))
        for ref in shown:
            draft.say(_render_node(self.policy[ref]))
        draft.cite(*self._with_items(shown))
        draft.contact = "11" in refs
        return self._finish(intent, draft)

    def no_previous_answer(self) -> Answer:
        buttons = self.clarify([]).buttons[:-1]
        return Answer("clarify", self.wording["no_previous_answer"], buttons=buttons)

    # -- building blocks --------------------------------------------------

    def focus(self, topic: Mapping[str, Any], text: str) -> Optional[Node]:
        """The clause of `topic`'s scope that `text` asks about, if any word points to one."""
        scope = topic.get("scope")
        if not scope or not text:
            return None
        ranked = self.ranker.rank(text, within=scope, limit=FOCUS_CANDIDATES)
        if not ranked or ranked[0].score < MIN_FOCUS_SCORE:
            return None
        best = ranked[0]
        # Items of one node that fit about as well (「必要な書類は？」 fits each of
        # 5.(2)①–④) are answered by that node, even when a clause of another node
        # comes between them; two clauses of different nodes, by the topic's overview.
        parent = self.policy.parent(best.ref)
        sibling = next((other for other in ranked[1:] if self.policy.parent(other.ref) is parent), None)
        if (parent is not None and sibling is not None and self._in_scope(topic, parent)
                and not self._wins(text, best, sibling)):
            return parent
        if len(ranked) > 1 and not self._wins(text, best, ranked[1]):
            return None
        return self.policy[best.ref]

    def _wins(self, text: str, first: Ranked, second: Ranked) -> bool:
        """Whether `first` answers `text` clearly better than `second`: by
        FOCUS_MARGIN on the whole scores, or on what each scores beyond the
        words they share (「委託先へはどういう方法で渡すの」: 方法 is 6.(2)'s alone)."""
        if first.score >= FOCUS_MARGIN * second.score:
            return True
        shared = self.ranker.shared(text, first.ref, second.ref)
        own, other = first.score - shared, second.score - shared
        return own >= FOCUS_MARGIN * other and own - other >= MIN_FOCUS_GAP

    def _in_scope(self, topic: Mapping[str, Any], node: Node) -> bool:
        return any(node in subtree(self.policy[root]) for root in topic.get("scope", []))

    def _general(self, draft: _Draft, topic: Mapping[str, Any], _: Entities, __: Entities, text: str) -> None:
        """The clause asked about, else the first node of the topic's scope, summarised."""
        node = self.focus(topic, text)
        if node is None and topic.get("scope"):
            node = self.policy[topic["scope"][0]]
        if node is None:
            draft.say(topic["intro"])
            draft.cite(*topic.get("cite", []))
            return
        self._summarise(draft, node)

    def _summarise(self, draft: _Draft, node: Node) -> None:
        """`node` in its plain summary (its text where none is written), cited,
        with its verbatim text one button away."""
        draft.say(node.summary or _render_node(node))
        draft.cite(node.ref)
        draft.full_text = bool(node.summary)
        if node.ref.startswith("11") or node.ref == "9" or node.ref == "12":
            draft.contact = True

    def _whole(self, draft: _Draft, topic: Mapping[str, Any]) -> None:
        """The topic's intro and everything it quotes (a whole section)."""
        draft.say(topic["intro"])
        self._quote(draft, topic.get("quote", []), cite=False)
        draft.cite(*(topic["cite"] if "cite" in topic else self._with_items(topic.get("quote", []))))

    def _with_items(self, refs: Sequence[str]) -> list[str]:
        """`refs` each followed by its items: a section shown whole is cited with
        them, since they are what its text says."""
        return [cited.ref for ref in refs for cited in (self.policy[ref], *self.policy[ref].children)]

    def _quote(self, draft: _Draft, refs: Sequence[str], cite: bool = True) -> None:
        for ref in refs:
            draft.say(_render_node(self.policy[ref]))
            if cite:
                draft.cite(ref)

    def _finish(self, intent: str, draft: _Draft) -> Answer:
        paragraphs = list(draft.paragraphs)
        buttons = list(draft.buttons)
        if draft.contact:
            paragraphs.append(self.contact_block())
            if not draft.cited:
                draft.cite("11")
        if draft.cited:
            paragraphs.append(self.citation(draft.cited))
        labels = self.wording["buttons"]
        if draft.full_text:
            buttons.append(Button(labels["full_text"], MORE_DETAIL))
        for kind in draft.kinds:
            payload = f'{FILE_REQUEST}{{"request_kind":"{kind}"}}'
            buttons.append(Button(labels["file_kind"].format(kind=kind), payload))
        if not draft.contact and intent != "ask_contact":
            buttons.append(Button(labels["contact"], CONTACT))
        return Answer(intent, "\n".join(paragraphs), tuple(draft.cited), tuple(_unique(buttons)))

    def citation(self, refs: Sequence[str]) -> str:
        """「（出典：セキュリティポリシー 5.(2)）」"""
        return self.wording["citation"].format(citation=self.policy.cite(list(refs)))

    def contact_block(self) -> str:
        return self.wording["contact"].format(**self.policy.fact("11", "contact"))

    def _fee_amount(self, topic: Mapping[str, Any]) -> tuple[str, bool]:
        """The sentence about the amount, and whether the contact point is needed."""
        if self.settings.disclosure_fee:
            return topic["amount_configured"].format(fee=self.settings.disclosure_fee), False
        return topic["amount_not_stated"], True

    def _kinds(self, entities: Entities) -> list[str]:
        known = self.policy.fact("5.(1)", "request_kinds")
        return [kind for kind in dict.fromkeys(entities.get("request_kind", [])) if kind in known]

    # -- topics that depend on entities -----------------------------------

    def _definition(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
                    text: str) -> None:
        listed = self.policy.fact("1.(1)", "data_items")
        items = [item for item in entities.get("data_item", []) if item in listed]
        node = self.focus(topic, text)
        if (node is None or node.ref == "1.(1)") and _BEYOND_LISTED.search(normalize(text)):
            # 「名前と住所のことでしょうか。ほかにもある？」「名前とかだけじゃないの？」: not
            # one item, what else counts: the whole definition.
            self._summarise(draft, self.policy["1"])
            return
        # 「名前だけじゃ誰かわからない情報でも」 is about 1.(2)/(3), whatever item it names.
        if items and (node is None or node.ref in ("1", "1.(1)")):
            draft.say(topic["item"].format(item="・".join(items)))
            draft.cite("1.(1)")
            draft.full_text = True
        else:
            self._summarise(draft, node or self.policy["1"])

    def _purpose(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
                 text: str) -> None:
        purposes = list(self.policy["2.(3)"].children)
        focused = self.focus(topic, text)
        for item in dict.fromkeys(entities.get("data_item", [])):
            using = [node for node in purposes if item in node.facts["uses"]]
            if focused in using:
                using = [focused]  # 「DMに住所を使ってる？」: the purpose asked about
            if using:
                draft.say(topic["item"].format(item=item), *_purposes(using))
                draft.cite(*(node.ref for node in using))
            else:
                draft.say(topic["item_without_purpose"].format(item=item))
                draft.cite("2.(3)")
                draft.contact = True
        for purpose in dict.fromkeys(entities.get("purpose", [])):
            matching = [node for node in purposes if purpose in node.facts["purposes"]]
            if matching:
                draft.say(topic["purpose"].format(purpose=purpose), *_purposes(matching))
                draft.cite(*(node.ref for node in matching))
        if draft.paragraphs and draft.cited:
            draft.full_text = True
            return
        if focused is not None and focused.ref != "2.(3)":
            self._summarise(draft, focused)
            return
        draft.say(topic["intro"], *(_label(node) for node in purposes))
        draft.cite("2.(3)")
        draft.full_text = True

    def _documents(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
                   text: str) -> None:
        requesters = entities.get("requester", [])
        documents_node = self.policy["5.(2)"]
        proxy_node = documents_node.children[-1]
        if "法定代理人" in requesters:
            draft.say(topic["legal_representative"])
            draft.cite(proxy_node.ref)
            draft.full_text = True
            return
        if "代理人" in requesters:
            self._summarise(draft, proxy_node)
            self._documents_list(draft, topic)
            return
        accepted = {
            document: node
            for node in documents_node.children
            for document in node.facts.get("documents", [])
        }
        named = list(dict.fromkeys(entities.get("id_document", [])))
        for document in named:
            if document in accepted:
                draft.say(topic["accepted"].format(document=document))
                draft.cite(accepted[document].ref)
            else:
                draft.say(topic["other_document"].format(document=document))
                draft.cite(documents_node.children[-2].ref)
                draft.contact = True
        if not named:
            node = self.focus(topic, text)
            if node is not None and node is not documents_node:
                self._summarise(draft, node)
                if node is proxy_node:
                    self._documents_list(draft, topic)
                return
            draft.say(topic["intro"])
        self._documents_list(draft, topic)
        draft.full_text = True

    def _documents_list(self, draft: _Draft, topic: Mapping[str, Any]) -> None:
        """「次のいずれかの書類…：①運転免許証、②…」: what 「①～④」 in a summary stands for."""
        documents = self.policy["5.(2)"]
        draft.say(topic["any_of"].format(documents="、".join(
            f"{child.number}{child.text}" for child in documents.children[:-1])))
        draft.cite(documents.ref)

    def _verification(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
                      text: str) -> None:
        """Why (5.(1): only the customer or a rightful proxy), then how (5.(2))."""
        draft.say(topic["reason"])
        draft.cite("5.(1)")
        self._summarise(draft, self.policy["5.(2)"])
        self._documents_list(draft, self.topics["ask_documents"])

    def _fee(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
             text: str) -> None:
        kinds = self._kinds(entities) or self._kinds(context)
        charged = self.policy.fact("5.(3)", "fee_applies_to")
        needs_amount = not kinds
        for kind in kinds:
            if kind in charged:
                draft.say(topic["kind_with_fee"].format(kind=kind))
                needs_amount = True
            else:
                draft.say(topic["kind_without_fee"].format(kind=kind))
        if not kinds:
            draft.say(topic["intro"])
        draft.cite("5.(3)")
        draft.full_text = True
        if needs_amount:
            sentence, ask = self._fee_amount(topic)
            draft.say(sentence)
            draft.contact = draft.contact or ask

    def _refusal(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
                 text: str) -> None:
        node = self.focus(topic, text)
        if node is not None:
            self._summarise(draft, node)
            return
        draft.say(topic["overview"])
        draft.cite("5.(1)", "5.(4)")
        draft.full_text = True

    def _procedure(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
                   text: str) -> None:
        """How to request: what the kind means, the form, that it can be filed
        here; documents, fee and result are one button away (「原文を見る」
        shows all steps)."""
        kinds = self._kinds(entities)
        request = self.policy["5.(1)"]
        draft.say(*(topic["meanings"][kind] for kind in kinds))
        draft.say(topic["short"].format(kind="・".join(kinds)) if kinds else topic["short_any"])
        draft.cite(request.ref)
        draft.kinds.extend(kinds)
        if not kinds:
            draft.buttons.append(Button(self.wording["buttons"]["file_request"], FILE_REQUEST))
        draft.full_text = True

    def procedure_steps(self, kinds: Sequence[str], lead: str = "") -> Answer:
        """Every step of a request (form, documents, fee, checks, refusal,
        result): the detail behind the short procedure answer, after `lead`."""
        topic = self.topics[PROCEDURE]
        draft = _Draft(contact=True)
        draft.say(lead)
        request = self.policy["5.(1)"]
        known = [kind for kind in kinds if kind in request.facts["request_kinds"]]
        draft.say(topic["kind"].format(kind="・".join(known)) if known else topic["intro"])
        documents = self.policy["5.(2)"]
        fee_topic = self.topics["ask_fee"]
        charged = self.policy.fact("5.(3)", "fee_applies_to")
        steps = [
            f"・書式：{request.facts['procedure']}",
            "・本人確認：" + "、".join(f"{child.number}{child.text}" for child in documents.children[:-1])
            + "のいずれかをご提示いただくか、そのコピーをご提出いただきます。"
            + f"代理人の方は、{documents.children[-1].facts['proxy']}が必要です"
            + f"（法定代理人の方は{documents.children[-1].facts['legal_representative']}）。",
        ]
        draft.cite(request.ref, documents.ref)
        if not known or any(kind in charged for kind in known):
            amount, _ = self._fee_amount(fee_topic)
            steps.append(f"・手数料：{self.policy['5.(3)'].text}{amount}")
            draft.cite("5.(3)")
        steps.append(f"・確認と調査：{request.facts['verification']}")
        steps.append(topic["refusal_step"])
        steps.append(f"・結果のご連絡：{self.policy['5.(4)'].text}")
        draft.cite("5.(4)")
        draft.say(*steps)
        draft.say(self.wording["form_not_published"])
        draft.kinds.extend(known)
        if not known:
            draft.buttons.append(Button(self.wording["buttons"]["file_request"], FILE_REQUEST))
        return self._finish(PROCEDURE, draft)

    def complaint(self, entities: Entities, text: str, about: Optional[str] = None, lead: str = "",
                  where_asked: bool = False) -> Answer:
        """A complaint: `lead` (the apology), the right or the clause it is
        about (looked for in the scope of the topic `about` first), then who
        takes complaints, with the contact point itself when `where_asked`
        (「苦情はどこに言えばいいんだよ」)."""
        topic = self.topics[COMPLAIN]
        draft = _Draft(contact=where_asked)
        draft.say(lead)
        self._complain(draft, topic, entities, text, about)
        # An angry question stays a question of its topic (a follow-up such as
        # 「訂正でもかかる？」 goes on from it); one that names a right to use is
        # a complaint, after which a 「はい」 files that request.
        asked = (about if about is not None and about in self.topics and about != COMPLAIN and not draft.kinds
                 else COMPLAIN)
        return self._finish(asked, draft)

    def _complaint(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
                   text: str) -> None:
        self._complain(draft, topic, entities, text, None)

    def _complain(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, text: str,
                  about: Optional[str]) -> None:
        kinds = self._kinds(entities)
        if kinds:
            draft.say(topic["right"].format(kinds="・".join(kinds)))
            draft.cite("5.(1)", "5.(2)")
            if any(kind in ("削除", "消去") for kind in kinds):
                draft.say(topic["retention_limit"])
                draft.cite("12")
            draft.kinds.extend(kinds)
        else:
            node = self.focus(self.topics[about], text) if about is not None and about in self.topics else None
            if node is None:
                ranked = self.ranker.rank(text, limit=1)
                if ranked and ranked[0].score >= COMPLAINT_CLAUSE_MIN_SCORE:
                    node = self.policy[ranked[0].ref]
            if node is not None and node.ref != "11":
                self._summarise(draft, node)
        draft.say(topic["intro"])
        draft.cite(*topic["cite"])

    def _out_of_scope(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities,
                      text: str) -> None:
        draft.say(topic["intro"])
        if self.settings.general_contact:
            draft.say(topic["general_contact_configured"].format(general_contact=self.settings.general_contact))
        else:
            draft.say(topic["general_contact_default"])


def _purposes(nodes: Sequence[Node]) -> list[str]:
    """One purpose in its summary, several as a list of labels."""
    if len(nodes) == 1:
        return [f"{node.number}{node.summary or node.text}" for node in nodes]
    return [_label(node) for node in nodes]


def _label(node: Node) -> str:
    """「①サービスの契約の締結・工事の施工、料金の請求・収納」: a purpose by its number and label."""
    return f"{node.number}{node.facts.get('label') or node.text}"


def _unique(buttons: Sequence[Button]) -> list[Button]:
    seen: set[str] = set()
    kept = []
    for button in buttons:
        if button.payload not in seen:
            seen.add(button.payload)
            kept.append(button)
    return kept


def _outermost(refs: Sequence[str]) -> list[str]:
    """`refs` without those inside another of them (a section covers its items)."""
    return [ref for ref in refs if not any(ref != other and ref.startswith(other) for other in refs)]


def _owners(policy: Policy, topics: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Each node's topic: the one whose scope root is the node's closest
    ancestor (or the node itself); among equals, the first in answers.yml.
    A node above every scope (section 2, whose items four topics share) is the
    topic of most of its items; among equals, the first item's."""
    owner: dict[str, tuple[int, str]] = {}
    for name, topic in topics.items():
        if not topic.get("claims_clauses", True):
            continue
        for root in topic.get("scope", []):
            depth = len(root)
            for node in subtree(policy[root]):
                if node.ref not in owner or owner[node.ref][0] < depth:
                    owner[node.ref] = (depth, name)
    owners = {ref: name for ref, (_, name) in owner.items()}
    for node in policy.walk():
        held = [owners[child.ref] for child in node.children if child.ref in owners]
        if node.ref not in owners and held:
            owners[node.ref] = Counter(held).most_common(1)[0][0]
    return owners


def _render_node(node: Node, depth: int = 0) -> str:
    """A node as lines: its number and text, then its sub-items indented.

    A whole section (number "5") is shown as plain text: its number is in the
    citation. A node without text of its own shows only its sub-items.
    """
    lines = []
    if node.text:
        is_section = node.number.isascii() and node.number.isdigit()
        lines.append(node.text if is_section else f"{'　' * depth}{node.number}{node.text}")
        depth += 1 if not is_section else 0
    lines.extend(_render_node(child, depth) for child in node.children)
    return "\n".join(lines)


@lru_cache(maxsize=None)
def load_wording(path: Path = ANSWERS_FILE) -> Mapping[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def default_answerer() -> Answerer:
    return Answerer(load_policy(), load_wording(), CompanySettings.from_env())
