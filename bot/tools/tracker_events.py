"""Conversations in Rasa's SQL tracker store, as retention sees them: which ones ended
before a cut-off, and deleting them. The `events` table is read by reflection; nothing of
Rasa is imported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import MetaData, Table, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import NoSuchTableError

from bot.cases.db import make_engine, missing_sqlite_file


@dataclass(frozen=True)
class Conversation:
    sender_id: str
    events: int


class TrackerEvents:
    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._events: Table | None = None

    def events(self) -> Table | None:
        """The `events` table, or None while Rasa has written no conversation."""
        if self._events is None and not missing_sqlite_file(self.url):
            self._engine = make_engine(self.url)
            try:
                self._events = Table("events", MetaData(), autoload_with=self._engine)
            except NoSuchTableError:
                pass
        return self._events

    def ended_before(self, cutoff: float) -> list[Conversation]:
        """Conversations whose latest event is older than `cutoff` (a Unix time, as Rasa
        stores it)."""
        events = self.events()
        if events is None:
            return []
        query = (select(events.c.sender_id, func.count()).group_by(events.c.sender_id)
                 .having(func.max(events.c.timestamp) < cutoff).order_by(events.c.sender_id))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [Conversation(sender, count) for sender, count in rows]

    def delete(self, senders: Sequence[str], cutoff: float) -> int:
        """Delete these conversations in one transaction, except any that went on after
        `cutoff` meanwhile; the number of events deleted."""
        events = self.events()
        if events is None or not senders:
            return 0
        later = events.alias("later")
        went_on = (select(later.c.id)
                   .where(later.c.sender_id == events.c.sender_id, later.c.timestamp >= cutoff)
                   .exists())
        with self._engine.begin() as connection:
            result = connection.execute(
                delete(events).where(events.c.sender_id.in_(list(senders)), ~went_on))
        return result.rowcount

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
