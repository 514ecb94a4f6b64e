"""The chat page in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.chat_page import BOT_MESSAGE, CUSTOMER_MESSAGE, ChatPage, browser, page  # noqa: F401 (fixtures)
from tests.conftest import ARTIFACTS, RunningBot


def test_ask_about_identity_documents_in_the_chat(page: Page, running_bot: RunningBot) -> None:
    page.goto(running_bot.chat_url)
    expect(page.locator(BOT_MESSAGE).get_by_text("個人情報に関するお問い合わせ窓口です", exact=False)
           ).to_be_visible(timeout=60_000)

    box = page.get_by_role("textbox", name="ご質問・ご回答")
    expect(box).to_have_attribute("placeholder", "ご質問を入力してください")
    box.fill("本人確認書類は何が必要ですか")
    box.press("Enter")

    answer = page.locator(BOT_MESSAGE).filter(has_text="運転免許証")
    expect(answer).to_be_visible(timeout=60_000)
    expect(answer).to_contain_text("出典：セキュリティポリシー 5.(2)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    # The session id is kept in this tab (sessionStorage): the conversation survives a reload.
    page.reload()
    expect(page.locator(BOT_MESSAGE).filter(has_text="運転免許証")).to_be_visible(timeout=30_000)
    expect(page.locator(CUSTOMER_MESSAGE).filter(has_text="本人確認書類は何が必要ですか")).to_be_visible()


def test_file_a_request_and_look_it_up_in_the_chat(page: Page, running_bot: RunningBot) -> None:
    chat = ChatPage(page, running_bot.chat_url)
    receipt = chat.file_request()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "request.png"), full_page=True)
    chat.look_up(receipt, "受付")
