"""The tuned SQL tracker store (bot/dialogue/tracker_store.py): WAL mode on SQLite,
and on SQLite and PostgreSQL alike, conversations read back exactly as Rasa's own
store reads them, although it keeps the trackers it saved and reads only what is new."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import rasa.core.tracker_store as rasa_tracker_store
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.endpoints import tracker_store_endpoint
from bot.dialogue.tracker_store import TunedSQLTrackerStore
from bot.tracker_rows import unseal
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def test_sqlite_in_wal_mode_keeps_conversations(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store = TunedSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path))
    tracker = DialogueStateTracker("conversation-1", [])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("個人情報の利用目的を教えて"))
    asyncio.run(store.save(tracker))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.engine.dispose()
    again = TunedSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path))
    restored = asyncio.run(again.retrieve("conversation-1"))
    assert restored is not None and restored.latest_message.text == "個人情報の利用目的を教えて"
    with again.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    again.engine.dispose()


def _open(store_class: type, url: str, **extra: Any) -> Any:
    config = tracker_store_endpoint(url)
    del config["type"]
    config["host"] = config.pop("url", None)  # Rasa's name for the endpoint's url
    return store_class(domain=DOMAIN, **config, **extra)


def _turn(tracker: DialogueStateTracker, number: int) -> None:
    """One message and its answer, as Rasa's processor adds them."""
    tracker.update(UserUttered(f"質問 {number}", {"name": "ask_purpose", "confidence": 0.9}))
    tracker.update(SlotSet("request_kind", "開示" if number % 2 else "訂正"))
    tracker.update(ActionExecuted("action_answer_question"))
    tracker.update(BotUttered(f"答え {number}"))
    tracker.update(ActionExecuted("action_listen"))


async def _handle(store: Any, sender: str, number: int) -> DialogueStateTracker:
    tracker = await store.get_or_create_tracker(sender)
    _turn(tracker, number)
    await store.save(tracker)
    return tracker


def _as_rasa_reads_it(url: str, sender: str) -> DialogueStateTracker:
    """The conversation as Rasa's own SQLTrackerStore reads it (its query, its replay),
    its only change the opening of sealed rows: the JSON decoder its module uses."""
    rasas = _open(SQLTrackerStore, url)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rasa_tracker_store, "json", SimpleNamespace(loads=unseal))
            tracker = asyncio.run(rasas.retrieve(sender))
    finally:
        rasas.engine.dispose()
    assert tracker is not None
    return tracker


def _same(ours: DialogueStateTracker, rasas: DialogueStateTracker) -> None:
    assert [event.as_dict() for event in ours.events] == [event.as_dict() for event in rasas.events]
    assert ours.current_slot_values() == rasas.current_slot_values()


def test_a_failed_statement_does_not_carry_the_event_data(tmp_path: Path) -> None:
    store = TunedSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    with pytest.raises(sa.exc.DBAPIError) as failure, store.engine.connect() as connection:
        connection.execute(sa.text("INSERT INTO no_such_table VALUES (:data)"), {"data": "taro@example.com"})
    assert "taro@example.com" not in str(failure.value)


def test_a_kept_conversation_reads_back_as_rasa_reads_it(tracker_store_url: str) -> None:
    store = _open(TunedSQLTrackerStore, tracker_store_url)

    async def conversation() -> DialogueStateTracker:
        await _handle(store, "long", 0)  # a new conversation: created, then read from then on
        kept = await _handle(store, "long", 1)
        for number in range(2, 30):
            assert await _handle(store, "long", number) is kept  # not read again
        return kept

    ours = asyncio.run(conversation())
    _same(ours, _as_rasa_reads_it(tracker_store_url, "long"))
    assert ours.get_slot("request_kind") == "開示"
    store.engine.dispose()


def test_two_servers_take_turns_on_one_conversation(tracker_store_url: str) -> None:
    """Behind nginx, consecutive messages may reach different Rasa servers: each one
    catches up with what the other stored."""
    servers = [_open(TunedSQLTrackerStore, tracker_store_url), _open(TunedSQLTrackerStore, tracker_store_url)]

    async def conversation() -> list[DialogueStateTracker]:
        return [await _handle(servers[number % 2], "shared", number) for number in range(12)]

    trackers = asyncio.run(conversation())
    rasas = _as_rasa_reads_it(tracker_store_url, "shared")
    _same(trackers[-1], rasas)
    _same(trackers[-2], DialogueStateTracker.from_events("shared", list(rasas.events)[:-5], DOMAIN.slots))
    assert len([event for event in rasas.events if isinstance(event, UserUttered)]) == 12
    for server in servers:
        server.engine.dispose()


def test_a_conversation_deleted_meanwhile_is_not_served_from_memory(tracker_store_url: str) -> None:
    store = _open(TunedSQLTrackerStore, tracker_store_url)
    asyncio.run(_handle(store, "deleted", 0))
    asyncio.run(_handle(store, "deleted", 1))
    with store.engine.begin() as connection:  # as `make retention` deletes a conversation
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'deleted'"))
    assert asyncio.run(store.retrieve("deleted")) is None
    store.engine.dispose()


def test_a_new_session_is_read_as_rasa_reads_it(tracker_store_url: str) -> None:
    store = _open(TunedSQLTrackerStore, tracker_store_url)

    async def two_sessions() -> DialogueStateTracker:
        tracker = await _handle(store, "sessions", 0)
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        return await _handle(store, "sessions", 1)

    ours = asyncio.run(two_sessions())
    rasas = _as_rasa_reads_it(tracker_store_url, "sessions")
    _same(ours, rasas)
    assert [event.text for event in ours.events if isinstance(event, UserUttered)] == ["質問 1"]
    store.engine.dispose()


def test_a_tracker_in_use_is_not_handed_out_twice(tracker_store_url: str) -> None:
    store = _open(TunedSQLTrackerStore, tracker_store_url)

    async def scenario() -> None:
        await _handle(store, "busy", 0)
        handling = await store.retrieve("busy")  # a message being handled
        reading = await store.retrieve("busy")  # meanwhile, someone else reads
        assert handling is not None and reading is not None and reading is not handling
        _same(reading, handling)
        _turn(handling, 1)
        await store.save(handling)
        again = await store.retrieve("busy")
        assert again is not None
        _same(again, handling)

    asyncio.run(scenario())
    _same(asyncio.run(_open(TunedSQLTrackerStore, tracker_store_url).retrieve("busy")),
          _as_rasa_reads_it(tracker_store_url, "busy"))
    store.engine.dispose()


def test_at_most_cache_size_conversations_are_kept(tracker_store_url: str) -> None:
    store = _open(TunedSQLTrackerStore, tracker_store_url, cache_size=2)

    async def scenario() -> None:
        kept = {sender: await _handle(store, sender, 0) for sender in ("a", "b", "c")}
        kept = {sender: await _handle(store, sender, 1) for sender in ("a", "b", "c")}
        assert (await store.retrieve("c")) is kept["c"]
        assert (await store.retrieve("a")) is not kept["a"]  # the oldest was dropped

    asyncio.run(scenario())
    store.engine.dispose()
