"""The bot filing requests into PostgreSQL, and what the customer sees while
the case database is down."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.cases_fixtures import fresh_postgres_database, set_connections_allowed
from tests.conftest import RunningBot, start_bot
from tests.intake_chat import answer_until_summary, confirm, new_sender, receipt_of, tickets_of

pytestmark = pytest.mark.postgres  # and `model`, from postgres_bot's model_path


@pytest.fixture(scope="module")
def postgres_bot(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with fresh_postgres_database() as url, start_bot(tmp_path_factory.mktemp("pgbot"), url) as bot:
        yield bot


def test_a_request_is_filed_in_postgresql(postgres_bot: RunningBot) -> None:
    sender = new_sender()
    answer_until_summary(postgres_bot, sender, "開示", "任意代理人")
    receipt = confirm(postgres_bot, sender)
    assert receipt
    [ticket] = tickets_of(postgres_bot, sender)
    assert (ticket.reference, ticket.kind, ticket.requester) == (receipt.reference, "開示", "任意代理人")
    lookup = postgres_bot.reply_text(new_sender(), f"{receipt.reference} {receipt.code} の状況を教えて")
    assert "「受付」" in lookup


def test_database_down_keeps_the_answers_and_a_retry_files_once(postgres_bot: RunningBot) -> None:
    sender = new_sender()
    answer_until_summary(postgres_bot, sender, "訂正")
    set_connections_allowed(postgres_bot.cases_url, False)
    try:
        failed = postgres_bot.click(sender, "この内容で申し込む")
        status = postgres_bot.reply_text(new_sender(), "PR-20261129-ABCDEF 123456 の状況を教えて")
    finally:
        set_connections_allowed(postgres_bot.cases_url, True)
    assert "記録できませんでした" in failed and receipt_of(failed) is None
    assert "0428-32-1351" in failed and "safe@tcnnet.co.jp" in failed
    assert "お調べできません" in status and "0428-32-1351" in status
    assert tickets_of(postgres_bot, sender) == []

    # As the apology says: 「この内容で申し込む」 pressed again, the summary's button above it.
    receipt = receipt_of(postgres_bot.reply_text(sender, "/affirm"))
    assert receipt, "the retry did not file the request"
    # Confirmed once more: the same reference with a new code (the receipt may have been lost).
    again = receipt_of(postgres_bot.reply_text(sender, "/affirm"))
    assert again and again.reference == receipt.reference and again.code != receipt.code
    [ticket] = tickets_of(postgres_bot, sender)
    assert ticket.reference == receipt.reference and ticket.kind == "訂正"
