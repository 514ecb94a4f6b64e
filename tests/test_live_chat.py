"""Live handoff: staff answer the customer in the same chat (bot/live_chat/, bot/console/live.py).

Against one bot started as `make run` starts it, with a key of Rasa's HTTP API and hours
(TCN_LIVE_CHAT_CONFIG) of the module's own: the API refuses whoever does not hold the key;
a REST customer hands over, staff take the conversation, write and give it back through
the console's service, and the customer reads them from /webhooks/rest/messages; the
refusals of the service; the wording outside business hours; the escalation of handoffs
no one answers. The business-hours arithmetic itself is tests/test_live_chat_hours.py."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping
from urllib.parse import quote, urlencode

import jwt
import psutil
import pytest
from sqlalchemy import select, text

from bot.cases.db import CaseStore, make_engine, migrate
from bot.cases.handoffs import NewHandoff, open_handoff
from bot.cases.models import AuditEntry, Ticket, TicketEvent
from bot.cases.statuses import Status
from bot.cases.tickets import NewRequest, change_status, find_by_reference, open_request
from bot.console import live, service
from bot.console.audit import SYSTEM, Actor
from bot.console.service import ConsoleError
from bot.console.transcript import TranscriptReader
from bot.intake.form import load_intake_wording
from bot.live_chat.hours import CONFIG_VARIABLE, JST, opening_text
from bot.live_chat.rasa_api import API_SECRET_VARIABLE, API_URLS_VARIABLE, RasaApi, RasaApiError
from bot.live_chat.staff_events import staff_message
from bot.tracker_rows import unseal
from tests.conftest import RunningBot, _free_port, start_bot
from tests.intake_chat import new_sender, receipt_of, tickets_of

SECRET = secrets.token_urlsafe(32)
PASSWORD = "correct horse battery staple"
STAFF = {"tanaka": "田中 花子", "suzuki": "鈴木 次郎"}
WORDING = load_intake_wording()["handoff"]
# Every day, all day, with a wait to tell: whenever the tests run, staff answer in the chat.
ALWAYS_OPEN = """\
business_hours:
  days: [月, 火, 水, 木, 金, 土, 日]
  opens: "00:00"
  closes: "24:00"
expected_wait_minutes: 5
escalate_after_minutes: 10
"""


@dataclass
class LiveBot:
    bot: RunningBot
    store: CaseStore
    api: RasaApi  # what the console of `make run` gets: the bot's API and its key
    hours_file: Path

    def actor(self, login: str) -> Actor:
        return Actor.web(login, "127.0.0.1")

    @contextmanager
    def hours(self, config: str) -> Iterator[None]:
        """The bot's deploy/live_chat.yml is `config` meanwhile (read again on change)."""
        set_file(self.hours_file, config)
        try:
            yield
        finally:
            set_file(self.hours_file, ALWAYS_OPEN)


def set_file(path: Path, content: str) -> None:
    """Replace the file, with a modification time later than its last one: the cached
    settings are keyed by it."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(content, encoding="utf-8")
    later = max(time.time_ns(), before + 1_000_000)
    os.utime(path, ns=(later, later))


@pytest.fixture(scope="module")
def live_bot(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBot]:
    workdir = tmp_path_factory.mktemp("live_chat")
    hours_file = workdir / "live_chat.yml"
    set_file(hours_file, ALWAYS_OPEN)
    closed_days = workdir / "closed_days.txt"
    closed_days.write_text("# none: the module's hours say when staff answer\n", encoding="utf-8")
    env = {API_SECRET_VARIABLE: SECRET, CONFIG_VARIABLE: str(hours_file),
           "TCN_CLOSED_DAYS_FILE": str(closed_days)}
    with start_bot(workdir, f"sqlite:///{workdir / 'cases.db'}", env=env) as bot:
        store = CaseStore(make_engine(bot.cases_url))
        with store.unit_of_work() as db:
            for login, name in STAFF.items():
                service.create_user(db, Actor(SYSTEM, None, None), login, name, "staff", PASSWORD)
        try:
            yield LiveBot(bot, store, RasaApi((bot.rasa_url,), SECRET), hours_file)
        finally:
            store.engine.dispose()


# --- helpers --------------------------------------------------------------------------------


def http(method: str, url: str, body: Any = None, headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def bearer(claims: Mapping[str, Any], key: str = SECRET, algorithm: str = "HS256") -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(dict(claims), key, algorithm=algorithm)}"}


def admin_claims(lifetime: int = 60, issued: float | None = None) -> dict[str, Any]:
    now = int(issued if issued is not None else time.time())
    return {"user": {"username": "staff-console", "role": "admin"}, "iat": now, "exp": now + lifetime}


def events_url(bot: RunningBot, sender: str) -> str:
    return f"{bot.rasa_url}/conversations/{quote(sender, safe='')}/tracker/events"


def tracker_events(bot: RunningBot, sender: str) -> list[dict[str, Any]]:
    """The conversation as Rasa's API gives it to the key's holder."""
    status, tracker = http("GET", f"{bot.rasa_url}/conversations/{quote(sender, safe='')}/tracker",
                           headers=bearer(admin_claims()))
    assert status == 200, tracker
    return tracker["events"]


def staff_messages(bot: RunningBot, sender: str, since: float | None = None) -> list[dict[str, Any]]:
    """What a REST client polls while its handoff is open."""
    query = {"sender": sender, **({"since": repr(since)} if since is not None else {})}
    status, messages = http("GET", f"{bot.rasa_url}/webhooks/rest/messages?{urlencode(query)}")
    assert status == 200, messages
    return messages


def hand_over(bot: RunningBot, sender: str) -> tuple[str, str]:
    """The customer asks for a person and gives a phone number: the receipt's text and
    the reference."""
    assert "おつなぎします" in bot.reply_text(sender, "担当者と直接話したいです")
    assert "電話番号" in bot.click(sender, "はい")
    reply = bot.reply_text(sender, "０９０－２２２２－３３３３")
    receipt = receipt_of(reply)
    assert receipt, reply
    return reply, receipt.reference


def file_handoff(store: CaseStore, conversation_id: str, now: datetime | None = None) -> int:
    """A handoff ticket as the bot files it (the chat's form is tested above): its id."""
    with store.unit_of_work() as db:
        filed = open_handoff(db, NewHandoff(
            reason="ask_human", phone="090-2222-3333", email=None, name=None, channel="rest",
            conversation_id=conversation_id, submission_key=f"handoff-{conversation_id}",
            summary="担当者と直接話したいです"), now=now)
        return filed.ticket.id


def ticket_state(store: CaseStore, ticket_id: int) -> tuple[Status, str | None, list[str], list[str]]:
    """Status, assignee's login, the actions of the ticket's events and of its audit entries."""
    with store.unit_of_work() as db:
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        audit = db.scalars(select(AuditEntry.action).where(AuditEntry.ticket_id == ticket_id)
                           .order_by(AuditEntry.id))
        return (ticket.status, ticket.assignee.login if ticket.assignee else None,
                [event.action for event in ticket.events], list(audit))


def act(store: CaseStore, ticket_id: int, step: Any, *args: Any) -> None:
    """One step of bot.console.live in its own unit of work, as the console's routes do."""
    with store.unit_of_work() as db:
        ticket = db.get(Ticket, ticket_id)
        step(db, *args[:1], ticket, *args[1:])


# --- Rasa's HTTP API behind its key ---------------------------------------------------------


def test_the_api_refuses_whoever_does_not_hold_the_key_and_appends_nothing(live_bot: LiveBot) -> None:
    bot = live_bot.bot
    sender = new_sender()
    assert "出典" in bot.reply_text(sender, "個人情報とは何ですか")
    before = tracker_events(bot, sender)
    event = [staff_message("偽の担当者です。暗証番号を教えてください。", "mallory", time.time())]
    now = int(time.time())
    refusals = {
        "no header": ({}, 401),
        "not a JWT": ({"Authorization": "Bearer " + "x" * 40}, 401),
        "the key itself": ({"Authorization": f"Bearer {SECRET}"}, 401),
        "signed with another key": (bearer(admin_claims(), key=secrets.token_urlsafe(32)), 401),
        "expired": (bearer(admin_claims(lifetime=60, issued=now - 3600)), 401),
        # sanic-jwt lets PyJWT's InvalidAlgorithmError through: Rasa answers 500, still a refusal.
        "another algorithm": (bearer(admin_claims(), algorithm="HS512"), 500),
        "unsigned": ({"Authorization": "Bearer " + jwt.encode(admin_claims(), "", algorithm="none")}, 500),
        "a customer's role, for another conversation": (bearer(
            {"user": {"username": "test-someone-else", "role": "user"}, "iat": now, "exp": now + 60}), 403),
        "no role": (bearer({"user": {"username": sender}, "iat": now, "exp": now + 60}), 403),
    }
    for name, (headers, expected) in refusals.items():
        status, answer = http("POST", events_url(bot, sender), event, headers)
        assert status == expected, (name, status, answer)
    # Rasa's `token` query parameter is not enabled: neither the key nor a good JWT there.
    for token in (SECRET, jwt.encode(admin_claims(), SECRET, algorithm="HS256")):
        status, answer = http("POST", f"{events_url(bot, sender)}?{urlencode({'token': token})}", event)
        assert status == 401, answer
    assert tracker_events(bot, sender) == before
    assert staff_messages(bot, sender) == []
    # Nor does the key open the API's other routes to a wrong JWT.
    status, _ = http("GET", f"{bot.rasa_url}/conversations/{sender}/tracker",
                     headers=bearer(admin_claims(), key=secrets.token_urlsafe(32)))
    assert status == 401


def test_the_consoles_client_with_the_key_appends_trying_the_servers_in_order(live_bot: LiveBot) -> None:
    bot = live_bot.bot
    sender = new_sender()
    bot.reply_text(sender, "こんにちは")
    closed = f"http://127.0.0.1:{_free_port()}"
    api = RasaApi.from_env({API_URLS_VARIABLE: f" {closed}/ , {bot.rasa_url}", API_SECRET_VARIABLE: SECRET})
    assert api == RasaApi((closed, bot.rasa_url), SECRET)
    at = time.time()
    api.append(sender, [staff_message("担当者です。", "tanaka", at)])
    assert staff_messages(bot, sender) == [{"recipient_id": sender, "text": "担当者です。", "timestamp": at}]
    assert tracker_events(bot, sender)[-1]["metadata"]["live_chat"] == {"staff": "tanaka"}
    # A wrong key is refused, not tried elsewhere; a server that is down, then none.
    with pytest.raises(RasaApiError, match="answered 401"):
        RasaApi((bot.rasa_url,), secrets.token_urlsafe(32)).append(sender, [staff_message("x", "tanaka", at)])
    with pytest.raises(RasaApiError, match="no Rasa server"):
        RasaApi((closed,), SECRET).append(sender, [staff_message("x", "tanaka", at)])
    assert len(staff_messages(bot, sender)) == 1
    # Without a server or a key the console only reads.
    assert RasaApi.from_env({API_SECRET_VARIABLE: SECRET}) is None
    assert RasaApi.from_env({API_URLS_VARIABLE: bot.rasa_url, API_SECRET_VARIABLE: " "}) is None


def test_the_key_is_on_no_command_line_and_in_no_log(live_bot: LiveBot) -> None:
    lines = []
    for process in psutil.Process().children(recursive=True):
        try:
            lines.append(" ".join(process.cmdline()))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    assert any("bot.rasa_server" in line for line in lines), lines  # Rasa is among them
    assert not any(SECRET in line for line in lines), "the key is on a command line"
    assert SECRET not in live_bot.bot.log.read_text()


# --- a REST customer and staff in the same chat --------------------------------------------


def test_staff_take_write_and_give_back_a_rest_customers_chat(live_bot: LiveBot) -> None:
    bot, store = live_bot.bot, live_bot.store
    sender = new_sender()
    receipt, reference = hand_over(bot, sender)
    assert "担当者がこのチャットでお返事しますので、このままお待ちください。待ち時間の目安は5分ほどです。" in receipt
    assert "090-＊＊＊＊-3333" in receipt and "受付時間外" not in receipt
    assert staff_messages(bot, sender) == []  # the bot's own messages are not staff's
    waiting = bot.reply_text(sender, "どれくらい待ちますか")
    assert "担当者がこのチャットでお返事しますので" in waiting and reference in waiting
    assert "待ち時間の目安は5分ほどです" in waiting  # deploy/live_chat.yml's estimate, asked again

    [ticket] = tickets_of(bot, sender)
    tanaka = live_bot.actor("tanaka")
    act(store, ticket.id, live.claim, tanaka, live_bot.api)
    [claimed] = staff_messages(bot, sender)
    assert claimed["text"] == WORDING["claimed"]
    # A person has the conversation and reads it live: no more notices, no bot answers.
    assert bot.say(sender, "はい、お願いします") == []

    words = "田中です。ご住所の変更ですね、手続きをご案内します。"
    act(store, ticket.id, live.send_message, tanaka, words, live_bot.api)
    polled = staff_messages(bot, sender)
    assert [m["text"] for m in polled] == [WORDING["claimed"], f"【担当者】{words}"]
    assert all(m["recipient_id"] == sender and "tanaka" not in m["text"] for m in polled)
    assert claimed["timestamp"] < polled[1]["timestamp"]
    assert staff_messages(bot, sender, since=claimed["timestamp"]) == polled[1:]
    assert staff_messages(bot, sender, since=polled[1]["timestamp"]) == []
    assert staff_messages(bot, sender, since=0) == polled
    assert staff_messages(bot, new_sender()) == []  # another conversation has none

    assert bot.say(sender, "ありがとうございます。引っ越したので住所を変えたいです") == []
    assert bot.say(sender, "個人情報とは何ですか") == []

    act(store, ticket.id, live.give_back, tanaka, "住所変更の手続きをチャットで案内した", live_bot.api)
    polled = staff_messages(bot, sender)
    assert polled[-1]["text"] == WORDING["given_back"] and len(polled) == 3
    answered = bot.reply_text(sender, "個人情報とは何ですか")
    assert "出典：セキュリティポリシー 1" in answered
    assert "担当者に届いています" not in answered and "対応は終了しました" not in answered

    # The ticket: done, with the chat in its history; staff's words encrypted at rest.
    with store.unit_of_work() as db:
        done = find_by_reference(db, reference)
        assert done is not None
        assert done.status is Status.DONE and done.assignee is not None and done.assignee.login == "tanaka"
        actions = [event.action for event in done.events]
        assert actions == ["created", "status_changed", "chat_claimed", "chat_message", "status_changed",
                           "chat_given_back"]
        [message] = [event for event in done.events if event.action == "chat_message"]
        assert message.staff_text == words and message.actor == "staff:tanaka"
        assert done.status_note == "住所変更の手続きをチャットで案内した"
        audit = {entry.action: entry.details for entry in db.scalars(
            select(AuditEntry).where(AuditEntry.ticket_id == done.id))}
        ticket_id, message_id = done.id, message.id
    assert audit["chat_claimed"] == {"from": None}
    assert audit["chat_message"] == {"chars": len(words)}
    assert audit["chat_given_back"] == {"from": Status.IN_PROGRESS.value, "to": Status.DONE.value}
    assert words not in json.dumps(audit, ensure_ascii=False)
    with store.engine.connect() as connection:
        raw = connection.execute(text("SELECT staff_text FROM ticket_events WHERE id = :id"),
                                 {"id": message_id}).scalar_one()
        details = connection.execute(text("SELECT details FROM audit_log WHERE ticket_id = :id"),
                                     {"id": ticket_id}).scalars().all()
    assert raw and words not in raw and "住所" not in raw
    assert not [row for row in details if "住所" in str(row)]
    # Nor in clear in the conversation Rasa stored (its rows are sealed).
    with sqlite3.connect(bot.tracker_db) as db:
        rows = [data for (data,) in db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,))]
    assert rows and not [data for data in rows if words in data]
    assert any(words in json.dumps(unseal(data), ensure_ascii=False) for data in rows)

    # The console's transcript names the staff member; the customer's words are there.
    reader = TranscriptReader(f"sqlite:///{bot.tracker_db}")
    try:
        transcript = reader.read(sender) or []
    finally:
        reader.dispose()
    labelled = [(m.speaker_label, m.text) for m in transcript]
    assert ("担当者（tanaka）", f"【担当者】{words}") in labelled
    assert ("お客様", "はい、お願いします") in labelled
    assert ("お客様", "ありがとうございます。引っ越したので住所を変えたいです") in labelled
    assert [label for label, _ in labelled].count("担当者（tanaka）") == 3


@pytest.mark.parametrize(("query", "error"), [
    ({}, "invalid_sender"),
    ({"sender": ""}, "invalid_sender"),
    ({"sender": "a b"}, "invalid_sender"),
    ({"sender": "x" * 129}, "invalid_sender"),
    ({"sender": "../default"}, "invalid_sender"),
    ({"sender": "test-ok", "since": "yesterday"}, "invalid_since"),
    ({"sender": "test-ok", "since": "nan"}, "invalid_since"),
    ({"sender": "test-ok", "since": "inf"}, "invalid_since"),
    ({"sender": "test-ok", "since": "-Infinity"}, "invalid_since"),
])
def test_the_message_poll_refuses_a_bad_sender_or_since(live_bot: LiveBot, query: dict[str, str],
                                                         error: str) -> None:
    status, answer = http("GET", f"{live_bot.bot.rasa_url}/webhooks/rest/messages?{urlencode(query)}")
    assert (status, answer) == (400, {"error": error})


# --- what the console's service refuses ----------------------------------------------------


def test_writing_needs_the_conversation_taken_and_a_colleague_holding_it_is_named(
        live_bot: LiveBot) -> None:
    bot, store, api = live_bot.bot, live_bot.store, live_bot.api
    sender = new_sender()
    ticket_id = file_handoff(store, sender)
    tanaka, suzuki = live_bot.actor("tanaka"), live_bot.actor("suzuki")

    with pytest.raises(ConsoleError, match="先に「担当する」を押して"):
        act(store, ticket_id, live.send_message, tanaka, "こんにちは", api)
    assert ticket_state(store, ticket_id) == (Status.RECEIVED, None, ["created"], [])

    act(store, ticket_id, live.claim, tanaka, api)
    with pytest.raises(ConsoleError, match="田中 花子さんが対応中です"):
        act(store, ticket_id, live.send_message, suzuki, "鈴木です", api)
    for empty in ("", "   \n", None):
        with pytest.raises(ConsoleError, match="メッセージを入力してください"):
            act(store, ticket_id, live.send_message, tanaka, empty, api)
    with pytest.raises(ConsoleError, match="1000文字以内"):
        act(store, ticket_id, live.send_message, tanaka, "あ" * 1001, api)
    assert [m["text"] for m in staff_messages(bot, sender)] == [WORDING["claimed"]]

    # A colleague takes it over (the holder may have left): recorded, and now they write.
    act(store, ticket_id, live.claim, suzuki, api)
    with pytest.raises(ConsoleError, match="鈴木 次郎さんが対応中です"):
        act(store, ticket_id, live.send_message, tanaka, "田中です", api)
    with pytest.raises(ConsoleError, match="鈴木 次郎さんが対応中です"):
        act(store, ticket_id, live.give_back, tanaka, "終わりにします", api)
    act(store, ticket_id, live.send_message, suzuki, "あ" * 1000, api)
    act(store, ticket_id, live.claim, suzuki, api)  # taking it again changes nothing
    status, holder, events, audit = ticket_state(store, ticket_id)
    assert (status, holder) == (Status.IN_PROGRESS, "suzuki")
    assert events == ["created", "status_changed", "chat_claimed", "chat_claimed", "chat_message"]
    with store.unit_of_work() as db:
        claims = db.scalars(select(AuditEntry.details).where(
            AuditEntry.ticket_id == ticket_id, AuditEntry.action == "chat_claimed").order_by(AuditEntry.id))
        assert list(claims) == [{"from": None}, {"from": "tanaka"}]
    assert len(staff_messages(bot, sender)) == 3


def test_giving_back_needs_a_note_and_a_closed_chat_takes_nothing(live_bot: LiveBot) -> None:
    bot, store, api = live_bot.bot, live_bot.store, live_bot.api
    sender = new_sender()
    ticket_id = file_handoff(store, sender)
    tanaka = live_bot.actor("tanaka")
    act(store, ticket_id, live.claim, tanaka, api)
    before = ticket_state(store, ticket_id)
    for note in ("", "  ", None):
        with pytest.raises(ConsoleError, match="対応した内容（社内用のメモ）を入力してください"):
            act(store, ticket_id, live.give_back, tanaka, note, api)
    assert ticket_state(store, ticket_id) == before
    act(store, ticket_id, live.give_back, tanaka, "電話で回答した", api)
    assert ticket_state(store, ticket_id)[0] is Status.DONE
    for step, args in ((live.claim, ()), (live.send_message, ("まだいますか",)), (live.give_back, ("再度",))):
        with pytest.raises(ConsoleError, match="チャットは終了しています"):
            act(store, ticket_id, step, tanaka, *args, api)
    assert len(staff_messages(bot, sender)) == 2  # claimed, given back


def test_a_request_ticket_has_no_chat_and_an_unconnected_console_cannot_send(live_bot: LiveBot) -> None:
    store = live_bot.store
    tanaka = live_bot.actor("tanaka")
    with store.unit_of_work() as db:
        request = open_request(db, NewRequest(
            kind="開示", requester="本人", name="多摩 花子", phone="090-1234-5678", email=None,
            customer_number=None, details="登録情報", id_presentation="郵送でコピー提出", channel="rest",
            conversation_id=new_sender(), submission_key=f"key-{secrets.token_hex(4)}")).ticket.id
    with pytest.raises(ConsoleError, match="チャットは終了しています"):
        act(store, request, live.claim, tanaka, live_bot.api)
    handoff = file_handoff(store, new_sender())
    with pytest.raises(ConsoleError, match="チャットに接続されていない"):
        act(store, handoff, live.claim, tanaka, None)
    assert ticket_state(store, handoff) == (Status.RECEIVED, None, ["created"], [])


def test_when_rasa_does_not_take_the_message_the_ticket_is_left_as_it_was(live_bot: LiveBot) -> None:
    bot, store = live_bot.bot, live_bot.store
    down = RasaApi((f"http://127.0.0.1:{_free_port()}",), SECRET)
    sender = new_sender()
    ticket_id = file_handoff(store, sender)
    tanaka = live_bot.actor("tanaka")

    untouched = ticket_state(store, ticket_id)
    with pytest.raises(ConsoleError, match="チャットに送れませんでした"):
        act(store, ticket_id, live.claim, tanaka, down)
    assert ticket_state(store, ticket_id) == untouched == (Status.RECEIVED, None, ["created"], [])

    act(store, ticket_id, live.claim, tanaka, live_bot.api)
    claimed = ticket_state(store, ticket_id)
    with pytest.raises(ConsoleError, match="案件は変更していません"):
        act(store, ticket_id, live.send_message, tanaka, "届かないメッセージ", down)
    with pytest.raises(ConsoleError, match="案件は変更していません"):
        act(store, ticket_id, live.give_back, tanaka, "電話で回答した", down)
    # A key Rasa does not take is the same: nothing recorded.
    with pytest.raises(ConsoleError, match="案件は変更していません"):
        act(store, ticket_id, live.send_message, tanaka, "届かないメッセージ",
            RasaApi((bot.rasa_url,), secrets.token_urlsafe(32)))
    assert ticket_state(store, ticket_id) == claimed
    assert claimed[:2] == (Status.IN_PROGRESS, "tanaka")
    with store.unit_of_work() as db:
        assert db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                    TicketEvent.action == "chat_message")).all() == []
    assert [m["text"] for m in staff_messages(bot, sender)] == [WORDING["claimed"]]


# --- outside business hours -----------------------------------------------------------------


def test_outside_the_hours_the_customer_is_told_when_staff_will_be_in_touch(live_bot: LiveBot) -> None:
    bot = live_bot.bot
    # Open on one weekday only, the day after tomorrow (Japan time): closed now.
    day = datetime.now(JST).date() + timedelta(days=2)
    weekday = "月火水木金土日"[day.weekday()]
    config = ALWAYS_OPEN.replace("[月, 火, 水, 木, 金, 土, 日]", f"[{weekday}]").replace(
        '"00:00"', '"09:00"').replace('"24:00"', '"17:00"')
    opening = opening_text(datetime.combine(day, datetime.min.time().replace(hour=9), JST))
    assert opening.startswith(f"{day.month}月{day.day}日（{weekday}）9:00")
    sender = new_sender()
    with live_bot.hours(config):
        receipt, reference = hand_over(bot, sender)
        assert f"ただいまは担当者の受付時間外です（受付時間：{weekday} 9:00～17:00）。" in receipt
        assert f"{opening}以降に、担当者から 090-＊＊＊＊-3333 へご連絡します。" in receipt
        assert "このままお待ちください" not in receipt and "待ち時間の目安" not in receipt
        waiting = bot.reply_text(sender, "わかりました")
        assert f"受付時間外のため、{opening}以降に担当者からご連絡します（受付番号 {reference}）" in waiting
    # Back within the hours, the same conversation waits for staff in the chat.
    assert "担当者がこのチャットでお返事しますので" in bot.reply_text(sender, "まだですか")


def test_with_hours_that_cannot_be_read_the_customer_is_told_nothing_untrue(live_bot: LiveBot) -> None:
    bot = live_bot.bot
    sender = new_sender()
    with live_bot.hours("business_hours: {days: [月], opens: 9時}\n"):
        receipt, reference = hand_over(bot, sender)
        assert "担当者から、090-＊＊＊＊-3333 へご連絡いたします。" in receipt
        assert "受付時間" not in receipt and "このままお待ちください" not in receipt
        waiting = bot.reply_text(sender, "よろしくお願いします")
        assert WORDING["waiting_unknown"].format(reference=reference) in waiting


# --- escalation -----------------------------------------------------------------------------

TUESDAY = date(2026, 12, 1)
SATURDAY = date(2026, 12, 5)
MONDAY = date(2026, 12, 7)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=JST)


@pytest.fixture
def weekday_hours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process's hours: 平日 9:00～17:00, escalated after 10 minutes, no closed days."""
    config = tmp_path / "live_chat.yml"
    config.write_text(ALWAYS_OPEN.replace("[月, 火, 水, 木, 金, 土, 日]", "[月, 火, 水, 木, 金]")
                      .replace('"00:00"', '"09:00"').replace('"24:00"', '"17:00"'), encoding="utf-8")
    closed = tmp_path / "closed_days.txt"
    closed.write_text("", encoding="utf-8")
    monkeypatch.setenv(CONFIG_VARIABLE, str(config))
    monkeypatch.setenv("TCN_CLOSED_DAYS_FILE", str(closed))
    return config


def test_an_unanswered_handoff_is_escalated_after_the_minutes_of_the_hours(
        live_bot: LiveBot, weekday_hours: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    migrate(url)
    store = CaseStore(make_engine(url))
    try:
        with store.unit_of_work() as db:
            service.create_user(db, Actor(SYSTEM, None, None), "tanaka", STAFF["tanaka"], "staff", PASSWORD)
        waiting = file_handoff(store, new_sender(), now=at(TUESDAY, 10))
        answered_sender = new_sender()
        answered = file_handoff(store, answered_sender, now=at(TUESDAY, 10))
        weekend = file_handoff(store, new_sender(), now=at(SATURDAY, 12))
        closed = file_handoff(store, new_sender(), now=at(TUESDAY, 10))
        with store.unit_of_work() as db:
            request = open_request(db, NewRequest(
                kind="開示", requester="本人", name="多摩 花子", phone="090-1234-5678", email=None,
                customer_number=None, details="登録情報", id_presentation="郵送でコピー提出", channel="rest",
                conversation_id=new_sender(), submission_key="key-escalation"), now=at(TUESDAY, 10)).ticket.id
            ticket = db.get(Ticket, closed)
            assert ticket is not None
            change_status(db, ticket, Status.DONE, "staff:tanaka", note="電話で回答済み", now=at(TUESDAY, 10, 1))
        tanaka = live_bot.actor("tanaka")
        act(store, answered, live.claim, tanaka, live_bot.api)
        act(store, answered, live.send_message, tanaka, "お待たせしました", live_bot.api)

        def escalated(now: datetime) -> frozenset[int]:
            with store.unit_of_work() as db:
                return live.escalated(db, now)

        assert escalated(at(TUESDAY, 10, 9, 59)) == frozenset()
        assert escalated(at(TUESDAY, 10, 10)) == {waiting}
        assert escalated(at(TUESDAY, 16, 59)) == {waiting}
        assert escalated(at(TUESDAY, 17, 0)) == frozenset()  # nobody is there to answer
        # Filed on Saturday, or left from last week: counted from Monday's opening.
        assert escalated(at(MONDAY, 9, 9, 59)) == frozenset()
        assert escalated(at(MONDAY, 9, 10)) == {waiting, weekend}
        assert escalated(at(MONDAY, 9, 10).astimezone(timezone.utc)) == {waiting, weekend}
        assert request not in escalated(at(MONDAY, 12))
        # Unusable settings: no marks rather than wrong ones.
        weekday_hours.write_text("business_hours: []\n", encoding="utf-8")
        os.utime(weekday_hours, ns=(time.time_ns(), time.time_ns() + 10**9))
        assert escalated(at(MONDAY, 12)) == frozenset()
    finally:
        store.engine.dispose()
