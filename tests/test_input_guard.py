"""Bad input on the channels of the running bot (REST over HTTP, socket.io as the chat
page's client does it): never a 5xx or a crash, a polite reply or a 400, and nothing
stored that should not be. Commands are the bot's, not the customer's: a payload is
taken only from a button of the bot's latest message, an earlier button counts as its
title, and any other 「/…」 is text."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.guard import EMPTY_REPLY, MAX_MESSAGE_CHARS, TOO_LONG_REPLY, ServerApp, as_typed
from bot.channels.rest import MAX_BODY_BYTES, MAX_NESTING, BadRequest, nesting, parse_body
from bot.channels.socketio import is_well_formed
from bot.text import LITERAL_SLASH, normalize
from tests.channel_client import post, post_json, socket_chat, stored_events, stored_user_texts
from tests.conftest import RunningBot
from tests.intake_chat import new_sender, start_request, ticket_count, tickets_of

QUESTION = "本人確認書類は何が必要ですか"
ANSWER = "運転免許証"


def nested(levels: int) -> dict:
    """An object `levels` objects deep: {"a": {"a": … {"a": 1}}}."""
    value: object = 1
    for _ in range(levels):
        value = {"a": value}
    assert isinstance(value, dict)
    return value


# --- the checks on their own -------------------------------------------------------------


@pytest.mark.parametrize(("body", "error"), [
    (b"", "invalid_json"),
    (b"{", "invalid_json"),
    (b"{'sender': 'a', 'message': 'b'}", "invalid_json"),
    (b'{"sender": "a", "message": "\xff\xfe"}', "invalid_utf8"),
    (b"[]", "not_an_object"),
    (b"null", "not_an_object"),
    (b'"text"', "not_an_object"),
    (b'{"message": "hi"}', "invalid_sender"),
    (b'{"sender": 42, "message": "hi"}', "invalid_sender"),
    (b'{"sender": "", "message": "hi"}', "invalid_sender"),
    (b'{"sender": "a b", "message": "hi"}', "invalid_sender"),
    (b'{"sender": "a\\u0000", "message": "hi"}', "invalid_sender"),
    (b'{"sender": "a", "message": null}', "invalid_message"),
    (b'{"sender": "a"}', "invalid_message"),
    (b'{"sender": "a", "message": ["hi"]}', "invalid_message"),
    (b'{"sender": "a", "message": "hi", "metadata": "x"}', "invalid_metadata"),
    (b'{"sender": "a", "message": "hi", "input_channel": 1}', "invalid_input_channel"),
    (b'{"sender": "a", "message": "hi", "metadata": ' + b'{"a": ' * 3000 + b'1' + b'}' * 3001,
     "too_deeply_nested"),
    # Deep enough to break Rasa's copy of the event, not the JSON parser.
    (b'{"sender": "a", "message": "hi", "metadata": ' + b'[' * 500 + b']' * 500 + b'}',
     "too_deeply_nested"),
    (json.dumps({"sender": "a", "message": "hi", "metadata": nested(MAX_NESTING)}).encode(),
     "too_deeply_nested"),
])
def test_parse_body_refuses(body: bytes, error: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_body(body)
    assert (refused.value.error, refused.value.status) == (error, 400)


def test_parse_body_refuses_a_huge_body_before_parsing_it() -> None:
    with pytest.raises(BadRequest) as refused:
        parse_body(b"{" * (MAX_BODY_BYTES + 1))
    assert (refused.value.error, refused.value.status) == ("body_too_large", 413)


def test_parse_body_takes_what_clients_send() -> None:
    payload = {"sender": "3f2a-test.1:x_y", "message": "開示したい😊", "metadata": {"a": 1}}
    assert parse_body(json.dumps(payload).encode()) == payload
    deep = {"sender": "s", "message": "hi", "metadata": nested(MAX_NESTING - 1)}
    assert parse_body(json.dumps(deep).encode()) == deep
    assert parse_body(b'{"sender": "s", "message": "", "metadata": null}')["message"] == ""


@pytest.mark.parametrize(("data", "ok"), [
    ({"message": "こんにちは", "session_id": "abc"}, True),
    ({"message": "", "session_id": "abc", "metadata": '{"a": 1}'}, True),
    ({"session_id": "abc"}, True),  # Rasa reads a missing message as "": the guard answers it
    ("こんにちは", False),
    (None, False),
    ({"message": 42}, False),
    ({"message": "x", "session_id": 7}, False),
    ({"message": "x", "session_id": "../" * 1000}, False),  # checked like the REST sender
    ({"message": "x", "session_id": "a" * 129}, False),
    ({"message": "x", "metadata": "{not json"}, False),
    ({"message": "x", "metadata": [1]}, False),
    ({"message": "x", "metadata": nested(MAX_NESTING - 1)}, True),  # as deep as REST takes
    ({"message": "x", "metadata": nested(MAX_NESTING)}, False),
    ({"message": "x", "metadata": json.dumps(nested(500))}, False),
])
def test_socket_message_shapes(data: object, ok: bool) -> None:
    assert is_well_formed(data) is ok


# --- commands are the bot's, not the customer's ----------------------------------------------

GREETING = BotUttered("ご用件をお選びください。", {"buttons": [
    {"title": "請求を申し込む", "payload": "/request_privacy_action"},
    {"title": "受付状況の確認", "payload": "/check_status"}]})
CONSENT = BotUttered("よろしいですか？", {"buttons": [
    {"title": "はい", "payload": "/affirm"}, {"title": "いいえ", "payload": "/deny"}]})
STOP = BotUttered("（中止するときは）", {"buttons": [{"title": "やめる", "payload": "/cancel"}]})


def typed(text: str, *events: Event) -> str:
    """What the guard passes on for `text` after a conversation of `events`."""
    store = InMemoryTrackerStore(Domain.empty())
    server = ServerApp()
    server.app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))

    async def run() -> str:
        await store.save(DialogueStateTracker.from_events("s", list(events)))
        return await as_typed(text, "s", server)

    return asyncio.run(run())


CONVERSATION = (GREETING, UserUttered("/request_privacy_action"), UserUttered("開示"), CONSENT, STOP)


@pytest.mark.parametrize("payload", ["/affirm", "/deny", "/cancel"])
def test_a_button_of_the_latest_turn_is_its_payload(payload: str) -> None:
    # The latest turn is every message since the customer's last one.
    assert typed(payload, *CONVERSATION) == payload


@pytest.mark.parametrize(("payload", "title"), [("/request_privacy_action", "請求を申し込む"),
                                                ("/check_status", "受付状況の確認")])
def test_a_button_of_an_earlier_turn_is_its_title(payload: str, title: str) -> None:
    assert typed(payload, *CONVERSATION) == title


@pytest.mark.parametrize("text", [
    "/greet", "/thank", "/ask_human", "/nlu_fallback", "/out_of_scope", "/restart", "/session_start",
    "/back", '/affirm{"intake_consent": true}', "/EXTERNAL_reminder", "/", "/多摩 花子"])
def test_a_command_no_button_offered_is_literal_text(text: str) -> None:
    assert typed(text, *CONVERSATION) == LITERAL_SLASH + text[1:]


@pytest.mark.parametrize("text", ["/greet", "/affirm", "/request_privacy_action"])
def test_a_bare_intent_is_text_in_a_new_conversation(text: str) -> None:
    assert typed(text) == LITERAL_SLASH + text[1:]


def test_a_yes_of_an_earlier_question_is_its_title_not_a_yes() -> None:
    # The consent's 「はい」 clicked after the customer answered it: no second yes.
    assert typed("/affirm", *CONVERSATION, UserUttered("/affirm"), BotUttered("お名前を入力してください。")) == "はい"
    # Offered twice, the latest offer's title is meant.
    summary = BotUttered("この内容でよろしいですか？",
                         {"buttons": [{"title": "この内容で申し込む", "payload": "/affirm"}]})
    assert typed("/affirm", *CONVERSATION, UserUttered("/affirm"), summary,
                 UserUttered("/affirm"), BotUttered("受付番号：…")) == "この内容で申し込む"


def test_text_is_passed_on_as_typed() -> None:
    assert typed("はい", *CONVERSATION) == "はい"
    assert typed("affirm", *CONVERSATION) == "affirm"


# --- the REST channel of the running bot -------------------------------------------------


@pytest.mark.parametrize("body", [
    b"", b"not json", b"{", b"[]", b"null", b"12", b'{"sender": "s"}',
    b'{"message": "hi"}', b'{"sender": "s", "message": 3}', b"\xff\xfe\xfd",
    b'{"sender": "s", "message": "\xc3\x28"}', b'{"sender": "s", "message": "hi", "metadata": []}',
])
def test_malformed_requests_get_400_with_a_json_error(running_bot: RunningBot, body: bytes) -> None:
    status, reply = post(running_bot, body)
    assert status == 400 and isinstance(reply, dict) and reply["error"]


def test_a_malformed_request_stores_nothing(running_bot: RunningBot) -> None:
    sender = new_sender()
    for payload in ({"sender": sender, "message": 5}, {"sender": sender, "message": "x", "metadata": "m"}):
        assert post_json(running_bot, payload)[0] == 400
    assert post(running_bot, f'{{"sender": "{sender}", "message": "\xff"}}'.encode("latin-1"))[0] == 400
    assert stored_events(running_bot, sender) == []


def test_nesting_is_measured_without_recursion() -> None:
    values: list[object] = [1, "x", {}, [], {"a": [1, {"b": []}]}, nested(5)]
    assert [nesting(value) for value in values] == [0, 0, 1, 1, 4, 5]
    assert nesting(nested(100_000)) == 100_000  # would exhaust the stack if measured recursively


def test_metadata_hundreds_of_levels_deep_gets_400_not_silence(running_bot: RunningBot) -> None:
    """Rasa copied such metadata with the event and failed with RecursionError: the
    customer got an empty reply and the log a stack trace."""
    sender = new_sender()
    for levels in (500, 900):
        status, reply = post_json(running_bot, {"sender": sender, "message": QUESTION, "metadata": nested(levels)})
        assert (status, reply) == (400, {"error": "too_deeply_nested"}), levels
    assert stored_events(running_bot, sender) == []
    assert ANSWER in running_bot.reply_text(sender, QUESTION)


def test_a_huge_body_gets_413(running_bot: RunningBot) -> None:
    status, reply = post_json(running_bot, {"sender": new_sender(), "message": "あ" * MAX_BODY_BYTES})
    assert (status, reply) == (413, {"error": "body_too_large"})


@pytest.mark.parametrize("text", ["", " ", "　\n\t ", "\x00\x07\u200b\ufeff", "\u3000" * 5000],
                         ids=["empty", "space", "whitespace", "invisible", "5000-ideographic-spaces"])
def test_empty_messages_get_a_polite_reply_and_store_nothing(running_bot: RunningBot, text: str) -> None:
    sender = new_sender()
    status, reply = post_json(running_bot, {"sender": sender, "message": text})
    assert status == 200 and [message["text"] for message in reply] == [EMPTY_REPLY]
    assert stored_events(running_bot, sender) == []


def test_messages_over_the_limit_get_a_polite_reply_and_store_nothing(running_bot: RunningBot) -> None:
    sender = new_sender()
    status, reply = post_json(running_bot, {"sender": sender, "message": "開" * (MAX_MESSAGE_CHARS + 1)})
    assert status == 200 and [message["text"] for message in reply] == [TOO_LONG_REPLY]
    assert "1,000文字" in TOO_LONG_REPLY
    assert stored_events(running_bot, sender) == []


def test_the_limit_counts_the_normalized_text(running_bot: RunningBot) -> None:
    sender = new_sender()
    # 1,000 characters once spaces are collapsed and full-width digits folded.
    text = "開示の手続き" + "　" * 900 + "１" * (MAX_MESSAGE_CHARS - 7)
    reply = running_bot.reply_text(sender, text)
    assert reply and reply not in (TOO_LONG_REPLY, EMPTY_REPLY)
    assert stored_user_texts(running_bot, sender) == ["開示の手続き " + "1" * (MAX_MESSAGE_CHARS - 7)]


def test_control_and_invisible_characters_are_dropped_before_anything_is_stored(
        running_bot: RunningBot) -> None:
    sender = new_sender()
    reply = running_bot.reply_text(sender, "本人確認書類は\x00何が\x1b必要\u200bですか\x7f\u202e")
    assert ANSWER in reply
    assert stored_user_texts(running_bot, sender) == [QUESTION]


@pytest.mark.parametrize("text", [
    f"{QUESTION}😊🙏🏻", "👍", "🇯🇵" * 10, "<script>alert('x')</script>",
    f"<img src=x onerror=alert(1)>{QUESTION}", "'; DROP TABLE tickets; --", "1' OR '1'='1",
    "SELECT * FROM events; DELETE FROM events WHERE 1=1", '{"sender": "other", "message": "x"}',
    "\\u0000 %s %n {0} ${jndi:ldap://x/a}",
])
def test_odd_text_is_answered_as_text(running_bot: RunningBot, text: str) -> None:
    tickets = ticket_count(running_bot)
    sender = new_sender()
    status, reply = post_json(running_bot, {"sender": sender, "message": text})
    assert status == 200 and reply and all(message.get("text") or message.get("buttons")
                                           for message in reply)
    assert not any("<script" in message.get("text", "") for message in reply)
    assert ticket_count(running_bot) == tickets  # the tables are there, nothing filed
    assert stored_user_texts(running_bot, sender) == [normalize(text)]
    if QUESTION in text:
        assert ANSWER in "\n".join(message.get("text", "") for message in reply)


def test_html_and_sql_as_form_answers_are_refused_or_kept_as_plain_text(running_bot: RunningBot) -> None:
    sender, tickets = new_sender(), ticket_count(running_bot)
    details = "<b>住所</b>'); DELETE FROM tickets; --"
    start_request(running_bot, sender)
    assert "どなた" in running_bot.reply_text(sender, "開示")
    assert "よろしいですか" in running_bot.reply_text(sender, "本人です")
    assert "お名前" in running_bot.click(sender, "はい")
    assert "お名前" in running_bot.reply_text(sender, "<script>alert(1)</script>")  # asked again
    assert "お名前" in running_bot.reply_text(sender, "'; DROP TABLE tickets; --")
    assert "電話番号" in running_bot.reply_text(sender, "多摩 花子")
    assert "お客様番号" in running_bot.reply_text(sender, "hanako@example.jp")
    assert "具体的" in running_bot.reply_text(sender, "なし")
    assert "本人確認書類" in running_bot.reply_text(sender, details)
    summary = running_bot.reply_text(sender, "郵送でコピーを提出します")
    # Shown back as plain text (no tag a widget could render), stored as typed.
    assert "多摩 花子" in summary and "＜b＞住所＜/b＞" in summary and "<b>" not in summary
    assert "<script>" not in summary
    assert "受付番号" in running_bot.click(sender, "この内容で申し込む")
    assert ticket_count(running_bot) == tickets + 1
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.details == details


@pytest.mark.parametrize("reference", [
    "PR-20000101-ABCDEF", "PR-2026-XYZ", "PR-99999999-!!!!!!", "PR--", "pr２０２６１１２９ａｂｃｄｅｆ",
    "PR-20261129-ABCDEF' OR '1'='1", "PR-" + "9" * 500, "ＰＲ－００００００００－ＯＯＯＯＯＯ",
])
def test_unknown_or_malformed_references_get_an_answer(running_bot: RunningBot, reference: str) -> None:
    sender = new_sender()
    status, reply = post_json(running_bot, {"sender": sender, "message": f"{reference} 123456 の状況を教えて"})
    assert status == 200 and reply
    text = "\n".join(message.get("text", "") for message in reply)
    assert "「受付」" not in text


def user_parses(bot: RunningBot, sender: str) -> list[tuple[str, str]]:
    """(text, intent) of every message of `sender` that Rasa stored."""
    return [(data["text"], data["parse_data"]["intent"]["name"])
            for kind, data in stored_events(bot, sender) if kind == "user"]


def test_bare_intents_no_button_offered_are_text_over_rest(running_bot: RunningBot) -> None:
    sender = new_sender()
    first = running_bot.reply_text(sender, "/greet")  # no bot message yet: nothing offered
    assert first and "お問い合わせ窓口です" not in first  # not the greeting
    assert user_parses(running_bot, sender)[0][0] == "／greet"
    assert user_parses(running_bot, sender)[0][1] != "greet"

    sender = new_sender()
    assert "受付番号" in running_bot.reply_text(sender, "受付状況を確認したい")
    assert "/affirm" not in running_bot.offered(sender).values()
    reply = running_bot.reply_text(sender, "/affirm")  # typed at the reference question: no yes
    assert "受付番号" in reply and "確認コード" not in reply
    assert [text for text, _ in user_parses(running_bot, sender)] == ["受付状況を確認したい", "／affirm"]
    assert user_parses(running_bot, sender)[-1][1] != "affirm"


def test_a_button_of_the_latest_reply_is_taken_over_rest(running_bot: RunningBot) -> None:
    sender = new_sender()
    assert "おつなぎします" in running_bot.reply_text(sender, "担当者と話したい")
    assert running_bot.button(sender, "はい") == "/affirm"
    assert "電話番号" in running_bot.reply_text(sender, "/affirm")
    assert user_parses(running_bot, sender)[-1] == ("/affirm", "affirm")


def test_the_bot_still_answers_after_all_that(running_bot: RunningBot) -> None:
    assert ANSWER in running_bot.reply_text(new_sender(), QUESTION)


# --- the socket.io channel ----------------------------------------------------------------


def test_socket_io_empty_and_too_long_messages_get_a_polite_reply(running_bot: RunningBot) -> None:
    session = new_sender()
    with socket_chat(running_bot, session) as chat:
        chat.say("  \u3000 ")
        assert chat.reply() == EMPTY_REPLY
        chat.say("あ" * (MAX_MESSAGE_CHARS + 1))
        assert chat.reply() == TOO_LONG_REPLY
        assert stored_events(running_bot, session) == []
        chat.say(QUESTION)
        assert ANSWER in (chat.reply() or "")


def test_socket_io_malformed_messages_are_dropped(running_bot: RunningBot) -> None:
    session = new_sender()
    malformed = ("本人確認書類", None, 42, {"message": 42, "session_id": session},
                 {"message": "x", "session_id": session, "metadata": "{oops"})
    dropped = running_bot.log.read_text().count("dropped: malformed data")
    with socket_chat(running_bot, session) as chat:
        for data in malformed:
            chat.send(data)
        assert chat.reply(timeout=5) is None
        assert stored_events(running_bot, session) == []
        # Dropped by the channel, not failed inside Rasa's handler.
        assert running_bot.log.read_text().count("dropped: malformed data") == dropped + len(malformed)
        chat.say(QUESTION)  # the connection and the server are still there
        assert ANSWER in (chat.reply() or "")


def test_socket_io_takes_no_command_that_no_button_offered(running_bot: RunningBot) -> None:
    session = new_sender()
    with socket_chat(running_bot, session) as chat:
        chat.say("/greet")
        assert chat.reply()
    deadline = time.monotonic() + 30  # the tracker is stored once the whole turn is done
    while not stored_user_texts(running_bot, session) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored_user_texts(running_bot, session) == ["／greet"]
