"""Talking to the running bot's channels the way clients do, including the bad ways:
raw bodies on the REST channel, a socket.io client, and what the tracker store kept."""

from __future__ import annotations

import json
import queue
import sqlite3
import urllib.error
import urllib.request
from contextlib import contextmanager
from typing import Any, Iterator, Optional

import socketio

from bot.tracker_rows import unseal
from tests.conftest import RestClient, RunningBot


def post(bot: RestClient, body: bytes, timeout: float = 60) -> tuple[int, Any]:
    """(status, parsed JSON or the raw text) of a POST of `body` to the REST channel."""
    request = urllib.request.Request(bot.rest_url, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def post_json(bot: RestClient, payload: Any) -> tuple[int, Any]:
    return post(bot, json.dumps(payload).encode())


def stored_events(bot: RunningBot, sender: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of every event the tracker store holds for `sender`."""
    with sqlite3.connect(bot.tracker_db) as db:
        rows = db.execute("SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id",
                          (sender,)).fetchall()
    return [(kind, unseal(data)) for kind, data in rows]


def stored_user_texts(bot: RunningBot, sender: str) -> list[Optional[str]]:
    return [data.get("text") for kind, data in stored_events(bot, sender) if kind == "user"]


class SocketChat:
    """A socket.io client like rasa-webchat: a session id, then `user_uttered` events."""

    def __init__(self, client: socketio.Client, session_id: str) -> None:
        self.client, self.session_id = client, session_id
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        client.on("bot_uttered", self.replies.put)

    def send(self, data: Any) -> None:
        self.client.emit("user_uttered", data)

    def say(self, text: str) -> None:
        self.send({"message": text, "session_id": self.session_id})

    def reply(self, timeout: float = 60) -> Optional[str]:
        """The text of the next reply, or None when none comes within `timeout`."""
        try:
            return self.replies.get(timeout=timeout).get("text")
        except queue.Empty:
            return None


@contextmanager
def socket_chat(bot: RestClient, session_id: str) -> Iterator[SocketChat]:
    client = socketio.Client()
    confirmed: queue.Queue[dict[str, str]] = queue.Queue()
    client.on("session_confirm", confirmed.put)
    chat = SocketChat(client, session_id)
    client.connect(bot.rasa_url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session_id})
        # A new id is granted as asked (bot/channels/socketio.py).
        assert confirmed.get(timeout=30)["session_id"] == session_id
        yield chat
    finally:
        client.disconnect()
