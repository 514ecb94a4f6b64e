"""Driving the intake and status forms over the REST channel, and reading
what they stored: shared by the HTTP tests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.cases.db import CaseStore, make_engine
from bot.cases.models import Ticket
from tests.conftest import RestClient

# A keyboard mash: not understood whatever DIET guesses (bot/nlu/noise.py), as a
# customer gets the fallback; twice in a row, a person is offered.
NOT_UNDERSTOOD = "あｓｄｆｇｈｊｋ"
REQUESTER_ANSWERS = {"本人": "本人です", "任意代理人": "任意代理人です", "法定代理人": "法定代理人です"}
RECEIPT = re.compile(r"受付番号：(PR-\d{8}-[A-Z0-9]{6})\n確認コード：(\d{6})")


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Receipt:
    reference: str
    code: str
    text: str


def receipt_of(reply: str) -> Optional[Receipt]:
    match = RECEIPT.search(reply)
    return Receipt(match.group(1), match.group(2), reply) if match else None


def start_request(bot: RestClient, sender: str) -> None:
    """Greet the bot and click the greeting's 「請求を申し込む」: the form asks the kind."""
    bot.say(sender, "こんにちは")
    assert "種類" in bot.click(sender, "請求を申し込む")


def begin_request(bot: RestClient, sender: str, kind: str, requester: str = "本人") -> None:
    """Start a request from the greeting's button, up to the notice of collection."""
    start_request(bot, sender)
    assert "どなた" in bot.reply_text(sender, kind)
    assert "よろしいですか" in bot.reply_text(sender, REQUESTER_ANSWERS[requester])


def answer_until_summary(
    bot: RestClient, sender: str, kind: str, requester: str = "本人",
    contact: str = "０９０－１２３４－５６７８、hanako@example.jp",
    details: str = "登録されている住所と電話番号", customer_number: str = "なし",
) -> str:
    """Start a request from the greeting's button and answer every question;
    returns the summary the bot asks to confirm."""
    begin_request(bot, sender, kind, requester)
    assert "お名前" in bot.click(sender, "はい")
    assert "電話番号" in bot.reply_text(sender, "多摩　花子")
    assert "お客様番号" in bot.reply_text(sender, contact)
    reply = bot.reply_text(sender, customer_number)
    if kind != "利用目的の通知":
        assert "具体的" in reply
        reply = bot.reply_text(sender, details)
    assert "本人確認書類" in reply
    summary = bot.reply_text(sender, "郵送でコピーを提出します")
    assert "よろしいですか" in summary
    return summary


def confirm(bot: RestClient, sender: str) -> Optional[Receipt]:
    """Click the summary's 「この内容で申し込む」: the receipt of the reply, if any."""
    return receipt_of(bot.click(sender, "この内容で申し込む"))


def tickets_of(bot: RestClient, sender: str) -> list[Ticket]:
    """The tickets of one conversation, with their events loaded."""
    engine = make_engine(bot.cases_url)
    try:
        with CaseStore(engine).unit_of_work() as session:
            query = (select(Ticket).where(Ticket.conversation_id == sender)
                     .options(selectinload(Ticket.events)).order_by(Ticket.id))
            return list(session.scalars(query))
    finally:
        engine.dispose()


def ticket_count(bot: RestClient) -> int:
    engine = make_engine(bot.cases_url)
    try:
        with CaseStore(engine).unit_of_work() as session:
            return session.execute(select(func.count()).select_from(Ticket)).scalar_one()
    finally:
        engine.dispose()
