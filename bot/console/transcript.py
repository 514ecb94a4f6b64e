"""A conversation as staff read it: the customer's and the bot's messages from the
`events` table of Rasa's SQL tracker store (read by reflection; nothing of Rasa imported)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import MetaData, Table, create_engine, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import NoSuchTableError

from bot.cases.db import missing_sqlite_file

# Rasa's event types for what the customer typed and what the bot said.
SPEAKERS = {"user": "お客様", "bot": "ボット"}
# A verification code: six digits on their own (\d also matches full-width digits). The bot
# shows it once and the customer types it to look up the status; the case database keeps
# only its hash, so staff screens must not show it either.
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
MASKED_CODE = "******"


@dataclass(frozen=True)
class Message:
    at: datetime
    speaker: str  # "user" or "bot"
    text: str
    # Titles of the buttons the bot offered with the message.
    buttons: tuple[str, ...] = ()

    @property
    def speaker_label(self) -> str:
        return SPEAKERS[self.speaker]


def _message(data: str | None, fallback_time: float | None) -> Message | None:
    event = json.loads(data or "{}")
    speaker, text = event.get("event"), event.get("text")
    if speaker not in SPEAKERS or not text:
        return None
    buttons = (event.get("data") or {}).get("buttons") or []
    moment = datetime.fromtimestamp(event.get("timestamp") or fallback_time or 0, timezone.utc)
    return Message(moment, speaker, _CODE.sub(MASKED_CODE, text),
                   tuple(b.get("title", "") for b in buttons))


class TranscriptReader:
    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.url, future=True, hide_parameters=True)
        return self._engine

    def read(self, conversation_id: str) -> list[Message] | None:
        """The conversation's messages in order; None when there is no events table."""
        if missing_sqlite_file(self.url):
            return None
        with self.engine().connect() as connection:
            try:
                events = Table("events", MetaData(), autoload_with=connection)
            except NoSuchTableError:
                return None
            rows = connection.execute(
                select(events.c.data, events.c.timestamp)
                .where(events.c.sender_id == conversation_id, events.c.type_name.in_(list(SPEAKERS)))
                .order_by(events.c.id)
            )
            messages = (_message(row.data, row.timestamp) for row in rows)
            return [message for message in messages if message is not None]

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
