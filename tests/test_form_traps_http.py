"""Issue 14 over REST, with the servers started as `make run` starts them: the
forms and the status lookup never trap the customer, never store the wrong thing,
never go silent. One conversation per test; what was stored is read back from
the case database."""

from __future__ import annotations

from typing import Any

import pytest

from bot.intake import form as f
from bot.intake.form import IntakeForm, Turn, load_intake_wording
from bot.policy.answers import default_answerer
from tests.channel_client import stored_user_texts
from tests.conftest import RunningBot
from tests.intake_chat import begin_request, confirm, new_sender, receipt_of, start_request, tickets_of

CONTACT_POINT = "0428-32-1351"
PR_FORMAT = "「PR-」で始まる形式"
NAME_ASKED = "お名前（フルネーム）"


def buttons(reply: list[dict[str, Any]]) -> list[str]:
    return [button["payload"] for message in reply for button in message.get("buttons", [])]


def text(reply: list[dict[str, Any]]) -> str:
    return "\n".join(message.get("text", "") for message in reply)


def to_name_step(bot: RunningBot, sender: str, kind: str = "開示") -> None:
    begin_request(bot, sender, kind)
    assert NAME_ASKED in bot.click(sender, "はい")


def from_name_to_summary(bot: RunningBot, sender: str, name: str = "多摩 花子",
                         details: str = "登録されている住所と電話番号") -> str:
    assert "電話番号" in bot.reply_text(sender, name)
    assert "お客様番号" in bot.reply_text(sender, "090-1234-5678")
    assert "具体的" in bot.reply_text(sender, "なし")
    assert "本人確認書類" in bot.reply_text(sender, details)
    summary = bot.reply_text(sender, "郵送でコピーを提出します")
    assert "よろしいですか" in summary
    return summary


def file_request(bot: RunningBot, sender: str, kind: str = "開示"):
    to_name_step(bot, sender, kind)
    from_name_to_summary(bot, sender)
    receipt = confirm(bot, sender)
    assert receipt
    return receipt


def look_up(bot: RunningBot, reference: str, code: str) -> str:
    sender = new_sender()
    assert "受付番号" in bot.reply_text(sender, "受付状況を確認したい")
    assert "確認コード" in bot.reply_text(sender, reference)
    return bot.reply_text(sender, code)


# -- 1. the lookup traps --------------------------------------------------------------

@pytest.mark.parametrize(("then", "expected"), [
    ("受付番号って何ですか", "受付番号（例"), ("いいえ", "ボタン"), ("担当者と話したい", "おつなぎします"),
    ("受付番号を忘れました", CONTACT_POINT)])
def test_a_keyboard_mash_first_never_starts_the_reference_loop(
        running_bot: RunningBot, then: str, expected: str) -> None:
    sender = new_sender()
    first = running_bot.say(sender, "あｓｄｆｇｈｊｋ")
    second = running_bot.say(sender, then)
    assert first and second
    assert PR_FORMAT not in text(first) + text(second)
    assert expected in text(second)


def test_three_unusable_answers_in_the_lookup_offer_the_contact_point_and_a_person_then_it_ends(
        running_bot: RunningBot) -> None:
    sender = new_sender()
    assert "/cancel" in buttons(running_bot.say(sender, "受付状況を確認したい"))
    replies = [running_bot.say(sender, answer) for answer in ("あｓｄｆｇｈｊｋ", "よくわからない", "hoge")]
    assert all("/cancel" in buttons(reply) for reply in replies)
    assert CONTACT_POINT not in text(replies[0]) and CONTACT_POINT in text(replies[2])
    assert "/ask_human" in buttons(replies[2])
    assert PR_FORMAT not in text(replies[2])
    fourth = running_bot.say(sender, "fuga")
    assert CONTACT_POINT in text(fourth) and "/ask_human" in buttons(fourth) and PR_FORMAT not in text(fourth)
    assert sum(text(reply).count(PR_FORMAT) for reply in [*replies, fourth]) <= 2
    # The lookup is over: the next message is an ordinary question.
    assert "出典：セキュリティポリシー 1" in running_bot.reply_text(sender, "個人情報とは何ですか")


@pytest.mark.parametrize(("answer", "expected"), [
    ("いいえ", "中止しました"), ("やめます", "中止しました"), ("/cancel", "中止しました"),
    ("担当者と話したい", "おつなぎします"), ("受付番号を忘れました", CONTACT_POINT),
    ("確認コードをなくしました", CONTACT_POINT)])
@pytest.mark.parametrize("at_code_step", [False, True])
def test_every_lookup_step_has_a_way_out(running_bot: RunningBot, answer: str, expected: str,
                                         at_code_step: bool) -> None:
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    if at_code_step:
        assert "確認コード" in running_bot.reply_text(sender, "PR-20261128-ABC234")
    reply = running_bot.reply_text(sender, answer)
    assert expected in reply and PR_FORMAT not in reply
    if expected == "おつなぎします":
        assert "0428-32-1351" in running_bot.click(sender, "いいえ")
    assert "出典：セキュリティポリシー 1" in running_bot.reply_text(sender, "個人情報とは何ですか")


def test_a_question_about_the_reference_is_answered_not_counted(running_bot: RunningBot) -> None:
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    reply = running_bot.reply_text(sender, "受付番号ってどこに書いてありますか")
    assert "ご請求を受け付けたときにお知らせした" in reply and PR_FORMAT not in reply


# -- 2. anything is a name; 3. filler is a request -------------------------------------------

def test_what_is_not_a_name_is_never_stored_as_the_name(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    for said in ("ちょっと待ってください", "受付状況を確認したい", "なんで名前が必要なの"):
        reply = running_bot.reply_text(sender, said)
        assert NAME_ASKED in reply and "電話番号" not in reply, said
    summary = from_name_to_summary(running_bot, sender)
    assert "・お名前：多摩 花子" in summary
    for said in ("ちょっと待って", "受付状況", "なんで"):
        assert said not in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.name == "多摩 花子"


@pytest.mark.parametrize("said", ["stop", "STOP", "キャンセルします"])
def test_stop_at_the_name_step_cancels_and_stores_nothing(running_bot: RunningBot, said: str) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    assert "保存していません" in running_bot.reply_text(sender, said)
    assert tickets_of(running_bot, sender) == []


@pytest.mark.parametrize("filler", ["まだ？", "ちょっと待って", "えーと"])
def test_filler_at_the_details_step_is_not_the_request(running_bot: RunningBot, filler: str) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    running_bot.reply_text(sender, "多摩 花子")
    running_bot.reply_text(sender, "090-1234-5678")
    assert "具体的" in running_bot.reply_text(sender, "なし")
    reply = running_bot.reply_text(sender, filler)
    assert "ごゆっくりどうぞ" in reply and "本人確認書類" not in reply
    assert "本人確認書類" in running_bot.reply_text(sender, "以前のメールアドレス")
    summary = running_bot.reply_text(sender, "郵送でコピーを提出します")
    assert "・ご請求の内容：以前のメールアドレス" in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.details == "以前のメールアドレス"


# -- 4. going silent ----------------------------------------------------------------------

@pytest.mark.parametrize("command", ["/session_start", "/restart", "/back"])
def test_a_typed_conversation_command_mid_form_is_text_and_the_form_goes_on(
        running_bot: RunningBot, command: str) -> None:
    """Rasa's commands that act on the conversation are never the customer's
    (bot/channels/guard.py): typed, they get the current question again, never
    an empty reply, and the answers so far are kept."""
    sender = new_sender()
    to_name_step(running_bot, sender)
    reply = running_bot.say(sender, command)
    assert reply and NAME_ASKED in text(reply) and "/cancel" in buttons(reply)
    assert "電話番号" in running_bot.reply_text(sender, "多摩 花子")


def test_a_button_of_an_earlier_question_counts_as_its_title(running_bot: RunningBot) -> None:
    """Clicking an old button does what typing its title does now: it answers no
    question twice and injects nothing."""
    sender = new_sender()
    to_name_step(running_bot, sender)
    # The consent question's 「はい」 (/affirm) was the previous turn's button: at the name step it is no name.
    assert "/affirm" not in running_bot.offered(sender).values()
    reply = running_bot.reply_text(sender, "/affirm")
    assert NAME_ASKED in reply
    assert stored_user_texts(running_bot, sender)[-1] == "はい"  # its title, as if typed
    assert "電話番号" in running_bot.reply_text(sender, "多摩 花子")


@pytest.mark.parametrize("command", ["/session_start", "/restart"])
def test_a_new_session_or_restart_never_leaves_a_half_form_to_store_the_next_words(
        running_bot: RunningBot, command: str) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    running_bot.say(sender, command)
    running_bot.say(sender, "多摩 花子")
    assert tickets_of(running_bot, sender) == []


# -- 5. change of mind; 13. questions read as answers; 6. two answers at once -------------------

@pytest.mark.parametrize(("change", "kind"), [("やっぱり削除の請求に変えたいです", "削除"),
                                              ("やはり訂正にしたいです", "訂正")])
def test_a_change_of_mind_switches_the_kind_and_says_so(running_bot: RunningBot, change: str, kind: str) -> None:
    sender = new_sender()
    assert "どなた" in running_bot.reply_text(sender, "開示を請求したい")
    reply = running_bot.reply_text(sender, change)
    assert f"「{kind}」に変更しました" in reply and "どなた" in reply
    assert "よろしいですか" in running_bot.reply_text(sender, "本人です")
    assert NAME_ASKED in running_bot.click(sender, "はい")
    summary = from_name_to_summary(running_bot, sender)
    assert f"・ご請求の種類：{kind}" in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.kind == kind


@pytest.mark.parametrize("question", ["代理人の場合は？", "法定代理人ってなんですか"])
def test_a_question_about_an_option_is_answered_not_taken(running_bot: RunningBot, question: str) -> None:
    sender = new_sender()
    start_request(running_bot, sender)
    assert "どなた" in running_bot.reply_text(sender, "開示")
    reply = running_bot.reply_text(sender, question)
    assert "代理人" in reply.split("ご請求されるのはどなたですか")[0] and "どなた" in reply
    assert "よろしいですか" not in reply
    assert "よろしいですか" in running_bot.reply_text(sender, "本人です")
    assert NAME_ASKED in running_bot.click(sender, "はい")
    from_name_to_summary(running_bot, sender)
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.requester == "本人"


@pytest.mark.parametrize(("answer", "phone", "email", "said"), [
    ("山田太郎です。電話番号は090-1234-5678です", "090-1234-5678", None, "ご連絡先（090-＊＊＊＊-5678）も承りました"),
    ("山田太郎、taro@example.jp", None, "taro@example.jp", "ご連絡先（t＊＊＊@example.jp）も承りました")])
def test_two_answers_at_once_fill_both(running_bot: RunningBot, answer: str, phone: Any, email: Any,
                                       said: str) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    reply = running_bot.reply_text(sender, answer)
    assert said in reply and "お客様番号" in reply
    assert "具体的" in running_bot.reply_text(sender, "なし")
    assert "本人確認書類" in running_bot.reply_text(sender, "登録されている住所")
    summary = running_bot.reply_text(sender, "窓口で提示します")
    assert "・お名前：山田太郎" in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.name, ticket.phone, ticket.email) == ("山田太郎", phone, email)


# -- 7. commands as text ---------------------------------------------------------------------

def test_commands_typed_as_text_are_never_stored(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    running_bot.reply_text(sender, "多摩 花子")
    assert "お客様番号" in running_bot.reply_text(sender, "090-1234-5678")
    reply = running_bot.reply_text(sender, '/inform{"request_kind":"削除"}')
    assert "お客様番号" in reply and "具体的" not in reply and "変更しました" not in reply
    assert "具体的" in running_bot.reply_text(sender, "なし")
    reply = running_bot.reply_text(sender, "/EXTERNAL_reminder")
    assert "具体的" in reply and "本人確認書類" not in reply
    reply = running_bot.reply_text(sender, '/inform{"intake_details":"INFORM"}')
    assert "具体的" in reply and "本人確認書類" not in reply
    assert "本人確認書類" in running_bot.reply_text(sender, "登録されている住所")
    summary = running_bot.reply_text(sender, "郵送でコピーを提出します")
    for typed in ("INFORM", "inform", "EXTERNAL", "reminder", "/"):
        assert typed not in summary.split("よろしいですか？")[1]
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.kind, ticket.customer_number, ticket.details) == ("開示", None, "登録されている住所")


def test_a_button_of_an_earlier_answer_clicked_mid_form_is_answered_never_stored(running_bot: RunningBot) -> None:
    sender = new_sender()
    # An answer first: its buttons (「原文を見る」「お問い合わせ窓口」) stay on the page.
    assert "出典：セキュリティポリシー 3.(5)" in running_bot.reply_text(sender, "警察に私の情報を渡すことはありますか")
    assert "種類" in running_bot.reply_text(sender, "請求を申し込みたい")
    assert "どなた" in running_bot.reply_text(sender, "開示")
    assert "よろしいですか" in running_bot.reply_text(sender, "本人です")
    assert NAME_ASKED in running_bot.click(sender, "はい")
    # The earlier answer's buttons, clicked at the name step: each answered, the name asked again.
    reply = running_bot.reply_text(sender, "/ask_contact")
    assert "0428-32-1351" in reply and NAME_ASKED in reply, reply
    reply = running_bot.reply_text(sender, "/ask_more_detail")
    assert "原文は次のとおりです" in reply and "刑事訴訟法" in reply and NAME_ASKED in reply, reply
    summary = from_name_to_summary(running_bot, sender)
    assert "・お名前：多摩 花子" in summary and "窓口" not in summary.split("よろしいですか？")[1]
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.name == "多摩 花子"


def test_a_typed_way_out_command_still_works(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    assert "保存していません" in running_bot.reply_text(sender, "/cancel")
    assert tickets_of(running_bot, sender) == []


# -- 8. formats; 12. lost receipt -------------------------------------------------------------

def test_references_and_codes_in_other_formats(running_bot: RunningBot) -> None:
    receipt = file_request(running_bot, new_sender(), "訂正")
    _, date, suffix = receipt.reference.split("-")
    spaced, hyphened = f"{receipt.code[:3]} {receipt.code[3:]}", f"{receipt.code[:3]}-{receipt.code[3:]}"
    assert "「受付」" in look_up(running_bot, f"PR {date} {suffix}", spaced)
    assert "「受付」" in look_up(running_bot, f"pr {date} {suffix.lower()}", hyphened)
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    together = running_bot.reply_text(sender, f"PR {date} {suffix} {spaced}")
    assert f"受付番号 {receipt.reference}" in together and "「受付」" in together


def test_a_spaced_reference_typed_outside_a_form_starts_the_lookup(running_bot: RunningBot) -> None:
    receipt = file_request(running_bot, new_sender(), "追加")
    _, date, suffix = receipt.reference.split("-")
    reply = running_bot.reply_text(new_sender(), f"PR {date} {suffix} {receipt.code[:3]} {receipt.code[3:]}")
    assert f"受付番号 {receipt.reference}" in reply and "「受付」" in reply


def test_confirming_again_after_filing_gives_a_new_code_that_replaces_the_old(running_bot: RunningBot) -> None:
    sender = new_sender()
    first = file_request(running_bot, sender)
    again = receipt_of(running_bot.reply_text(sender, "この内容で申し込む"))
    assert again and "新しく発行しました" in again.text
    assert again.reference == first.reference and again.code != first.code
    assert len(tickets_of(running_bot, sender)) == 1
    assert "「受付」" in look_up(running_bot, first.reference, again.code)
    assert "正しくない" in look_up(running_bot, first.reference, first.code)


def test_clicking_confirm_again_after_filing_gives_a_new_code(running_bot: RunningBot) -> None:
    sender = new_sender()
    first = file_request(running_bot, sender)
    # The summary's 「この内容で申し込む」 (/affirm), clicked again above the receipt.
    again = receipt_of(running_bot.reply_text(sender, "/affirm"))
    assert again and again.reference == first.reference and again.code != first.code


# -- 9. dropped silently; 10. typed buttons; 11. echo as markup --------------------------------

def test_an_invalid_phone_next_to_an_email_is_said_and_the_email_kept(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    running_bot.reply_text(sender, "多摩 花子")
    reply = running_bot.reply_text(sender, "090-0000-0000 taro@example.com")
    assert "「090-0000-0000」" in reply and "受け付けませんでした" in reply and "お客様番号" in reply
    running_bot.reply_text(sender, "なし")
    running_bot.reply_text(sender, "登録されている住所")
    summary = running_bot.reply_text(sender, "郵送でコピーを提出します")
    assert "・ご連絡先：t＊＊＊@example.com" in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.phone, ticket.email) == (None, "taro@example.com")


@pytest.mark.parametrize("typed", ["この内容で申し込む", "申し込みます", "この内容で申し込みます"])
def test_typing_the_confirm_button_files_the_request(running_bot: RunningBot, typed: str) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    from_name_to_summary(running_bot, sender)
    assert receipt_of(running_bot.reply_text(sender, typed))
    assert len(tickets_of(running_bot, sender)) == 1


def test_details_written_as_markup_are_shown_back_as_plain_text(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    summary = from_name_to_summary(running_bot, sender, details="[公式ログイン](http://example.com)")
    shown = summary.split("・ご請求の内容：")[1].split("\n")[0]
    assert "公式ログイン" in shown and "example.com" in shown
    for markup in ("[", "](", "http://"):
        assert markup not in shown
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.details == "[公式ログイン](http://example.com)"


# -- the summary's confirmation: whole words, not the 直 of 正直 or 直接 ----------------------

@pytest.mark.parametrize(("said", "corrects"), [
    ("直接窓口に行きます", False), ("正直よくわかりません", False), ("住所を直したい", True), ("修正します", True)])
def test_a_correction_is_a_whole_word(said: str, corrects: bool) -> None:
    form = IntakeForm(default_answerer(), load_intake_wording())
    turn = Turn(slot=f.CONFIRMED, text=said, intent="inform", confidence=0.5)
    assert f.wants_correction(said) == corrects
    assert (form._parse_confirmation(turn) == {f.CONFIRMED: None, f.CORRECTING: True}) == corrects


def test_direct_at_the_summary_is_not_a_correction(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    from_name_to_summary(running_bot, sender)
    assert "修正する項目" not in running_bot.reply_text(sender, "直接窓口に行きます")
    assert "修正する項目" in running_bot.reply_text(sender, "住所を直したい")


# -- 14. no route ----------------------------------------------------------------------------

@pytest.mark.parametrize("in_form", [False, True])
def test_a_lost_code_gets_the_contact_point_and_a_person(running_bot: RunningBot, in_form: bool) -> None:
    sender = new_sender()
    if in_form:
        to_name_step(running_bot, sender)
    reply = running_bot.say(sender, "確認コードをなくしました")
    assert CONTACT_POINT in text(reply) and "/ask_human" in buttons(reply)


@pytest.mark.parametrize("said", ["最初からやり直したい", "はじめからやり直します"])
def test_starting_over_in_the_form_forgets_the_answers_and_asks_from_the_start(
        running_bot: RunningBot, said: str) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    running_bot.reply_text(sender, "山田太郎")
    reply = running_bot.reply_text(sender, said)
    assert "最初からやり直します" in reply and "ご請求の種類" in reply
    assert "どなた" in running_bot.reply_text(sender, "削除")
    assert "よろしいですか" in running_bot.reply_text(sender, "本人です")
    assert NAME_ASKED in running_bot.click(sender, "はい")
    summary = from_name_to_summary(running_bot, sender)
    assert "山田太郎" not in summary and "・ご請求の種類：削除" in summary


def test_starting_over_in_the_lookup_asks_for_the_reference_again(running_bot: RunningBot) -> None:
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    assert "確認コード" in running_bot.reply_text(sender, "PR-20261128-ABC234")
    reply = running_bot.reply_text(sender, "最初からやり直したい")
    assert "最初からお伺いします" in reply and "受付番号（例" in reply
