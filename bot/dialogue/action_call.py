"""What Rasa sends the action server for a custom action: the recent events only.

Rasa 3.6 serializes every event of the conversation into every custom-action call,
and the action server parses them all, so a call costs more the longer the
conversation (bench/RESULTS.md; a request form's calls passed 64 KiB). What our
actions and rasa_sdk's form validation read is the tracker's state (slots, active
form, latest message and action) and the events since the customer's latest message
(the latest input channel; the slots just extracted, `slots_to_validate`). The call
carries the full state and those events. The domain goes only to the actions that
need it (`enable_selective_domain` in endpoints.yml: rasa_sdk's form validation).
`install` puts this in place of Rasa's `RemoteAction._action_call_format`.
"""

from __future__ import annotations

from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity


def recent_events(tracker: DialogueStateTracker) -> list[Event]:
    """The events from the latest user message on (all of them if there is none)."""
    recent = []
    for event in reversed(tracker.events):
        recent.append(event)
        if isinstance(event, UserUttered):
            break
    return recent[::-1]


def action_call_format(action: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in recent_events(tracker)]
    call = {"next_action": action.name(), "sender_id": tracker.sender_id, "tracker": state,
            "version": rasa.__version__}
    if not action._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(action.name()):
        call["domain"] = domain.as_dict()
    return call


def install() -> None:
    RemoteAction._action_call_format = action_call_format  # type: ignore[method-assign]
