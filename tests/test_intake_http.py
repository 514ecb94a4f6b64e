"""Filing privacy requests and looking them up over the REST channel, with the
servers started as `make run` starts them and the tickets read back from the
case database."""

from __future__ import annotations

import itertools

import pytest

from bot.cases.models import KINDS, REQUESTERS
from bot.cases.references import code_matches
from bot.cases.statuses import Status
from tests.conftest import RunningBot
from tests.intake_chat import (
    answer_until_summary,
    begin_request,
    confirm,
    new_sender,
    receipt_of,
    ticket_count,
    tickets_of,
)

DOCUMENT_HINTS = {"本人": "運転免許証", "任意代理人": "委任状", "法定代理人": "法定代理人であることを証明"}


@pytest.mark.parametrize(("kind", "requester"), list(itertools.product(KINDS, REQUESTERS)))
def test_every_kind_by_every_requester_is_filed(running_bot: RunningBot, kind: str, requester: str) -> None:
    sender = new_sender()
    summary = answer_until_summary(running_bot, sender, kind, requester)
    assert kind in summary and "多摩 花子" in summary

    receipt = confirm(running_bot, sender)
    assert receipt, "no reference and code in the reply"
    assert DOCUMENT_HINTS[requester] in receipt.text
    assert ("手数料" in receipt.text) == (kind in ("開示", "利用目的の通知"))
    assert "遅滞なく" in receipt.text and "東京都青梅市新町7-4-3" in receipt.text

    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.reference, ticket.kind, ticket.requester) == (receipt.reference, kind, requester)
    assert (ticket.name, ticket.phone, ticket.email) == ("多摩 花子", "090-1234-5678", "hanako@example.jp")
    assert ticket.customer_number is None
    assert ticket.details == (None if kind == "利用目的の通知" else "登録されている住所と電話番号")
    assert ticket.id_presentation == "郵送でコピー提出"
    assert ticket.fee_applies == (kind in ("開示", "利用目的の通知"))
    assert (ticket.channel, ticket.status) == ("rest", Status.RECEIVED)
    assert receipt.code not in ticket.code_hash and code_matches(ticket.code_hash, receipt.code)
    assert [event.action for event in ticket.events] == ["created"]


def test_the_kind_named_in_the_message_is_not_asked_again(running_bot: RunningBot) -> None:
    sender = new_sender()
    reply = running_bot.reply_text(sender, "住所を訂正したい")
    assert "どなた" in reply and "種類" not in reply


def test_a_repeated_confirmation_files_one_ticket_and_shows_a_new_code(running_bot: RunningBot) -> None:
    """Confirming again (the receipt may not have reached the customer): the same
    reference with a new code, and still one ticket."""
    sender = new_sender()
    answer_until_summary(running_bot, sender, "削除")
    first = confirm(running_bot, sender)
    assert first
    before = ticket_count(running_bot)
    second = receipt_of(running_bot.reply_text(sender, "はい"))
    assert second and second.reference == first.reference and second.code != first.code
    assert ticket_count(running_bot) == before
    assert len(tickets_of(running_bot, sender)) == 1


def test_cancel_in_the_middle_stores_nothing_and_the_bot_answers_again(running_bot: RunningBot) -> None:
    sender = new_sender()
    begin_request(running_bot, sender, "開示")
    running_bot.click(sender, "はい")
    running_bot.reply_text(sender, "多摩 花子")
    assert "保存していません" in running_bot.reply_text(sender, "やっぱりやめます")
    assert tickets_of(running_bot, sender) == []
    assert "出典：セキュリティポリシー 1" in running_bot.reply_text(sender, "個人情報とは何ですか")


def test_declining_the_notice_stores_nothing(running_bot: RunningBot) -> None:
    sender = new_sender()
    begin_request(running_bot, sender, "訂正")
    assert "保存していません" in running_bot.click(sender, "いいえ")
    assert tickets_of(running_bot, sender) == []


def test_a_question_mid_form_is_answered_and_the_form_resumes(running_bot: RunningBot) -> None:
    sender = new_sender()
    begin_request(running_bot, sender, "開示")
    assert "お名前" in running_bot.click(sender, "はい")
    reply = running_bot.reply_text(sender, "開示の手数料はかかりますか")
    assert "5.(3)" in reply and "お名前" in reply
    assert "電話番号" in running_bot.reply_text(sender, "多摩 花子")


def test_a_field_can_be_corrected_from_the_summary(running_bot: RunningBot) -> None:
    sender = new_sender()
    answer_until_summary(running_bot, sender, "追加")
    assert "修正する項目" in running_bot.reply_text(sender, "修正します")
    assert "電話番号" in running_bot.reply_text(sender, "ご連絡先")
    summary = running_bot.reply_text(sender, "ｔａｍａ＠ｅｘａｍｐｌｅ．ｃｏｍ")
    assert "・ご連絡先：t＊＊＊@example.com" in summary and "090-" not in summary
    assert receipt_of(running_bot.reply_text(sender, "はい"))
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.phone, ticket.email) == (None, "tama@example.com")


def test_three_unusable_answers_offer_the_contact_point(running_bot: RunningBot) -> None:
    sender = new_sender()
    begin_request(running_bot, sender, "消去")
    running_bot.click(sender, "はい")
    running_bot.reply_text(sender, "多摩 花子")
    first = running_bot.reply_text(sender, "まだ決めてない")
    assert "読み取れませんでした" in first and "0428-32-1351" not in first
    running_bot.reply_text(sender, "まだ決めてない")
    third = running_bot.reply_text(sender, "まだ決めてない")
    assert "0428-32-1351" in third and "safe@tcnnet.co.jp" in third
    assert "お客様番号" in running_bot.reply_text(sender, "090-1111-2222")


def _file(bot: RunningBot, kind: str = "開示"):
    sender = new_sender()
    answer_until_summary(bot, sender, kind)
    receipt = confirm(bot, sender)
    assert receipt
    return receipt


def test_status_lookup_asks_reference_then_code(running_bot: RunningBot) -> None:
    receipt = _file(running_bot)
    sender = new_sender()
    assert "受付番号" in running_bot.reply_text(sender, "受付状況を確認したいです")
    assert "確認コード" in running_bot.reply_text(sender, receipt.reference.lower())
    reply = running_bot.reply_text(sender, receipt.code)
    assert f"受付番号 {receipt.reference}" in reply and "「受付」" in reply


def test_status_lookup_with_the_reference_in_full_width(running_bot: RunningBot) -> None:
    receipt = _file(running_bot, "訂正")
    sender = new_sender()
    full_width = receipt.reference.translate({ord(c): ord(c) + 0xFEE0 for c in "PR-0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"})
    assert "確認コード" in running_bot.reply_text(sender, f"{full_width}の状況を教えて")
    assert "「受付」" in running_bot.reply_text(sender, f"確認コードは{receipt.code}です")


def test_wrong_code_and_unknown_reference_get_the_same_answer_then_lockout(running_bot: RunningBot) -> None:
    receipt = _file(running_bot, "削除")
    wrong = "000000" if receipt.code != "000000" else "111111"
    unknown = running_bot.reply_text(new_sender(), f"PR-20000101-ABCDEF {wrong} の状況を教えて")
    replies = [running_bot.reply_text(new_sender(), f"{receipt.reference} {wrong} の状況を教えて")
               for _ in range(5)]
    assert replies[0] == unknown and "正しくない" in unknown
    locked = running_bot.reply_text(new_sender(), f"{receipt.reference} {receipt.code} の状況を教えて")
    assert "停止" in locked and "「受付」" not in locked and "0428-32-1351" in locked
