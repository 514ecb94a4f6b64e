"""Live handoff end to end in real browsers, in both profiles: a customer asks for a person
in the chat page, a staff member takes the conversation in the console and writes to
them, the customer answers and staff see it without reloading, staff give the
conversation back, and the bot answers the customer's next question again.

`make run`'s profile (one Rasa server), then the production profile (two Rasa servers
behind nginx, PostgreSQL, Redis). There the console is pointed at the Rasa server that
does not hold the customer's socket, so a staff message reaches the chat only through
the socket.io emits shared in Redis (bot/channels/socketio.py).

Both start with business hours open every day at every hour and no closed days
(TCN_LIVE_CHAT_CONFIG, TCN_CLOSED_DAYS_FILE), so the test passes on any day and time.
"""

from __future__ import annotations

import re
import secrets
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.cases.db import CaseStore, make_engine
from bot.cases.models import AuditEntry
from bot.cases.tickets import find_by_reference
from bot.live_chat.rasa_api import API_SECRET_VARIABLE, API_URLS_VARIABLE
from bot.tools.databases import create_database, drop_database
from bot.tools.production import Production, Profile, free_port_offset, prepare_services
from tests.chat_page import BOT_MESSAGE, CUSTOMER_MESSAGE, RECEIPT_CARD, TIMEOUT_MS, ChatPage, browser, page  # noqa: F401 (fixtures)
from tests.conftest import ARTIFACTS, start_bot
from tests.console_cli import staff_logged_in

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
LOGIN, PASSWORD, STAFF_NAME = "live-staff", "a long live-chat password", "担当 花子"
# Open whenever the test runs (bot/live_chat/hours.py).
ALWAYS_OPEN = """\
business_hours:
  days: [月, 火, 水, 木, 金, 土, 日]
  opens: "00:00"
  closes: "24:00"
expected_wait_minutes:
escalate_after_minutes: 10
"""
STAFF_REPLY = "お待たせしました。担当の多摩です。どのようなご用件でしょうか。"
CUSTOMER_ANSWER = "ダイレクトメールが届かないようにしてほしいです"
GIVE_BACK_NOTE = "ダイレクトメールの停止方法をチャットで案内した"
# The console pages poll for new chat messages every 3 s (bot/console/static/console.js).
LIVE_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Deployment:
    """Where the customer and staff go, the case database behind them, and what to do
    once the customer's chat is open, before staff start (None: nothing)."""

    chat_url: str
    console_url: str
    cases_url: str
    before_staff: Optional[Callable[[], None]] = None


def live_chat_environment(directory: Path) -> dict[str, str]:
    """Business hours open now, no closed days, and a key of the test's own for Rasa's
    HTTP API (nothing read from or written to var/)."""
    config, closed = directory / "live_chat.yml", directory / "closed_days.txt"
    config.write_text(ALWAYS_OPEN, encoding="utf-8")
    closed.write_text("", encoding="utf-8")
    return {"TCN_LIVE_CHAT_CONFIG": str(config), "TCN_CLOSED_DAYS_FILE": str(closed),
            API_SECRET_VARIABLE: secrets.token_urlsafe(32)}


# -- the two profiles -----------------------------------------------------------------

@pytest.fixture(scope="module")
def make_run(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("live-run")
    cases_url = f"sqlite:///{workdir / 'cases.db'}"
    with start_bot(workdir, cases_url, env=live_chat_environment(workdir)) as bot:
        yield Deployment(bot.chat_url, bot.console_url, cases_url)


@pytest.fixture(scope="module")
def production(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The production profile as tests/test_production.py starts it (ports, databases and
    lock prefix of its own), with the hours above: Production copies os.environ."""
    workdir = tmp_path_factory.mktemp("live-production")
    suffix = secrets.token_hex(4)
    tracker_url, cases_url = f"{POSTGRES}/tracker_live_{suffix}", f"{POSTGRES}/cases_live_{suffix}"
    profile = Profile(tracker_url=tracker_url, cases_url=cases_url, lock_prefix=f"tcnlive{suffix}",
                      port_offset=free_port_offset(), run_dir=workdir)
    with pytest.MonkeyPatch.context() as patch, (workdir / "servers.log").open("w") as log:
        for name, value in live_chat_environment(workdir).items():
            patch.setenv(name, value)
        for url in (tracker_url, cases_url):
            create_database(url)
        try:
            prepare_services(profile)
            deployment = Production(profile, output=log.fileno())
            try:
                deployment.start(timeout_s=300)
                yield Deployment(f"{profile.public_url}/", f"http://localhost:{profile.console_port}/",
                                 cases_url, lambda: console_on_the_other_rasa_server(deployment))
            finally:
                deployment.stop()
        finally:
            for url in (tracker_url, cases_url):
                drop_database(url)


def socketio_upstream(profile: Profile) -> str:
    """The Rasa server ("127.0.0.1:<port>") nginx gives this machine's socket.io
    connections (ip_hash: every client on 127.0.0.1 gets the same one), read from nginx's
    access log after a polling handshake of our own. The browser's websocket is not in
    the log until it closes."""
    log = profile.run_dir / "nginx-access.log"
    start = log.stat().st_size
    with urllib.request.urlopen(f"{profile.public_url}/socket.io/?EIO=4&transport=polling",
                                timeout=10) as answer:
        assert answer.status == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with log.open(encoding="utf-8") as lines:
            lines.seek(start)
            found = re.findall(r'"GET /socket\.io/\?EIO=4&transport=polling [^"]*" 200 .* upstream=(\S+)',
                               lines.read())
        if found:
            return found[-1]
        time.sleep(0.2)
    pytest.fail("nginx logged no socket.io handshake")


def console_on_the_other_rasa_server(deployment: Production) -> None:
    """Restart the console with only the Rasa server that does not hold the customer's
    socket as its API: every staff message then crosses servers through Redis."""
    profile = deployment.profile
    socket_server = socketio_upstream(profile)
    others = [f"127.0.0.1:{port}" for port in profile.rasa_ports if f"127.0.0.1:{port}" != socket_server]
    assert len(others) == len(profile.rasa_ports) - 1, (socket_server, profile.rasa_ports)
    deployment.kill("console")
    deployment.fleet.env[API_URLS_VARIABLE] = f"http://{others[0]}"
    deployment.restart("console", timeout_s=60)
    print(f"\ncustomer's socket on {socket_server}, the console's API on {others[0]}")


# -- the steps both profiles go through -------------------------------------------------

def live_handoff(deployment: Deployment, customer: Page, browser: Browser, name: str) -> None:  # noqa: F811
    """The whole live handoff, the customer in `customer`, staff in a context of their own;
    screenshots tests/artifacts/live-handoff-<name>-{chat,console}.png."""
    started = time.monotonic()
    # The customer asks for a person and leaves a phone number: the receipt, then staff
    # will answer in this chat (the hours are open).
    chat = ChatPage(customer, deployment.chat_url)
    expect(chat.reply_button("請求を申し込む")).to_be_visible(timeout=TIMEOUT_MS)
    chat.type_in("担当者と直接話したいです", "おつなぎします")
    chat.click("はい", "電話番号")
    chat.type_in("090-1234-5678", "このチャットでお返事します")
    receipt = customer.locator(RECEIPT_CARD).last.inner_text()
    found = re.search(r"PR-\d{8}-[A-Z0-9]{6}", receipt)
    assert found, receipt
    reference = found.group(0)
    if deployment.before_staff:
        deployment.before_staff()

    staff_context, console = staff_logged_in(browser, deployment.console_url, deployment.cases_url,
                                             LOGIN, PASSWORD, STAFF_NAME)
    try:
        console.get_by_role("link", name=reference).click()
        chat_section = console.locator("#chat")
        holder, log = console.locator("#chat-holder"), console.locator("#chat-log")
        expect(holder).to_have_text("まだ誰も担当していません。")
        expect(log).to_contain_text("担当者と直接話したいです")

        # Staff take the conversation: the customer is told a person is there.
        chat_section.get_by_role("button", name="担当する", exact=True).click()
        expect(console.locator(".flash")).to_contain_text("この会話を担当しました")
        expect(holder).to_have_text(f"{STAFF_NAME}さんが対応中です。")
        expect(chat.last_reply()).to_contain_text("担当者が対応を始めました", timeout=TIMEOUT_MS)

        # Staff write; the customer reads it, marked as a person's.
        console.get_by_label("お客様へのメッセージ").fill(STAFF_REPLY)
        chat_section.get_by_role("button", name="送信する").click()
        expect(console.locator(".flash")).to_have_text("お客様に送信しました。")
        expect(chat.last_reply()).to_contain_text(f"【担当者】{STAFF_REPLY}", timeout=TIMEOUT_MS)
        expect(chat.last_reply()).not_to_contain_text(LOGIN)

        # The customer answers: the bot keeps quiet, and the staff page shows the answer
        # by itself (a reload would drop the mark set here).
        console.evaluate("window.liveHandoffMark = 'not reloaded'")
        bot_messages = customer.locator(BOT_MESSAGE).count()
        chat.box.fill(CUSTOMER_ANSWER)
        chat.box.press("Enter")
        expect(customer.locator(CUSTOMER_MESSAGE).last).to_contain_text(CUSTOMER_ANSWER)
        expect(log.locator("li.user").last).to_contain_text(CUSTOMER_ANSWER, timeout=LIVE_TIMEOUT_MS)
        expect(console.locator("#chat-status")).to_have_text("お客様から新しいメッセージが届きました。")
        assert console.evaluate("window.liveHandoffMark") == "not reloaded"
        expect(customer.locator(BOT_MESSAGE)).to_have_count(bot_messages)
        expect(log).to_contain_text(f"【担当者】{STAFF_REPLY}")

        # Staff give the conversation back: only with a note of what was done.
        chat_section.locator("summary", has_text="対応を終えてボットに戻す").click()
        note = console.get_by_label("対応した内容（社内用。お客様には送られません）")
        chat_section.get_by_role("button", name="対応を終える").click()
        assert note.evaluate("box => box.validity.valueMissing")
        expect(holder).to_have_text(f"{STAFF_NAME}さんが対応中です。")
        note.fill(GIVE_BACK_NOTE)
        chat_section.get_by_role("button", name="対応を終える").click()
        expect(console.locator(".flash")).to_have_text("対応を終了し、会話をボットに戻しました。")
        expect(console.get_by_role("heading", level=1)).to_contain_text("完了")
        expect(chat_section).to_contain_text("このチャットは終了しています。")
        expect(chat.last_reply()).to_contain_text("ここからは自動応答でお答えします", timeout=TIMEOUT_MS)
        ARTIFACTS.mkdir(exist_ok=True)
        console.screenshot(path=str(ARTIFACTS / f"live-handoff-{name}-console.png"), full_page=True)
    finally:
        staff_context.close()

    # The bot answers again, the policy itself, not the waiting notice.
    chat.type_in("個人情報の利用目的を教えて", "出典：セキュリティポリシー 2.(3)")
    expect(chat.last_reply()).not_to_contain_text("担当者に届いています")
    customer.screenshot(path=str(ARTIFACTS / f"live-handoff-{name}-chat.png"), full_page=True)

    # Each step in the audit log under the staff member's login; a message by its length.
    engine = make_engine(deployment.cases_url)
    try:
        with CaseStore(engine).unit_of_work() as db:
            ticket = find_by_reference(db, reference)
            assert ticket is not None and ticket.category == "handoff"
            entries = db.scalars(select(AuditEntry).where(AuditEntry.actor == LOGIN,
                                                          AuditEntry.action.like("chat_%"))
                                 .order_by(AuditEntry.id)).all()
            steps = [(entry.action, entry.ticket_id == ticket.id) for entry in entries]
            details = [entry.details for entry in entries]
    finally:
        engine.dispose()
    assert steps == [("chat_claimed", True), ("chat_message", True), ("chat_given_back", True)]
    assert details[1] == {"chars": len(STAFF_REPLY)}
    print(f"\nlive handoff ({name}) in {time.monotonic() - started:.1f} s")


def test_staff_answer_in_the_chat_with_make_run(make_run: Deployment, page: Page,  # noqa: F811
                                                browser: Browser) -> None:  # noqa: F811
    live_handoff(make_run, page, browser, "run")


@pytest.mark.production
@pytest.mark.postgres
@pytest.mark.redis
def test_staff_answer_in_the_chat_through_the_production_profile(
        production: Deployment, page: Page, browser: Browser) -> None:  # noqa: F811
    live_handoff(production, page, browser, "production")
