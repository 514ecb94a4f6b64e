"""Rasa's `events` table, read (and pruned) in one place.

Rasa's SQL tracker store (SQLite or PostgreSQL) writes one row per event of a
conversation. Everything outside Rasa that looks at those rows goes through
TrackerEvents: the staff console's transcripts (bot.console.transcript), the
review inbox (bot.tools.inbox), the graded conversations (bot.tools.grade_answers)
and retention (bot.tools.retention). The table is reflected, nothing of Rasa is
imported, and a SQLite file that does not exist yet is never created by reading.

A row of `events`, as TrackerEvents gives it (StoredEvent):

- `sender_id`: the conversation;
- `type_name`: Rasa's name of the event: "user" (what the customer typed), "bot"
  (what the bot said), "action", "slot", "active_loop", "session_started",
  "restart", "user_featurization", …;
- `timestamp`: when, as a Unix time;
- `data`: the whole event as Rasa serialised it (`Event.as_dict()`; stored sealed,
  bot/tracker_rows.py, and opened here), a dict with
  "event" (the type again) and "timestamp", and per type: "text", "parse_data"
  (intent, intent_ranking, entities) and "input_channel" of "user"; "text" and
  "data" (its "buttons": [{"title", "payload"}]) of "bot"; "name" of "action" and
  "active_loop" (None when a form ends); "name" and "value" of "slot".

Events come in the order Rasa wrote them (the table's id).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from sqlalchemy import MetaData, Table, create_engine, delete, func, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import NoSuchTableError

from bot.cases.db import ROOT, missing_sqlite_file
from bot.cases.encryption import rotate
from bot.tracker_rows import is_sealed, seal, unseal

# Where `make run` keeps conversations unless TRACKER_DATABASE_URL says otherwise.
DEFAULT_TRACKER_URL = f"sqlite:///{ROOT / 'var' / 'tracker.db'}"


def tracker_url(environ: Mapping[str, str] = os.environ) -> str:
    """The tracker store's SQLAlchemy URL for the tools beside Rasa (console,
    retention, key rotation): TRACKER_DATABASE_URL, or var/tracker.db."""
    return environ.get("TRACKER_DATABASE_URL") or DEFAULT_TRACKER_URL


@dataclass(frozen=True)
class StoredEvent:
    """One row of `events` (see the module's docstring for the shapes)."""

    sender_id: str
    type_name: str
    timestamp: float
    data: dict[str, Any]


@dataclass(frozen=True)
class Conversation:
    sender_id: str
    events: int


class TrackerEvents:
    """The `events` table of the tracker store at `url` (an SQLAlchemy URL). Until
    Rasa has written a conversation there is no table: readers get nothing."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._engine: Engine | None = None
        self._events: Table | None = None

    def _table(self) -> Table | None:
        """The reflected table, or None while there is none (looked for again next time)."""
        if self._events is None and not missing_sqlite_file(self.url):
            if self._engine is None:
                # hide_parameters: conversation ids stay out of SQLAlchemy's errors and logs.
                self._engine = create_engine(self.url, future=True, pool_pre_ping=True,
                                             hide_parameters=True)
            try:
                self._events = Table("events", MetaData(), autoload_with=self._engine)
            except NoSuchTableError:
                pass
        return self._events

    def exists(self) -> bool:
        """Whether the store has an `events` table."""
        return self._table() is not None

    def events(self, types: Optional[Iterable[str]] = None,
               sender_id: Optional[str] = None) -> Iterator[StoredEvent]:
        """Every event, or those of the types `types` and of the conversation
        `sender_id`; ordered by conversation, then as written. Read lazily: the
        connection stays open until the iteration ends."""
        events = self._table()
        if events is None:
            return
        query = select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
        if types is not None:
            query = query.where(events.c.type_name.in_(list(types)))
        if sender_id is not None:
            query = query.where(events.c.sender_id == sender_id)
        assert self._engine is not None  # _table() made it
        with self._engine.connect() as connection:
            for row in connection.execute(query.order_by(events.c.sender_id, events.c.id)):
                yield StoredEvent(row.sender_id, row.type_name, row.timestamp, unseal(row.data))

    def conversation(self, sender_id: str, types: Optional[Iterable[str]] = None) -> list[StoredEvent]:
        """The events of one conversation (only of `types` if given), as written; []
        for a conversation the store does not hold."""
        return list(self.events(types, sender_id))

    def ended_before(self, cutoff: float) -> list[Conversation]:
        """Conversations whose latest event is older than `cutoff` (a Unix time, as Rasa
        stores it), with their number of events."""
        events = self._table()
        if events is None:
            return []
        query = (select(events.c.sender_id, func.count()).group_by(events.c.sender_id)
                 .having(func.max(events.c.timestamp) < cutoff).order_by(events.c.sender_id))
        assert self._engine is not None  # _table() made it
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [Conversation(sender, count) for sender, count in rows]

    def delete(self, senders: Sequence[str], cutoff: float) -> int:
        """Delete these conversations in one transaction, except any that went on after
        `cutoff` meanwhile; the number of events deleted."""
        events = self._table()
        if events is None or not senders:
            return 0
        later = events.alias("later")
        went_on = (select(later.c.id)
                   .where(later.c.sender_id == events.c.sender_id, later.c.timestamp >= cutoff)
                   .exists())
        assert self._engine is not None  # _table() made it
        with self._engine.begin() as connection:
            result = connection.execute(
                delete(events).where(events.c.sender_id.in_(list(senders)), ~went_on))
        return result.rowcount

    def seal_batch(self, after_id: int, size: int) -> list[int]:
        """Seal the next `size` rows with an id above `after_id` with the first data key:
        a token is re-encrypted (key rotation), a row written before sealing is sealed.
        One transaction; the ids of those rows (none: all done)."""
        events = self._table()
        if events is None:
            return []
        assert self._engine is not None  # _table() made it
        with self._engine.begin() as connection:
            # FOR UPDATE: a row is never written back with what it held before a change.
            rows = connection.execute(
                select(events.c.id, events.c.data).where(events.c.id > after_id)
                .order_by(events.c.id).limit(size).with_for_update()).all()
            for row in rows:
                if row.data:
                    sealed = rotate(row.data) if is_sealed(row.data) else seal(unseal(row.data))
                    connection.execute(update(events).where(events.c.id == row.id).values(data=sealed))
        return [row.id for row in rows]

    def count(self) -> int:
        """How many rows the table holds (0 without a table)."""
        events = self._table()
        if events is None:
            return 0
        assert self._engine is not None  # _table() made it
        with self._engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(events)).scalar_one()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
