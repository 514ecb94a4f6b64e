"""Rasa's SQL tracker store, with connections checked before use.

Rasa 3.6 builds its engine without `pool_pre_ping`: after PostgreSQL restarts,
every pooled connection is dead and the next message of each conversation fails.
With the ping, a dead connection is replaced and the message goes through.
The production profile's endpoints name this class as the tracker store's `type`
(bot/dialogue/endpoints.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class PingingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, **kwargs: Any) -> None:
        # Rasa passes the endpoint's `url` as `host`.
        super().__init__(**kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
