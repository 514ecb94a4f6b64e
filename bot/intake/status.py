"""The status lookup in the chat: reference and verification code in, the
status in Japanese and the next step out.

A wrong code and an unknown reference get the same reply; repeated failures
for one reference lock it for the hour (bot.cases.tickets.lookup_status).
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from sqlalchemy.exc import SQLAlchemyError

from bot.cases.db import CaseStore
from bot.cases.references import find_reference, normalize_reference
from bot.cases.tickets import lookup_status
from bot.intake.form import CANCEL_CONFIDENCE, CANCEL_INTENT, REQUESTED_SLOT, Step, Turn
from bot.policy.answers import Answer, Answerer
from bot.text import normalize

REFERENCE = "status_reference"
CODE = "status_code"
OUTCOME = "status_outcome"
ASKED = (REFERENCE, CODE)
ALL_SLOTS = (*ASKED, OUTCOME)
OUTCOME_READY = "ready"
OUTCOME_CANCELLED = "cancelled"

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def parse_reference(text: str, entity_values: list[str]) -> Optional[str]:
    """The reference from the NLU entity, else from anywhere in the text."""
    for value in entity_values:
        if normalize_reference(value):
            return normalize_reference(value)
    return find_reference(normalize(text))


def parse_code(text: str) -> Optional[str]:
    # The reference's own digits are eight long, so they never match.
    match = _CODE.search(normalize(text))
    return match.group(0) if match else None


class StatusLookup:
    def __init__(self, store: CaseStore, answerer: Answerer, wording: Mapping[str, Any]) -> None:
        self.store = store
        self.answerer = answerer
        self.wording = wording["status"]

    def required_slots(self, slots: Mapping[str, Any]) -> list[str]:
        return list(ASKED)

    def ask(self, slot: str) -> Answer:
        return Answer(slot, self.wording["ask_reference" if slot == REFERENCE else "ask_code"])

    def validate(self, turn: Turn) -> Step:
        if turn.intent == CANCEL_INTENT and turn.confidence >= CANCEL_CONFIDENCE:
            return Step({REQUESTED_SLOT: None, OUTCOME: OUTCOME_CANCELLED})
        if turn.slot == REFERENCE:
            value = parse_reference(turn.text, list(turn.entities.get("ticket_ref", [])))
            invalid = "invalid_reference"
        else:
            value = parse_code(turn.text)
            invalid = "invalid_code"
        if value is None:
            return Step({turn.slot: None}, [Answer(turn.slot, self.wording[invalid])])
        updates: dict[str, Any] = {turn.slot: value}
        if turn.slot == CODE:
            updates[OUTCOME] = OUTCOME_READY
        return Step(updates)

    def look_up(self, reference: str, code: str) -> Answer:
        try:
            with self.store.unit_of_work() as session:
                result = lookup_status(session, reference, code)
                kind = (result.ticket.kind or self.wording["handoff_kind"]) if result.ticket else None
        except SQLAlchemyError:
            return self._with_contact("unavailable")
        if result.locked:
            return self._with_contact("locked")
        if result.status is None:
            return Answer("status", self.wording["not_found"])
        found = self.wording["found"].format(reference=reference, kind=kind, status=result.status.label)
        return Answer("status", "\n".join([found, self.wording["next"][result.status.value]]))

    def _with_contact(self, key: str) -> Answer:
        return Answer("status", "\n".join([self.wording[key], self.answerer.contact_block()]), ("11",))
