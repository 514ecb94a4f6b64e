"""The action-server response check that replaces Rasa's (bot/dialogue/action_response.py)
accepts and rejects what Rasa's own accepts and rejects."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.dialogue.action_response import validate_action_result

RASAS_OWN = RemoteAction._validate_action_result
assert RASAS_OWN is not validate_action_result, "Rasa's own check was replaced before this test"
RESPONSES: list[Any] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "intake_name", "value": "多摩 花子"}],
     "responses": [{"text": "お電話番号を教えてください。", "buttons": []}]},
    {"events": [{"event": "followup", "name": "handoff_form"}]},
    {},
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [["not", "an", "object"]]},
    {"events": [{"event": "slot"}]},
    [],
]


def _outcome(check: Any, response: Any) -> str:
    action = RemoteAction("action_x", None)
    try:
        return "ok" if check(action, response) else "false"
    except ValidationError as error:
        return f"invalid: {error.message}"


@pytest.mark.parametrize("response", RESPONSES)
def test_same_verdict_and_message_as_rasas_check(response: Any) -> None:
    assert _outcome(validate_action_result, response) == _outcome(RASAS_OWN, response)


def test_the_invalid_ones_are_rejected() -> None:
    verdicts = [_outcome(validate_action_result, response) for response in RESPONSES]
    assert verdicts[:4] == ["ok"] * 4
    assert all(verdict.startswith("invalid") for verdict in verdicts[4:])
