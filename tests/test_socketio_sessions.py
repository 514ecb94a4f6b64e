"""A socket.io session id is not a key (bot/channels/socketio.py): a second connection
that names someone's session id receives nothing of theirs and cannot post into
their conversation; the chat page's reload resumes its own session with the token
the server gave; malformed session requests are refused. Real socket.io clients
(python-socketio's AsyncClient) against the running Rasa server."""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Optional

import pytest
import socketio
from playwright.sync_api import Page, expect

from bot.actions_token import ActionsTokenError
from bot.channels.session_tokens import TOKEN_CHARS, SessionTokens
from bot.channels.socketio import is_session_request
from bot.dialogue.endpoints import TOKEN_VARIABLE
from tests.channel_client import stored_events, stored_user_texts
from tests.chat_page import TIMEOUT_MS, ChatPage, browser, page  # noqa: F401 (fixtures)
from tests.conftest import RunningBot
from tests.intake_chat import new_sender

# Long enough for a bot message emitted to a room to reach every connection in it
# (they are all polling the same server), as the first one's reply shows.
QUIET_S = 3
REPLY_TIMEOUT_S = 60


class Connection:
    """One socket.io connection: the session confirmations and bot messages it received."""

    def __init__(self, bot: RunningBot) -> None:
        self.bot = bot
        self.client = socketio.AsyncClient()
        self.confirms: asyncio.Queue[Any] = asyncio.Queue()
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.client.on("session_confirm", self.confirms.put_nowait)
        self.client.on("bot_uttered", self.messages.put_nowait)

    async def __aenter__(self) -> "Connection":
        await self.client.connect(self.bot.rasa_url, socketio_path="/socket.io", transports=["polling"])
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.disconnect()

    async def request(self, data: Any, timeout: float = 30) -> Optional[Any]:
        """The server's session_confirm for a session_request with `data`; None if none came."""
        await self.client.emit("session_request", data)
        try:
            return await asyncio.wait_for(self.confirms.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def session(self, data: Any) -> dict[str, str]:
        """The session_confirm for `data`, which must come: {"session_id", "session_token"}."""
        confirm = await self.request(data)
        assert isinstance(confirm, dict), confirm
        return confirm

    async def say(self, session_id: str, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id})

    async def reply(self, timeout: float = REPLY_TIMEOUT_S) -> str:
        """The text of the next bot message (fails the test when none comes)."""
        return (await asyncio.wait_for(self.messages.get(), timeout))["text"]

    async def received(self) -> list[dict[str, Any]]:
        """Every bot message that arrives within QUIET_S from now, or arrived before."""
        await asyncio.sleep(QUIET_S)
        return [self.messages.get_nowait() for _ in range(self.messages.qsize())]


def run(test: Callable[[], Awaitable[None]]) -> None:
    """`test` on an event loop of its own thread: Playwright's sync API (the browser
    test) keeps a loop running in this one."""
    async def main() -> None:
        await test()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, main()).result()


def test_a_second_connection_naming_a_session_gets_nothing_of_it(running_bot: RunningBot) -> None:
    async def test() -> None:
        async with Connection(running_bot) as customer, Connection(running_bot) as other:
            mine = await customer.session({"session_id": None})
            assert len(mine["session_token"]) == TOKEN_CHARS
            session = mine["session_id"]
            await customer.say(session, "こんにちは")
            assert await customer.reply()

            # No token, a wrong token, the token of another session: each time a new session.
            for token in (None, "x" * TOKEN_CHARS, SessionTokens(secrets.token_urlsafe(32)).token(session),
                          (await other.session(None))["session_token"]):
                theirs = await other.session({"session_id": session, "session_token": token})
                assert theirs["session_id"] != session, token

            await customer.say(session, "個人情報の利用目的を教えて")
            assert "利用目的" in await customer.reply()
            await other.say(session, "山田太郎です。住所を変えてください")  # posting as the customer
            assert [message["text"] for message in await other.received()] == []
            # The customer got nothing from it either, and it was not stored.
            assert not [message for message in await customer.received() if "山田" in message["text"]]
            assert stored_user_texts(running_bot, session) == ["こんにちは", "個人情報の利用目的を教えて"]

        # With the customer gone, the stored conversation is not given away either.
        async with Connection(running_bot) as later:
            assert (await later.session({"session_id": session}))["session_id"] != session

    run(test)


def test_a_connection_without_a_session_cannot_post_into_one(running_bot: RunningBot) -> None:
    async def test() -> None:
        async with Connection(running_bot) as customer, Connection(running_bot) as other:
            session = (await customer.session(None))["session_id"]
            await other.say(session, "こんにちは")  # never asked for a session
            assert await other.received() == [] and await customer.received() == []
            assert stored_events(running_bot, session) == []

    run(test)


def test_a_reload_resumes_the_session_with_its_token(running_bot: RunningBot) -> None:
    async def test() -> None:
        async with Connection(running_bot) as tab:
            confirm = await tab.session({"session_id": None})
            session, token = confirm["session_id"], confirm["session_token"]
            await tab.say(session, "こんにちは")
            assert await tab.reply()
        # The reloaded page names its session and token: the same conversation goes on.
        async with Connection(running_bot) as reloaded:
            assert await reloaded.session({"session_id": session, "session_token": token}) == confirm
            await reloaded.say(session, "本人確認書類は何が必要ですか")
            assert "運転免許証" in await reloaded.reply()
        assert stored_user_texts(running_bot, session) == ["こんにちは", "本人確認書類は何が必要ですか"]

    run(test)


def test_the_chat_page_resumes_its_session_after_a_reload(
        page: Page, running_bot: RunningBot) -> None:  # noqa: F811 (the fixture)
    """web/chat.js keeps the id and its token in sessionStorage and presents both."""
    chat = ChatPage(page, running_bot.chat_url)
    expect(chat.reply_button("請求を申し込む")).to_be_visible(timeout=TIMEOUT_MS)
    chat.click("請求を申し込む", "種類")
    saved = "() => JSON.parse(sessionStorage.getItem('tcn-privacy-chat'))"
    before = page.evaluate(saved)
    assert len(before["sessionToken"]) == TOKEN_CHARS
    page.reload()
    chat.type_in("利用停止", "どなた")  # the form's next question: the same conversation
    assert page.evaluate(saved)["sessionId"] == before["sessionId"]
    assert stored_user_texts(running_bot, before["sessionId"])[-1] == "利用停止"


def test_a_new_session_id_of_the_clients_choosing_is_granted_once(running_bot: RunningBot) -> None:
    """As rasa-webchat and the tests' clients do: an id nobody uses and nothing is stored under."""
    async def test() -> None:
        chosen = new_sender()
        async with Connection(running_bot) as first, Connection(running_bot) as second:
            assert (await first.session({"session_id": chosen}))["session_id"] == chosen
            # In use by the first connection, though nothing is stored yet.
            assert (await second.session({"session_id": chosen}))["session_id"] != chosen

    run(test)


BAD_SESSION_ID = "../" * 1005 + "ab"  # 3,017 characters


@pytest.mark.parametrize("data", [
    {"session_id": BAD_SESSION_ID},
    {"session_id": "a" * 129},
    {"session_id": "会話"},
    {"session_id": 7},
    {"session_id": "abc", "session_token": 7},
    "abc",
    ["abc"],
])
def test_malformed_session_requests_are_refused(running_bot: RunningBot, data: Any) -> None:
    async def test() -> None:
        async with Connection(running_bot) as client:
            assert await client.request(data, timeout=QUIET_S) is None
            if isinstance(data, dict) and isinstance(data["session_id"], str):
                await client.say(data["session_id"], "こんにちは")
                assert await client.received() == []
                assert stored_events(running_bot, data["session_id"]) == []
            # The connection is still usable for a proper request.
            await client.session(None)

    run(test)


# --- the pieces on their own -----------------------------------------------------------


def test_tokens_are_per_session_and_per_secret() -> None:
    tokens = SessionTokens(secrets.token_urlsafe(32))
    token = tokens.token("abc")
    assert len(token) == TOKEN_CHARS and tokens.token("abc") == token
    assert tokens.is_token_of("abc", token)
    for wrong in (tokens.token("abd"), SessionTokens(secrets.token_urlsafe(32)).token("abc"),
                  token[:-1], token + "x", "あ" * TOKEN_CHARS, None, 7):
        assert not tokens.is_token_of("abc", wrong), wrong


def test_tokens_need_the_shared_secret() -> None:
    with pytest.raises(ActionsTokenError):
        SessionTokens.from_environment({})
    secret = secrets.token_urlsafe(32)
    assert (SessionTokens.from_environment({TOKEN_VARIABLE: secret}).token("abc")
            == SessionTokens(secret).token("abc"))


@pytest.mark.parametrize(("data", "ok"), [
    (None, True),
    ({}, True),
    ({"session_id": None}, True),
    ({"session_id": "3f2a9c", "session_token": "t"}, True),
    ({"session_id": BAD_SESSION_ID}, False),
    ({"session_id": "abc", "session_token": ["t"]}, False),
    ("abc", False),
])
def test_session_request_shapes(data: object, ok: bool) -> None:
    assert is_session_request(data) is ok
