"""Rasa's socket.io channel, with the customer's messages checked first.

A message event whose data is not an object with a text `message` (and, when
given, metadata that is an object or its JSON) is dropped, where Rasa's handler
would raise; the text goes through `bot.channels.guard`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Text

from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from bot.channels.guard import OnNewMessage, ServerApp, guarded
from bot.channels.rest import SENDER

logger = logging.getLogger(__name__)


def is_well_formed(data: Any, metadata_key: str = "metadata") -> bool:
    if not isinstance(data, dict):
        return False
    metadata = data.get(metadata_key, {})
    if isinstance(metadata, str):  # Rasa's handler accepts the JSON of an object too
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return False
    session_id = data.get("session_id")
    # The session id names the conversation, like the REST channel's sender: the same rule.
    return (isinstance(data.get("message", ""), str)
            and (session_id is None or isinstance(session_id, str) and SENDER.fullmatch(session_id) is not None)
            and isinstance(metadata, dict))


class GuardedSocketIOInput(SocketIOInput):
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        server = ServerApp()
        webhook = super().blueprint(guarded(on_new_message, server))
        server.listen(webhook)
        assert self.sio is not None  # set by Rasa's blueprint()
        namespace = self.namespace or "/"
        rasa_handler = self.sio.handlers[namespace][self.user_message_evt]

        async def handle_message(sid: Text, data: Any = None) -> None:
            if not is_well_formed(data, self.metadata_key or "metadata"):
                logger.warning("socket.io message from %s dropped: malformed data", sid)
                return
            await rasa_handler(sid, data)

        self.sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return webhook
