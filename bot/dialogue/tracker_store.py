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

bot/dialogue/endpoints.py names this class as the tracker store's `type`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TunedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, **kwargs: Any) -> None:
        # Rasa passes the endpoint's `url` as `host`.
        super().__init__(**kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        if url.get_backend_name() == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_wal)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
