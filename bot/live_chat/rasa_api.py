"""Rasa's HTTP API as the staff console uses it: events appended to a customer's
conversation, and the bot messages among them sent to the customer's open chat.

One call does both: `POST /conversations/<id>/tracker/events?output_channel=latest&
execute_side_effects=true` appends the events under the conversation's lock and sends
each BotUttered through the channel the customer last wrote on (Rasa's own
`execute_side_effects`). On socket.io that reaches the open chat at once, whichever Rasa
server holds the customer's socket (bot/channels/socketio.py shares emits through Redis
when there are several); the REST channel has no way to push, and its customers fetch
these messages from /webhooks/rest/messages (bot/channels/rest.py).

Authentication: a JWT signed with TCN_RASA_API_SECRET (HS256), role admin, valid for
TOKEN_LIFETIME_S, in the Authorization header (bot/rasa_server.py starts Rasa with that
key). The Rasa servers are TCN_RASA_API_URLS (comma-separated); a server that refuses the
connection is skipped for the next.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence
from urllib.parse import quote

import jwt
import requests

ROOT = Path(__file__).resolve().parents[2]
API_SECRET_VARIABLE = "TCN_RASA_API_SECRET"
API_URLS_VARIABLE = "TCN_RASA_API_URLS"
DEFAULT_SECRET_FILE = ROOT / "var" / "rasa_api_secret"
JWT_METHOD = "HS256"
# Long enough for a slow call, short enough that a token seen in transit soon expires.
TOKEN_LIFETIME_S = 60
TIMEOUT_S = 15


class RasaApiError(RuntimeError):
    """No Rasa server took the events; the message is for the log, not for customers."""


@dataclass(frozen=True)
class RasaApi:
    """`urls`: the Rasa servers (http://127.0.0.1:5005, …), tried in order; `secret`:
    the key Rasa checks JWTs with."""

    urls: tuple[str, ...]
    secret: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Optional[RasaApi]:
        """The API of TCN_RASA_API_URLS and TCN_RASA_API_SECRET, or None when either is unset
        (a console started on its own: staff can read, not send)."""
        urls = tuple(url.strip().rstrip("/") for url in environ.get(API_URLS_VARIABLE, "").split(",")
                     if url.strip())
        secret = environ.get(API_SECRET_VARIABLE, "").strip()
        return cls(urls, secret) if urls and secret else None

    def token(self, now: Optional[float] = None) -> str:
        """A JWT Rasa accepts for every conversation (role admin) for TOKEN_LIFETIME_S seconds."""
        issued = int(now if now is not None else time.time())
        claims = {"user": {"username": "staff-console", "role": "admin"},
                  "iat": issued, "exp": issued + TOKEN_LIFETIME_S}
        return jwt.encode(claims, self.secret, algorithm=JWT_METHOD)

    def append(self, conversation_id: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Append `events` (Rasa's event JSON) to the conversation and send its bot
        messages to the customer's latest channel. Raises RasaApiError when no server
        took them: every one refused the connection, or one answered with an error (then
        the others are not tried: it may have appended some)."""
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker/events"
        params = {"output_channel": "latest", "execute_side_effects": "true"}
        headers = {"Authorization": f"Bearer {self.token()}"}
        for url in self.urls:
            try:
                answer = requests.post(url + path, params=params, json=list(events), headers=headers,
                                       timeout=TIMEOUT_S)
            except requests.ConnectionError:
                continue  # down or restarting: the next server shares the tracker store
            except requests.RequestException as error:
                raise RasaApiError(f"{url}: {type(error).__name__}") from None
            if answer.status_code != 200:
                raise RasaApiError(f"{url} answered {answer.status_code}")
            return
        raise RasaApiError("no Rasa server accepted the connection")
