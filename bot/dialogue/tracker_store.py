"""Rasa's SQL tracker store, tuned for the two databases the bot uses.

- A database server (PostgreSQL): Rasa 3.6 builds its engine without
  `pool_pre_ping`, so after a restart every pooled connection is dead and the next
  message of each conversation fails. With the ping, a dead connection is replaced
  and the message goes through (tests/test_production.py).
- SQLite (the embedded default): Rasa's store commits every message with a full
  sync, on the event loop, so every conversation waits for the disk. In WAL mode
  with `synchronous=NORMAL` a commit does not wait for the disk (a power cut can
  lose the last messages, never corrupt the file; an application crash loses
  nothing), and the staff console reads while Rasa writes.
- Long conversations: Rasa reads and replays every event of the conversation for
  each message and counts them again to save. The store keeps the trackers it
  saved (bot/dialogue/tracker_cache.py); for the next message it reads only the
  events stored after the kept tracker's last one (another Rasa server behind the
  same database may have handled messages meanwhile) and saves only the new ones.
  A kept tracker whose last event is gone from the database (deleted by `make
  retention`) or that reaches a new session is read again the way Rasa does.
  The trackers are bot/dialogue/tracker.py's, whose per-message work does not
  grow with the conversation either.
- Personal data at rest: each row's `data` (the event's JSON, where names, phone
  numbers and request details are) is sealed with the case database's keys
  (bot/tracker_rows.py): a Fernet token, a receipt's verification code masked. The
  other columns (type, timestamp, intent and action names) stay readable, so the
  queries are Rasa's own. Rows written before sealing are read as they are.

bot/dialogue/endpoints.py names this class as the tracker store's `type`.
Building it installs the project's changes to Rasa (bot/rasa_extensions.py):
Rasa builds it before it loads the model or takes a message, in `rasa run` and
`rasa shell` alike.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot import rasa_extensions
from bot.cases.keyring import keyring
from bot.dialogue.tracker import IncrementalTracker
from bot.dialogue.tracker_cache import Entry, TrackerCache
from bot.tracker_rows import seal, unseal

# Idle conversations whose trackers a Rasa server keeps (a few MB at most).
DEFAULT_CACHE_SIZE = 500


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TunedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore (same tables, same columns; the staff console reads
    what this one writes through bot.tracker_events) with rows sealed, a pinged
    connection pool, SQLite in WAL mode, and the trackers it handled kept for their
    next message.

    Invariants: a kept tracker is handed to one caller at a time (`retrieve` checks
    it out, `save` gives it back); the events of a kept tracker are exactly the
    conversation's current-session events in the database up to `Entry.last_id`, in
    order, followed by events not yet saved; a changed domain drops every kept
    tracker. Concurrent messages of one conversation must be serialized by Rasa's
    lock store, as for Rasa's own store.
    """

    engine: Any  # an SQLAlchemy Engine, made by Rasa's SQLTrackerStore, replaced in __init__

    def __init__(self, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        """`cache_size`: how many idle conversations' trackers to keep (a count; 0
        keeps none). `kwargs`: those of Rasa's SQLTrackerStore as endpoints.yml gives
        them (dialect, host, port, db, username, password, login_db, query, domain,
        event_broker). Installs the project's changes to Rasa first
        (bot.rasa_extensions.install): raises IncompatibleRasa when Rasa is not the
        pinned version, and bot.cases.keyring.DataKeyError without a data key (rows are
        sealed with it: better refused at start than every message lost). Like Rasa's
        store, waits (retrying every 5 s) while the database cannot be reached, and
        creates its tables when missing."""
        rasa_extensions.install()
        keyring()
        self._cache = TrackerCache(int(cache_size))
        # Rasa passes the endpoint's `url` as `host`.
        super().__init__(**kwargs)
        url = self.engine.url
        self.engine.dispose()
        # hide_parameters: a failed statement's error must not carry the event JSON
        # (names, phones, e-mails) into logs, as for the case database (bot/cases/db.py).
        self.engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, **create_engine_kwargs(url))
        if url.get_backend_name() == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_wal)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    @property
    def domain(self) -> Domain:
        """The loaded model's domain (an empty one until Rasa sets it); setting it
        (None: empty) drops every kept tracker."""
        return self._domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        """Set by Rasa when a model is loaded."""
        # A new model may bring other slots: kept trackers were built with the old ones.
        self._domain = domain or Domain.empty()
        self._cache.clear()

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        """A new conversation's tracker: an IncrementalTracker with the domain's slots."""
        return IncrementalTracker(sender_id, self.domain.slots, max_event_history=self.max_event_history)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The conversation's tracker with the events of its current session, as
        Rasa's store returns it (None: nothing stored). A kept idle tracker is
        handed out after applying the events stored since; otherwise it is read
        from the database and kept. The tracker returned is in use until `save`."""
        entry = self._cache.check_out(sender_id)
        if entry is not None:
            caught_up = False
            try:
                caught_up = self._catch_up(entry)
            finally:
                if not caught_up:
                    self._cache.forget(sender_id)
            if caught_up:
                return entry.tracker
        return self._load(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's events not yet stored (Rasa's rows, one per event, the
        data sealed) and keep the tracker for the next message; a tracker this store
        did not hand out is saved from its first unstored event, as Rasa does, and not
        kept. A database error propagates (the kept tracker is dropped, so the next
        message reads the database)."""
        entry = self._cache.owner_of(tracker)
        if entry is None:  # not a tracker this store handed out
            await self._store(tracker)
            self._cache.forget(tracker.sender_id)
            return
        new_events = list(itertools.islice(tracker.events, entry.stored, None))
        try:
            await self._store(tracker)  # stores what _additional_events yields
        except Exception:
            self._cache.forget(tracker.sender_id)
            raise
        if any(isinstance(event, SessionStarted) for event in new_events):
            self._cache.forget(tracker.sender_id)  # a new session: Rasa reads only its events
            return
        if new_events:
            entry.last_id = self._last_id(tracker.sender_id)
        entry.stored, entry.in_use = len(tracker.events), False
        self._cache.hold(entry)

    async def _store(self, tracker: DialogueStateTracker) -> None:
        """Rasa 3.6's SQLTrackerStore.save with the row's data sealed (Rasa writes the
        JSON as it is and has no hook for the column): the events go to the event
        broker, then one row each, in one transaction."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                session.add(self._row(tracker.sender_id, event))
            session.commit()

    def _row(self, sender_id: str, event: Event) -> Any:
        """The row of `event`: the columns Rasa fills, `data` sealed."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"), data=seal(data))

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        """Rasa's `_retrieve` (behind `retrieve_full_tracker`) reading sealed rows."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
        if not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [unseal(row.data) for row in rows],
                                              self.domain.slots)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        entry = self._cache.owner_of(tracker)
        if entry is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, entry.stored, None)

    def _catch_up(self, entry: Entry) -> bool:
        """Apply what was stored after the kept tracker; False if it cannot be."""
        event = self.SQLEvent
        with self.session_scope() as session:
            rows = session.execute(
                sa.select(event.id, event.type_name, event.data)
                .where(event.sender_id == entry.tracker.sender_id, event.id >= entry.last_id)
                .order_by(event.id)).all()
        if not rows or rows[0].id != entry.last_id:
            return False
        newer = rows[1:]
        if any(row.type_name == SessionStarted.type_name for row in newer):
            return False
        for applied in deserialise_events([unseal(row.data) for row in newer]):
            entry.tracker.update(applied)
        entry.stored, entry.last_id = len(entry.tracker.events), rows[-1].id
        return True

    def _load(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The conversation's current session read the way Rasa reads it, kept."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        if not rows:
            return None
        tracker = IncrementalTracker.from_dict(
            sender_id, [unseal(row.data) for row in rows], self.domain.slots)
        self._cache.hold(Entry(tracker, len(tracker.events), rows[-1].id))
        return tracker

    def _last_id(self, sender_id: str) -> int:
        """The id of the conversation's last stored event (there is one: just saved)."""
        with self.session_scope() as session:
            return session.execute(sa.select(sa.func.max(self.SQLEvent.id))
                                   .where(self.SQLEvent.sender_id == sender_id)).scalar()
