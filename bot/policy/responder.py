"""What to answer to a question, in the context of the conversation.

`Responder.respond(message, context)` decides, before anything is rendered:
- a follow-up about the previous answer (「もっと詳しく」, 「代理人の場合は？」,
  「それってやめてもらえる？」) is answered against the remembered topic and clauses;
- a message with two questions gets two answers (at most two), each cited;
- an angry customer gets an apology first, a worried one a reassuring line.
It knows nothing of Rasa: the custom action passes the parsed message and the
remembered slots, and stores the `Reply`'s topic and clauses for the next turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping, Optional, Sequence

from bot.intake.hearing import REQUEST_INTENT, files_now, is_question
from bot.noise import FALLBACK_INTENT
from bot.policy.answers import (
    COMPLAIN,
    HUMAN,
    MIN_FOCUS_SCORE,
    PROCEDURE,
    PURPOSE_TOPIC,
    Answer,
    Answerer,
    Button,
    Entities,
)
from bot.policy.ranker import Ranked
from bot.policy.tone import Tone, tone_of
from bot.text import normalize

# The intent of 「もっと詳しく」「原文を見せて」 and of the 「原文を見る」 button.
MORE_DETAIL_INTENT = "ask_more_detail"
# The slots (domain.yml) that remember what the latest answer was about.
TOPIC_SLOT, CLAUSES_SLOT = "answer_topic", "answer_clauses"
CONTACT_TOPIC = "ask_contact"
CONTACT_CLAUSE = "11"
DEFINITION_TOPIC = "ask_definition"
# 「…も個人情報ですか？」「…でも個人情報になるんですか」: whether something counts as personal data.
_IS_IT_PERSONAL_DATA = re.compile(
    r"(個人情報|こじんじょうほう)(なん|なの|です|でしょう|になる|になり|に入|にはい|に含ま|にふくま|にあた|に当た|扱い|あつかい)"
    r"[^。]{0,8}([?？]|か$|の$)")
# Where to go next: where to get the form, whom to call (a short question on its own).
_WHERE_FORM = re.compile(
    r"(書式|様式|用紙|申請書|しょしき)(は|って|を)?(どこ|どう|どうやって)(で|から)?(もら|入手|手に入|とれ|取れ|取り寄せ)")
_WHERE_TO_GO = re.compile(
    _WHERE_FORM.pattern
    + r"|^(じゃあ|では|なら)?.{0,8}(電話番号|でんわばんごう|番号|ばんごう|連絡先|れんらくさき|窓口|まどぐち)"
    r"(は|わ)[?？]?$"
    r"|どこに(連絡|れんらく|電話|でんわ|問い合わせ|といあわせ|聞け|きけ|送れ|おくれ|言え|いえ)")
# What an angry customer orders, as the request kind of 5.(1) that does it.
_WANTED_KINDS = {
    "削除": re.compile(r"消せ|けせ|消して|けして|消しと|削除しろ|削除して"),
    "利用停止": re.compile(r"使うな|つかうな|やめろ|止めろ|送るな|送ってくるな|送ってくんな|来るな|くるな|くんな"),
}
# A request kind ordered (「利用停止しろ」「削除してくれ」), as the text after the kind.
_ORDERED = r".{0,2}(しろ|せよ|して(くれ|ください|下さい|ほしい|欲しい|よ|$)|しとけ|しといて)"
# Asking whether one may ask for something (「消してって頼めるんですか」「削除してもらえますか」).
_ASKS_TO_ASK = re.compile(
    r"頼|たの[めむん]|お願い|おねがい|請求|申し?込|できる|できます|出来|もらえ|もらい|いただけ|頂け")
# A follow-up is short: longer messages carry their own topic. A very short
# message (「訂正でもかかる？」) leans on the previous answer whatever its shape.
FOLLOW_UP_MAX_CHARS = 30
SHORT_MAX_CHARS = 12
# Up to this length, a message whose intent the NLU gave less than SURE_CONFIDENCE
# may be a follow-up too (「だめだった時は理由も教えてくれる？」).
UNSURE_MAX_CHARS = 20
SURE_CONFIDENCE = 0.8
# Below this, a follow-up's intent is a guess: 「例外ってあるの？」 after the retention
# answer read as third party (0.43), with no word of that topic in it.
GUESS_CONFIDENCE = 0.5
# The second question of a message is answered when its best clause scores
# at least this much (BM25): one distinctive word in common with the clause.
SECOND_QUESTION_MIN_SCORE = 2.0
# How many of the best clauses tell whether 「全部まとめて」 asks for a whole section.
WHOLE_SECTION_CLAUSES = 3
# Entities that a topic's own answer uses: 「訂正でもかかる？」 after the fee
# answer is about the fee of 訂正, not a new question.
_TOPIC_ENTITIES = {
    "ask_fee": {"request_kind"},
    PROCEDURE: {"request_kind"},
    "ask_documents": {"requester", "id_document"},
    "ask_purpose": {"data_item", "purpose"},
    "ask_definition": {"data_item"},
}
# Topics whose answer depends on a data item (1.(1)) the customer named before.
_TAKES_DATA_ITEM = {PURPOSE_TOPIC, "ask_definition"}
# Asking to stop something (「やめてもらえる？」「使わないでほしい」).
_STOP_ASKED = re.compile(
    r"やめ|止め|(?<!ま)とめ|停止|使わないで|つかわないで|送らないで|おくらないで|渡さないで|わたさないで|来ないで|こないで")
# A clause of the policy named by its number (「５．（１）をかんたんに言うと？」, 「３．に掲げる
# 場合」), on normalized text: section, item and sub-item.
_CLAUSE_NUMBER = re.compile(
    r"(?<![\d.])(1[0-2]|[1-9])\s*(?:\.(?!\d)|条|章|番目の項目|番(?![号地])|の(?=\s*\(\s*\d\s*\))"
    # 「第４項」「11項の窓口」 alone: the policy calls its sections 項.
    r"|項(?!目))\s*(?:\(\s*(\d)\s*\)|第?\s*(\d)\s*[項号])?\s*([①-⑦])?")
_QUOTED = re.compile(r"「([^」]*)」")
_PROVISO = re.compile(r"但し?書|ただし書|ただしがき|但し以下|ただし以下|ただしの(部分|ところ|後)")
# The numbers of items (「①～④ってなに？」) a previous answer named.
_ITEM_NUMBERS = re.compile(r"[①-⑦]")
# 「どの情報が使われるの？」: which data a remembered purpose uses.
_WHICH_DATA = re.compile(r"(どの|どんな|何の|なんの|なにの)(個人)?(情報|じょうほう|データ)|何を使|なにを使|なにをつか")
# 「何のため？」「なんで使うの？」: what a remembered data item is used for.
_WHAT_FOR = re.compile(r"何の?ため|なんのため|何に使|なにに使|なんに使|使い道|用途|目的")
# Openings and endings that lean on what was said before.
_ELLIPTIC = re.compile(
    r"^(それ|その|そっち|そこ|これ|この|あれ|じゃあ?|では|なら|だったら|で、|あと|ちなみに|ってことは)"
    r"|(の場合|のばあい|場合|ばあい|でも|だと|なら|って|は|わ|も)[?？]?$"
    r"|(のほう|の方)(も|は)"  # 「委託先のほうも大丈夫なの？」: the same question of another party
)
# 「全部教えて」「一覧で」: the whole text of the topic, not one clause.
_EVERYTHING = re.compile(
    r"(全部|ぜんぶ|全て|すべて|全体)(を|の|で)?(まとめて)?(教え|おしえ|見せ|みせ|知りたい|しりたい|表示|説明)"
    r"|まとめて(教え|おしえ|説明|知りたい|しりたい)|一覧|全文|原文")
# Where one question ends and another begins (the delimiter is kept: 「？」 marks a question).
_SPLIT = re.compile(r"([。?？!！\n]+|(?:それと|あと|それから|ついでに|また)[、,])")
# How a question ends when it has no question mark.
_QUESTION_END = re.compile(
    r"(か|の|かな|かしら|教えて|おしえて|知りたい|しりたい|ください|下さい|は|って|ですが|けど)$")


@dataclass(frozen=True)
class Message:
    """The parsed latest message: `intent` and `confidence` from the NLU,
    `entities` as {entity: [values]}."""

    text: str
    intent: str
    confidence: float = 1.0
    entities: Entities = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What the conversation remembers: the topic and clauses of the previous
    answer, and the request kind and data item named last."""

    topic: Optional[str] = None
    clauses: tuple[str, ...] = ()
    request_kind: Optional[str] = None
    data_item: Optional[str] = None


@dataclass(frozen=True)
class Reply:
    """The answers to send, in order, and what to remember for the next turn."""

    answers: tuple[Answer, ...]
    topic: str
    clauses: tuple[str, ...]
    # The request kind the reply offers to file (a 「はい」 next files it), if any.
    request_kind: Optional[str] = None
    # The customer demands the request be done (「案内はいらないから使うのやめて」): it
    # is started now, of `request_kind`; `answers` is empty.
    starts_request: bool = False


class Responder:
    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer
        self.tone_lines: Mapping[str, str] = answerer.wording["tone"]

    def respond(self, message: Message, context: Context = Context()) -> Reply:
        if message.intent == MORE_DETAIL_INTENT:
            return self._more_detail(context, everything=bool(_EVERYTHING.search(normalize(message.text))))
        named = self.named_clause(message, context)
        if named is not None:
            return named
        folded = normalize(message.text)
        parts = questions(message.text)
        one_question = len(parts) < 2
        where_to_go = bool(_WHERE_TO_GO.search(folded)) and one_question
        if where_to_go and not self._sure_of_clause(message):
            # 「書式はどこでもらえる？」「でんわばんごうわ？」: the contact point of 11,
            # whatever the previous answer was about. Where to get the form, asked
            # out of the procedure's thread, gets the procedure's words (5.(1)):
            # the form is not published, and who sends it. (Asked after another
            # question, it is that message's second question: each gets its answer.)
            # A topic the NLU is sure of, with its clause's words, answers itself
            # with the contact point: 「ポリシーの最新版を郵送で請求したいんですけど、
            # どこに送ればいいですか」 gets 9.
            where_form = _WHERE_FORM.search(folded) and context.topic != PROCEDURE
            message = replace(message, intent=PROCEDURE if where_form else CONTACT_TOPIC)
        elif _IS_IT_PERSONAL_DATA.search(folded) and one_question:
            # 「口座番号と名義も個人情報ですか？」 asks what 1. counts, whatever else it names.
            message = replace(message, intent=DEFINITION_TOPIC)
        elif not where_to_go:
            # A wish to stop something (stop_offer) or a follow-up of the previous answer.
            answered = self.follow_up(message, context)
            if answered is not None:
                return answered
        kinds = message.entities.get("request_kind") or []
        if len(set(kinds)) == 1 and files_now(message.text) and not is_question(message.text):
            # 「父の代わりに、父の個人情報の開示を請求したいです。」 asks nothing: it files.
            return Reply((), REQUEST_INTENT, (), kinds[0], starts_request=True)
        if message.intent not in self.answerer.topics:
            # Only topics are answered here; anything else (a rule gone astray) is
            # met with the likely topics, never with silence.
            answer = self.answerer.clarify([], message.text)
            return Reply((answer,), answer.topic, ())
        tone = tone_of(message.text)
        if message.intent == COMPLAIN or tone is Tone.ANGRY:
            return self._complaint(message)
        lead = self._lead(tone)
        remembered = _remembered(context)
        message = _with_data_item(message, context, message.intent)
        intent = message.intent
        text = message.text
        second: Optional[Answer] = None
        second_first = False
        if len(parts) == 2:
            text, second, second_first = self._split(intent, parts, message.entities, lead)
        full = bool(_EVERYTHING.search(folded))
        whole = self._whole_section(text) if full and second is None else None
        if whole is not None:
            return self._reply(self.answerer.clause(*whole, lead=lead))
        if second is not None and second_first:
            # The other question came first in the message: its answer comes first too.
            later = self.answerer.answer(intent, message.entities, remembered, text, full=full,
                                         lead=self.answerer.wording["second_question"])
            return self._reply(second, later)
        first = self.answerer.answer(intent, message.entities, remembered, text, full=full, lead=lead,
                                     contact=where_to_go)
        return self._reply(first, second)

    # -- follow-ups ---------------------------------------------------------

    def follow_up(self, message: Message, context: Context) -> Optional[Reply]:
        """The reply when `message` leans on the previous answer (its topic, a
        clause of it, or an entity its answer uses), else None: the message is
        a question of its own. Also used when the NLU was unsure of the intent."""
        lead = self._lead(tone_of(message.text))
        offer = self.stop_offer(message, context)
        if offer is not None:
            return offer
        uses = self._uses(message, context, lead)
        if uses is not None:
            return uses
        if (context.clauses and context.topic is not None and context.topic in self.answerer.topics
                and is_elliptic(message.text) and _ITEM_NUMBERS.search(message.text)):
            # 「①～④ってなに？」 after an answer that named them: the text that lists them.
            return self._reply(self.answerer.full_text(context.topic, context.clauses))
        topic, ref, in_thread = self._resolve(message, context)
        if ref is None and topic == message.intent:
            return None
        if ref is not None and in_thread:
            # A clause both topics share, asked in the previous topic's thread
            # (「何日くらい？」 about outsourcing): answered and remembered as that topic.
            return self._reply(self.answerer.clause(topic, ref, lead=lead))
        owner = (self.answerer.topic_of(ref) if ref is not None else None) or topic
        # A clause already cited is answered again in the thread, unless its own topic has
        # an answer of its own shape: 「で、何を出せばいいの？」 after why ID is checked
        # (5.(1), 5.(2)) gets the list of documents.
        own_shape = owner != topic and self.answerer.renders_itself(owner)
        if ref is not None and (ref not in context.clauses or own_shape):
            # 「だいりにんのばあいわ？」 after the procedure: 5.(2)⑤ is the documents' clause.
            if self.answerer.renders_itself(owner):
                # 「それは有料ですか」 after the 開示 procedure: the fee answer knows the kind.
                return self._reply(self.answerer.answer(owner, message.entities, _remembered(context),
                                                        message.text, lead=lead))
            if self.answerer.covers(topic, ref):
                # 「だめだった時は理由も教えてくれる？」 after the outsourcing answer: 6.(4) is
                # outsourcing's own clause (response times share it): the thread goes on.
                owner = topic
            return self._reply(self.answerer.clause(owner, ref, lead=lead))
        # 「訂正でもかかる？」「いくら？」「例外ってあるの？」: the same topic again,
        # answered for what this message asks (its entities and words).
        return self._reply(self.answerer.answer(topic, _with_data_item(message, context, topic).entities,
                                                _remembered(context), message.text, lead=lead))

    def stop_offer(self, message: Message, context: Context) -> Optional[Reply]:
        """The request of 5.(1) that stops something, explained and offered one button
        away, when `message` asks to stop without naming a request: what the previous
        answer described (`stop_in_thread`), or what answers.yml `wants` finds
        (「第三者に提供するのをやめてもらうことってできる？」), answered as the message's
        topic when it covers that, else as the procedure; a wish that asks nothing
        (「もう案内とかいらないから、俺の情報使うのやめて」) starts that request instead.
        None otherwise, and for an angry message (the complaint answers it, apology first)."""
        if message.entities.get("request_kind") or tone_of(message.text) is Tone.ANGRY:
            return None
        in_thread = self.stop_in_thread(message, context)
        if in_thread is not None:
            return in_thread
        want = self.answerer.wanted(message.text)
        if want is None or (want.about is None and self._sure_of_clause(message)
                            and not _ASKS_TO_ASK.search(normalize(message.text))):
            # 「保存期間すぎた情報はちゃんと消してくれるの？」 asks what the retention
            # clause (12) says, not for a request: the NLU is sure and its words are
            # there. 「期間前でも消してって頼めるんですか？」 asks for the request.
            return None
        if not is_question(message.text):
            # Not asking how, but telling what to do: the request that does it, started.
            return Reply((), REQUEST_INTENT, (), want.kind, starts_request=True)
        covered = (want.about is not None and message.intent in self.answerer.topics
                   and self.answerer.covers(message.intent, want.about))
        topic = message.intent if covered else PROCEDURE
        lead = self._lead(tone_of(message.text))
        return self._reply(self.answerer.stop_offer(topic, want.kind, want.about, lead), request_kind=want.kind)

    def unsure(self, message: Message, context: Context) -> Optional[Reply]:
        """The reply to a message the NLU could not place, when its words say enough:
        a clause named by number, where to go (the contact point), a follow-up of the
        previous answer, or anger (an apology and a person); None: ask which topic."""
        if _WHERE_TO_GO.search(normalize(message.text)):
            return self._reply(self.answerer.answer(CONTACT_TOPIC, {}, {}, message.text))
        return (self.named_clause(message, context) or self.follow_up(message, context)
                or self.angry(message))

    def contact_point(self) -> Reply:
        """The contact point of 11 (its phone, e-mail and address), cited."""
        return self._reply(self.answerer.answer(CONTACT_TOPIC))

    def question_after_thanks(self, message: Message, context: Context) -> Optional[Reply]:
        """「ありがとう。代理人でも請求できる？」, which the NLU read as thanks: the
        question said with the thanks, answered as an unsure message would be (a
        clause named, where to go, a follow-up, a wish to stop), else by the clause
        it matches best, else with the likely topics as buttons; None when the
        message asks nothing (「ありがとう、よくわかりました」)."""
        asked = questions(message.text)
        if not asked:
            return None
        question = replace(message, text=asked[-1], intent=FALLBACK_INTENT, confidence=0.0)
        reply = self.unsure(question, context)
        if reply is not None:
            return reply
        ranked = self.answerer.ranker.rank(question.text, limit=1)
        topic = self.answerer.topic_of(ranked[0].ref) if ranked and ranked[0].score >= SECOND_QUESTION_MIN_SCORE \
            else None
        if topic is None:
            answer = self.answerer.clarify([], question.text)
            return Reply((answer,), answer.topic, ())
        return self._reply(self._in_own_shape(topic, ranked[0].ref, question.text, message.entities,
                                              _remembered(context)))

    def named_clause(self, message: Message, context: Context = Context()) -> Optional[Reply]:
        """「５．（１）をかんたんに言うと？」「２．（４）の「３．に掲げる場合を除き」って何のこと？」:
        the clause the customer names by its number (one named inside 「」 first: what
        the quoted words refer to), summarised and cited, in the thread of the message's
        topic when it covers the clause, else of the clause named outside the quotes
        (whose words the customer is quoting), else of the previous answer (which the
        customer may be quoting), else of the clause's own topic; None when no clause
        of the policy is named."""
        folded = normalize(message.text)
        quoted = " ".join(_QUOTED.findall(folded))
        outside = self._named_refs(_QUOTED.sub("", folded))
        # The clause whose words are quoted is the thread: 「２．（４）の「３．に掲げる場合」」.
        reading = self.answerer.topic_of(outside[0]) if quoted and outside else None
        for text in (quoted, folded):
            refs = self._named_refs(text)
            if refs:
                ref = refs[0]
                covered = message.intent in self.answerer.topics and self.answerer.covers(message.intent, ref)
                previous = context.topic if context.topic in self.answerer.topics else None
                topic = message.intent if covered else reading or previous or self.answerer.topic_of(ref)
                if topic is None:
                    return None
                lead = self._lead(tone_of(message.text))
                if _PROVISO.search(folded):
                    # 「５条１項の但し書き」: the sentence from ただし on, not the clause's summary.
                    return self._reply(self.answerer.proviso(topic, ref, lead=lead))
                return self._reply(self.answerer.clause(topic, ref, lead=lead))
        return None

    def _named_refs(self, text: str) -> list[str]:
        """The policy's refs of the clauses `text` names by number, in order."""
        return [ref for ref in map(_clause_ref, _CLAUSE_NUMBER.finditer(text)) if ref in self.answerer.policy]

    def stop_in_thread(self, message: Message, context: Context) -> Optional[Reply]:
        """「それってやめてもらえる？」「DMはやめてほしいんだけど」 right after an answer
        whose topic has a `stop_kind` (answers.yml): that request, explained for what
        the message or the previous answer named, answered in that thread; else None."""
        spec = self.answerer.topics.get(context.topic or "", {})
        folded = normalize(message.text)
        if (context.topic is None or "stop_kind" not in spec or message.entities.get("request_kind")
                or tone_of(message.text) is Tone.ANGRY or not _STOP_ASKED.search(folded)):
            return None
        node = self.answerer.focus(spec, message.text)
        # Leaning on the previous answer, or short and naming something it described.
        named = node is not None and len(folded) <= FOLLOW_UP_MAX_CHARS
        if not (named or is_elliptic(message.text, message.confidence)):
            return None
        # What is stopped: the clause named now, else the one just answered.
        shown = [ref for ref in context.clauses if self.answerer.covers(context.topic, ref)]
        about = node.ref if node is not None else (shown[0] if len(shown) == 1 else None)
        lead = self._lead(tone_of(message.text))
        answer = self.answerer.stop_offer(context.topic, spec["stop_kind"], about, lead)
        return self._reply(answer, request_kind=spec["stop_kind"])

    def _uses(self, message: Message, context: Context, lead: str) -> Optional[Reply]:
        """「どの情報が使われるの？」 right after the answer about one purpose: the data
        items that purpose uses; else None."""
        if (context.topic != PURPOSE_TOPIC or message.entities.get("data_item")
                or not is_elliptic(message.text, message.confidence)
                or not _WHICH_DATA.search(normalize(message.text))):
            return None
        answers = [answer for ref in context.clauses if (answer := self.answerer.uses_of(ref, lead)) is not None]
        return self._reply(answers[0]) if len(answers) == 1 else None

    def _resolve(self, message: Message, context: Context) -> tuple[str, Optional[str], bool]:
        """The topic to answer, for a follow-up the clause it asks about, and
        whether that clause is one the previous topic shares with the message's
        own (answered in the previous topic's thread)."""
        if not context.topic or context.topic not in self.answerer.topics:
            return message.intent, None, False
        elliptic = is_elliptic(message.text, message.confidence)
        if elliptic:
            if _TOPIC_ENTITIES.get(context.topic, set()) & set(message.entities):
                return context.topic, None, False
            if context.data_item and not message.entities.get("data_item") and _WHAT_FOR.search(
                    normalize(message.text)):
                # 「それは何のため？」 after 「口座番号も個人情報？」: the purposes of 口座番号.
                return PURPOSE_TOPIC, None, False
            node = self.answerer.focus(self.answerer.topics[context.topic], message.text)
            if node is not None and self._sure_of_own_topic(message, context, node.ref):
                # 「通話とかメールの中身も？」 after the police answer (3.(5)): the NLU is sure
                # it is about 通信の秘密, a topic of that same clause: answered as that topic.
                return message.intent, node.ref, False
            if node is not None:
                return context.topic, node.ref, False
            if message.intent == FALLBACK_INTENT or self._guessed(message):
                # 「例外ってあるの？」 that the NLU could not place: about the previous topic.
                # (Not a cancel, yes or no: 「やっぱりお願いします」 after declining a person.)
                return context.topic, None, False
        if message.intent in self.answerer.topics and message.intent != context.topic:
            # 「何日くらい？」「断られたら理由も教えてくれる？」 after the outsourcing
            # answer: of the response-time clauses, the one about outsourcing
            # (6.(4)), not the general 5.(4). A question of its own must fit it.
            shared = self.answerer.shared_clauses(message.intent, context.topic)
            ranked = self.answerer.ranker.rank(message.text, within=shared, limit=1) if shared else []
            if ranked and (elliptic or ranked[0].score >= MIN_FOCUS_SCORE):
                return context.topic, ranked[0].ref, True
            if elliptic and len(shared) == 1:
                return context.topic, shared[0], True
        return message.intent, None, False

    def _guessed(self, message: Message) -> bool:
        """Whether the NLU only guessed a topic for a message with nothing of that topic
        in it: low confidence, no entity, and no word of any of its clauses."""
        topic = self.answerer.topics.get(message.intent or "")
        return (topic is not None and message.confidence < GUESS_CONFIDENCE and not message.entities
                and self.answerer.focus(topic, message.text) is None)

    def _sure_of_clause(self, message: Message) -> bool:
        """Whether the NLU is sure of a topic (other than the procedure) and the
        message has words of one of that topic's clauses."""
        topic = self.answerer.topics.get(message.intent)
        return (topic is not None and message.intent != PROCEDURE and message.confidence >= SURE_CONFIDENCE
                and self.answerer.focus(topic, message.text) is not None)

    def _sure_of_own_topic(self, message: Message, context: Context, ref: str) -> bool:
        """Whether the NLU is sure of a topic of its own, other than the previous one,
        that covers the clause `ref` the follow-up is about."""
        return (message.intent != context.topic and message.intent in self.answerer.topics
                and message.confidence >= SURE_CONFIDENCE and self.answerer.covers(message.intent, ref))

    def _more_detail(self, context: Context, everything: bool = False) -> Reply:
        """「もっと詳しく」: the full text of what the previous answer summarised;
        「ぜんぶおしえて」 (`everything`): the whole of the previous topic."""
        if not context.topic or context.topic not in self.answerer.topics:
            answer = self.answerer.no_previous_answer()
            return Reply((answer,), answer.topic, ())
        if everything and context.topic != PROCEDURE:
            return self._reply(self.answerer.answer(context.topic, {}, _remembered(context), full=True))
        if context.topic == PROCEDURE:
            kinds = [context.request_kind] if context.request_kind else []
            return self._reply(self.answerer.procedure_steps(kinds))
        return self._reply(self.answerer.full_text(context.topic, context.clauses))

    def _whole_section(self, text: str) -> Optional[tuple[str, str]]:
        """The topic and the section 「全部まとめて教えて」 asks for, when the best
        clauses for `text` are items of one section that belong to several topics
        (「必要書類や手数料も含めてまとめて教えて」: 5.(2), 5.(3), 5.(1) are items of
        section 5), else None."""
        refs = [ranked.ref for ranked in self.answerer.ranker.rank(text, limit=WHOLE_SECTION_CLAUSES)
                if ranked.score >= SECOND_QUESTION_MIN_SCORE]
        sections = {ref.split(".")[0] for ref in refs}
        owners = {self.answerer.topic_of(ref) for ref in refs}
        section = sections.pop() if len(sections) == 1 else None
        topic = self.answerer.topic_of(section) if section is not None and len(owners) > 1 else None
        if topic is None or section is None or topic not in self.answerer.topics:
            return None
        return topic, section

    # -- two questions --------------------------------------------------------

    def _split(self, intent: str, parts: Sequence[str], entities: Entities, lead: str
               ) -> tuple[str, Optional[Answer], bool]:
        """Which part `intent` answers (its text), the answer to the other part (in
        its topic's own shape where it has one: 「身分証は何がいい？」 gets the list of
        documents, not 5.(2)'s summary), and whether that other part came first (its
        answer then opens with `lead`, the tone's first line)."""
        ranker = self.answerer.ranker
        # 「断られたら文句はどこに言えばいい？」 asks where to go: the contact point (11).
        best = [[Ranked(CONTACT_CLAUSE, SECOND_QUESTION_MIN_SCORE)] if _WHERE_TO_GO.search(part)
                else ranker.rank(part, limit=1) for part in parts]
        owners = [self.answerer.topic_of(ranked[0].ref) if ranked else None for ranked in best]
        main = 1 if owners[1] == intent and owners[0] != intent else 0
        other = 1 - main
        if not best[other] or best[other][0].score < SECOND_QUESTION_MIN_SCORE:
            return " ".join(parts), None, False
        topic = owners[other]
        if topic is None or topic == intent:
            return " ".join(parts), None, False
        lead = lead if other == 0 else self.answerer.wording["second_question"]
        return parts[main], self._in_own_shape(topic, best[other][0].ref, parts[other], entities, {}, lead), other == 0

    def _in_own_shape(self, topic: str, ref: str, text: str, entities: Entities, remembered: Entities,
                      lead: str = "") -> Answer:
        """`topic`'s answer to `text` where the topic has an answer of its own shape
        (「身分証は何がいい？」 gets the list of documents), else the clause `ref` summarised."""
        if self.answerer.renders_itself(topic):
            return self.answerer.answer(topic, entities, remembered, text, lead=lead)
        return self.answerer.clause(topic, ref, lead=lead)

    # -- assembling ---------------------------------------------------------

    def _lead(self, tone: Tone) -> str:
        return self.tone_lines.get(tone.value, "") if tone is not Tone.NEUTRAL else ""

    def angry(self, message: Message) -> Optional[Reply]:
        """The complaint reply when `message` is angry whatever its intent (the
        NLU was unsure: 「おい、勝手にDM送ってくるのやめろ」), else None: an angry
        customer gets an apology and a person, never a list of topics."""
        return self._complaint(message) if tone_of(message.text) is Tone.ANGRY else None

    def _complaint(self, message: Message) -> Reply:
        """An apology first, then the right or the clause the complaint is
        about. The complain intent goes on to the handoff form (it offers a
        person); an angry question gets the offer as a button."""
        entities = dict(message.entities)
        named = entities.get("request_kind") or []
        if message.intent != COMPLAIN:
            # An angry question about a topic names a request as what happened
            # (「削除頼んだのに断られた」: a refusal), not as what to do now.
            named = [kind for kind in named if re.search(re.escape(kind) + _ORDERED, message.text)]
        entities["request_kind"] = named or [
            kind for kind, words in _WANTED_KINDS.items() if words.search(message.text)]
        about = self.complained_about(message)
        if about is not None and about in self.answerer.topics and not entities["request_kind"]:
            # An angry question (「自分の情報を見るだけで金取るとか、ぼったくりかよ」):
            # the apology, the topic's own answer, who takes complaints.
            answer = self.answerer.answer(about, message.entities, {}, message.text, lead=self.tone_lines["angry"],
                                          complaint=True)
        else:
            answer = self.answerer.complaint(entities, message.text, about=about, lead=self.tone_lines["angry"],
                                             where_asked=bool(_WHERE_TO_GO.search(normalize(message.text))))
        if message.intent != COMPLAIN or answer.topic != COMPLAIN:
            human = Button(self.answerer.wording["buttons"]["human"], HUMAN)
            answer = replace(answer, buttons=(human, *answer.buttons))
        return self._reply(answer)

    @staticmethod
    def complained_about(message: Message) -> Optional[str]:
        """The topic an angry message asks about: its intent's, except for where to
        complain (「苦情はどこに言えばいいんだよ」), which the complaint's own answer
        tells; None for a complaint."""
        return None if message.intent in (COMPLAIN, CONTACT_TOPIC) else message.intent

    @staticmethod
    def _reply(first: Answer, second: Optional[Answer] = None, request_kind: Optional[str] = None) -> Reply:
        answers = (first,) if second is None else (first, second)
        return Reply(answers, first.topic, first.citations, request_kind)


def _with_data_item(message: Message, context: Context, topic: str) -> Message:
    """`message` with the data item named before, when it leans on it: 「それは
    何のため？」 after 「口座番号も個人情報？」 asks about 口座番号."""
    if (context.data_item and not message.entities.get("data_item") and topic in _TAKES_DATA_ITEM
            and is_elliptic(message.text)):
        return replace(message, entities={**message.entities, "data_item": [context.data_item]})
    return message


def _clause_ref(match: re.Match[str]) -> str:
    """The policy's ref ("5.(1)", "3", "5.(2)⑤") of a clause number as written."""
    section, item, numbered, sub = match.groups()
    item = item or numbered
    return section + (f".({item})" if item else "") + (sub if item and sub else "")


def _remembered(context: Context) -> Entities:
    """The entity values an answer may use from earlier turns."""
    return {"request_kind": [context.request_kind]} if context.request_kind else {}


def is_elliptic(text: str, confidence: float = 1.0) -> bool:
    """A short message that leans on the previous answer (「代理人の場合は？」,
    「それってやめてもらえる？」, 「じゃあ裁判所は？」). A message of middle length
    counts too when the NLU was not sure of its own topic (`confidence`, 0–1)."""
    folded = normalize(text).rstrip("。.")
    if len(questions(folded)) > 1 or len(folded) > FOLLOW_UP_MAX_CHARS:
        return False
    if len(folded) <= SHORT_MAX_CHARS or _ELLIPTIC.search(folded):
        return True
    return len(folded) <= UNSURE_MAX_CHARS and confidence < SURE_CONFIDENCE


def questions(text: str) -> list[str]:
    """The questions of a message, at most two: split at sentence ends and at
    「あと、」「それと、」. Only pieces that ask something count (a question
    mark, or an ending like 「〜ですか」「〜教えて」): 「ふざけんな。全部消せ」 is
    one request, not two questions. A third and further questions join the second."""
    tokens = _SPLIT.split(normalize(text))
    asked = []
    for piece, delimiter in zip(tokens[0::2], [*tokens[1::2], ""]):
        piece = piece.strip(" 、,")
        if len(piece) >= 4 and ("?" in delimiter or "？" in delimiter or _QUESTION_END.search(piece)):
            asked.append(piece)
    if len(asked) <= 2:
        return asked
    return [asked[0], " ".join(asked[1:])]
