"""The chat page in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ARTIFACTS, RunningBot

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context: no conversation stored from another test."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 900, "height": 1400})
    yield context.new_page()
    context.close()


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


def test_file_a_request_and_look_it_up_in_the_chat(page: Page, running_bot: RunningBot) -> None:
    page.goto(running_bot.chat_url)
    box = page.get_by_placeholder("ご質問を入力してください")

    def click(title: str, then_see: str) -> None:
        page.locator(".rw-reply", has_text=title).last.click()
        expect(page.locator(".rw-response").last).to_contain_text(then_see, timeout=60_000)

    def type_in(text: str, then_see: str) -> None:
        box.fill(text)
        box.press("Enter")
        expect(page.locator(".rw-response").last).to_contain_text(then_see, timeout=60_000)

    expect(page.locator(".rw-reply", has_text="請求を申し込む")).to_be_visible(timeout=60_000)
    click("請求を申し込む", "種類")
    click("利用停止", "どなた")
    click("ご本人", "よろしいですか")
    click("はい", "お名前")
    type_in("多摩　花子", "電話番号")
    type_in("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "お客様番号")
    click("なし", "具体的")
    type_in("ダイレクトメールへの利用", "本人確認書類")
    click("窓口で提示する", "よろしいですか")
    click("この内容で申し込む", "受付番号")
    receipt = page.locator(".rw-response").filter(has_text="確認コード").last.inner_text()
    reference = re.search(r"PR-\d{8}-[A-Z0-9]{6}", receipt).group(0)
    code = re.search(r"確認コード：(\d{6})", receipt).group(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "request.png"), full_page=True)

    type_in("受付状況を確認したいです", "受付番号")
    type_in(reference, "確認コード")
    type_in(code, "「受付」")
