"""Driving the chat page in Debian's chromium: the browser fixtures and the steps of filing
a request and looking up its status, shared by the browser tests."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context: no conversation or login stored from another test."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 900, "height": 1400})
    yield context.new_page()
    context.close()


@dataclass(frozen=True)
class Receipt:
    reference: str
    code: str


# The chat page (web/index.html, web/chat.js): bot and customer messages, and the
# quick replies (real buttons) of the bot's latest question.
BOT_MESSAGE = ".msg.bot"
CUSTOMER_MESSAGE = ".msg.customer"
RECEIPT_CARD = ".msg.bot.receipt"


class ChatPage:
    """The customer's side: the chat page."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        page.goto(url)
        self.box = page.get_by_role("textbox", name="ご質問・ご回答")

    def last_reply(self):
        return self.page.locator(BOT_MESSAGE).last

    def reply_button(self, title: str):
        """A quick reply of the bot's latest question (older ones are gone once answered)."""
        return self.page.locator(".replies").last.get_by_role("button", name=title, exact=True)

    def click(self, title: str, then_see: str) -> None:
        self.reply_button(title).click()
        expect(self.last_reply()).to_contain_text(then_see, timeout=TIMEOUT_MS)

    def type_in(self, text: str, then_see: str) -> None:
        self.box.fill(text)
        self.box.press("Enter")
        expect(self.last_reply()).to_contain_text(then_see, timeout=TIMEOUT_MS)

    def file_request(self) -> Receipt:
        """A 利用停止 request by the customer herself, from the greeting's button."""
        expect(self.reply_button("請求を申し込む")).to_be_visible(timeout=TIMEOUT_MS)
        self.click("請求を申し込む", "種類")
        self.click("利用停止", "どなた")
        self.click("ご本人", "よろしいですか")
        self.click("はい", "お名前")
        self.type_in("多摩　花子", "電話番号")
        self.type_in("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "お客様番号")
        self.click("なし", "具体的")
        self.type_in("ダイレクトメールへの利用", "本人確認書類")
        self.click("窓口で提示する", "よろしいですか")
        self.click("この内容で申し込む", "受付番号")
        receipt = self.page.locator(RECEIPT_CARD).filter(has_text="確認コード").last.inner_text()
        reference, code = re.search(r"PR-\d{8}-[A-Z0-9]{6}", receipt), re.search(r"確認コード：(\d{6})", receipt)
        assert reference and code, receipt
        return Receipt(reference.group(0), code.group(1))

    def look_up(self, receipt: Receipt, status_label: str) -> None:
        """Ask for the status with the reference and the code; expect 「<status_label>」."""
        self.type_in("受付状況を確認したいです", "受付番号")
        self.type_in(receipt.reference, "確認コード")
        self.type_in(receipt.code, f"「{status_label}」")
