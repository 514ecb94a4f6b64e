"""Handing a conversation to staff over the REST channel: the confirmation,
the contact, the handoff ticket, the pause while staff have it, and its release."""

from __future__ import annotations

import pytest

from bot.cases.db import CaseStore, make_engine
from bot.cases.statuses import Status
from bot.cases.tickets import change_status, find_by_reference
from tests.conftest import RunningBot
from tests.intake_chat import (
    NOT_UNDERSTOOD,
    answer_until_summary,
    confirm,
    new_sender,
    receipt_of,
    tickets_of,
)


def _close(bot: RunningBot, reference: str) -> None:
    """What staff do in the console: take the handoff, then close it."""
    engine = make_engine(bot.cases_url)
    try:
        with CaseStore(engine).unit_of_work() as session:
            ticket = find_by_reference(session, reference)
            assert ticket is not None, reference
            change_status(session, ticket, Status.IN_PROGRESS, "staff:test")
            change_status(session, ticket, Status.DONE, "staff:test", note="電話で回答済み")
    finally:
        engine.dispose()


def test_asking_for_a_person_opens_a_handoff_and_pauses_the_bot_until_staff_close_it(
    running_bot: RunningBot,
) -> None:
    sender = new_sender()
    assert "おつなぎします" in running_bot.reply_text(sender, "担当者と直接話したいです")
    assert "電話番号" in running_bot.click(sender, "はい")
    receipt = receipt_of(running_bot.reply_text(sender, "０９０－２２２２－３３３３"))
    assert receipt

    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.reference, ticket.category, ticket.handoff_reason) == (receipt.reference, "handoff", "ask_human")
    assert ticket.phone == "090-2222-3333" and ticket.status == Status.RECEIVED

    lookup = running_bot.reply_text(new_sender(), f"{receipt.reference} {receipt.code} の状況を教えて")
    assert "（担当者への取次ぎ）" in lookup and "「受付」" in lookup and "ご請求" not in lookup

    waiting = running_bot.reply_text(sender, "個人情報とは何ですか")
    assert "担当者に届いています" in waiting and "出典" not in waiting
    assert "担当者に届いています" in running_bot.reply_text(sender, "開示を請求したい")

    _close(running_bot, receipt.reference)
    released = running_bot.reply_text(sender, "個人情報とは何ですか")
    assert "対応は終了しました" in released and "出典：セキュリティポリシー 1" in released
    assert "出典：セキュリティポリシー 1" in running_bot.reply_text(sender, "個人情報とは何ですか")
    # looked up once closed: in a handoff's words, not a request's (「結果は…お知らせしています」)
    lookup = running_bot.reply_text(new_sender(), f"{receipt.reference} {receipt.code} の状況を教えて")
    assert "「完了」" in lookup and "担当者の対応は終了しました" in lookup and "ご請求" not in lookup


def test_a_complaint_is_handed_over_with_its_reason(running_bot: RunningBot) -> None:
    sender = new_sender()
    running_bot.reply_text(sender, "個人情報の扱いについて苦情があります")
    running_bot.reply_text(sender, "はい")
    assert receipt_of(running_bot.reply_text(sender, "kujou@example.jp"))
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.handoff_reason, ticket.email) == ("complaint", "kujou@example.jp")
    assert ticket.details == "個人情報の扱いについて苦情があります"


@pytest.mark.parametrize("said", ["えーと、DMとか営業の電話って止められますか？",
                                  "営業の電話がしつこいんだけど、止めるにはどうしたらいいの？"])
def test_asking_how_to_stop_sales_contact_offers_the_request_not_a_person(running_bot: RunningBot,
                                                                         said: str) -> None:
    sender = new_sender()
    reply = running_bot.reply_text(sender, said)
    assert "「利用停止」" in reply and "おつなぎします" not in reply
    assert "ご請求されるのはどなたですか" in running_bot.reply_text(sender, "じゃあそれで申し込みます")


def test_declining_the_handoff_gives_the_contact_point_and_stores_nothing(running_bot: RunningBot) -> None:
    sender = new_sender()
    running_bot.reply_text(sender, "人と話したい")
    declined = running_bot.click(sender, "いいえ")
    assert "0428-32-1351" in declined and "safe@tcnnet.co.jp" in declined
    assert tickets_of(running_bot, sender) == []
    assert "出典" in running_bot.reply_text(sender, "個人情報とは何ですか")


@pytest.mark.parametrize("step", ["confirmation", "contact"])
def test_asking_to_file_a_request_instead_of_a_person_starts_that_request(running_bot: RunningBot,
                                                                          step: str) -> None:
    sender = new_sender()
    running_bot.reply_text(sender, "人と話したい")
    if step == "contact":
        assert "電話番号またはメールアドレス" in running_bot.click(sender, "はい")
    reply = running_bot.reply_text(sender, "担当者じゃなくて削除の申し込みをしたい")
    # not asked the handoff's question again: the request form asks its first question, of 削除
    assert "ご請求をお伺いします" in reply and "「削除」" in reply, reply
    assert tickets_of(running_bot, sender) == []


@pytest.mark.parametrize("text", ["人と話したいです。連絡先を教えてもらえますか",
                                  "オペレーターと話したいので番号おしえて"])
def test_asking_for_a_persons_number_gets_the_number_then_the_offer_of_a_person(running_bot: RunningBot,
                                                                                text: str) -> None:
    sender = new_sender()
    reply = running_bot.reply_text(sender, text)
    assert "0428-32-1351" in reply and "safe@tcnnet.co.jp" in reply, reply
    assert reply.index("0428-32-1351") < reply.index("おつなぎします")
    declined = running_bot.click(sender, "いいえ")
    assert "取次ぎは行いません" in declined and tickets_of(running_bot, sender) == []


def test_two_failures_in_a_row_lead_to_a_handoff(running_bot: RunningBot) -> None:
    sender = new_sender()
    running_bot.say(sender, NOT_UNDERSTOOD)
    assert "おつなぎします" in running_bot.reply_text(sender, NOT_UNDERSTOOD)
    running_bot.click(sender, "はい")
    assert receipt_of(running_bot.reply_text(sender, "03-5555-6666"))
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.handoff_reason == "not_understood"


def test_a_contact_given_earlier_is_not_asked_again(running_bot: RunningBot) -> None:
    sender = new_sender()
    answer_until_summary(running_bot, sender, "開示")
    assert confirm(running_bot, sender)
    offer = running_bot.reply_text(sender, "担当の方と話せますか")
    # Echoed masked: the conversation id alone must not reveal it.
    assert "090-＊＊＊＊-5678" in offer and "090-1234-5678" not in offer
    assert receipt_of(running_bot.click(sender, "はい"))
    request, handoff = tickets_of(running_bot, sender)
    assert (request.category, handoff.category) == ("request", "handoff")
    assert handoff.phone == "090-1234-5678"


def test_whoever_sends_on_the_conversation_id_never_reads_a_contact_given_earlier(
    running_bot: RunningBot,
) -> None:
    """A conversation id is not a key (issue 15): after the customer answered with their
    phone and e-mail, every reply that shows them again — the summary, the summary asked
    for again, the receipt, the offer of a person, the handoff's receipt — shows them masked."""
    sender = new_sender()
    shown = [answer_until_summary(running_bot, sender, "開示")]
    shown.append(running_bot.reply_text(sender, "えーと"))  # anyone on this id: the summary again
    receipt = confirm(running_bot, sender)
    assert receipt
    shown.append(receipt.text)
    shown.append(running_bot.reply_text(sender, "担当の方と話せますか"))
    shown.append(running_bot.click(sender, "はい"))
    assert receipt_of(shown[-1])
    for reply in shown:
        assert "1234-5678" not in reply and "hanako@" not in reply, reply
    masked = "090-＊＊＊＊-5678 / h＊＊＊@example.jp"
    assert [masked in reply for reply in shown] == [True, True, False, True, True]


@pytest.mark.parametrize("cancel", ["キャンセルしてください", "もういいです", "やっぱりいいです",
                                    "取次ぎはやめてください", "担当者はもういいです", "つながなくて大丈夫です",
                                    "電話はもう大丈夫です", "やっぱり連絡いらないです。自分で調べます"])
def test_a_customer_who_changes_their_mind_while_waiting_is_not_held(running_bot: RunningBot,
                                                                       cancel: str) -> None:
    sender = new_sender()
    running_bot.reply_text(sender, "担当者と話したいです")
    running_bot.click(sender, "はい")
    assert receipt_of(running_bot.reply_text(sender, "090-4444-5555"))
    withdrawn = running_bot.reply_text(sender, cancel)
    assert "取次ぎを取り消しました" in withdrawn and "担当者に届いています" not in withdrawn
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.status == Status.WITHDRAWN
    assert "出典：セキュリティポリシー 2.(3)" in running_bot.reply_text(sender, "個人情報の利用目的を教えて")
