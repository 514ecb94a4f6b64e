"""A conversation as staff read it: the customer's and the bot's messages from Rasa's
SQL tracker store (bot/tracker_events.py reads it; nothing of Rasa imported)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from bot.live_chat.staff_events import staff_login
from bot.personal_data import CODE
from bot.tracker_events import StoredEvent, TrackerEvents

# Rasa's event types for what the customer typed and what the bot said.
SPEAKERS = {"user": "お客様", "bot": "ボット"}
# A bot event a staff member sent from the console (bot/live_chat/staff_events.py).
STAFF_LABEL = "担当者"
# A verification code (six digits on their own, full-width ones too): the bot shows it once
# and the customer types it to look up the status; the case database keeps only its hash,
# so staff screens must not show it either.
MASKED_CODE = "******"


@dataclass(frozen=True)
class Message:
    at: datetime
    speaker: str  # "user", "bot" or "staff"
    text: str
    # Titles of the buttons the bot offered with the message.
    buttons: tuple[str, ...] = ()
    # The customer clicked a button: `text` is its title (the payload stays out of view).
    clicked: bool = False
    # The login of the staff member who wrote a "staff" message.
    staff: str | None = None

    @property
    def speaker_label(self) -> str:
        return f"{STAFF_LABEL}（{self.staff}）" if self.staff else SPEAKERS[self.speaker]

    def as_json(self) -> dict[str, Any]:
        """For the ticket page's live view (bot/console/static/console.js)."""
        return {"at": self.at.isoformat(), "speaker": self.speaker, "label": self.speaker_label,
                "text": self.text, "buttons": list(self.buttons), "clicked": self.clicked}


def _moment(event: StoredEvent) -> datetime:
    return datetime.fromtimestamp(event.data.get("timestamp") or event.timestamp or 0, timezone.utc)


def _buttons(event: StoredEvent) -> list[dict[str, Any]]:
    return list((event.data.get("data") or {}).get("buttons") or [])


def messages(events: Iterable[StoredEvent]) -> Iterator[Message]:
    """What staff read of a conversation's "user" and "bot" events, in order.

    A customer's text that starts with an ASCII "/" is a payload, never typed: the
    channels turn a typed one into 「／…」 (bot/channels/guard.py). A payload of a button
    the bot offered is shown as that button's title; any other (the chat page's or
    Rasa's own, e.g. 「/greet」, 「/EXTERNAL_…」) is internal and left out, as are events
    without text.
    """
    titles: dict[str, str] = {}  # payload -> title, the latest turn's winning
    for event in events:
        speaker, text = event.data.get("event"), event.data.get("text")
        if speaker not in SPEAKERS or not text:
            continue
        if speaker == "bot":
            buttons = _buttons(event)
            titles.update({str(b.get("payload")): str(b.get("title", "")) for b in buttons})
            login = staff_login(event.data)
            yield Message(_moment(event), "staff" if login else "bot", CODE.sub(MASKED_CODE, text),
                          tuple(str(b.get("title", "")) for b in buttons), staff=login)
        elif not text.startswith("/"):
            yield Message(_moment(event), "user", CODE.sub(MASKED_CODE, text))
        elif titles.get(text):
            yield Message(_moment(event), "user", titles[text], clicked=True)


class TranscriptReader:
    def __init__(self, url: str) -> None:
        self.events = TrackerEvents(url)

    def read(self, conversation_id: str) -> list[Message] | None:
        """The conversation's messages in order; None when there is no events table."""
        if not self.events.exists():
            return None
        return list(messages(self.events.conversation(conversation_id, SPEAKERS)))

    def dispose(self) -> None:
        self.events.dispose()
