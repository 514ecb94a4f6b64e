"""A conversation as staff read it: the customer's and the bot's messages from Rasa's
SQL tracker store (bot/tracker_events.py reads it; nothing of Rasa imported)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from bot.personal_data import CODE
from bot.tracker_events import StoredEvent, TrackerEvents

# Rasa's event types for what the customer typed and what the bot said.
SPEAKERS = {"user": "お客様", "bot": "ボット"}
# A verification code (six digits on their own, full-width ones too): the bot shows it once
# and the customer types it to look up the status; the case database keeps only its hash,
# so staff screens must not show it either.
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


def _message(event: StoredEvent) -> Message | None:
    speaker, text = event.data.get("event"), event.data.get("text")
    if speaker not in SPEAKERS or not text:
        return None
    buttons = (event.data.get("data") or {}).get("buttons") or []
    moment = datetime.fromtimestamp(event.data.get("timestamp") or event.timestamp or 0, timezone.utc)
    return Message(moment, speaker, CODE.sub(MASKED_CODE, text),
                   tuple(b.get("title", "") for b in buttons))


class TranscriptReader:
    def __init__(self, url: str) -> None:
        self.events = TrackerEvents(url)

    def read(self, conversation_id: str) -> list[Message] | None:
        """The conversation's messages in order; None when there is no events table."""
        if not self.events.exists():
            return None
        messages = (_message(event) for event in self.events.conversation(conversation_id, SPEAKERS))
        return [message for message in messages if message is not None]

    def dispose(self) -> None:
        self.events.dispose()
