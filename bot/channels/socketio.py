"""Rasa's socket.io channel, with the customer's messages checked first and each
session bound to the connections that may use it.

A message event whose data is not an object with a text `message` (and, when
given, metadata that is an object or its JSON, nested no deeper than the REST
channel allows) is dropped, where Rasa's handler would raise; the text goes through
`bot.channels.guard`.

Sessions: Rasa puts a connection into the room of whatever session id its
`session_request` names, and takes a message for whatever session id it carries,
so knowing a conversation id was enough to receive that customer's bot messages
live and to post as them. Here:

- `session_request` data is `{"session_id": str | None, "session_token": str | None}`
  (or None); a session id is checked like a REST sender (bot.channels.rest.SENDER),
  and a request that is not of that shape is dropped, unanswered.
- The session asked for is granted when its token (bot/channels/session_tokens.py)
  comes with it (a reload, a reconnection), or when it is new: nothing stored under
  it and no connection of this server in it. Otherwise, or when no id is asked
  for, the connection gets a new session id of the server's making.
- `session_confirm` answers `{"session_id": …, "session_token": …}` (rasa-webchat
  and web/chat.js read the id from such an object too).
- A message is taken only for the session its connection was confirmed in.

Several Rasa servers (the production profile): a bot message sent by one server for a
customer whose socket is on another (a staff reply through Rasa's HTTP API,
bot/live_chat/rasa_api.py) reaches them when TCN_SOCKETIO_REDIS_URL is set:
python-socketio's AsyncRedisManager then shares every emit through Redis channel
TCN_SOCKETIO_CHANNEL (default "tcn-socketio"; one per deployment sharing a Redis). It
pickles what it shares: that Redis must be as private as the lock store's.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any, Optional, Text

from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from socketio import AsyncRedisManager, AsyncServer

from bot.channels.guard import OnNewMessage, ServerApp, guarded
from bot.channels.rest import MAX_NESTING, SENDER, nesting
from bot.channels.session_tokens import SessionTokens
from bot.dialogue.endpoints import SOCKETIO_CHANNEL_VARIABLE, SOCKETIO_REDIS_VARIABLE

logger = logging.getLogger(__name__)

SESSION_REQUEST_EVT = "session_request"
SESSION_CONFIRM_EVT = "session_confirm"


def share_emits(sio: AsyncServer, blueprint: Blueprint) -> None:
    """With SOCKETIO_REDIS_VARIABLE (TCN_SOCKETIO_REDIS_URL) set, `sio`'s emits go through Redis to every server of
    the deployment. Rasa builds the AsyncServer inside its blueprint without a client
    manager, so it is replaced here, before any connection initialises the old one
    (python-socketio 5.8.0, pinned: `manager`, `set_server`, `manager_initialized`)."""
    url = os.environ.get(SOCKETIO_REDIS_VARIABLE, "").strip()
    if not url:
        return
    sio.manager = AsyncRedisManager(url, channel=os.environ.get(SOCKETIO_CHANNEL_VARIABLE) or "tcn-socketio")
    sio.manager.set_server(sio)

    @blueprint.listener("after_server_start")
    async def listen(*_: Any) -> None:
        # python-socketio would subscribe on the first connection, and that connection's
        # session_confirm could be published before the subscription is in place.
        sio.manager_initialized = True
        sio.manager.initialize()


def is_well_formed(data: Any, metadata_key: str = "metadata") -> bool:
    if not isinstance(data, dict):
        return False
    metadata = data.get(metadata_key, {})
    if isinstance(metadata, str):  # Rasa's handler accepts the JSON of an object too
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return False
    return (isinstance(data.get("message", ""), str) and _is_session_id(data.get("session_id"))
            # As deep as in a REST body, where metadata is one level down.
            and isinstance(metadata, dict) and nesting(metadata) < MAX_NESTING)


def is_session_request(data: Any) -> bool:
    """Whether `data` is a session request this channel answers (None asks for a new session)."""
    if data is None:
        return True
    return (isinstance(data, dict) and _is_session_id(data.get("session_id"))
            and isinstance(data.get("session_token"), (str, type(None))))


def _is_session_id(value: Any) -> bool:
    # The session id names the conversation, like the REST channel's sender: the same rule.
    return value is None or isinstance(value, str) and SENDER.fullmatch(value) is not None


class GuardedSocketIOInput(SocketIOInput):
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's blueprint with its `session_request` and message handlers replaced.
        Raises bot.actions_token.ActionsTokenError without TCN_ACTIONS_TOKEN (the
        tokens' key)."""
        tokens = SessionTokens.from_environment()
        server = ServerApp()
        webhook = super().blueprint(guarded(on_new_message, server))
        server.listen(webhook)
        assert self.sio is not None  # set by Rasa's blueprint()
        sio = self.sio
        share_emits(sio, webhook)
        namespace = self.namespace or "/"
        rasa_handler = sio.handlers[namespace][self.user_message_evt]

        async def bound_session(sid: Text) -> Optional[str]:
            """The session id this connection was confirmed in, if any."""
            try:
                return (await sio.get_session(sid, namespace)).get("session_id")
            except KeyError:  # the connection is gone
                return None

        def in_use(session_id: str, sid: Text) -> bool:
            """Whether a connection other than `sid` is in the session's room."""
            return any(other != sid for other, _ in sio.manager.get_participants(namespace, session_id))

        async def grant(sid: Text, asked: Optional[str], token: Optional[str]) -> str:
            """The session id `sid` gets for asking `asked` with `token`. The caller
            enters the room without awaiting anything first: two connections asking
            for one new id at once cannot both get it."""
            if asked is None:
                return uuid.uuid4().hex
            if tokens.is_token_of(asked, token):
                return asked
            if await server.has_conversation(asked) is False and not in_use(asked, sid):
                return asked
            logger.info("socket.io session request from %s without the session's token: "
                        "a new session is given", sid)
            return uuid.uuid4().hex

        async def request_session(sid: Text, data: Any = None) -> None:
            if not is_session_request(data):
                logger.warning("socket.io session request from %s dropped: malformed data", sid)
                return
            data = data or {}
            previous = await bound_session(sid)
            session_id = await grant(sid, data.get("session_id"), data.get("session_token"))
            if previous is not None and previous != session_id:
                sio.leave_room(sid, previous, namespace)
            sio.enter_room(sid, session_id, namespace)
            await sio.save_session(sid, {"session_id": session_id}, namespace)
            await sio.emit(SESSION_CONFIRM_EVT, {"session_id": session_id,
                                                 "session_token": tokens.token(session_id)},
                           room=sid, namespace=namespace)

        async def handle_message(sid: Text, data: Any = None) -> None:
            if not is_well_formed(data, self.metadata_key or "metadata"):
                logger.warning("socket.io message from %s dropped: malformed data", sid)
                return
            if data.get("session_id") != await bound_session(sid):
                logger.warning("socket.io message from %s dropped: not for the session of "
                               "this connection", sid)
                return
            await rasa_handler(sid, data)

        sio.on(SESSION_REQUEST_EVT, request_session, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return webhook
