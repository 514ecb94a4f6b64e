"""Answers to customers' questions, built from the policy and its wording file.

`Answerer.answer(intent, entities, context)` knows nothing of Rasa: it takes the
recognized intent, the entity values of the latest message and the
conversation's remembered values, and returns the text, the sections cited
and any buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import yaml

from bot.policy.document import Node, Policy, load_policy
from bot.settings import CompanySettings

ANSWERS_FILE = Path(__file__).resolve().parents[2] / "data" / "policy" / "answers.yml"

Entities = Mapping[str, Sequence[str]]

# Topics never offered as a guess of what the customer meant.
_NOT_OFFERED = {"out_of_scope"}


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Answer:
    topic: str
    text: str
    citations: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass
class _Draft:
    """An answer being assembled: paragraphs, cited sections, contact point."""

    paragraphs: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    contact: bool = False
    buttons: list[Button] = field(default_factory=list)

    def say(self, *lines: str) -> None:
        self.paragraphs.extend(line for line in lines if line)

    def cite(self, *refs: str) -> None:
        self.cited.extend(ref for ref in refs if ref not in self.cited)


class Answerer:
    def __init__(
        self,
        policy: Policy,
        wording: Mapping[str, Any],
        settings: CompanySettings = CompanySettings(),
    ) -> None:
        self.policy = policy
        self.wording = wording
        self.topics: Mapping[str, Mapping[str, Any]] = wording["topics"]
        self.settings = settings
        self._special: dict[str, Callable[[_Draft, Mapping[str, Any], Entities, Entities], None]] = {
            "ask_definition": self._definition,
            "ask_purpose": self._purpose,
            "ask_documents": self._documents,
            "ask_fee": self._fee,
            "ask_refusal": self._refusal,
            "ask_request_procedure": self._procedure,
            "out_of_scope": self._out_of_scope,
        }

    def clarify(self, ranked_intents: Sequence[str], limit: int = 3) -> Answer:
        """Offer the likeliest topics (intents in ranking order) as buttons,
        completed from the main topics when the ranking has too few.

        The last button answers "none of these" with out_of_scope, which Rasa's
        two-stage fallback takes as a no and asks the customer to rephrase.
        """
        offered = [*ranked_intents, *self.wording["main_topics"]]
        labels = {intent: spec["label"] for intent, spec in {**self.topics, **self.wording["forms"]}.items()}
        candidates = list(dict.fromkeys(
            intent for intent in offered if intent in labels and intent not in _NOT_OFFERED
        ))[:limit]
        buttons = [Button(labels[intent], f"/{intent}") for intent in candidates]
        buttons.append(Button(self.wording["none_of_these"], "/out_of_scope"))
        return Answer("clarify", self.wording["clarify"], buttons=tuple(buttons))

    def rephrase(self) -> Answer:
        return Answer("rephrase", self.wording["rephrase"])

    def answer(
        self, intent: str, entities: Entities = {}, context: Entities = {}
    ) -> Answer:
        """Answer `intent`; `entities` are from the latest message, `context`
        holds values remembered from earlier turns (used for follow-ups)."""
        topic = self.topics[intent]
        draft = _Draft(contact=bool(topic.get("contact")))
        render = self._special.get(intent, self._general)
        render(draft, topic, entities, context)
        draft.say(*topic.get("notes", []))
        return self._finish(intent, draft)

    # -- building blocks --------------------------------------------------

    def _general(self, draft: _Draft, topic: Mapping[str, Any], *_: Entities) -> None:
        """The topic's intro and quotes, citing `cite` or else what was quoted."""
        draft.say(topic["intro"])
        self._quote(draft, topic.get("quote", []), cite=False)
        draft.cite(*topic.get("cite", topic.get("quote", [])))

    def _quote(self, draft: _Draft, refs: Sequence[str], cite: bool = True) -> None:
        for ref in refs:
            draft.say(_render_node(self.policy[ref]))
            if cite:
                draft.cite(ref)

    def _finish(self, intent: str, draft: _Draft) -> Answer:
        paragraphs = list(draft.paragraphs)
        if draft.contact:
            paragraphs.append(self.contact_block())
            if not draft.cited:
                draft.cite("11")
        if draft.cited:
            paragraphs.append(self.citation(draft.cited))
        return Answer(intent, "\n".join(paragraphs), tuple(draft.cited), tuple(draft.buttons))

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

    # -- topics that depend on entities -----------------------------------

    def _definition(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, _: Entities) -> None:
        listed = self.policy.fact("1.(1)", "data_items")
        items = [item for item in entities.get("data_item", []) if item in listed]
        if items:
            draft.say(topic["item"].format(item="・".join(items)))
            self._quote(draft, ["1.(1)"])
        else:
            self._general(draft, topic)

    def _purpose(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, _: Entities) -> None:
        purposes = list(self.policy["2.(3)"].children)
        for item in dict.fromkeys(entities.get("data_item", [])):
            using = [node for node in purposes if item in node.facts["uses"]]
            if using:
                draft.say(topic["item"].format(item=item))
                self._quote(draft, [node.ref for node in using])
            else:
                draft.say(topic["item_without_purpose"].format(item=item))
                draft.cite("2.(3)")
                draft.contact = True
        for purpose in dict.fromkeys(entities.get("purpose", [])):
            matching = [node for node in purposes if purpose in node.facts["purposes"]]
            if matching:
                draft.say(topic["purpose"].format(purpose=purpose))
                self._quote(draft, [node.ref for node in matching])
        if not draft.paragraphs:
            self._general(draft, topic)

    def _documents(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, _: Entities) -> None:
        requesters = entities.get("requester", [])
        documents_node = self.policy["5.(2)"]
        proxy_node = documents_node.children[-1]
        if "法定代理人" in requesters:
            draft.say(topic["legal_representative"])
            self._quote(draft, [proxy_node.ref])
            return
        if "代理人" in requesters:
            draft.say(topic["proxy"])
            self._quote(draft, [proxy_node.ref])
            return
        accepted = {
            document: node
            for node in documents_node.children
            for document in node.facts.get("documents", [])
        }
        for document in dict.fromkeys(entities.get("id_document", [])):
            if document in accepted:
                draft.say(topic["accepted"].format(document=document))
            else:
                draft.say(topic["other_document"].format(document=document))
                draft.contact = True
        if not draft.paragraphs:
            draft.say(topic["intro"])
        draft.say(*(_render_node(node) for node in documents_node.children))
        draft.cite(documents_node.ref)

    def _fee(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, context: Entities) -> None:
        kinds = list(entities.get("request_kind", [])) or list(context.get("request_kind", []))
        charged = self.policy.fact("5.(3)", "fee_applies_to")
        needs_amount = not kinds
        for kind in dict.fromkeys(kinds):
            if kind in charged:
                draft.say(topic["kind_with_fee"].format(kind=kind))
                needs_amount = True
            else:
                draft.say(topic["kind_without_fee"].format(kind=kind))
        if not kinds:
            draft.say(topic["intro"])
        self._quote(draft, topic["quote"])
        if needs_amount:
            sentence, ask = self._fee_amount(topic)
            draft.say(sentence)
            draft.contact = draft.contact or ask

    def _refusal(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, _: Entities) -> None:
        node = self.policy["5.(1)"]
        draft.say(topic["intro"], node.facts["refusal_lead"])
        draft.say(*(_render_node(child) for child in node.children))
        draft.cite(node.ref, "5.(4)")

    def _procedure(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, _: Entities) -> None:
        kinds = list(dict.fromkeys(entities.get("request_kind", [])))
        request = self.policy["5.(1)"]
        known = [kind for kind in kinds if kind in request.facts["request_kinds"]]
        draft.say(*(topic["meanings"][kind] for kind in known))
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
        draft.contact = True
        # The request can also be filed right here, through the intake form.
        draft.buttons.append(Button(self.wording["forms"]["request_privacy_action"]["label"], "/request_privacy_action"))

    def _out_of_scope(self, draft: _Draft, topic: Mapping[str, Any], entities: Entities, _: Entities) -> None:
        draft.say(topic["intro"])
        if self.settings.general_contact:
            draft.say(topic["general_contact_configured"].format(general_contact=self.settings.general_contact))
        else:
            draft.say(topic["general_contact_default"])


def _render_node(node: Node, depth: int = 0) -> str:
    """A node as bullet lines: its number and text, then its sub-items indented.

    A whole section (number "5") is shown as plain text: its number is in the
    citation. A node without text of its own shows only its sub-items.
    """
    lines = []
    if node.text:
        is_section = node.number.isascii() and node.number.isdigit()
        lines.append(node.text if is_section else f"{'　' * depth}・{node.number}{node.text}")
        depth += 1 if not is_section else 0
    lines.extend(_render_node(child, depth) for child in node.children)
    return "\n".join(lines)


@lru_cache(maxsize=None)
def load_wording(path: Path = ANSWERS_FILE) -> Mapping[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def default_answerer() -> Answerer:
    return Answerer(load_policy(), load_wording(), CompanySettings.from_env())
