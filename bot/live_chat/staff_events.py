"""The Rasa events the staff console appends to a customer's conversation
(bot/live_chat/rasa_api.py sends them), and how they are recognised afterwards.

Each BotUttered the console sends carries `metadata.live_chat = {"staff": <login>}`:
the console's transcript names the staff member, and the REST channel's message poll
returns these messages (bot/channels/rest.py). The customer never sees the login:
Rasa's socket.io output sends a message's text only.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from bot.intake.handoff import ACTIVE

LIVE_CHAT = "live_chat"


def staff_message(text: str, login: str, at: float) -> dict[str, Any]:
    """A bot message written by staff member `login` at `at` (a Unix time, seconds)."""
    return {"event": "bot", "text": text, "timestamp": at, "metadata": {LIVE_CHAT: {"staff": login}}}


def hand_back(text: str, login: str, at: float) -> list[dict[str, Any]]:
    """The bot answers again from the next message; `text` tells the customer so."""
    # The slot bot.dialogue.HandoffPolicy watches.
    return [{"event": "slot", "name": ACTIVE, "value": False, "timestamp": at},
            staff_message(text, login, at)]


def staff_login(event: Mapping[str, Any]) -> Optional[str]:
    """The login of the staff member who sent this event (Rasa's event JSON), or None
    for anything else."""
    if event.get("event") != "bot":
        return None
    live = (event.get("metadata") or {}).get(LIVE_CHAT)
    return str(live.get("staff")) if isinstance(live, dict) and live.get("staff") else None
