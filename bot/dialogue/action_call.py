"""What Rasa sends the action server for a custom action: the recent events only.

Rasa 3.6 serializes every event of the conversation into every custom-action call,
and the action server parses them all, so a call costs more the longer the
conversation (bench/RESULTS.md; a request form's calls passed 64 KiB). What our
actions and rasa_sdk's form validation read is the tracker's state (slots, active
form, latest message and action) and the events since the customer's latest message
(the latest input channel; the slots just extracted, `slots_to_validate`). The call
carries the full state and those events. The domain goes only to the actions that
need it (`enable_selective_domain` in endpoints.yml: rasa_sdk's form validation).
bot/rasa_extensions.py puts `action_call_format` in place of Rasa's
`RemoteAction._action_call_format` (Rasa names no class to configure there).
"""

from __future__ import annotations

from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity


def recent_events(tracker: DialogueStateTracker) -> list[Event]:
    """The events from the latest UserUttered on, that one included, in order (all
    of the tracker's events if there is none). Reads `tracker.events`, every
    session's: the latest message is the current session's whenever there is one."""
    recent = []
    for event in reversed(tracker.events):
        recent.append(event)
        if isinstance(event, UserUttered):
            break
    return recent[::-1]


def action_call_format(action: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    """The JSON body Rasa posts to the action server to run `action` (called as the
    method `RemoteAction._action_call_format(self, tracker, domain)`).

    Shape, as Rasa 3.6's: `{"next_action": str, "sender_id": str, "version": str,
    "tracker": {...}, "domain": {...}}`. `tracker` is Rasa's
    `current_state(EventVerbosity.NONE)` (slots, latest_message, active_loop,
    latest_action, latest_input_channel, paused, …) plus `events`, the `as_dict()`
    of `recent_events(tracker)`: the same keys and values as Rasa's
    `current_state(EventVerbosity.ALL)` but the shorter event list. `domain` (`Domain.as_dict()`) is present unless
    the endpoint has `enable_selective_domain` and the action does not explicitly
    need it (Rasa's rule: a `validate_…` action, rasa_sdk's form validation, or one
    marked `send_domain: true` in domain.yml).
    Invariant: a rasa_sdk action sees the same `tracker.slots`, `active_loop`,
    `latest_message` and the events since the latest message as with Rasa's call
    (tests/test_action_call.py); it cannot read older events. Raises nothing of
    its own; an event that cannot be serialized raises as in Rasa."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in recent_events(tracker)]
    call = {"next_action": action.name(), "sender_id": tracker.sender_id, "tracker": state,
            "version": rasa.__version__}
    if not action._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(action.name()):
        call["domain"] = domain.as_dict()
    return call
