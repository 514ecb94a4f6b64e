"""The tuned SQL tracker store on SQLite: WAL mode, and conversations kept as Rasa keeps them."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.tracker_store import TunedSQLTrackerStore


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
