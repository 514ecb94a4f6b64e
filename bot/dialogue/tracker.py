"""A conversation tracker whose cost per message does not grow with the conversation.

Rasa's `DialogueStateTracker.applied_events()` folds over every event of the
conversation (dropping reverted turns and repeated form executions), and Rasa calls
it several times per message (the session check, the loop check, each policy); and
`copy()`, made for every action, replays every event into a new tracker. By turn
200 both cost more than the NLU (bench/RESULTS.md). This tracker continues the
fold from where the last call stopped, which is the same fold as long as the
conversation only grew since, and copies by reference to the same (immutable)
event objects. The tracker store (bot/dialogue/tracker_store.py) makes these
trackers; tests/test_long_conversations.py compares them with Rasa's after every
event of real conversations.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, List, Optional

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker


@dataclass
class _Fold:
    """Rasa's applied-events fold after the first `consumed` events."""

    loop_names: frozenset[str]
    consumed: int = 0
    last: Optional[Event] = None  # the last event folded, to notice a changed history
    applied: List[Event] = field(default_factory=list)


class IncrementalTracker(DialogueStateTracker):
    """Rasa's DialogueStateTracker whose `applied_events()` and `copy()` cost what
    the new events cost, not the whole conversation.

    Invariants: `applied_events()` returns a list equal, event for event, to what
    Rasa's DialogueStateTracker returns for the same events (a new list each call;
    the events in it are the tracker's own objects, never copies); `copy()` gives
    a tracker equal to Rasa's copy. This assumes what Rasa does: events are only
    appended, and never mutated once in a tracker (copies share them). The fold
    checks that the event where it stopped is still the one it folded last, and
    starts again from the first event when it is not (events replaced, fewer
    events) or when a form name it has not seen is activated. With
    `max_event_history` set, Rasa's own methods run unchanged. Built by
    TunedSQLTrackerStore (bot/dialogue/tracker_store.py); constructed like
    DialogueStateTracker.
    """

    _fold: Optional[_Fold] = None

    def applied_events(self) -> List[Event]:
        """The events that count for the conversation's state, oldest first: those
        since the latest Restarted or SessionStarted, without reverted turns or a
        form's repeated executions (Rasa 3.6's rules). Continues the previous
        call's fold when the events only grew since."""
        if self._max_event_history:
            # The oldest events drop out as new ones come: nothing to continue from.
            return super().applied_events()
        events, fold = self.events, self._fold
        if fold is not None and not self._extends(fold):
            fold = None
        new = list(itertools.islice(events, fold.consumed, None)) if fold else list(events)
        if fold is not None and any(isinstance(event, ActiveLoop) and event.name
                                    and event.name not in fold.loop_names for event in new):
            # Rasa's fold treats a form's executions by the names of every form the
            # conversation ever activated: a new one means folding from the start.
            fold, new = None, list(events)
        if fold is None:
            fold = _Fold(frozenset(event.name for event in events
                                   if isinstance(event, ActiveLoop) and event.name))
        for event in new:
            self._fold_in(event, fold)
        fold.consumed, fold.last = len(events), events[-1] if events else None
        self._fold = fold
        return list(fold.applied)

    def _extends(self, fold: _Fold) -> bool:
        """Whether the events are the folded ones and maybe more after them."""
        return fold.consumed <= len(self.events) and (
            fold.consumed == 0 or self.events[fold.consumed - 1] is fold.last)

    def _fold_in(self, event: Event, fold: _Fold) -> None:
        """One step of Rasa's `DialogueStateTracker.applied_events` (3.6)."""
        applied = fold.applied
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            self._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            self._undo_till_previous(UserUttered, applied)
            self._undo_till_previous(ActionExecuted, applied)
        elif (isinstance(event, ActionExecuted) and event.action_name in fold.loop_names
              and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)):
            self._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)

    def copy(self) -> DialogueStateTracker:
        """An independent tracker in the same state (slots, form, latest message,
        events): changing one does not change the other. The event objects are
        shared, not copied; the copy folds its own applied events when asked."""
        if self._max_event_history:
            # Rasa's copy replays only the events kept, which is not this state.
            return super().copy()
        # Everything deep-copied but the events, which are shared (Rasa never changes
        # an event once it is in a tracker), and the fold, which the copy redoes.
        shared: dict[int, Any] = {id(event): event for event in self.events}
        shared[id(self.events)] = copy.copy(self.events)
        if self._fold is not None:
            shared[id(self._fold)] = None
        return copy.deepcopy(self, shared)
