"""The request intake form: which questions, in which order, and what each
answer does. Rasa's form loop (actions/intake.py) asks and calls `validate`;
everything the form decides is here.

Every answer is first heard for what it is (bot/intake/hearing.py): a request
for a person ends the form into a handoff, 「やめます」 in any wording cancels,
a different request kind switches the kind (saying so), a question is answered
and the step asked again, filler gets a gentle re-ask. Only then is it read as
a value; one answer may fill several fields (name, contact, customer number),
and a value recognised but not kept is said, with why. A typed button title
does what the click does. A re-ask counts as a failure; the third adds the
contact point and the offer of a person. Every question has a button to stop.
The form's last question is the summary (customer input shown as plain text,
the contact masked as everywhere: bot/intake/echo.py); 「修正する」 there asks which
field to change, clears it, and the form asks it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import yaml

from bot.cases.tickets import NewRequest
from bot.intake import fields
from bot.intake.echo import masked_contact, masked_email, masked_phone, plain_text
from bot.intake.filing import IntakeFiler
from bot.intake.hearing import DECISIVE, Act, Heard, compact, hear, is_question, morphemes
from bot.policy.answers import Answer, Answerer, Button, Entities
from bot.policy.lemmas import lemmas
from bot.policy.responder import CLAUSES_SLOT, MORE_DETAIL_INTENT, TOPIC_SLOT
from bot.text import normalize

INTAKE_FILE = Path(__file__).resolve().parents[2] / "data" / "policy" / "intake.yml"

KIND = "intake_kind"
REQUESTER = "intake_requester"
CONSENT = "intake_consent"
NAME = "intake_name"
CONTACT = "intake_contact"
CUSTOMER_NUMBER = "intake_customer_number"
DETAILS = "intake_details"
PRESENTATION = "intake_presentation"
FIX = "intake_fix_field"
CONFIRMED = "intake_confirmed"
# The contact given in this conversation, kept after the form so that a later
# handoff need not ask for it again.
KNOWN_PHONE = "known_phone"
KNOWN_EMAIL = "known_email"
# Slots the form sets besides the ones it asks for.
PHONE = "intake_phone"
EMAIL = "intake_email"
FAILURES = "intake_failures"
CORRECTING = "intake_correcting"
OUTCOME = "intake_outcome"
SUBMISSION = "intake_id"
REQUESTED_SLOT = "requested_slot"

ASKED = (KIND, REQUESTER, CONSENT, NAME, CONTACT, CUSTOMER_NUMBER, DETAILS, PRESENTATION, FIX, CONFIRMED)
ALL_SLOTS = (*ASKED, PHONE, EMAIL, FAILURES, CORRECTING, OUTCOME, SUBMISSION)
# Fields shown on the summary, and offered for correction, in this order.
SUMMARY_FIELDS = (KIND, REQUESTER, NAME, CONTACT, CUSTOMER_NUMBER, DETAILS, PRESENTATION)
# A correction of these clears the slots listed too.
_CLEARED_WITH = {CONTACT: (PHONE, EMAIL)}
# Slots whose answer is a yes or a no.
_YES_NO = {CONSENT, CONFIRMED}
# Slots whose values have a shape of their own (digits, @): a value found there
# counts even in a message that also hesitates or asks (「090-1234-5678でいいですか」).
_SHAPED = {CONTACT, CUSTOMER_NUMBER}
# Slots one answer may fill together (「山田太郎です。電話番号は090-…です」).
_SEVERAL = (NAME, CONTACT, CUSTOMER_NUMBER)
# The kind that needs no details: the customer asks which purposes apply.
_NO_DETAILS_KIND = "利用目的の通知"

DIGRESSION_CONFIDENCE = 0.8
MAX_FAILURES = 3
# Intents that are not questions to answer in the middle of the form.
_NOT_DIGRESSIONS = {"out_of_scope"}

OUTCOME_FILED = "filed"
OUTCOME_CANCELLED = "cancelled"
OUTCOME_DECLINED = "declined"
# The customer asked for a person: action_finish_* start the handoff form.
OUTCOME_HANDOFF = "handoff"


@dataclass(frozen=True)
class Turn:
    """The customer's latest answer while `slot` was asked."""

    slot: str
    text: str
    intent: Optional[str] = None
    confidence: float = 0.0
    entities: Entities = field(default_factory=dict)
    slots: Mapping[str, Any] = field(default_factory=dict)
    conversation_id: str = ""
    # Rasa's input channel ("rest", "socketio"), recorded on the ticket.
    channel: str = ""


@dataclass
class Step:
    """What the form does with an answer: slot values to set, replies to send."""

    updates: dict[str, Any]
    replies: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class Several:
    """What one answer fills (None: nothing) and the notes to say about it."""

    updates: Optional[dict[str, Any]]
    notes: list[str]


class IntakeForm:
    """The intake form's decisions, without Rasa: which slots to ask, how to ask
    each, and what an answer does. actions/intake.py adapts it to rasa_sdk's form
    validation. Slot values are plain strings (the kind, requester, name, contact
    as given, customer number, details, presentation), booleans (consent,
    confirmed, correcting) and an int (failures); None means not answered yet.
    """

    def __init__(self, answerer: Answerer, wording: Mapping[str, Any], filer: Optional[IntakeFiler] = None) -> None:
        """`answerer`: the policy's (kinds of request from clause 5.(1), answers to
        questions asked mid-form); `wording`: data/policy/intake.yml as loaded by
        `load_intake_wording`; `filer`: files a confirmed request (None only where
        nothing is confirmed: `confirm` then raises AttributeError)."""
        self.answerer = answerer
        self.wording = wording
        # Files the confirmed request; None where a test needs no database.
        self.filer = filer
        self.kinds: Sequence[str] = answerer.policy.fact("5.(1)", "request_kinds")
        self._parsers: dict[str, Callable[[Turn], Optional[dict[str, Any]]]] = {
            KIND: self._parse_kind,
            REQUESTER: lambda turn: _one(REQUESTER, fields.parse_requester(
                turn.text, turn.entities.get("requester", []))),
            CONSENT: self._parse_consent,
            NAME: lambda turn: self._parse_several(turn).updates,
            CONTACT: lambda turn: self._parse_several(turn).updates,
            CUSTOMER_NUMBER: lambda turn: self._parse_several(turn).updates,
            DETAILS: lambda turn: _one(DETAILS, fields.parse_details(turn.text)),
            PRESENTATION: lambda turn: _one(PRESENTATION, fields.parse_presentation(turn.text)),
            FIX: self._parse_fix,
            CONFIRMED: self._parse_confirmation,
        }

    # -- what to ask --------------------------------------------------------

    def required_slots(self, slots: Mapping[str, Any]) -> list[str]:
        """The slots the form needs, in the order it asks them: every one of ASKED
        but the details for 利用目的の通知, and the field to correct only while
        correcting. Rasa's form asks the first whose value is None."""
        required = [KIND, REQUESTER, CONSENT, NAME, CONTACT, CUSTOMER_NUMBER]
        if slots.get(KIND) != _NO_DETAILS_KIND:
            required.append(DETAILS)
        required.append(PRESENTATION)
        if slots.get(CORRECTING):
            required.append(FIX)
        required.append(CONFIRMED)
        return required

    def ask(self, slot: str, slots: Mapping[str, Any]) -> Answer:
        """The question for `slot` (one of ASKED; KeyError otherwise) given the
        slots so far: its text, the clauses it cites, and its buttons, always
        ending with a way out (stop). The kinds come from the policy, the fields
        to correct from the summary, the summary from `summary`."""
        spec = self.wording["ask"][slot]
        lines = [spec["text"]]
        buttons = [Button(title, payload) for title, payload in spec.get("buttons", [])]
        if slot == KIND:
            buttons = [Button(kind, kind) for kind in self.kinds]
        elif slot == NAME and slots.get(REQUESTER) in ("任意代理人", "法定代理人"):
            lines.append(spec["requester_note"])
        elif slot == DETAILS:
            lines.append(spec["hints"][slots.get(KIND)] if slots.get(KIND) in spec["hints"] else "")
        elif slot == FIX:
            buttons = [Button(self.wording["labels"][name], self.wording["labels"][name])
                       for name in self._fields_of(slots)]
        elif slot == CONFIRMED:
            lines.append(self.summary(slots))
        if spec.get("cite"):
            lines.append(self.answerer.citation(spec["cite"]))
        return Answer(slot, "\n".join(line for line in lines if line), tuple(spec.get("cite", ())),
                      with_way_out(buttons, self.wording))

    def summary(self, slots: Mapping[str, Any]) -> str:
        """One line 「・label：value」 per field of SUMMARY_FIELDS the form needs, in
        that order; values as `display` shows them."""
        labels = self.wording["labels"]
        return "\n".join(f"・{labels[name]}：{self.display(name, slots)}" for name in self._fields_of(slots))

    def display(self, name: str, slots: Mapping[str, Any]) -> str:
        """The value as shown to the customer: what they typed, as plain text; the
        contact masked (from `intake_phone`/`intake_email`): the summary can be asked
        for again by whoever sends on the conversation id (docs/privacy.md)."""
        value = slots.get(name)
        if name == REQUESTER:
            return self.wording["requesters"].get(value, value)
        if name == CONTACT:
            return masked_contact(slots.get(PHONE), slots.get(EMAIL))
        return plain_text(value)

    def _fields_of(self, slots: Mapping[str, Any]) -> list[str]:
        required = self.required_slots(slots)
        return [name for name in SUMMARY_FIELDS if name in required]

    # -- what an answer does ----------------------------------------------

    def validate(self, turn: Turn) -> Step:
        """What the answer to `turn.slot` does: hear what it is, then read the value.

        `turn.slot` is the slot asked (one of ASKED; KeyError otherwise),
        `turn.slots` the form's slots as Rasa has them, `turn.intent`/`confidence`
        (0..1) and `turn.entities` ({entity: [values]}) the NLU's reading of
        `turn.text`. Returns a Step: `updates` are slot values for Rasa to set (None
        clears a slot, so the form asks it again), `replies` are said before the
        form's next question.

        Invariants: unless the form ends, `updates` has the asked slot, with its
        value or None. The form ends (`requested_slot` None, `intake_outcome` one
        of filed, cancelled, declined, handoff) on a request for a person, a
        cancel, a declined consent, or a filed request. A command typed as text
        (「/inform{…}」「/EXTERNAL_reminder」) that is no button of the question is
        never a value. `intake_failures` is 0 after a value and one more after each
        re-ask; the MAX_FAILURES-th re-ask adds the contact point and the offer of
        a person. The confirmed summary files the request (`confirm`). Any text the
        customer sends gives a Step; nothing is raised for it."""
        clicked = as_clicked(turn, self.ask(turn.slot, turn.slots).buttons)
        answered = earlier_button_answer(self.answerer, turn) if clicked is turn else None
        if answered is not None:
            return Step({turn.slot: None}, [answered])
        if clicked is turn and is_command(turn.text):
            return self._command(turn)
        turn = clicked
        heard = self._hear(turn)
        if heard.act in DECISIVE or heard.act == Act.STATUS:
            return self._redirect(turn, heard)
        updates = self._parsers[turn.slot](turn)
        if not self._may_be_value(turn.slot, heard, updates):
            return self._not_a_value(turn, heard)
        if updates is not None and OUTCOME in updates:
            return Step(updates)
        if updates is None or turn.slot not in updates:
            return self._invalid(turn, updates or {})
        if updates.get(CONFIRMED) is True:
            return self.confirm(turn)
        notes = self._parse_several(turn).notes if turn.slot in _SEVERAL else []
        return Step({**updates, FAILURES: 0}, [Answer(turn.slot, note) for note in notes])

    def _command(self, turn: Turn) -> Step:
        """A typed command: only the ways out (a person, stop) are taken from it;
        anything else is an unusable answer, never stored, never read for a kind."""
        heard = command_act(turn)
        if heard is not None:
            return self._redirect(turn, heard)
        return self._re_ask(turn, self.wording["invalid"][turn.slot])

    def end(self, outcome: str) -> Step:
        """Stop the form (`requested_slot` None) with `outcome` (one of the
        OUTCOME_ constants); action_finish_intake acts on it."""
        return Step({REQUESTED_SLOT: None, OUTCOME: outcome})

    def _hear(self, turn: Turn) -> Heard:
        named_kind = None
        if turn.slot != KIND:
            named_kind = fields.parse_kind(turn.text, self.kinds, turn.entities.get("request_kind", []))
        return hear(turn.text, turn.intent, turn.confidence, named_kind=named_kind,
                    current_kind=turn.slots.get(KIND), free_text=turn.slot == DETAILS)

    @staticmethod
    def _may_be_value(slot: str, heard: Heard, updates: Optional[dict[str, Any]]) -> bool:
        if heard.act == Act.VALUE:
            return True
        if slot in _YES_NO:
            return heard.act in (Act.YES, Act.NO) or (heard.act != Act.QUESTION and bool(updates))
        return slot in _SHAPED and updates is not None and slot in updates

    def _redirect(self, turn: Turn, heard: Heard) -> Step:
        """A person, a cancel, a lost reference, a status lookup or another kind:
        what the customer wants instead of answering."""
        if heard.act == Act.HUMAN:
            return self.end(OUTCOME_HANDOFF)
        if heard.act == Act.CANCEL:
            return self.end(OUTCOME_CANCELLED)
        if heard.act == Act.RESTART:
            return self._restart(turn)
        if heard.act == Act.KIND:
            return self._switch_kind(turn, heard.kind)
        key = "lost" if heard.act == Act.LOST else "status_in_form"
        text = "\n".join([self.wording[key], self.answerer.contact_block()]) if key == "lost" else self.wording[key]
        return Step({turn.slot: None}, [Answer(turn.slot, text, buttons=with_way_out([], self.wording, human=True))])

    def _restart(self, turn: Turn) -> Step:
        """「最初からやり直したい」: every answer is forgotten and the form asks from
        the first question again (nothing was filed: a filed form has ended)."""
        updates: dict[str, Any] = {name: None for name in (*ASKED, PHONE, EMAIL)}
        updates.update({CORRECTING: False, FAILURES: 0})
        return Step(updates, [Answer(turn.slot, self.wording["restarted"])])

    def _switch_kind(self, turn: Turn, kind: Optional[str]) -> Step:
        """The customer changed their mind: the new kind, and the details asked
        again since they were about the old one."""
        updates: dict[str, Any] = {KIND: kind, turn.slot: None, FAILURES: 0}
        if turn.slots.get(DETAILS) is not None:
            updates[DETAILS] = None
        if turn.slot in (FIX, CONFIRMED):
            updates.update({FIX: None, CORRECTING: False, CONFIRMED: None})
        return Step(updates, [Answer(KIND, self.wording["kind_changed"].format(kind=kind))])

    def _not_a_value(self, turn: Turn, heard: Heard) -> Step:
        """A question is answered; filler and thanks get a gentle re-ask; the rest a hint."""
        if heard.act == Act.QUESTION:
            return Step({turn.slot: None}, [self._answer_question(turn)])
        if heard.act == Act.THANKS:
            # Thanks is no failed answer: not counted towards the third.
            return Step({turn.slot: None}, [Answer(turn.slot, self.wording["gentle"]["thanks"],
                                                   buttons=self.ask(turn.slot, turn.slots).buttons)])
        if heard.act == Act.FILLER:
            return self._re_ask(turn, self.wording["gentle"][heard.act.value])
        return self._invalid(turn)

    def _answer_question(self, turn: Turn) -> Answer:
        """The policy's answer to a question asked mid-form, else what this
        question of the form is for."""
        return policy_answer(self.answerer, turn) or Answer(turn.slot, self.wording["help"][turn.slot])

    def _invalid(self, turn: Turn, kept: Optional[Mapping[str, Any]] = None) -> Step:
        """Re-ask with the hint; `kept` are other fields the answer did fill."""
        kept = dict(kept or {})
        notes = self._parse_several(turn).notes if turn.slot in _SEVERAL else []
        if kept:
            return Step({**kept, turn.slot: None, FAILURES: 0}, [Answer(turn.slot, note) for note in notes])
        step = self._re_ask(turn, self.wording["invalid"][turn.slot])
        step.replies[:0] = [Answer(turn.slot, note) for note in notes]
        return step

    def _re_ask(self, turn: Turn, text: str) -> Step:
        """One more unusable answer: the third adds the contact point and the offer of a person.
        The question itself follows (the form asks it again), with its buttons: this
        message does not repeat them."""
        failures = int(turn.slots.get(FAILURES) or 0) + 1
        buttons: tuple[Button, ...] = ()
        if failures >= MAX_FAILURES:
            text = "\n".join([text, self.wording["too_many_invalid"], self.answerer.contact_block(),
                              self.wording["offer_human"]])
            buttons = with_way_out([], self.wording, human=True)
        return Step({turn.slot: None, FAILURES: failures}, [Answer(turn.slot, text, buttons=buttons)])

    # -- parsers that need more than one field function -------------------

    def _parse_kind(self, turn: Turn) -> Optional[dict[str, Any]]:
        return _one(KIND, fields.parse_kind(turn.text, self.kinds, turn.entities.get("request_kind", [])))

    def _parse_consent(self, turn: Turn) -> Optional[dict[str, Any]]:
        answer = yes_or_no(turn)
        if answer is None:
            return None
        return {CONSENT: True} if answer else self.end(OUTCOME_DECLINED).updates

    def _parse_several(self, turn: Turn) -> Several:
        """Every field the answer gives that is still open (the asked one always),
        and what to tell the customer: other fields filled, both contacts kept,
        values not accepted and why."""
        reading = fields.read_several(turn.text)
        open_ = lambda name: turn.slot == name or turn.slots.get(name) is None  # noqa: E731
        updates: dict[str, Any] = {}
        if reading.name and open_(NAME):
            updates[NAME] = reading.name
        contact = reading.contact
        if contact and open_(CONTACT):
            updates.update({CONTACT: str(contact), PHONE: contact.phone, EMAIL: contact.email})
        elif contact:
            added, second = _added_contact(turn.slots, contact)
            updates.update(added)
            reading = replace(reading, rejected=reading.rejected + second)
        number = reading.customer_number
        if number is None and turn.slot == CUSTOMER_NUMBER:
            # Beside a phone or an e-mail, only what is left of the message: a
            # phone's digits are no customer number.
            number = fields.parse_customer_number(turn.text if contact is None else reading.rest)
        if number and open_(CUSTOMER_NUMBER):
            updates[CUSTOMER_NUMBER] = number
        return Several(updates or None, self._notes(turn.slot, updates, reading))

    def _notes(self, asked: str, updates: Mapping[str, Any], reading: fields.Reading) -> list[str]:
        wording = self.wording
        # A customer number of digits (「12345678」) is no phone number not in use.
        taken = lambda rejected: rejected.value.strip().upper() == updates.get(CUSTOMER_NUMBER)  # noqa: E731
        notes = [wording["rejected"][rejected.why].format(value=plain_text(rejected.value))
                 for rejected in reading.rejected if not (asked == CUSTOMER_NUMBER and taken(rejected))]
        # A contact kept is said masked, as everywhere: one given earlier may be in it.
        if updates.get(PHONE) and updates.get(EMAIL):
            notes.append(wording["both_contacts"].format(phone=masked_phone(updates[PHONE]),
                                                         email=masked_email(updates[EMAIL])))
        also = [name for name in (NAME, CONTACT, CUSTOMER_NUMBER) if name in updates and name != asked]
        if also:
            listed = "、".join(f"{wording['labels'][name]}（{self.display(name, updates)}）" for name in also)
            notes.append(wording["also_filled"].format(fields=listed))
        return notes

    def _parse_fix(self, turn: Turn) -> Optional[dict[str, Any]]:
        by_label = {self.wording["labels"][name]: name for name in self._fields_of(turn.slots)}
        answer = normalize(turn.text)
        chosen = next((name for label, name in by_label.items() if label in answer), None)
        if chosen is None:
            return None
        cleared = {name: None for name in (chosen, *_CLEARED_WITH.get(chosen, ()))}
        return {**cleared, FIX: None, CORRECTING: False}

    def _parse_confirmation(self, turn: Turn) -> Optional[dict[str, Any]]:
        if wants_correction(turn.text):
            return {CONFIRMED: None, CORRECTING: True}
        answer = yes_or_no(turn)
        if answer is None:
            return None
        return {CONFIRMED: True} if answer else {CONFIRMED: None, CORRECTING: True}

    def confirm(self, turn: Turn) -> Step:
        """The customer confirmed the summary: file the request. If it cannot be
        recorded, the form stays open with every answer and asks to confirm again.
        Filed: the form ends (OUTCOME_FILED) and the contact is kept in
        `known_phone`/`known_email` for a later handoff. Requires every slot
        `new_request` reads (KeyError otherwise) and a `filer`."""
        request = new_request(turn.slots, turn.channel, turn.conversation_id)
        assert self.filer is not None, "confirm() needs a form made with a filer"
        reply, recorded = self.filer.file(request)
        if not recorded:
            return Step({CONFIRMED: None, FAILURES: 0}, [reply])
        updates = {CONFIRMED: True, FAILURES: 0, KNOWN_PHONE: request.phone, KNOWN_EMAIL: request.email}
        return Step({**updates, **self.end(OUTCOME_FILED).updates}, [reply])


# A question asked in the middle of a form is answered from the clause its words
# match this well (BM25, bot/policy/ranker.py) when the classifier was unsure.
QUESTION_CLAUSE_SCORE = 3.0


def policy_answer(answerer: Answerer, turn: Turn) -> Optional[Answer]:
    """The policy's answer to a question asked at a form step: the topic the
    classifier is sure of, else the clause the question's words clearly match,
    else None (the step explains itself instead)."""
    if (turn.intent is not None and turn.intent in answerer.topics and turn.intent not in _NOT_DIGRESSIONS
            and turn.confidence >= DIGRESSION_CONFIDENCE):
        return answerer.answer(turn.intent, turn.entities, text=turn.text)
    ranked = answerer.ranker.rank(turn.text, limit=1)
    topic = answerer.topic_of(ranked[0].ref) if ranked and ranked[0].score >= QUESTION_CLAUSE_SCORE else None
    return answerer.clause(topic, ranked[0].ref) if topic else None


def new_request(slots: Mapping[str, Any], channel: str, conversation_id: str) -> NewRequest:
    """The ticket's request from the form's slots: kind, requester, name,
    presentation and the submission key are required (KeyError), the rest may be
    None; 「なし」 as customer number is None; an empty channel is "chat"."""
    customer_number = slots.get(CUSTOMER_NUMBER)
    return NewRequest(
        kind=slots[KIND],
        requester=slots[REQUESTER],
        name=slots[NAME],
        phone=slots.get(PHONE),
        email=slots.get(EMAIL),
        customer_number=None if customer_number == fields.NO_CUSTOMER_NUMBER else customer_number,
        details=slots.get(DETAILS),
        id_presentation=slots[PRESENTATION],
        channel=channel or "chat",
        conversation_id=conversation_id,
        submission_key=slots[SUBMISSION],
    )


def _added_contact(slots: Mapping[str, Any],
                   given: fields.Contact) -> tuple[dict[str, Any], tuple[fields.Rejected, ...]]:
    """A phone or e-mail given after the contact was answered: what the contact
    lacked is added (the slot updates); a second, different phone or e-mail is
    not kept but said (phone_second, email_second), never dropped silently."""
    phone, email = slots.get(PHONE), slots.get(EMAIL)
    rejected = tuple(fields.Rejected(value, why) for value, stored, why in (
        (given.phone, phone, "phone_second"), (given.email, email, "email_second"))
        if value and stored and value != stored)
    merged = fields.Contact(phone or given.phone, email or given.email)
    if (merged.phone, merged.email) == (phone, email):
        return {}, rejected
    return {CONTACT: str(merged), PHONE: merged.phone, EMAIL: merged.email}, rejected


def _one(slot: str, value: Optional[str]) -> Optional[dict[str, Any]]:
    return None if value is None else {slot: value}


_YES = ("はい", "同意", "ok", "いいです", "お願いします", "大丈夫", "申し込", "申込")
_NO = ("いいえ", "いや", "しない", "同意しません", "やめ")


def yes_or_no(turn: Turn) -> Optional[bool]:
    """Yes or no, from the intent (buttons send /affirm and /deny) or the words."""
    if turn.intent == "affirm":
        return True
    if turn.intent == "deny":
        return False
    answer = normalize(turn.text).lower()
    if any(word in answer for word in _NO):
        return False
    if any(word in answer for word in _YES):
        return True
    return None


# Words of a wish to correct the summary, matched as whole words (Sudachi's
# normalized forms): 「直したい」「修正します」, not the 直 of 正直 or 直接.
_CORRECTION_WORDS = frozenset({"修正", "訂正", "直す", "手直し", "書き直す", "変更", "変える", "替える"})


def wants_correction(text: str) -> bool:
    """Whether the customer asks to correct something (「住所を直したい」「修正します」)."""
    return any(m.normalized_form() in _CORRECTION_WORDS or m.dictionary_form() in _CORRECTION_WORDS
               for m in morphemes(text))


def is_command(text: str) -> bool:
    """Text that Rasa reads as an intent or payload (「/inform{…}」「/EXTERNAL_reminder」)."""
    return normalize(text).lstrip().startswith("/")


# The only intents a typed command is taken for: the ways out, offered under every question.
_COMMAND_WAYS_OUT = {"ask_human": Act.HUMAN, "cancel": Act.CANCEL}


def earlier_button_answer(answerer: Answerer, turn: Turn) -> Optional[Answer]:
    """The answer to a button of an earlier answer clicked at a form step: it
    arrives as its title (「お問い合わせ窓口」, bot/channels/guard.py) or, offered in
    the bot's latest turn, as its payload (「/ask_contact」). That topic's answer;
    「原文を見る」 the full text of the answer given before the form (slots
    `answer_topic`, `answer_clauses`). The step is asked again after it. None for
    anything else (a command is never a value either)."""
    intent = turn.intent or "" if is_command(turn.text) else answerer.button_intent(turn.text) or ""
    if intent == MORE_DETAIL_INTENT:
        topic, clauses = str(turn.slots.get(TOPIC_SLOT) or ""), turn.slots.get(CLAUSES_SLOT) or []
        return answerer.full_text(topic, clauses) if topic in answerer.topics and clauses else None
    if intent in answerer.topics and intent not in _NOT_DIGRESSIONS and intent not in _COMMAND_WAYS_OUT:
        return answerer.answer(intent, turn.entities)
    return None


def command_act(turn: Turn) -> Optional[Heard]:
    """The way out a typed command asks for (「/ask_human」「/cancel」), or None."""
    act = _COMMAND_WAYS_OUT.get(turn.intent or "")
    return Heard(act) if act is not None else None


def with_way_out(buttons: Sequence[Button], wording: Mapping[str, Any], human: bool = False) -> tuple[Button, ...]:
    """`buttons`, then the offer of a person if `human`, then a button to stop
    unless one is there (the summary has its own 「やめる」)."""
    extra = [Button(*wording["human_button"])] if human else []
    stop = Button(*wording["stop_button"])
    has_stop = any(button.title == stop.title for button in buttons)
    return (*buttons, *extra, *([] if has_stop else [stop]))


# Digits and the @: what values are made of, never words of a button's title.
_FIGURES = re.compile(r"[0-9@]")


def _same_choice(text: str, button: Button) -> bool:
    """Whether typed `text` says what the button says: its title or payload, or the
    same content words (「この内容で申し込みます」), or only its last one, the verb
    (「申し込みます」 for 「この内容で申し込む」). A question never clicks."""
    said = compact(text)
    if said in (compact(button.title), compact(button.payload)):
        return True
    if _FIGURES.search(normalize(text)) and not _FIGURES.search(button.title):
        return False  # 「なし 080-1111-2222」: a value beside the title is not a click
    words, title_words = lemmas(text), lemmas(button.title)
    return bool(words) and words in (title_words, title_words[-1:]) and not is_question(text)


def as_clicked(turn: Turn, buttons: Sequence[Button]) -> Turn:
    """The turn as if the button whose title was typed had been clicked: its
    payload as the text, and its intent when the payload is one (「/affirm」)."""
    button = next((button for button in buttons if _same_choice(turn.text, button)), None)
    if button is None:
        return turn
    if button.payload.startswith("/"):
        return replace(turn, text=button.payload, intent=button.payload[1:], confidence=1.0)
    return replace(turn, text=button.payload, intent=None, confidence=0.0)


@lru_cache(maxsize=None)
def load_intake_wording(path: Path = INTAKE_FILE) -> Mapping[str, Any]:
    """data/policy/intake.yml (or `path`), parsed once per path and shared: not to be changed."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)
