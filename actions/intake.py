"""Rasa adapters for the request intake form and the status lookup.

The forms' logic lives in `bot.intake`; these classes turn the tracker into a
`Turn`, send the replies and return the slot events.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import replace
from functools import lru_cache
from typing import Any, List, Mapping, Optional, Protocol, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.actions import (
    ANSWERER,
    CLAUSES_SLOT,
    RESPONDER,
    TOPIC_SLOT,
    answer_with,
    context_of,
    entities_of,
    message_of,
    send,
)
from bot.cases.db import CaseStore
from bot.intake import fields
from bot.intake import form as f
from bot.intake import handoff as h
from bot.intake import status as s
from bot.intake.filing import IntakeFiler
from bot.intake.form import IntakeForm, Step, Turn, load_intake_wording
from bot.intake.hearing import (
    REQUEST_INTENT,
    STATUS_INTENT,
    asks_for_contact_details,
    files_now,
    is_question,
    lost_credentials,
)
from bot.policy.answers import COMPLAIN, PROCEDURE, REQUEST_CLAUSE
from bot.policy.responder import Reply

WORDING = load_intake_wording()


@lru_cache(maxsize=None)
def _store() -> CaseStore:
    """One engine (and connection pool) per action server, made on first use."""
    return CaseStore.from_env()


@lru_cache(maxsize=None)
def _form() -> IntakeForm:
    return IntakeForm(ANSWERER, WORDING, IntakeFiler(_store(), ANSWERER, WORDING))


def _lookup() -> s.StatusLookup:
    return s.StatusLookup(_store(), ANSWERER, WORDING)


def _handoff() -> h.Handoff:
    return h.Handoff(_store(), ANSWERER, WORDING)


def _turn(tracker: Tracker, slot: str) -> Turn:
    intent = tracker.latest_message.get("intent") or {}
    return Turn(
        slot=slot,
        text=tracker.latest_message.get("text") or "",
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=entities_of(tracker),
        slots=tracker.current_slot_values(),
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "",
    )


def _apply(step: Step, dispatcher: CollectingDispatcher) -> List[EventType]:
    for reply in step.replies:
        send(dispatcher, reply)
    return [SlotSet(name, value) for name, value in step.updates.items()]


def _reset(names: tuple[str, ...]) -> List[EventType]:
    return [SlotSet(name, None) for name in names]


class FormLogic(Protocol):
    """What bot.intake provides for each form."""

    def required_slots(self, slots: Mapping[str, Any]) -> list[str]: ...

    def validate(self, turn: Turn) -> Step: ...


class _ValidateForm(FormValidationAction, ABC):
    """`validate_<form>`: validates the requested slot through the form's logic
    and ends the form when the outcome slot is set. (Abstract, so the action
    server does not register it.)"""

    form: str
    asked: tuple[str, ...]
    outcome_slot: str

    @abstractmethod
    def logic(self) -> FormLogic:
        """The form's logic in bot.intake."""

    def name(self) -> Text:
        return f"validate_{self.form}"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: DomainDict,
    ) -> List[Text]:
        return self.logic().required_slots(tracker.current_slot_values())

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        slot = tracker.get_slot(f.REQUESTED_SLOT)
        if slot not in self.asked or slot not in tracker.slots_to_validate():
            return []
        return _apply(self.logic().validate(_turn(tracker, slot)), dispatcher)

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[EventType]:
        if tracker.get_slot(self.outcome_slot):
            return SlotSet(f.REQUESTED_SLOT, None)
        return await super().next_requested_slot(dispatcher, tracker, domain)


class ValidateIntakeForm(_ValidateForm):
    form, asked, outcome_slot = "intake_form", f.ASKED, f.OUTCOME

    def logic(self) -> FormLogic:
        return _form()


class ValidateStatusForm(_ValidateForm):
    form, asked, outcome_slot = "status_form", s.ASKED, s.OUTCOME

    def logic(self) -> FormLogic:
        return _lookup()


class ValidateHandoffForm(_ValidateForm):
    form, asked, outcome_slot = "handoff_form", h.ASKED, h.OUTCOME

    def logic(self) -> FormLogic:
        return _handoff()


class _AskSlot(Action, ABC):
    """`action_ask_<slot>`: Rasa's form calls it to ask for <slot>."""

    slot: str

    @abstractmethod
    def name(self) -> Text:
        """action_ask_<slot>"""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        slots = tracker.current_slot_values()
        if self.slot in f.ASKED:
            send(dispatcher, _form().ask(self.slot, slots))
        elif self.slot in h.ASKED:
            send(dispatcher, _handoff().ask(self.slot, slots))
        else:
            send(dispatcher, _lookup().ask(self.slot))
        return []


def _asking_action(slot: str) -> type[_AskSlot]:
    return type(f"AskFor_{slot}", (_AskSlot,), {"slot": slot, "name": lambda self: f"action_ask_{slot}"})


# One asking action per slot; defining the subclass registers it with the action server.
ASK_ACTIONS = [_asking_action(slot) for slot in (*f.ASKED, *s.ASKED, *h.ASKED)]


class ActionStartIntake(Action):
    """Starts a fresh intake: clears any earlier one, gives it the idempotency
    key of its ticket, and takes the kind from the message when it names one,
    else from the answer just given (「削除の手続きは？」→「じゃあ申し込みたい」)."""

    def name(self) -> Text:
        return "action_start_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if _confirms_again(tracker):
            # 「この内容で申し込む」 once more after the receipt: it may never have
            # arrived; the same reference with a new code, and no new form.
            filer = _form().filer
            assert filer is not None  # _form() makes its form with one
            send(dispatcher, filer.reissue(tracker.get_slot(f.SUBMISSION)))
            return [FollowupAction("action_listen")]
        kinds = [kind for kind in entities_of(tracker).get("request_kind", []) if kind in _form().kinds]
        named = fields.parse_kind(tracker.latest_message.get("text") or "", _form().kinds)
        if not kinds and named is not None:
            # The kind written out (「開示を請求したい」) counts when the NLU missed the entity.
            kinds = [named]
        if not kinds:
            offer = RESPONDER.stop_in_thread(message_of(tracker), context_of(tracker))
            answered = _answered_instead(dispatcher, tracker, offer)
            if answered is not None:
                return answered
            wanted = _wanted_kind(tracker, offer)
            kinds = [wanted] if wanted is not None else []
        if not kinds and tracker.get_slot(TOPIC_SLOT) == HUMAN_TOPIC:
            # 「やっぱりお願いします」 right after declining to be handed over: the handover.
            return _handoff_again(tracker)
        if not kinds and tracker.get_slot(TOPIC_SLOT) and tracker.get_slot("request_kind") in _form().kinds:
            kinds = [tracker.get_slot("request_kind")]
        events = start_intake_events(dispatcher, kinds[0] if len(set(kinds)) == 1 else None)
        if (tracker.latest_message.get("intent") or {}).get("name") != REQUEST_INTENT:
            # Started from a 「はい」 (action_affirm_outside_question): no rule runs the form.
            events.append(FollowupAction("intake_form"))
        return events


def _answered_instead(dispatcher: CollectingDispatcher, tracker: Tracker,
                      offer: Optional[Reply]) -> Optional[List[EventType]]:
    """A wish to file that names no kind but is better answered than met with a
    form (the events of the answer, the form not started), else None. `offer`:
    Responder.stop_in_thread's reply to the message."""
    text = tracker.latest_message.get("text") or ""
    if files_now(text):
        return None
    if offer is not None:
        # 「DMはやめてほしいんだけど」 right after the purposes: which request does
        # that, explained; filing it is one button (or one 「はい」) away.
        return [*answer_with(dispatcher, offer), FollowupAction("action_listen")]
    if is_question(text):
        # 「でんわばんごうわ？」「息子が代わりに手続きをしても宜しいのでしょうか」「勧誘を
        # 止めるにはどうすれば？」: a question is answered (the request one button away).
        # Answered as the topic that the NLU's next intents and the clause ranker
        # agree on (「電話番号を使う理由を教えてください」: the purposes), else the procedure.
        ranked = [intent["name"] for intent in tracker.latest_message.get("intent_ranking", [])
                  if intent["name"] != REQUEST_INTENT]
        question = replace(message_of(tracker), intent=ANSWERER.agreed_topic(text, ranked[:3]) or PROCEDURE)
        return [*answer_with(dispatcher, RESPONDER.respond(question, context_of(tracker))),
                FollowupAction("action_listen")]
    return None


def _named_kind(tracker: Tracker) -> Optional[str]:
    """The request kind the latest message names (entity or words), if any."""
    text = tracker.latest_message.get("text") or ""
    return fields.parse_kind(text, _form().kinds, entities_of(tracker).get("request_kind", []))


def _wanted_kind(tracker: Tracker, offer: Optional[Reply]) -> Optional[str]:
    """The kind that stops what the message asks to stop (「もう案内とかいらないから、
    俺の情報使うのやめて」: 利用停止), or the kind `offer` (stop_in_thread's) offered."""
    want = ANSWERER.wanted(tracker.latest_message.get("text") or "")
    kind = offer.request_kind if offer is not None else want.kind if want is not None else None
    return kind if kind in _form().kinds else None


def start_intake_events(dispatcher: CollectingDispatcher, kind: Optional[str]) -> List[EventType]:
    """A fresh intake (any earlier one cleared, the idempotency key of its ticket)
    of `kind` when known, and the start said; the caller runs the form."""
    events = _reset(f.ALL_SLOTS) + [SlotSet(f.SUBMISSION, uuid.uuid4().hex)]
    # The right being exercised is 5.(1): the start says so, cited like every answer.
    cited = ANSWERER.citation(["5.(1)"])
    if kind is not None:
        events.append(SlotSet(f.KIND, kind))
        dispatcher.utter_message(text=f'{WORDING["start_kind"].format(kind=kind)}\n{cited}')
    else:
        dispatcher.utter_message(text=f'{WORDING["start"]}\n{cited}')
    return events


# Remembered as the topic when a handover was declined: a 「はい」「やっぱりお願いします」
# right after it means the handover, not a request.
HUMAN_TOPIC = "ask_human"


def _handoff_again(tracker: Tracker) -> List[EventType]:
    return [*start_handoff_events(tracker, HUMAN_TOPIC), SlotSet(TOPIC_SLOT, None), FollowupAction("handoff_form")]


# Answers after which a 「はい」「お願いします」 means "file that request": these topics,
# and any answer that cited the right to request (5.(1)) offering one kind.
FILING_TOPICS = {PROCEDURE, "ask_fee", COMPLAIN}


class ActionAffirmOutsideQuestion(Action):
    """「はい」「それでお願いします」 when the bot asked nothing: right after an answer
    about a request of one kind (its procedure, its fee, a complaint that named
    it), that request is started; after the procedure answer of no kind, the
    request form starts by asking which; otherwise the bot says that it does
    not know what the yes is about (utter_anything_else), never 「承知しました」."""

    def name(self) -> Text:
        return "action_affirm_outside_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if _filed_here(tracker):
            # The summary's 「この内容で申し込む」 clicked again: the receipt once more.
            return [FollowupAction("action_start_intake")]
        topic = tracker.get_slot(TOPIC_SLOT)
        if topic == HUMAN_TOPIC:
            return _handoff_again(tracker)
        offered = topic in FILING_TOPICS or REQUEST_CLAUSE in (tracker.get_slot(CLAUSES_SLOT) or [])
        if offered and tracker.get_slot("request_kind") in _form().kinds:
            return [FollowupAction("action_start_intake")]
        if topic == PROCEDURE:
            # The procedure answer without a kind offered 「この請求を申し込む」: the form asks which.
            return [FollowupAction("action_start_intake")]
        dispatcher.utter_message(response="utter_anything_else")
        return []


def _filed_here(tracker: Tracker) -> bool:
    """Whether the latest intake of this conversation was filed: its outcome and
    idempotency key are kept until the next intake starts (the action server is
    sent only the events since the customer's latest message, bot.dialogue.action_call)."""
    return tracker.get_slot(f.OUTCOME) == f.OUTCOME_FILED and bool(tracker.get_slot(f.SUBMISSION))


def _confirms_again(tracker: Tracker) -> bool:
    """The summary's confirmation (its button clicked or typed) after the request was filed."""
    if not _filed_here(tracker):
        return False
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    confirm = _form().ask(f.CONFIRMED, {}).buttons[0]
    typed = f.as_clicked(_turn(tracker, f.CONFIRMED), [confirm])
    return intent == "affirm" or typed.intent == "affirm"


class ActionFinishIntake(Action):
    """After the form: the ticket was filed (the form said so), the customer asked
    for a person (the handoff form follows), or nothing was kept."""

    def name(self) -> Text:
        return "action_finish_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        outcome = tracker.get_slot(f.OUTCOME)
        if outcome == f.OUTCOME_HANDOFF:
            return _reset(f.ALL_SLOTS) + handoff_from_form(tracker)
        if outcome != f.OUTCOME_FILED:
            dispatcher.utter_message(text=WORDING.get(outcome, WORDING["cancelled"]))
            return _reset(f.ALL_SLOTS)
        # Filed: the outcome and the idempotency key stay, so that the confirmation
        # repeated (the receipt never arrived) shows the receipt again (action_start_intake).
        return _reset(tuple(name for name in f.ALL_SLOTS if name not in (f.OUTCOME, f.SUBMISSION)))


class ActionStartStatusLookup(Action):
    """Starts a status lookup, taking the reference (and the code) from the
    message when the customer already typed them."""

    def name(self) -> Text:
        return "action_start_status_lookup"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        if lost_credentials(text):
            # 「確認コードをなくしました」: nothing to look up; the contact point and a person.
            send(dispatcher, _lookup().lost())
            return _reset(s.ALL_SLOTS) + [FollowupAction("action_listen")]
        reference = s.parse_reference(text, entities_of(tracker).get("ticket_ref", []))
        code = s.parse_code(text) if reference else None
        events = _reset(s.ALL_SLOTS) + [SlotSet(s.REFERENCE, reference), SlotSet(s.CODE, code)]
        if (tracker.latest_message.get("intent") or {}).get("name") != STATUS_INTENT:
            # Started from the fallback (a reference the NLU could not place): no rule runs the form.
            events.append(FollowupAction("status_form"))
        return events


class ActionFinishStatusLookup(Action):
    def name(self) -> Text:
        return "action_finish_status_lookup"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reference, code = tracker.get_slot(s.REFERENCE), tracker.get_slot(s.CODE)
        outcome = tracker.get_slot(s.OUTCOME)
        if outcome == f.OUTCOME_HANDOFF:
            return _reset(s.ALL_SLOTS) + handoff_from_form(tracker)
        if outcome == s.OUTCOME_REQUEST:
            # 「開示を請求したい」 during the lookup: the lookup ends and the request starts.
            dispatcher.utter_message(text=WORDING["status"]["to_request"])
            return (_reset(s.ALL_SLOTS) + start_intake_events(dispatcher, _named_kind(tracker))
                    + [FollowupAction("intake_form")])
        if outcome == s.OUTCOME_LOST:
            send(dispatcher, _lookup().lost())
        elif outcome == s.OUTCOME_CANCELLED or not (reference and code):
            dispatcher.utter_message(text=WORDING["status"]["cancelled"])
        else:
            send(dispatcher, _lookup().look_up(reference, code))
        return _reset(s.ALL_SLOTS)


def start_handoff_events(tracker: Tracker, reason: str) -> List[EventType]:
    """A fresh handoff: its reason, the customer's words that led to it, and
    the idempotency key of its ticket."""
    return _reset(h.ALL_SLOTS) + [
        SlotSet(h.REASON, reason),
        SlotSet(h.SUMMARY, tracker.latest_message.get("text")),
        SlotSet(h.SUBMISSION, uuid.uuid4().hex),
    ]


def handoff_from_form(tracker: Tracker) -> List[EventType]:
    """A form ended because the customer asked for a person (or complained):
    the handoff form runs next, as after 「担当者と話したい」 outside a form."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return start_handoff_events(tracker, h.REASON_BY_INTENT.get(intent or "", "ask_human")) + [
        FollowupAction("handoff_form")]


class ActionStartHandoff(Action):
    """For 「担当者と話したい」 and complaints (section 11); the rule then runs
    handoff_form."""

    def name(self) -> Text:
        return "action_start_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        events: List[EventType] = []
        if intent == HUMAN_TOPIC and asks_for_contact_details(tracker.latest_message.get("text") or ""):
            # 「お電話でお話ししたいので、番号を教えていただけますか」: the number first,
            # then the offer of a person (the form's question).
            events = answer_with(dispatcher, RESPONDER.contact_point())
        return events + start_handoff_events(tracker, h.REASON_BY_INTENT.get(intent or "", "ask_human"))


class ActionFinishHandoff(Action):
    def name(self) -> Text:
        return "action_finish_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if tracker.get_slot(h.OUTCOME) == h.OUTCOME_REQUEST:
            # 「担当者じゃなくて削除の申し込みをしたい」: no handoff; that request starts.
            dispatcher.utter_message(text=WORDING["handoff"]["to_request"])
            return (_reset(h.ALL_SLOTS) + start_intake_events(dispatcher, _named_kind(tracker))
                    + [FollowupAction("intake_form")])
        result = _handoff().finish(tracker.current_slot_values(), tracker.get_latest_input_channel() or "",
                                   tracker.sender_id)
        assert result.answer is not None  # finish always says what happened
        send(dispatcher, result.answer)
        declined = tracker.get_slot(h.OUTCOME) == h.OUTCOME_DECLINED
        return (_reset(h.ALL_SLOTS) + [SlotSet(name, value) for name, value in result.updates.items()]
                + [SlotSet(TOPIC_SLOT, HUMAN_TOPIC if declined else None)])


class ActionHandoffNotice(Action):
    """Predicted by bot.dialogue.HandoffPolicy for every message while staff
    have the conversation."""

    def name(self) -> Text:
        return "action_handoff_notice"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        result = _handoff().while_active(tracker.sender_id, intent, entities_of(tracker),
                                         text=tracker.latest_message.get("text") or "")
        if result.answer is not None:  # None: a staff member has the conversation
            send(dispatcher, result.answer)
        return [SlotSet(name, value) for name, value in result.updates.items()]


class ActionGiveUp(Action):
    """Last stage of the two-stage fallback (the bot failed to understand twice
    in a row): apologize and offer to hand the conversation to staff."""

    def name(self) -> Text:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text=WORDING["handoff"]["not_understood"])
        return start_handoff_events(tracker, h.NOT_UNDERSTOOD) + [FollowupAction("handoff_form")]


# The forms a new session resumes, and the logic that asks their questions.
_RESUMABLE = {"intake_form": f.ASKED, "status_form": s.ASKED, "handoff_form": h.ASKED}


class ActionSessionStart(Action):
    """`action_session_start` (used once domain.yml lists it under `actions`): a new
    session, from 「/session_start」 or after session_expiration_time, never goes
    silent and never drops a form half way. The slots are carried over (as Rasa's
    own action does with carry_over_slots_to_new_session); a form that was asking
    is active again, and the customer is told so and asked the same question,
    with its button to stop. 「/session_start」 outside a form gets the greeting's menu;
    the automatic start of a new conversation says nothing."""

    def name(self) -> Text:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        slots = {name: value for name, value in tracker.current_slot_values().items() if value is not None}
        events: List[EventType] = [SessionStarted(), *(SlotSet(name, value) for name, value in slots.items())]
        form = (tracker.active_loop or {}).get("name")
        asked = slots.get(f.REQUESTED_SLOT)
        if form in _RESUMABLE and asked in _RESUMABLE[form]:
            dispatcher.utter_message(text=WORDING["session_resumed"])
            if asked in f.ASKED:
                send(dispatcher, _form().ask(asked, slots))
            elif asked in h.ASKED:
                send(dispatcher, _handoff().ask(asked, slots))
            else:
                send(dispatcher, _lookup().ask(asked))
            events.append(ActiveLoop(form))
        elif (tracker.latest_message.get("intent") or {}).get("name") == "session_start":
            dispatcher.utter_message(text=WORDING["session_started"])
            dispatcher.utter_message(response="utter_greet")
        return [*events, ActionExecuted("action_listen")]
