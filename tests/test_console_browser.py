"""End to end in a real browser: a request filed in the chat page is worked in the staff
console (started by the launcher like `make run`) and the customer sees the outcome."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.cases.db import CaseStore, make_engine
from bot.cases.models import AuditEntry
from bot.cases.tickets import find_by_reference
from tests.chat_page import ChatPage, browser, page  # noqa: F401 (fixtures)
from tests.conftest import ARTIFACTS, RunningBot
from tests.console_cli import staff_logged_in

LOGIN, PASSWORD = "e2e-staff", "a long e2e password"


def test_a_request_from_the_chat_is_worked_to_the_end_in_the_console(
    page: Page, browser: Browser, running_bot: RunningBot  # noqa: F811
) -> None:
    chat = ChatPage(page, running_bot.chat_url)
    receipt = chat.file_request()

    staff_context, console = staff_logged_in(browser, running_bot.console_url, running_bot.cases_url,
                                             LOGIN, PASSWORD, "担当 花子")

    console.get_by_role("link", name=receipt.reference).click()
    expect(console.get_by_role("heading", level=1)).to_contain_text("受付")
    expect(console.locator("dl.fields")).to_contain_text("多摩 花子")
    # The conversation that led to the request, read from Rasa's tracker store.
    expect(console.locator("ol.transcript")).to_contain_text("ダイレクトメールへの利用")

    console.get_by_label("変更先の状態").select_option(label="対応中")
    console.get_by_role("button", name="状態を変更する").click()
    expect(console.locator(".flash")).to_have_text("状態を変更しました。")
    expect(console.get_by_role("heading", level=1)).to_contain_text("対応中")

    console.get_by_label("変更先の状態").select_option(label="完了")
    console.get_by_role("button", name="状態を変更する").click()  # without a note: refused
    expect(console.locator(".flash.error")).to_contain_text("対応した内容を書いてください")
    console.get_by_label("変更先の状態").select_option(label="完了")
    console.get_by_label("メモ（完了").fill("ダイレクトメールへの利用を停止し、電話でお知らせした")
    console.get_by_role("button", name="状態を変更する").click()
    expect(console.get_by_role("heading", level=1)).to_contain_text("完了")
    expect(console.locator("table.history")).to_contain_text(f"staff:{LOGIN}")
    ARTIFACTS.mkdir(exist_ok=True)
    console.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)
    staff_context.close()

    chat.look_up(receipt, "完了")

    engine = make_engine(running_bot.cases_url)
    with CaseStore(engine).unit_of_work() as db:
        ticket = find_by_reference(db, receipt.reference)
        assert ticket is not None
        entries = db.scalars(select(AuditEntry).where(AuditEntry.actor == LOGIN)
                             .order_by(AuditEntry.id)).all()
        steps = [(e.action, e.ticket_id == ticket.id, e.ip) for e in entries]
    engine.dispose()
    assert [action for action, _, _ in steps] == [
        "login", "view_queue", "view_ticket", "change_status", "view_ticket", "view_ticket",
        "change_status", "view_ticket"]
    assert all(ip == "127.0.0.1" for _, _, ip in steps)
    assert all(on_ticket for action, on_ticket, _ in steps if action not in ("login", "view_queue"))
