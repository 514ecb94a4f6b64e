"""The status lookup in the chat: reference and verification code in, the
status in Japanese and the next step out.

A wrong code and an unknown reference get the same reply; repeated failures
for one reference lock it for the hour (bot.cases.tickets.lookup_status).

Every answer is heard first (bot/intake/hearing.py), as in the intake form: a
request for a person ends the lookup into a handoff, 「やめます」 or 「いいえ」
stop it, a lost reference or code (「受付番号を忘れました」) ends it with the
contact point and the offer of a person, a question is answered and the step
asked again, thanks get a polite re-ask (not counted). A new request (「開示を
請求したい」「削除してほしい」) ends the lookup and the request form starts
(actions/intake.py); it is never counted as an unusable answer. References and
codes are read with spaces, hyphens, full width and lower case. The third
unusable answer adds the contact point and the offer of a person, and every
question has a button to stop.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from sqlalchemy.exc import SQLAlchemyError

from bot import personal_data
from bot.cases.db import CaseStore
from bot.cases.references import normalize_reference
from bot.cases.tickets import lookup_status
from bot.intake import fields
from bot.intake.form import (
    FAILURES,
    MAX_FAILURES,
    OUTCOME_HANDOFF,
    REQUESTED_SLOT,
    Step,
    Turn,
    as_clicked,
    command_act,
    earlier_button_answer,
    is_command,
    policy_answer,
    with_way_out,
)
from bot.intake.hearing import Act, Heard, compact, hear
from bot.policy.answers import Answer, Answerer, Button
from bot.text import normalize

REFERENCE = "status_reference"
CODE = "status_code"
OUTCOME = "status_outcome"
ASKED = (REFERENCE, CODE)
# FAILURES is the intake form's counter: the two forms are never active at once.
ALL_SLOTS = (*ASKED, OUTCOME, FAILURES)
OUTCOME_READY = "ready"
OUTCOME_CANCELLED = "cancelled"
# The customer has no reference or code: the contact point and a person.
OUTCOME_LOST = "lost"
# The customer asks for a new request instead: action_finish_status_lookup starts it.
OUTCOME_REQUEST = "request"

# Any dash customers type (the Unicode dashes, minus, long-vowel marks), as in bot.cases.references.
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2043\u30fc\uff70\ufe58\ufe63\uff0d]")
_SEPARATORS = re.compile(r"[\s-]")
# A question about what is asked (「受付番号ってどこに書いてありますか」): the step's own help.
_ABOUT_CREDENTIALS = re.compile(r"受付番号|受付の番号|確認コード|コード|番号|PR", re.IGNORECASE)
# A wish for a request (「請求を申し込みたい」), and words of one made earlier, whose
# status is what the customer is after (「開示を請求したのですが」「削除の進捗」).


def _unified(text: str) -> str:
    return _DASHES.sub("-", normalize(text))


def parse_reference(text: str, entity_values: list[str]) -> Optional[str]:
    """The reference from the NLU entity, else from anywhere in the text, in canonical form."""
    for value in entity_values:
        if normalize_reference(value):
            return normalize_reference(value)
    for match in personal_data.REFERENCE_AS_TYPED.finditer(_unified(text)):
        digits, suffix = (_SEPARATORS.sub("", group) for group in match.groups())
        reference = normalize_reference(f"PR-{digits}-{suffix}")
        if reference:
            return reference
    return None


def parse_code(text: str) -> Optional[str]:
    """The six-digit code, read past the reference written in the same message."""
    without_reference = personal_data.REFERENCE_AS_TYPED.sub(" ", _unified(text))
    match = personal_data.CODE_AS_TYPED.search(without_reference)
    return match.group(1) + match.group(2) if match else None


class StatusLookup:
    """The status lookup (status_form): asks for the reference and the six-digit
    code, reads them however typed, and answers the ticket's status. After three
    unusable answers, or a lost reference or code, it gives the contact point of
    11 and the offer of a person; the case database locks a reference after too
    many wrong codes (bot/cases). Nothing of Rasa: actions/intake.py adapts it."""

    def __init__(self, store: CaseStore, answerer: Answerer, wording: Mapping[str, Any]) -> None:
        self.store = store
        self.answerer = answerer
        self.all_wording = wording
        self.wording = wording["status"]
        self.kinds = answerer.policy.fact("5.(1)", "request_kinds")

    def required_slots(self, slots: Mapping[str, Any]) -> list[str]:
        """The slots the lookup asks, in order (ASKED: the reference, then the code)."""
        return list(ASKED)

    def ask(self, slot: str) -> Answer:
        """The question for `slot` (REFERENCE or the code), with the way out as a button."""
        text = self.wording["ask_reference" if slot == REFERENCE else "ask_code"]
        return Answer(slot, text, buttons=with_way_out([], self.all_wording))

    def validate(self, turn: Turn) -> Step:
        """Hear the answer, then read the reference (and a code typed with it) or the code.
        A command typed as text that is no button of the question is never a value."""
        clicked = as_clicked(turn, self.ask(turn.slot).buttons)
        answered = earlier_button_answer(self.answerer, turn) if clicked is turn else None
        if answered is not None:
            return Step({turn.slot: None}, [answered])
        if clicked is turn and is_command(turn.text):
            heard = command_act(turn)
            return self._way_out(heard) if heard else self._re_ask(turn, self._invalid_text(turn))
        turn = clicked
        heard = hear(turn.text, turn.intent, turn.confidence)
        if heard.act in (Act.HUMAN, Act.CANCEL, Act.NO, Act.LOST):
            return self._way_out(heard)
        if heard.act == Act.RESTART:
            return Step({REFERENCE: None, CODE: None, FAILURES: 0},
                        [Answer(turn.slot, self.wording["restarted"], buttons=self.ask(REFERENCE).buttons)])
        updates = self._read(turn)
        if updates:
            return Step({**updates, FAILURES: 0})
        if fields.wants_new_request(turn.text, self.kinds, turn.entities.get("request_kind", []), turn.intent,
                             turn.confidence):
            return self._end(OUTCOME_REQUEST)
        return self._not_a_value(turn, heard)

    def _way_out(self, heard: Heard) -> Step:
        return self._end({Act.HUMAN: OUTCOME_HANDOFF, Act.LOST: OUTCOME_LOST}.get(heard.act, OUTCOME_CANCELLED))

    def _invalid_text(self, turn: Turn) -> str:
        return self.wording["invalid_reference" if turn.slot == REFERENCE else "invalid_code"]

    def _read(self, turn: Turn) -> dict[str, Any]:
        """The slots the answer fills: the reference, with the code when typed together."""
        if turn.slot == REFERENCE:
            reference = parse_reference(turn.text, list(turn.entities.get("ticket_ref", [])))
            if reference is None:
                return {}
            code = parse_code(turn.text)
            return {REFERENCE: reference, **({CODE: code, OUTCOME: OUTCOME_READY} if code else {})}
        code = parse_code(turn.text)
        return {CODE: code, OUTCOME: OUTCOME_READY} if code else {}

    def _not_a_value(self, turn: Turn, heard: Heard) -> Step:
        if heard.act == Act.QUESTION:
            return Step({turn.slot: None}, [self._answer_question(turn)])
        if heard.act == Act.THANKS:
            # Polite, not unusable: re-asked, not counted.
            return Step({turn.slot: None}, [Answer(turn.slot, self.all_wording["gentle"]["thanks"],
                                                   buttons=self.ask(turn.slot).buttons)])
        if heard.act == Act.STATUS:
            # 「受付状況を確認したい」 again: this is that lookup; its question again.
            return Step({turn.slot: None})
        if heard.act == Act.FILLER:
            return self._re_ask(turn, self.all_wording["gentle"]["filler"])
        return self._re_ask(turn, self._invalid_text(turn))

    def _answer_question(self, turn: Turn) -> Answer:
        """A question about the reference or the code gets what it is and where it
        is; another question the policy's answer when the classifier knows the topic."""
        if _ABOUT_CREDENTIALS.search(compact(turn.text)):
            return Answer(turn.slot, self.wording["help"][turn.slot])
        return policy_answer(self.answerer, turn) or Answer(turn.slot, self.wording["help"][turn.slot])

    def _re_ask(self, turn: Turn, text: str) -> Step:
        """One more unusable answer. The third says, instead of the format again,
        where else to ask: the contact point and the offer of a person; one more
        ends the lookup with them, so the customer is never asked a fifth time."""
        failures = int(turn.slots.get(FAILURES) or 0) + 1
        buttons: tuple[Button, ...] = ()  # the question follows with its buttons
        if failures > MAX_FAILURES:
            return Step({**self._end(OUTCOME_LOST).updates, FAILURES: 0})
        if failures == MAX_FAILURES:
            text = "\n".join([self.wording["too_many_invalid"], self.answerer.contact_block(),
                              self.all_wording["offer_human"], self.wording["go_on"]])
            buttons = with_way_out([], self.all_wording, human=True)
        return Step({turn.slot: None, FAILURES: failures}, [Answer(turn.slot, text, ("11",), buttons)])

    @staticmethod
    def _end(outcome: str) -> Step:
        return Step({REQUESTED_SLOT: None, OUTCOME: outcome})

    def lost(self) -> Answer:
        """For 「受付番号を忘れました」「確認コードをなくしました」: the contact point, and a person."""
        return Answer("status", "\n".join([self.wording["lost"], self.answerer.contact_block(),
                                           self.all_wording["offer_human"]]),
                      ("11",), with_way_out([], self.all_wording, human=True)[:1])

    def look_up(self, reference: str, code: str) -> Answer:
        """The status of ticket `reference` (canonical, e.g. 「PR-20261128-ABC234」)
        if `code` (six digits) is its code: its kind and status label and what happens next
        (for a handoff, in a handoff's words). A
        wrong pair says "not found" (never which part was wrong); a locked
        reference or a database error gives the contact point instead (no exception)."""
        try:
            with self.store.unit_of_work() as session:
                result = lookup_status(session, reference, code)
                kind = (result.ticket.kind or self.wording["handoff_kind"]) if result.ticket else None
                handoff = result.ticket is not None and result.ticket.kind is None
        except SQLAlchemyError:
            return self._with_contact("unavailable")
        if result.locked:
            return self._with_contact("locked")
        if result.status is None:
            return Answer("status", self.wording["not_found"])
        found = self.wording["found"].format(reference=reference, kind=kind, status=result.status.label)
        # A handoff is no request: its own words where they differ (「担当者の対応は終了しました」).
        lines = {**self.wording["next"], **(self.wording["handoff_next"] if handoff else {})}
        return Answer("status", "\n".join([found, lines[result.status.value]]))

    def _with_contact(self, key: str) -> Answer:
        return Answer("status", "\n".join([self.wording[key], self.answerer.contact_block()]), ("11",))
