"""The request intake form: which questions, in which order, and what each
answer does. Rasa's form loop (actions/intake.py) asks and calls `validate`;
everything the form decides is here.

An answer can fill its slot, be re-asked with a hint (a third failure adds the
contact point), be a question about the policy (answered, then the slot is asked
again), or end the form: 「やめます」 at any point, or 「いいえ」 to the notice
of collection. The form's last question is the summary; 「修正する」 there asks
which field to change, clears it, and the form asks it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import yaml

from bot.cases.tickets import NewRequest
from bot.intake import fields
from bot.intake.filing import IntakeFiler
from bot.policy.answers import Answer, Answerer, Button, Entities
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
# Answers the customer types freely: any wording is a value, so only a
# confident question intent makes them a digression.
_FREE_TEXT = {NAME, DETAILS}
# The kind that needs no details: the customer asks which purposes apply.
_NO_DETAILS_KIND = "利用目的の通知"

CANCEL_INTENT = "cancel"
CANCEL_CONFIDENCE = 0.6
DIGRESSION_CONFIDENCE = 0.8
MAX_FAILURES = 3
# Replies that are never a name or details (「はい」「こんにちは」).
_NOT_VALUES = {"affirm", "deny", "greet", "goodbye", "thank"}
# Intents that are not questions to answer in the middle of the form.
_NOT_DIGRESSIONS = {"out_of_scope"}

OUTCOME_FILED = "filed"
OUTCOME_CANCELLED = "cancelled"
OUTCOME_DECLINED = "declined"


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


class IntakeForm:
    def __init__(self, answerer: Answerer, wording: Mapping[str, Any], filer: Optional[IntakeFiler] = None) -> None:
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
            NAME: lambda turn: _one(NAME, fields.parse_name(turn.text)),
            CONTACT: self._parse_contact,
            CUSTOMER_NUMBER: lambda turn: _one(CUSTOMER_NUMBER, fields.parse_customer_number(turn.text)),
            DETAILS: lambda turn: _one(DETAILS, fields.parse_details(turn.text)),
            PRESENTATION: lambda turn: _one(PRESENTATION, fields.parse_presentation(turn.text)),
            FIX: self._parse_fix,
            CONFIRMED: self._parse_confirmation,
        }

    # -- what to ask --------------------------------------------------------

    def required_slots(self, slots: Mapping[str, Any]) -> list[str]:
        required = [KIND, REQUESTER, CONSENT, NAME, CONTACT, CUSTOMER_NUMBER]
        if slots.get(KIND) != _NO_DETAILS_KIND:
            required.append(DETAILS)
        required.append(PRESENTATION)
        if slots.get(CORRECTING):
            required.append(FIX)
        required.append(CONFIRMED)
        return required

    def ask(self, slot: str, slots: Mapping[str, Any]) -> Answer:
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
        return Answer(slot, "\n".join(line for line in lines if line), tuple(spec.get("cite", ())), tuple(buttons))

    def summary(self, slots: Mapping[str, Any]) -> str:
        labels = self.wording["labels"]
        return "\n".join(f"・{labels[name]}：{self.display(name, slots)}" for name in self._fields_of(slots))

    def display(self, name: str, slots: Mapping[str, Any]) -> str:
        value = slots.get(name)
        if name == REQUESTER:
            return self.wording["requesters"].get(value, value)
        return str(value)

    def _fields_of(self, slots: Mapping[str, Any]) -> list[str]:
        required = self.required_slots(slots)
        return [name for name in SUMMARY_FIELDS if name in required]

    # -- what an answer does ----------------------------------------------

    def validate(self, turn: Turn) -> Step:
        if turn.intent == CANCEL_INTENT and turn.confidence >= CANCEL_CONFIDENCE:
            return self.end(OUTCOME_CANCELLED)
        updates = self._parsers[turn.slot](turn)
        if turn.slot in _FREE_TEXT and turn.intent in _NOT_VALUES and turn.confidence >= DIGRESSION_CONFIDENCE:
            updates = None
        if self._is_digression(turn, understood=updates is not None):
            # Answer the question; the form then asks the same slot again.
            return Step({turn.slot: None}, [self.answerer.answer(turn.intent, turn.entities)])
        if updates is None:
            return self._invalid(turn)
        if updates.get(CONFIRMED) is True:
            return self.confirm(turn)
        return Step({**updates, FAILURES: 0})

    def end(self, outcome: str) -> Step:
        """Stop the form; action_finish_intake acts on the outcome."""
        return Step({REQUESTED_SLOT: None, OUTCOME: outcome})

    def _is_digression(self, turn: Turn, understood: bool) -> bool:
        is_question = (
            turn.intent in self.answerer.topics
            and turn.intent not in _NOT_DIGRESSIONS
            and turn.confidence >= DIGRESSION_CONFIDENCE
        )
        return is_question and (not understood or turn.slot in _FREE_TEXT)

    def _invalid(self, turn: Turn) -> Step:
        failures = int(turn.slots.get(FAILURES) or 0) + 1
        text = self.wording["invalid"][turn.slot]
        if failures >= MAX_FAILURES:
            text = "\n".join([text, self.wording["too_many_invalid"], self.answerer.contact_block()])
        asked = self.ask(turn.slot, turn.slots)
        return Step({turn.slot: None, FAILURES: failures}, [Answer(turn.slot, text, buttons=asked.buttons)])

    # -- parsers that need more than one field function -------------------

    def _parse_kind(self, turn: Turn) -> Optional[dict[str, Any]]:
        return _one(KIND, fields.parse_kind(turn.text, self.kinds, turn.entities.get("request_kind", [])))

    def _parse_consent(self, turn: Turn) -> Optional[dict[str, Any]]:
        answer = yes_or_no(turn)
        if answer is None:
            return None
        return {CONSENT: True} if answer else self.end(OUTCOME_DECLINED).updates

    def _parse_contact(self, turn: Turn) -> Optional[dict[str, Any]]:
        contact = fields.parse_contact(turn.text)
        if contact is None:
            return None
        return {CONTACT: str(contact), PHONE: contact.phone, EMAIL: contact.email}

    def _parse_fix(self, turn: Turn) -> Optional[dict[str, Any]]:
        by_label = {self.wording["labels"][name]: name for name in self._fields_of(turn.slots)}
        answer = normalize(turn.text)
        chosen = next((name for label, name in by_label.items() if label in answer), None)
        if chosen is None:
            return None
        cleared = {name: None for name in (chosen, *_CLEARED_WITH.get(chosen, ()))}
        return {**cleared, FIX: None, CORRECTING: False}

    def _parse_confirmation(self, turn: Turn) -> Optional[dict[str, Any]]:
        if "修正" in turn.text or "訂正" in turn.text or "直" in turn.text:
            return {CONFIRMED: None, CORRECTING: True}
        answer = yes_or_no(turn)
        if answer is None:
            return None
        return {CONFIRMED: True} if answer else {CONFIRMED: None, CORRECTING: True}

    def confirm(self, turn: Turn) -> Step:
        """The customer confirmed the summary: file the request. If it cannot be
        recorded, the form stays open with every answer and asks to confirm again."""
        request = new_request(turn.slots, turn.channel, turn.conversation_id)
        reply, recorded = self.filer.file(request)
        if not recorded:
            return Step({CONFIRMED: None, FAILURES: 0}, [reply])
        updates = {CONFIRMED: True, FAILURES: 0, KNOWN_PHONE: request.phone, KNOWN_EMAIL: request.email}
        return Step({**updates, **self.end(OUTCOME_FILED).updates}, [reply])


def new_request(slots: Mapping[str, Any], channel: str, conversation_id: str) -> NewRequest:
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


def _one(slot: str, value: Optional[str]) -> Optional[dict[str, Any]]:
    return None if value is None else {slot: value}


_YES = ("はい", "同意", "ok", "いいです", "お願いします", "大丈夫")
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


@lru_cache(maxsize=None)
def load_intake_wording(path: Path = INTAKE_FILE) -> Mapping[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)
