"""Rasa custom actions: thin adapters between Rasa's tracker and `bot/`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.policy.answers import Answer, default_answerer

ANSWERER = default_answerer()
# Slots remembered across turns that answers may use for follow-up questions.
CONTEXT_SLOTS = ("request_kind",)


def _entities(tracker: Tracker) -> Dict[str, List[str]]:
    values: Dict[str, List[str]] = defaultdict(list)
    for entity in tracker.latest_message.get("entities", []):
        values[entity["entity"]].append(str(entity["value"]))
    return dict(values)


def _context(tracker: Tracker) -> Dict[str, List[str]]:
    return {name: [tracker.get_slot(name)] for name in CONTEXT_SLOTS if tracker.get_slot(name)}


def _send(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    buttons = [{"title": b.title, "payload": b.payload} for b in answer.buttons]
    dispatcher.utter_message(text=answer.text, buttons=buttons or None)


class ActionAnswerQuestion(Action):
    """Answers the latest intent from the policy."""

    def name(self) -> Text:
        return "action_answer_question"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        intent = tracker.get_intent_of_latest_message(skip_fallback_intent=False)
        _send(dispatcher, ANSWERER.answer(intent, _entities(tracker), _context(tracker)))
        return []


class ActionAskWhichTopic(Action):
    """First stage of the two-stage fallback: the likely topics as buttons."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        ranking = tracker.latest_message.get("intent_ranking", [])
        _send(dispatcher, ANSWERER.clarify([intent["name"] for intent in ranking]))
        return []


class ActionAskRephrase(Action):
    """Second stage of the two-stage fallback, after "none of these"."""

    def name(self) -> Text:
        return "action_default_ask_rephrase"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        _send(dispatcher, ANSWERER.rephrase())
        return []


class ActionGiveUp(Action):
    """Last stage of the fallback: apologize and give the contact point."""

    def name(self) -> Text:
        return "action_default_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        _send(dispatcher, ANSWERER.answer("fallback"))
        return [UserUtteranceReverted()]
