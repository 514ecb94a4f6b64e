"""Tokens that let a socket.io client resume its own session, and no one else's.

Rasa's socket.io channel puts a connection into the room of whatever session id it
names, so knowing a conversation id was enough to receive that customer's bot
messages live and to post as them. The channel (bot/channels/socketio.py) now gives
each session, on `session_confirm`, a token; a connection resumes a session that is
in use or stored only by presenting it.

A token is an HMAC-SHA256 of the session id under a key derived from
TCN_ACTIONS_TOKEN, the secret every Rasa server of a deployment already holds
(bot/actions_token.py): any server of the deployment, and the same server after a
restart, checks a token without storing anything. Rotating that secret makes every
token invalid: a chat page reloaded afterwards starts a new conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Mapping

from bot.actions_token import check_token
from bot.dialogue.endpoints import TOKEN_VARIABLE

# Domain separation: the key that signs tokens shown to browsers is not the secret
# the action server checks, and a token says nothing about that secret.
KEY_LABEL = b"tcn-privacy-desk socket.io session token"
# The length of a token this module makes (32 bytes in unpadded base64url); a longer
# string cannot be one and is refused before any HMAC is computed.
TOKEN_CHARS = 43


class SessionTokens:
    """Makes and checks the resume token of a session id (str -> 43 characters)."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode("utf-8"), KEY_LABEL, hashlib.sha256).digest()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "SessionTokens":
        """Keyed by TCN_ACTIONS_TOKEN; raises bot.actions_token.ActionsTokenError when it
        is missing or too short (the message never quotes it)."""
        return cls(check_token(environ.get(TOKEN_VARIABLE, ""), TOKEN_VARIABLE))

    def token(self, session_id: str) -> str:
        digest = hmac.new(self._key, session_id.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def is_token_of(self, session_id: str, token: object) -> bool:
        """Whether `token` is the one `token(session_id)` gives (constant-time compare)."""
        # compare_digest takes ASCII strings only.
        return (isinstance(token, str) and len(token) == TOKEN_CHARS and token.isascii()
                and hmac.compare_digest(self.token(session_id), token))
