"""The trackers a Rasa server handled last, kept in memory for their next message.

Rasa's SQL tracker store reads every event of a conversation for each message and
replays them all into a new tracker, so a message costs more the longer the
conversation (bench/RESULTS.md). The tracker store
(bot/dialogue/tracker_store.py) keeps the tracker it saved here and, on the next
message, only reads and applies the events stored after it. An entry is handed to
one user at a time: while a message is being handled its tracker is "in use", and
anyone else asking for the same conversation gets it from the database. An entry
dropped while in use only means that its tracker is saved the way Rasa saves.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

from rasa.shared.core.trackers import DialogueStateTracker


@dataclass
class Entry:
    """One kept tracker. Invariant: its first `stored` events are in the database,
    the last of them with the id `last_id`; `in_use` while a message is handled."""

    tracker: DialogueStateTracker
    stored: int  # how many of the tracker's events are in the database
    last_id: int  # the database id of the last of them
    in_use: bool = True


class TrackerCache:
    """At most `size` trackers, one per conversation (sender id), the least
    recently used dropped first. Not thread-safe: used on Rasa's event loop only."""

    def __init__(self, size: int) -> None:
        """`size`: how many entries to keep (a count; 0 keeps none)."""
        self._size = size
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    def check_out(self, sender_id: str) -> Optional[Entry]:
        """The idle entry of this conversation, now in use; None if none is idle."""
        entry = self._entries.get(sender_id)
        if entry is None or entry.in_use:
            return None
        entry.in_use = True
        self._entries.move_to_end(sender_id)
        return entry

    def owner_of(self, tracker: DialogueStateTracker) -> Optional[Entry]:
        """The entry holding this very tracker object (not an equal copy)."""
        entry = self._entries.get(tracker.sender_id)
        return entry if entry is not None and entry.tracker is tracker else None

    def hold(self, entry: Entry) -> None:
        """Keep `entry` (replacing the conversation's earlier one)."""
        self._entries[entry.tracker.sender_id] = entry
        self._entries.move_to_end(entry.tracker.sender_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        """Drop the conversation's entry, if any (in use or not)."""
        self._entries.pop(sender_id, None)

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()
