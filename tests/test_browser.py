"""The chat page in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import ARTIFACTS, RunningBot

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def page() -> Page:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", viewport={"width": 900, "height": 900})
        yield context.new_page()
        browser.close()


def test_ask_about_identity_documents_in_the_chat(page: Page, running_bot: RunningBot) -> None:
    page.goto(running_bot.chat_url)
    expect(page.get_by_text("個人情報に関するお問い合わせ窓口です", exact=False)).to_be_visible(timeout=60_000)

    box = page.get_by_placeholder("ご質問を入力してください")
    box.fill("本人確認書類は何が必要ですか")
    box.press("Enter")

    answer = page.locator(".rw-response").filter(has_text="運転免許証")
    expect(answer).to_be_visible(timeout=60_000)
    expect(answer).to_contain_text("出典：セキュリティポリシー 5.(2)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    # The session id is kept in the browser: the conversation survives a reload.
    page.reload()
    expect(page.locator(".rw-response").filter(has_text="運転免許証")).to_be_visible(timeout=30_000)
    expect(page.locator(".rw-client").filter(has_text="本人確認書類は何が必要ですか")).to_be_visible()
