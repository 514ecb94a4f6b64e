"""The staff console as office staff use it (issue 16), in Debian's chromium: axe-core on
every page, the layout with long values, paging and sorting by the column headers, the
list refreshing itself when a ticket is filed meanwhile, the desktop notification and the
printed ticket. The console runs in this process on a real SQLite database; screenshots
of each page are kept in tests/artifacts/."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import make_server

from bot.cases.db import CaseStore, migrate
from bot.cases.handoffs import NewHandoff, open_handoff
from bot.cases.models import StaffUser, Ticket
from bot.cases.tickets import NewRequest, open_request
from bot.console import service
from bot.console.app import create_app
from bot.console.audit import SYSTEM, Actor
from bot.console.config import ConsoleConfig
from bot.console.state import KEY
from tests.chat_page import browser  # noqa: F401 (the fixture)
from tests.conftest import ARTIFACTS
from tests.test_chat_page_a11y import axe_violations
from tests.tracker_store import write_conversation

PASSWORD = "a long staff password"
LONG_NAME = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処やぶら小路の藪柑子パイポパイポ"
REQUEST = NewRequest(
    kind="開示", requester="本人", name="多摩 花子", phone="090-1234-5678",
    email="hanako@example.jp", customer_number=None, details="契約者情報の開示を希望します",
    id_presentation="窓口で提示", channel="socketio", conversation_id="conv-request",
    submission_key="k-request")
HANDOFF = NewHandoff(
    reason="ask_human", phone="042-832-1351", email=None, name="府中 一郎", channel="socketio",
    conversation_id="conv-handoff", submission_key="k-handoff", summary="担当の方と話したいです")
# The pages a person reads: every GET route that answers HTML (the CSV, the refreshes' JSON
# of the queue and of a handoff's chat, and the stylesheet and script are not pages).
NOT_PAGES = {"tickets.export", "tickets.queue_activity", "tickets.conversation", "static"}


@dataclass
class Served:
    url: str
    store: CaseStore
    tracker_url: str

    def file(self, now: datetime | None = None, **change: str) -> Ticket:
        """A request as the chat files it, with these fields changed."""
        key = f"k-{datetime.now().timestamp()}-{change.get('name', '')}"
        with self.store.unit_of_work() as db:
            return open_request(db, replace(REQUEST, submission_key=key, **change), now=now).ticket


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The console on its own port, pages of three tickets, refreshing every second."""
    cases_url, tracker_url = f"sqlite:///{tmp_path / 'cases.db'}", f"sqlite:///{tmp_path / 'tracker.db'}"
    migrate(cases_url)
    app = create_app(ConsoleConfig(cases_url=cases_url, tracker_url=tracker_url, secret_key="k" * 48,
                                   secure_cookies=False, page_size=3, refresh_seconds=1))
    store = app.extensions[KEY].store
    with store.unit_of_work() as db:
        for login, name, role in (("kanri", "管理 一郎", "admin"), ("tanaka", "田中 花子", "staff")):
            service.create_user(db, Actor(SYSTEM, None, None), login, name, role, PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", store, tracker_url)
    finally:
        server.shutdown()
        thread.join()
        store.engine.dispose()


def converse(url: str, sender: str, messages: list[tuple[str, str]], start: float, step: float = 60) -> None:
    """write_conversation on a thread of its own: Playwright's sync API keeps an event loop
    running in this one, and Rasa's tracker store needs asyncio.run."""
    failed: list[BaseException] = []

    def write() -> None:
        try:
            write_conversation(url, sender, messages, start, step)
        except BaseException as error:  # noqa: B036 (handed to the test's thread)
            failed.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join()
    if failed:
        raise failed[0]


def new_context(browser: Browser, **options) -> BrowserContext:  # noqa: F811
    return browser.new_context(locale="ja-JP", **{"viewport": {"width": 1280, "height": 800}, **options})


def log_in(page: Page, served: Served, login: str) -> None:
    page.goto(served.url + "/login")
    page.get_by_label("ログイン名").fill(login)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("案件一覧")


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def a_busy_queue(served: Served) -> tuple[Ticket, Ticket]:
    """Requests (one with a very long name, one overdue) and a handoff whose customer wrote
    after it was filed; the request has a conversation with a clicked button."""
    now = datetime.now(timezone.utc)
    request = served.file(conversation_id="conv-request")
    late = served.file(now=now - timedelta(days=20), name="期限 超過")
    assert late.due_date < now.date()
    for number in range(3):
        served.file(name=f"山田 {number}郎")
    served.file(name=LONG_NAME, email=("x" * 60) + "@example.jp")  # the newest
    with served.store.unit_of_work() as db:
        handoff = open_handoff(db, HANDOFF, now=now - timedelta(minutes=30)).ticket
    start = (now - timedelta(minutes=40)).timestamp()
    converse(served.tracker_url, "conv-request", [
        ("bot", "ご用件をお選びください"), ("user", "/affirm"), ("user", "開示を請求したい"),
        ("bot", "請求の種類をお選びください")], start)
    converse(served.tracker_url, "conv-handoff", [
        ("user", "担当の方と話したいです"), ("bot", "担当者におつなぎします"),
        ("user", "夕方なら電話に出られます")], start, step=15 * 60)
    return request, handoff


def test_axe_finds_nothing_on_any_console_page(browser: Browser, served: Served) -> None:  # noqa: F811
    request, handoff = a_busy_queue(served)
    context = new_context(browser, bypass_csp=True)  # so that axe can be injected
    page = context.new_page()
    checked = set()

    def check(name: str, endpoint: str) -> None:
        assert axe_violations(page) == [], name
        shoot(page, name)
        checked.add(endpoint)

    try:
        page.goto(served.url + "/")
        check("login", "auth.login")
        page.get_by_label("ログイン名").fill("tanaka")
        page.get_by_label("パスワード").fill("not the password")
        page.get_by_role("button", name="ログイン").click()
        expect(page.get_by_role("alert")).to_have_text(re.compile("正しくありません"))
        check("login-refused", "auth.login")
        log_in(page, served, "kanri")

        expect(page.locator("tbody .badge.unread")).to_have_text("未読 1 件")
        check("queue", "tickets.queue")
        page.get_by_role("link", name="次のページ").click()
        expect(page.locator('nav.pages [aria-current="page"]')).to_have_text("2")
        check("queue-page-2", "tickets.queue")
        page.goto(f"{served.url}/tickets/{request.reference}")
        expect(page.locator("ol.transcript")).to_contain_text("開示を請求したい")
        check("ticket", "tickets.show")
        page.goto(f"{served.url}/tickets/{handoff.reference}")
        expect(page.locator("ol.transcript")).to_contain_text("夕方なら電話に出られます")
        check("handoff", "tickets.show")
        page.goto(served.url + "/admin/users")
        check("users", "admin.users")
        with served.store.unit_of_work() as db:
            staff_id = db.query(StaffUser).filter_by(login="tanaka").one().id
        page.goto(f"{served.url}/admin/users/{staff_id}/password")
        check("password", "admin.password")
        page.goto(served.url + "/admin/audit")
        check("audit", "admin.audit")
        page.goto(served.url + "/tickets/PR-20000101-AAAAAA")
        expect(page.get_by_role("heading", level=1)).to_have_text("エラー（404）")
        assert axe_violations(page) == [], "error"
        shoot(page, "error")
    finally:
        context.close()
    app = create_app(ConsoleConfig("sqlite://", "sqlite://", "x" * 40))
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if "GET" in (rule.methods or ()) and rule.endpoint not in NOT_PAGES}
    assert checked == pages


def test_long_values_keep_the_table_in_shape(browser: Browser, served: Served) -> None:  # noqa: F811
    a_busy_queue(served)
    context = new_context(browser)
    page = context.new_page()
    try:
        log_in(page, served, "tanaka")
        page.goto(served.url + "/?sort=received&order=desc&status=")  # the long name on page 1
        name_cell = page.locator("td.name", has_text=LONG_NAME)
        expect(name_cell).to_be_visible()
        shape = page.evaluate("""() => ({
            page: document.documentElement.scrollWidth,
            table: document.querySelector('table.queue').getBoundingClientRect().width,
            statuses: [...document.querySelectorAll('table.queue .status')].map(s => {
                const r = s.getBoundingClientRect();
                return {text: s.textContent, height: r.height, width: r.width,
                        line: parseFloat(getComputedStyle(s).lineHeight)};
            }),
        })""")
        assert shape["page"] <= 1280 and shape["table"] <= 1280, shape
        for status in shape["statuses"]:  # 「受付」 on one line, not a letter a line
            assert status["height"] < 1.5 * status["line"] + 6, status
            assert status["width"] > status["height"], status
        box = name_cell.bounding_box()
        assert box and box["x"] + box["width"] <= 1280, box
    finally:
        context.close()


def test_any_ticket_in_two_actions_from_the_search_box(browser: Browser, served: Served) -> None:  # noqa: F811
    request, handoff = a_busy_queue(served)
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    try:
        log_in(page, served, "tanaka")
        page.goto(f"{served.url}/admin/audit")  # any page: the box is in the header (403 here)
        # A name with a full-width space, a phone in full-width digits, an e-mail in capitals
        # (every request of a_busy_queue has it), the end of a reference in small letters.
        for typed, wanted, count in (("府中　一郎", handoff, 1), ("０４２８３２１３５１", handoff, 1),
                                     ("HANAKO@example.jp", request, 5), (request.reference[-6:].lower(), request, 1)):
            box = page.get_by_role("searchbox", name="案件を検索")
            box.fill(typed)
            box.press("Enter")  # action 1
            expect(page.locator("#queue-results .summary")).to_contain_text(f"全 {count} 件")
            expect(page.locator("table.queue tbody tr", has_text=wanted.reference)).to_have_count(1)
        expect(page.locator(".searching")).to_contain_text("の検索結果です")
        assert axe_violations(page) == []
        shoot(page, "search")
        page.get_by_role("link", name=request.reference).click()  # action 2
        expect(page.get_by_role("heading", level=1)).to_contain_text(request.reference)
    finally:
        context.close()


NOTIFICATIONS = """
window.__notes = [];
const Native = window.Notification;
window.Notification = class extends Native {
  constructor(title, options) { super(title, options); window.__notes.push(options.body); }
};
"""


def test_paging_sorting_and_a_ticket_filed_meanwhile(browser: Browser, served: Served) -> None:  # noqa: F811
    a_busy_queue(served)
    context = new_context(browser)
    context.grant_permissions(["notifications"], origin=served.url)
    context.add_init_script(NOTIFICATIONS)
    context.add_init_script("window.cspViolations = [];"
                            "document.addEventListener('securitypolicyviolation',"
                            " e => window.cspViolations.push(e.violatedDirective));")
    page = context.new_page()
    try:
        log_in(page, served, "tanaka")
        rows = page.locator("table.queue tbody tr")
        expect(rows).to_have_count(3)
        expect(page.locator("#queue-results .summary")).to_contain_text("全 7 件のうち 1〜3 件目")
        page.get_by_role("link", name="3", exact=True).click()
        expect(page.locator("#queue-results .summary")).to_contain_text("全 7 件のうち 7〜7 件目")
        expect(rows).to_have_count(1)

        # Newest first with two clicks on the header; back to page 1.
        header = page.get_by_role("columnheader", name=re.compile("受付日時"))
        header.get_by_role("link").click()
        expect(header).to_have_attribute("aria-sort", "ascending")
        page.get_by_role("columnheader", name=re.compile("受付日時")).get_by_role("link").click()
        expect(page.get_by_role("columnheader", name=re.compile("受付日時"))).to_have_attribute(
            "aria-sort", "descending")
        expect(page.locator('nav.pages [aria-current="page"]')).to_have_text("1")

        page.get_by_role("button", name="新着をデスクトップに通知する").click()
        expect(page.get_by_role("button", name="デスクトップ通知をやめる")).to_be_visible()
        page.evaluate("window.__still_the_same_page = true")
        filed = served.file(name="新規 受付")  # by the chat, while the page is open
        first = rows.first
        expect(first).to_contain_text(filed.reference, timeout=10_000)
        expect(first.locator(".badge.new")).to_have_text("新着")
        expect(page.get_by_role("status")).to_contain_text("新しい案件が 1 件あります")
        assert page.evaluate("window.__still_the_same_page") is True  # not reloaded
        assert page.evaluate("window.__notes") == ["新しい案件が 1 件あります"]
        assert page.evaluate("window.cspViolations") == []
        shoot(page, "queue-refreshed")
    finally:
        context.close()


def test_a_ticket_prints_on_one_or_two_pages(browser: Browser, served: Served) -> None:  # noqa: F811
    request, _ = a_busy_queue(served)
    converse(served.tracker_url, "conv-long", [
        ("user" if n % 2 else "bot", f"長い会話の {n} 番目の発言です。" * 4) for n in range(80)],
        datetime.now(timezone.utc).timestamp())
    ticket = served.file(conversation_id="conv-long")
    with served.store.unit_of_work() as db:
        actor = Actor.web("tanaka", None)
        row = service.ticket_by_reference(db, ticket.reference)
        for number in range(4):
            service.add_note(db, actor, row, f"社内メモ {number}: 書類の到着を確認")
            service.log_contact(db, actor, row, "電話", "発信", f"連絡 {number}: 書類の送付をご案内")
        service.set_status(db, actor, row, "in_progress")
    context = new_context(browser)
    page = context.new_page()
    try:
        log_in(page, served, "tanaka")
        page.goto(f"{served.url}/tickets/{ticket.reference}")
        page.evaluate("window.print = () => { window.__printed = true; }")
        page.get_by_role("button", name="印刷する").click()
        assert page.evaluate("window.__printed") is True
        page.emulate_media(media="print")
        for hidden in ("header.top", "form", "ol.transcript", "button"):
            expect(page.locator(hidden).first).to_be_hidden()
        expect(page.locator("dl.fields")).to_contain_text("多摩 花子")
        expect(page.locator("table.history")).to_be_visible()
        expect(page.locator(".print-only")).to_be_visible()
        shoot(page, "ticket-print")
        pdf = page.pdf(format="A4")
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "console-ticket-print.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
        assert 1 <= pages <= 2, pages
    finally:
        context.close()
