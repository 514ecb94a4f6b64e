"""Rasa custom actions: thin adapters between Rasa's tracker and `bot/`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.policy.answers import Answer, default_answerer

ANSWERER = default_answerer()
# Slots remembered across turns that answers may use for follow-up questions.
CONTEXT_SLOTS = ("request_kind",)


def entities_of(tracker: Tracker) -> Dict[str, List[str]]:
    values: Dict[str, List[str]] = defaultdict(list)
    for entity in tracker.latest_message.get("entities", []):
        values[entity["entity"]].append(str(entity["value"]))
    return dict(values)


def _context(tracker: Tracker) -> Dict[str, List[str]]:
    return {name: [tracker.get_slot(name)] for name in CONTEXT_SLOTS if tracker.get_slot(name)}


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


class ActionAnswerQuestion(_AnswerAction):
    """Answers the latest intent from the policy."""

    action_name = "action_answer_question"

    def answer(self, tracker: Tracker) -> Answer:
        intent = tracker.get_intent_of_latest_message(skip_fallback_intent=False)
        return ANSWERER.answer(intent, entities_of(tracker), _context(tracker))


class ActionAskWhichTopic(_AnswerAction):
    """First stage of the two-stage fallback: the likely topics as buttons."""

    action_name = "action_default_ask_affirmation"

    def answer(self, tracker: Tracker) -> Answer:
        ranking = tracker.latest_message.get("intent_ranking", [])
        return ANSWERER.clarify([intent["name"] for intent in ranking])


class ActionAskRephrase(_AnswerAction):
    """Second stage of the two-stage fallback, after "none of these"."""

    action_name = "action_default_ask_rephrase"

    def answer(self, tracker: Tracker) -> Answer:
        return ANSWERER.rephrase()
