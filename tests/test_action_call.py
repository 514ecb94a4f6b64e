"""The action-server call that replaces Rasa's (bot/dialogue/action_call.py): the same
tracker state as Rasa sends, the events from the latest user message on, and the
domain only for the actions that read it."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.dialogue.action_call import action_call_format
from bot.dialogue.endpoints import action_endpoint
from tests.conftest import ROOT

RASAS_OWN = RemoteAction._action_call_format
assert RASAS_OWN is not action_call_format, "Rasa's own call was replaced before this test"
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _long_conversation() -> DialogueStateTracker:
    tracker = DialogueStateTracker("conversation", DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    for number in range(50):
        tracker.update(UserUttered(f"質問 {number}", {"name": "ask_purpose", "confidence": 0.9},
                                   input_channel="rest"))
        tracker.update(ActionExecuted("action_answer_question"))
        tracker.update(BotUttered(f"答え {number}"))
        tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("開示", {"name": "inform", "confidence": 0.9}, input_channel="socketio"))
    tracker.update(ActiveLoop("intake_form"))
    tracker.update(SlotSet("requested_slot", "intake_kind"))
    tracker.update(SlotSet("intake_kind", "開示"))
    return tracker


def _calls(action_name: str, selective: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    endpoint = EndpointConfig(**action_endpoint("http://127.0.0.1:1/webhook")) if selective else \
        EndpointConfig(url="http://127.0.0.1:1/webhook")
    action, tracker = RemoteAction(action_name, endpoint), _long_conversation()
    return action_call_format(action, tracker, DOMAIN), RASAS_OWN(action, tracker, DOMAIN)


@pytest.mark.parametrize("selective", [True, False])
def test_same_state_as_rasa_and_the_events_since_the_latest_message(selective: bool) -> None:
    ours, rasas = _calls("validate_intake_form", selective)
    assert {**ours, "tracker": None} == {**rasas, "tracker": None}
    assert {**ours["tracker"], "events": None} == {**rasas["tracker"], "events": None}
    assert ours["tracker"]["slots"]["intake_kind"] == "開示"
    assert ours["tracker"]["active_loop"]["name"] == "intake_form"
    assert len(rasas["tracker"]["events"]) == 205
    assert ours["tracker"]["events"] == rasas["tracker"]["events"][-4:]
    assert ours["tracker"]["events"][0]["text"] == "開示"
    assert ours["tracker"]["latest_input_channel"] == "socketio"


def test_the_domain_only_for_the_actions_that_read_it() -> None:
    assert "domain" in _calls("validate_intake_form", selective=True)[0]  # rasa_sdk's form validation
    assert "domain" not in _calls("action_answer_question", selective=True)[0]
    assert "domain" in _calls("action_answer_question", selective=False)[0]  # Rasa's default


def test_a_conversation_without_a_message_sends_every_event() -> None:
    tracker = DialogueStateTracker("new", DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(ActionExecuted("action_listen"))
    action = RemoteAction("action_answer_question", EndpointConfig(url="http://127.0.0.1:1/webhook"))
    assert action_call_format(action, tracker, DOMAIN)["tracker"]["events"] == \
        RASAS_OWN(action, tracker, DOMAIN)["tracker"]["events"]
