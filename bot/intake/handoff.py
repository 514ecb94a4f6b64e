"""Handing a conversation to staff: confirm, take a contact, open a handoff
ticket, then stand aside until staff close it.

Each step hears the answer first (bot/intake/hearing.py), as the other forms do:
「やめます」 in any wording ends the handoff with the contact point; a question is
answered and the step asked again; filler and thanks get a gentle re-ask. Every
question has a way out (「いいえ」, or the button to stop), and from the third
unusable answer on the re-ask adds the contact point, as in the intake form.

The customer asks for a person (ask_human), complains or objects (complain,
section 11), or the bot fails to understand twice in a row. While the handoff
is open, every message gets a short notice (staff read them in the console);
once staff close the ticket, the next message is answered automatically again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

from sqlalchemy.exc import SQLAlchemyError

from bot.cases.db import CaseStore
from bot.cases.handoffs import NewHandoff, open_handoff, open_handoff_for
from bot.cases.statuses import Status
from bot.cases.tickets import CUSTOMER_ACTOR, InvalidRequest, change_status, reissue_code
from bot.intake import fields
from bot.intake.form import (
    FAILURES,
    KNOWN_EMAIL,
    KNOWN_PHONE,
    MAX_FAILURES,
    REQUESTED_SLOT,
    Step,
    Turn,
    earlier_button_answer,
    policy_answer,
    with_way_out,
    yes_or_no,
)
from bot.intake.hearing import Act, declines_contact, declines_human, hear, wants_human
from bot.intake.hearing import yes_or_no as bare_yes_or_no
from bot.live_chat import hours
from bot.policy.answers import Answer, Answerer, Button

log = logging.getLogger(__name__)

CONFIRM = "handoff_confirm"
CONTACT = "handoff_contact"
REASON = "handoff_reason"
SUMMARY = "handoff_summary"
OUTCOME = "handoff_outcome"
SUBMISSION = "handoff_id"
ACTIVE = "handoff_active"

ASKED = (CONFIRM, CONTACT)
# FAILURES is the intake form's counter: the handoff form only runs once the
# other forms have ended, and it is cleared when the handoff starts and ends.
ALL_SLOTS = (*ASKED, REASON, SUMMARY, OUTCOME, SUBMISSION, FAILURES)
# Set only when the form ends early; a completed form is a confirmed handoff.
OUTCOME_DECLINED = "declined"
# 「担当者じゃなくて削除の申し込みをしたい」: the form ends and that request starts.
OUTCOME_REQUEST = "request"

# Which intent leads to which reason (the third reason comes from the fallback).
REASON_BY_INTENT = {"ask_human": "ask_human", "complain": "complaint"}
NOT_UNDERSTOOD = "not_understood"


@dataclass(frozen=True)
class Result:
    """What the chat says after a handoff step (None: nothing), and the slots to set."""

    answer: Optional[Answer]
    updates: dict[str, Any]


def known_contact(slots: Mapping[str, Any]) -> Optional[fields.Contact]:
    """The phone and e-mail given earlier in the conversation (`known_phone`,
    `known_email`, strings or None), or None when neither was."""
    phone, email = slots.get(KNOWN_PHONE), slots.get(KNOWN_EMAIL)
    return fields.Contact(phone, email) if phone or email else None


class Handoff:
    """The handoff form's decisions and the handoff ticket, without Rasa
    (actions/handoff.py adapts them). `wording`: data/policy/intake.yml, whose
    `handoff` section is used."""

    def __init__(self, store: CaseStore, answerer: Answerer, wording: Mapping[str, Any]) -> None:
        """`store`: the case database (handoff tickets); `answerer`: the policy's
        (questions asked mid-form, the contact block); `wording`: intake.yml whole."""
        self.store = store
        self.answerer = answerer
        self.all_wording = wording
        self.wording = wording["handoff"]
        self.kinds: list[str] = answerer.policy.fact("5.(1)", "request_kinds")

    # -- the form -------------------------------------------------------------

    def required_slots(self, slots: Mapping[str, Any]) -> list[str]:
        """The confirmation, and the contact unless one is known already."""
        return [CONFIRM] if known_contact(slots) else [CONFIRM, CONTACT]

    def ask(self, slot: str, slots: Mapping[str, Any]) -> Answer:
        """The question for `slot` (CONFIRM or CONTACT; KeyError otherwise); a known
        contact is shown masked in the confirmation."""
        spec = self.wording["ask"][slot]
        contact = known_contact(slots)
        # Shown back masked: whoever knows the conversation id must not read it here.
        text = spec["known"].format(contact=contact.masked()) if slot == CONFIRM and contact else spec["text"]
        buttons = [Button(title, payload) for title, payload in spec.get("buttons", [])]
        # The confirmation's own 「いいえ」 is its way out; the contact gets the button to stop.
        way_out = tuple(buttons) if slot == CONFIRM else with_way_out(buttons, self.all_wording)
        return Answer(slot, text, buttons=way_out)

    def validate(self, turn: Turn) -> Step:
        """What the answer to `turn.slot` (CONFIRM or CONTACT) does, as a Step of
        slot updates and replies: a cancel in any wording or a no ends the form
        (`handoff_outcome` declined: action_finish_handoff gives the contact point);
        a question the policy answers is answered and the step asked again; a yes
        (or a request for a person) sets the confirmation; a phone or e-mail sets
        the contact and keeps it in `known_phone`/`known_email`. Filler
        (「ちょっと待って」) and thanks get a gentle re-ask, thanks not counted; a
        request to file instead (「担当者じゃなくて削除の申し込みをしたい」) ends the
        form (`handoff_outcome` request: action_finish_handoff starts it);
        anything else clears the slot and re-asks with a hint. Each counted re-ask
        adds one to `intake_failures`; from the MAX_FAILURES-th on, the re-ask adds
        the contact point. Unless the form ends, `updates` has the asked slot."""
        answered = earlier_button_answer(self.answerer, turn)
        if answered is not None:
            # 「お問い合わせ窓口」 of an earlier answer clicked: answered, then asked again.
            return Step({turn.slot: None}, [answered, self.ask(turn.slot, turn.slots)])
        heard = hear(turn.text, turn.intent, turn.confidence)
        if heard.act == Act.CANCEL:
            return self._end(OUTCOME_DECLINED)
        if fields.wants_new_request(turn.text, self.kinds, turn.entities.get("request_kind", []), turn.intent,
                                    turn.confidence):
            return self._end(OUTCOME_REQUEST)
        if heard.act == Act.QUESTION and bare_yes_or_no(turn.text) is None:
            # 「何時から電話できますか」 while asked yes or no: answered, then asked again;
            # 「それって海外の会社もあるの？」, which the policy does not answer: said so
            # (the person about to be reached can), then asked again, not counted.
            answered = policy_answer(self.answerer, turn) or Answer(turn.slot, self.wording["question_for_staff"])
            return Step({turn.slot: None}, [answered, self.ask(turn.slot, turn.slots)])
        if turn.slot == CONTACT:
            contact = fields.parse_contact(turn.text)
            if contact:
                return Step({CONTACT: str(contact), KNOWN_PHONE: contact.phone, KNOWN_EMAIL: contact.email})
        if heard.act == Act.THANKS:
            return Step({turn.slot: None}, [self._re_ask_answer(turn, self.all_wording["gentle"]["thanks"])])
        if heard.act == Act.FILLER:
            # Before the yes or no: the classifier reads 「えーと」 as a yes.
            return self._re_ask(turn, self.all_wording["gentle"]["filler"])
        if heard.act == Act.HUMAN and turn.intent == "complain" and not wants_human(turn.text):
            # 「お前ら勝手に売ってるんじゃないのか？信用できない」 at 「よろしいですか？」: anger,
            # not consent to pass the contact on. The apology and what it is about, asked again.
            apology = self.answerer.complaint(turn.entities, turn.text, lead=self.answerer.wording["tone"]["angry"])
            return Step({turn.slot: None}, [replace(apology, buttons=()), self.ask(turn.slot, turn.slots)])
        if heard.act == Act.HUMAN:
            # 「担当者と話したい」: a yes to the handoff; at the contact, its question again.
            return Step({CONFIRM: True}) if turn.slot == CONFIRM else Step({CONTACT: None})
        if turn.slot == CONFIRM:
            # The classifier's yes or no only when sure (a click is): it reads noise as either.
            answer = {Act.YES: True, Act.NO: False}.get(heard.act, yes_or_no(replace(turn, intent=None)))
            if answer is not None:
                return Step({CONFIRM: True}) if answer else self._end(OUTCOME_DECLINED)
        return self._re_ask(turn, self.wording["invalid"][turn.slot])

    def _re_ask(self, turn: Turn, text: str) -> Step:
        """One more unusable answer: from the MAX_FAILURES-th on, the contact point too."""
        failures = int(turn.slots.get(FAILURES) or 0) + 1
        if failures >= MAX_FAILURES:
            text = "\n".join([text, self.wording["too_many_invalid"], self.answerer.contact_block()])
        return Step({turn.slot: None, FAILURES: failures}, [self._re_ask_answer(turn, text, failures >= MAX_FAILURES)])

    def _re_ask_answer(self, turn: Turn, text: str, contact: bool = False) -> Answer:
        asked = self.ask(turn.slot, turn.slots)
        return Answer(turn.slot, text, ("11",) if contact else (), asked.buttons)

    def _end(self, outcome: str) -> Step:
        return Step({REQUESTED_SLOT: None, OUTCOME: outcome})

    # -- after the form ---------------------------------------------------------

    def finish(self, slots: Mapping[str, Any], channel: str, conversation_id: str,
               now: Optional[datetime] = None) -> Result:
        """Open the handoff ticket if the customer agreed, and say what happens next
        (staff answer in this chat, or when and how they will be in touch: `_when`);
        otherwise, or when it cannot be recorded, give the contact point."""
        contact = known_contact(slots)
        if slots.get(CONFIRM) is not True or contact is None:
            return Result(self._with_contact("declined"), {})
        handoff = NewHandoff(
            reason=slots.get(REASON) or "ask_human", phone=contact.phone, email=contact.email, name=None,
            channel=channel, conversation_id=conversation_id, submission_key=slots[SUBMISSION],
            summary=slots.get(SUMMARY),
        )
        try:
            with self.store.unit_of_work() as session:
                filed = open_handoff(session, handoff)
                reference = filed.ticket.reference
                # Filed before, but the customer never saw that reply: a code they see now.
                code = filed.code or reissue_code(session, filed.ticket)
        except (SQLAlchemyError, InvalidRequest):
            return Result(self._with_contact("not_recorded"), {})
        receipt = self.wording["filed" if filed.code else "refiled"].format(reference=reference, code=code)
        what_next = self._when(now or datetime.now(timezone.utc), "in_hours", "after_hours", "contact_later",
                               contact=contact.masked())
        text = "\n".join([receipt, what_next])
        return Result(Answer("handoff", text), {ACTIVE: True})

    def _when(self, now: datetime, in_hours: str, after_hours: str, unknown: str, **fields: str) -> str:
        """The wording that is true at `now` under deploy/live_chat.yml: the key `in_hours`
        (with {wait}: the expected wait, when configured), `after_hours` (with {hours} and
        {opening}: the next opening), or `unknown` when the settings are unusable; each
        formatted with `fields` too."""
        try:
            live = hours.settings()
            if live.is_open(now):
                wait = live.expected_wait_minutes
                return self.wording[in_hours].format(
                    wait=self.wording["expected_wait"].format(minutes=wait) if wait else "", **fields)
            return self.wording[after_hours].format(
                hours=live.hours_text(), opening=hours.opening_text(live.next_opening(now)), **fields)
        except hours.LiveChatConfigError:
            log.exception("live chat settings unusable: the customer is not told when staff answer")
            return self.wording[unknown].format(**fields)

    def while_active(self, conversation_id: str, intent: Optional[str], entities: Mapping[str, Any],
                     now: Optional[datetime] = None, text: str = "") -> Result:
        """A customer message `text` while the conversation is with staff: a notice of
        what happens next until a staff member has taken the conversation in the console
        (then nothing, `answer` None: the customer is talking to a person, who reads
        this live), or, once staff have closed the handoff, the bot answers again.
        Until staff have taken it, a cancel in any wording (「やっぱりいいです」「取次ぎは
        やめてください」) or a person declined (「担当者はもういいです」) withdraws
        the handoff (取下げ) and the bot answers again: the customer is never held."""
        try:
            with self.store.unit_of_work() as session:
                ticket = open_handoff_for(session, conversation_id)
                reference = ticket.reference if ticket else None
                taken = ticket is not None and ticket.status is Status.IN_PROGRESS and ticket.assignee_id is not None
                withdrawn = ticket is not None and not taken and (
                    hear(text).act == Act.CANCEL or declines_human(text) or declines_contact(text))
                if ticket is not None and withdrawn:
                    change_status(session, ticket, Status.WITHDRAWN, CUSTOMER_ACTOR)
        except SQLAlchemyError:
            # The database cannot say whether staff are done: stay out of their way.
            return Result(Answer("handoff", self.wording["waiting_unknown"].format(reference="-")), {})
        if taken:
            return Result(None, {})
        if withdrawn:
            return Result(Answer("handoff", self.wording["withdrawn"].format(reference=reference)), {ACTIVE: False})
        if reference:
            waiting = self._when(now or datetime.now(timezone.utc), "waiting", "waiting_after_hours",
                                 "waiting_unknown", reference=reference)
            return Result(Answer("handoff", waiting), {})
        lines = [self.wording["released"]]
        if intent is not None and intent in self.answerer.topics:
            lines.append(self.answerer.answer(intent, entities).text)
        return Result(Answer("handoff", "\n".join(lines)), {ACTIVE: False})

    def _with_contact(self, key: str) -> Answer:
        return Answer("handoff", "\n".join([self.wording[key], self.answerer.contact_block()]), ("11",))
