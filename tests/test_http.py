"""The bot over HTTP, started the way `make run` starts it."""

from __future__ import annotations

import urllib.request
import uuid

import pytest

from tests.conftest import RunningBot
from tests.intake_chat import NOT_UNDERSTOOD


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("個人情報とは何ですか", "1"),
        ("口座番号は何に使うの？", "2.(3)①"),
        ("私の情報を第三者に提供することはありますか", "3"),
        ("個人情報の安全管理はどうしていますか", "4"),
        ("パスポートで本人確認できますか", "5.(2)"),
        ("委託先には個人情報をどうやって渡すんですか", "6"),
        ("リンク先のサイトでの個人情報はどうなりますか", "7"),
        ("どんな法令を守っていますか", "8"),
        ("このポリシーが変わることはありますか", "9"),
        ("個人情報が漏えいしたらどうなりますか", "10"),
        ("窓口の連絡先を教えてください", "11"),
        ("個人情報の保存期間は何年ですか", "12"),
    ],
)
def test_every_section_is_reachable_by_a_question(
    running_bot: RunningBot, question: str, section: str
) -> None:
    reply = running_bot.reply_text(new_sender(), question)
    citation = reply.rsplit("出典：セキュリティポリシー ", 1)[-1]
    cited = citation.split("）")[0].split("、")
    # The section, or the clause of it that the question is about.
    assert any(ref == section or ref.startswith(f"{section}.") for ref in cited), reply


def test_greeting_offers_the_main_topics_as_buttons(running_bot: RunningBot) -> None:
    messages = running_bot.say(new_sender(), "こんにちは")
    titles = [b["title"] for m in messages for b in m.get("buttons", [])]
    assert "本人確認書類" in titles and "個人情報とは" in titles


def test_passport_question(running_bot: RunningBot) -> None:
    reply = running_bot.reply_text(new_sender(), "パスポートで本人確認できますか")
    assert reply.startswith("はい、パスポートは本人確認書類としてご利用いただけます")
    assert "運転免許証" in reply and "健康保険証" in reply


@pytest.mark.parametrize(
    ("procedure", "expected"),
    [
        ("開示請求の手続きを教えて", "「開示」の請求には、その作業に要する手数料がかかります"),
        ("削除をお願いする手続きは？", "「削除」の請求について、セキュリティポリシーには手数料の定めがありません"),
    ],
)
def test_fee_follow_up_in_context(running_bot: RunningBot, procedure: str, expected: str) -> None:
    sender = new_sender()
    running_bot.say(sender, procedure)
    reply = running_bot.reply_text(sender, "それは有料ですか")
    assert expected in reply
    assert "金額" not in reply or "記載されていません" in reply


@pytest.mark.parametrize(("question", "first_step"), [
    # the kind named (as 「見せて」): that request starts, asking who requests
    ("御社が持っている私の情報を見せてもらうことはできますか？", "どなた"),
    # no kind named: the request form starts by asking which
    ("個人情報の請求ってどうやってするの？", "種類"),
])
def test_yes_after_the_procedure_answer_starts_the_request(running_bot: RunningBot, question: str,
                                                           first_step: str) -> None:
    sender = new_sender()
    running_bot.say(sender, question)
    reply = running_bot.reply_text(sender, "それお願いします")
    assert "ご請求" in reply and first_step in reply, reply


def test_no_invented_period(running_bot: RunningBot) -> None:
    reply = running_bot.reply_text(new_sender(), "回答まで何日くらいかかりますか")
    assert "具体的な日数は、セキュリティポリシーには記載されていません" in reply
    assert "0428-32-1351" in reply


def test_out_of_scope_gets_the_desk_answer_not_a_policy_topic(running_bot: RunningBot) -> None:
    reply = running_bot.reply_text(new_sender(), "テレビが映らないんですけど")
    assert "個人情報の取扱いについてのご質問をお受けする窓口" in reply
    assert "出典" not in reply


# Words the classifier is not sure of: the likeliest topics are offered as buttons.
UNSURE = "それのあれについて"


def test_two_stage_fallback(running_bot: RunningBot) -> None:
    sender = new_sender()
    running_bot.say(sender, UNSURE)
    offered = running_bot.offered(sender)
    assert list(offered.values())[-1] == "/out_of_scope" and len(offered) >= 2
    topic = next(iter(offered))  # the likeliest topic's button answers it
    answer = running_bot.click(sender, topic)
    assert "出典：セキュリティポリシー" in answer and "どれについて" not in answer

    # "none of these" asks to rephrase
    sender = new_sender()
    running_bot.say(sender, UNSURE)
    assert "言い換えて" in running_bot.click(sender, "どれでもない")

    # two failures in a row offer a person; declining gives the contact point
    sender = new_sender()
    running_bot.say(sender, NOT_UNDERSTOOD)
    give_up = running_bot.reply_text(sender, NOT_UNDERSTOOD)
    assert "うまく理解できませんでした" in give_up and "担当者" in give_up
    assert "safe@tcnnet.co.jp" in running_bot.click(sender, "いいえ")


def test_chat_page_is_served_in_japanese_with_the_widget(running_bot: RunningBot) -> None:
    with urllib.request.urlopen(running_bot.chat_url, timeout=10) as response:
        page = response.read().decode()
    assert '<html lang="ja">' in page and "個人情報に関するお問い合わせ" in page
    with urllib.request.urlopen(running_bot.chat_url + "static/socket.io.min.js", timeout=10) as response:
        assert b"Socket.IO v4" in response.read()
