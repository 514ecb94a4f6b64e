"""Rasa custom actions: thin adapters between Rasa's tracker and `bot/`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.intake.hearing import yes_or_no
from bot.intake.status import parse_reference
from bot.noise import NOISE
from bot.policy.answers import COMPLAIN, Answer, default_answerer
from bot.policy.responder import CLAUSES_SLOT, TOPIC_SLOT, Context, Message, Reply, Responder

ANSWERER = default_answerer()
RESPONDER = Responder(ANSWERER)
# The topic of a reply that asks which topic was meant (bot/policy/answers.py).
CLARIFY = "clarify"


def entities_of(tracker: Tracker) -> Dict[str, List[str]]:
    values: Dict[str, List[str]] = defaultdict(list)
    for entity in tracker.latest_message.get("entities", []):
        values[entity["entity"]].append(str(entity["value"]))
    return dict(values)


def context_of(tracker: Tracker) -> Context:
    return Context(tracker.get_slot(TOPIC_SLOT), tuple(tracker.get_slot(CLAUSES_SLOT) or ()),
                   tracker.get_slot("request_kind"), tracker.get_slot("data_item"))


def message_of(tracker: Tracker) -> Message:
    # The message's intent as the NLU decided it (not rasa-sdk's
    # get_intent_of_latest_message, which reads the first entry of the ranking).
    intent = tracker.latest_message.get("intent") or {}
    return Message(
        text=tracker.latest_message.get("text") or "",
        intent=str(intent.get("name") or ""),
        confidence=float(intent.get("confidence") or 0.0),
        entities=entities_of(tracker),
    )


def answer_with(dispatcher: CollectingDispatcher, reply: Reply) -> List[EventType]:
    """Send the reply's answers; the events that remember what it was about (and
    the request it offered). A reply that only asks what the customer meant leaves
    the previous answer's context in place, so that 「ぜんぶおしえて」 after it still
    has something to expand."""
    if reply.starts_request:
        # The request is started (actions/intake.py reads its kind from the slot).
        return [SlotSet("request_kind", reply.request_kind), FollowupAction("action_start_intake")]
    for answer in reply.answers:
        send(dispatcher, answer)
    if not reply.clauses and reply.topic == CLARIFY:
        return []
    events: List[EventType] = [SlotSet(TOPIC_SLOT, reply.topic), SlotSet(CLAUSES_SLOT, list(reply.clauses))]
    if reply.request_kind:
        # The request the answer offered: 「はい」「じゃあそれで申し込みます」 next file it.
        events.append(SlotSet("request_kind", reply.request_kind))
    return events


def send(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    buttons = [{"title": b.title, "payload": b.payload} for b in answer.buttons]
    dispatcher.utter_message(text=answer.text, buttons=buttons or None)


class _AnswerAction(Action, ABC):
    """Sends one answer from `bot/`; subclasses say which (abstract, so the
    action server does not register this class itself)."""

    action_name: Text
    events: List[EventType] = []

    def name(self) -> Text:
        return self.action_name

    @abstractmethod
    def answer(self, tracker: Tracker) -> Answer:
        """The answer to send."""

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        send(dispatcher, self.answer(tracker))
        return list(self.events)


class ActionAnswerQuestion(Action):
    """Answers the latest message from the policy, in the context of the
    previous answer, and remembers what this answer was about."""

    def name(self) -> Text:
        return "action_answer_question"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = message_of(tracker)
        reply = RESPONDER.respond(message, context_of(tracker))
        events = answer_with(dispatcher, reply)
        if message.intent == COMPLAIN and reply.topic != COMPLAIN:
            # Read as a complaint but answered as a question (「DMとか営業の電話って止め
            # られますか？」 gets the request that stops them): no handover follows.
            events.append(FollowupAction("action_listen"))
        return events


class ActionThanks(Action):
    """Thanks: the usual welcome, unless a question came with it (「ありがとう。
    代理人でも請求できる？」), which is answered instead."""

    def name(self) -> Text:
        return "action_thanks"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reply = RESPONDER.question_after_thanks(message_of(tracker), context_of(tracker))
        if reply is None:
            dispatcher.utter_message(response="utter_you_are_welcome")
            return []
        return answer_with(dispatcher, reply)


class ActionOutsideForm(Action):
    """A cancel or a form answer when no form is running. A question that leans
    on the previous answer (「それってやめてもらえる？」 read as cancel,
    「本人の同意なしで？」 read as a form answer) is answered against it;
    anything else gets the intent's usual response."""

    RESPONSES = {"cancel": "utter_anything_else", "inform": "utter_inform_out_of_form"}

    def name(self) -> Text:
        return "action_outside_form"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = message_of(tracker)
        if yes_or_no(message.text):
            # 「やっぱりお願いします」 read as a cancel: a yes, to what the bot offered last.
            return [FollowupAction("action_affirm_outside_question")]
        reply = RESPONDER.follow_up(message, context_of(tracker))
        if reply is not None:
            return answer_with(dispatcher, reply)
        dispatcher.utter_message(response=self.RESPONSES.get(message.intent, "utter_anything_else"))
        return []


class ActionAskWhichTopic(_AnswerAction):
    """First stage of the two-stage fallback: the likely topics as buttons; for
    a message that is no words at all (bot/nlu/noise.py), a request to rephrase."""

    action_name = "action_default_ask_affirmation"

    def answer(self, tracker: Tracker) -> Answer:
        noise = tracker.latest_message.get(NOISE)
        if noise == "foreign":
            return ANSWERER.foreign_language()
        if noise == "waiting":
            return ANSWERER.waiting()
        if noise:
            return ANSWERER.rephrase()
        ranking = tracker.latest_message.get("intent_ranking", [])
        return ANSWERER.clarify([intent["name"] for intent in ranking], tracker.latest_message.get("text") or "")

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        # An unsure message whose words say enough (a clause named by number, where
        # to go, a follow-up of the previous answer, anger) is answered, rather than
        # met with a list of topics (bot.policy.responder.Responder.unsure).
        if not tracker.latest_message.get(NOISE):
            message = message_of(tracker)
            if parse_reference(message.text, []) is not None:
                # 「PR 20261208 95LLW5 123 456」 the NLU could not place: a status lookup.
                return [FollowupAction("action_start_status_lookup")]
            reply = RESPONDER.unsure(message, context_of(tracker))
            if reply is not None:
                return answer_with(dispatcher, reply)
        return super().run(dispatcher, tracker, domain)


class ActionAskRephrase(_AnswerAction):
    """Second stage of the two-stage fallback, after "none of these"."""

    action_name = "action_default_ask_rephrase"

    def answer(self, tracker: Tracker) -> Answer:
        return ANSWERER.rephrase()
