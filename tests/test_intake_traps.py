"""Issue 14, the intake form: every step hears the customer first, stores only
what parses as the field, says what it did not keep, and never loses a receipt.
Real parsing (Sudachi), the real Answerer, a real SQLite case database."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.cases.models import Ticket, TicketEvent
from bot.cases.references import code_matches
from bot.intake import fields
from bot.intake import form as f
from bot.intake.form import Turn
from tests.intake_forms import FORM, WORDING, filled, form_filing_into
from tests.intake_forms import turn as filled_turn

FILLED = filled("開示", "登録されている住所")


def turn(slot: str, text: str, intent: str = "inform", confidence: float = 0.5, **slots: Any) -> Turn:
    """A turn the NLU was unsure of: the form's own hearing decides."""
    return filled_turn(slot, text, intent, confidence, **slots)


# -- anything is a name / filler is a request ---------------------------------------

@pytest.mark.parametrize("text", ["ちょっと待ってください", "受付状況を確認したい", "なんで名前が必要なの", "stop",
                                  "いいえ", "まだ？", "えーと", "ありがとうございます", "あｓｄｆｇｈｊｋ",
                                  "わかりません"])
def test_nothing_but_a_name_is_stored_as_the_name(text: str) -> None:
    step = FORM.validate(turn(f.NAME, text))
    assert step.updates.get(f.NAME) is None
    assert step.replies or step.updates.get(f.OUTCOME)


@pytest.mark.parametrize("text", ["まだ？", "ちょっと待って", "うーん", "えっと", "手数料はいくら？", "はい"])
def test_filler_and_questions_are_not_request_details(text: str) -> None:
    step = FORM.validate(turn(f.DETAILS, text, **FILLED))
    assert step.updates.get(f.DETAILS) is None and step.replies


def test_filler_gets_a_gentle_re_ask_and_a_question_its_answer() -> None:
    gentle = FORM.validate(turn(f.NAME, "ちょっと待ってください"))
    assert gentle.replies[0].text == WORDING["gentle"]["filler"]
    why = FORM.validate(turn(f.NAME, "なんで名前が必要なの"))
    assert why.updates == {f.NAME: None} and why.replies[0].text == WORDING["help"][f.NAME]


def test_stop_in_any_wording_cancels() -> None:
    for text in ("stop", "キャンセルします", "申し込みをやめます", "もういいです"):
        assert FORM.validate(turn(f.NAME, text)).updates[f.OUTCOME] == f.OUTCOME_CANCELLED


def test_a_request_about_stopping_mail_is_details_not_a_cancel() -> None:
    step = FORM.validate(turn(f.DETAILS, "ダイレクトメールをやめてほしい", **{**FILLED, f.KIND: "利用停止"}))
    assert step.updates[f.DETAILS] == "ダイレクトメールをやめてほしい"


def test_a_request_for_a_person_ends_the_form_into_a_handoff() -> None:
    step = FORM.validate(turn(f.NAME, "担当者と話したい"))
    assert step.updates == {f.REQUESTED_SLOT: None, f.OUTCOME: f.OUTCOME_HANDOFF}


def test_status_in_the_middle_of_a_request_says_how_and_re_asks() -> None:
    step = FORM.validate(turn(f.CONTACT, "受付状況を確認したい"))
    assert step.updates == {f.CONTACT: None} and step.replies[0].text == WORDING["status_in_form"]


# -- change of mind ------------------------------------------------------------

@pytest.mark.parametrize("said", ["やっぱり削除の請求に変えたいです", "あ、やっぱり開示じゃなくて削除にしたいです"])
@pytest.mark.parametrize("slot", [f.REQUESTER, f.NAME, f.CONSENT, f.DETAILS, f.CONFIRMED])
def test_a_change_of_mind_switches_the_kind_and_says_so(slot: str, said: str) -> None:
    # the kind it is no longer (開示じゃなくて) named first must not hide the new one
    step = FORM.validate(turn(slot, said, **FILLED))
    assert step.updates[f.KIND] == "削除" and step.updates[slot] is None
    assert step.replies[0].text == WORDING["kind_changed"].format(kind="削除")
    assert step.updates[f.DETAILS] is None  # the details were about 開示


@pytest.mark.parametrize("said", ["連絡先にメールも追加したいです", "電話番号を訂正したい"])
def test_editing_an_answer_with_a_kind_word_is_no_change_of_kind(said: str) -> None:
    step = FORM.validate(turn(f.CONFIRMED, said, **{**FILLED, f.KIND: "削除"}))
    assert step.updates.get(f.KIND) in (None, "削除")


# -- questions read as answers -------------------------------------------------

def test_a_question_about_an_option_is_not_the_answer() -> None:
    step = FORM.validate(turn(f.REQUESTER, "代理人の場合は？"))
    assert step.updates == {f.REQUESTER: None} and step.replies
    assert FORM.validate(turn(f.REQUESTER, "代理人です")).updates[f.REQUESTER] == "任意代理人"


# -- two answers at once, and what is dropped -----------------------------------

def test_a_name_with_a_phone_fills_both_and_says_so() -> None:
    step = FORM.validate(turn(f.NAME, "山田太郎です。電話番号は090-1234-5678です"))
    assert step.updates[f.NAME] == "山田太郎" and step.updates[f.PHONE] == "090-1234-5678"
    assert step.updates[f.CONTACT] == "090-1234-5678"
    assert "ご連絡先（090-＊＊＊＊-5678）も承りました" in step.replies[0].text
    assert f.CONTACT not in [slot for slot in FORM.required_slots(step.updates) if step.updates.get(slot) is None]


def test_a_phone_alone_at_the_name_step_is_kept_and_the_name_asked_again() -> None:
    step = FORM.validate(turn(f.NAME, "090-1234-5678"))
    assert step.updates[f.NAME] is None and step.updates[f.PHONE] == "090-1234-5678" and step.replies


def test_an_invalid_phone_next_to_an_email_is_said_not_dropped() -> None:
    step = FORM.validate(turn(f.CONTACT, "090-0000-0000 taro@example.com"))
    assert step.updates[f.EMAIL] == "taro@example.com" and step.updates[f.PHONE] is None
    assert any("090-0000-0000" in reply.text and "受け付けませんでした" in reply.text for reply in step.replies)


def test_both_contacts_are_kept_and_said() -> None:
    step = FORM.validate(turn(f.CONTACT, "090-1234-5678 taro@example.com"))
    assert (step.updates[f.PHONE], step.updates[f.EMAIL]) == ("090-1234-5678", "taro@example.com")
    said = WORDING["both_contacts"].format(phone="090-＊＊＊＊-5678", email="t＊＊＊@example.com")
    assert step.replies[0].text == said


def test_a_contact_given_earlier_is_said_masked_when_another_is_added() -> None:
    """The phone answered earlier, an e-mail now: the note names both, and the earlier one
    must not come back in full to whoever sends on the conversation id."""
    step = FORM.validate(turn(f.CUSTOMER_NUMBER, "メールは hanako@example.jp です", **FILLED))
    assert step.updates[f.CONTACT] == "090-1234-5678 / hanako@example.jp"
    said = "\n".join(reply.text for reply in step.replies)
    assert "090-＊＊＊＊-5678" in said and "h＊＊＊@example.jp" in said
    assert "090-1234-5678" not in said and "hanako@example.jp" not in said


def test_a_phone_number_is_not_a_customer_number() -> None:
    step = FORM.validate(turn(f.CUSTOMER_NUMBER, "ちょっと待って", **FILLED))
    assert step.updates.get(f.CUSTOMER_NUMBER) is None
    assert FORM.validate(turn(f.CUSTOMER_NUMBER, "hello", **FILLED)).updates.get(f.CUSTOMER_NUMBER) is None


# -- typed buttons and the way out -----------------------------------------------

@pytest.mark.parametrize("text", ["この内容で申し込む", "申し込みます", "この内容で申し込みます"])
def test_typing_the_confirm_button_confirms(tmp_path: Path, text: str) -> None:
    form = form_filing_into(tmp_path / "cases.db")
    step = form.validate(turn(f.CONFIRMED, text, **FILLED, intake_id="typed-key"))
    assert step.updates[f.OUTCOME] == f.OUTCOME_FILED and "受付番号：PR-" in step.replies[0].text


@pytest.mark.parametrize(("slot", "text", "value"), [
    (f.REQUESTER, "ご本人", "本人"), (f.PRESENTATION, "郵送でコピーを提出する", "郵送でコピー提出"),
    (f.CUSTOMER_NUMBER, "なし", "なし")])
def test_typing_a_button_title_does_what_the_click_does(slot: str, text: str, value: str) -> None:
    assert FORM.validate(turn(slot, text, **{**FILLED, slot: None})).updates[slot] == value


@pytest.mark.parametrize("slot", f.ASKED)
def test_every_question_has_a_button_to_stop(slot: str) -> None:
    titles = [button.title for button in FORM.ask(slot, {**FILLED, f.CORRECTING: True}).buttons]
    assert "やめる" in titles


def test_the_third_unusable_answer_offers_the_contact_point_and_a_person() -> None:
    step = FORM.validate(turn(f.NAME, "まだ？", intake_failures=2))
    assert "0428-32-1351" in step.replies[-1].text
    assert [b.payload for b in step.replies[-1].buttons] == ["/ask_human", "/cancel"]


# -- echo as markup ------------------------------------------------------------

def test_customer_input_is_shown_back_as_plain_text() -> None:
    details = "[公式ログイン](http://evil.example/login) <img src=x onerror=alert(1)> **太字**"
    summary = FORM.ask(f.CONFIRMED, {**FILLED, f.DETAILS: details}).text
    for markup in ("[", "](", "<img", "**", "http://"):
        assert markup not in summary
    assert "公式ログイン" in summary


# -- lost receipt --------------------------------------------------------------

def test_confirming_again_shows_a_new_code_that_works(tmp_path: Path) -> None:
    form = form_filing_into(tmp_path / "cases.db")
    slots = {**FILLED, f.SUBMISSION: "lost-receipt"}
    form.validate(turn(f.CONFIRMED, "/affirm", intent="affirm", confidence=1.0, **slots))
    again = form.validate(turn(f.CONFIRMED, "/affirm", intent="affirm", confidence=1.0, **slots))
    text = again.replies[0].text
    assert again.updates[f.OUTCOME] == f.OUTCOME_FILED and "確認コードを新しく発行しました" in text
    code = text.split("確認コード：")[1][:6]
    assert form.filer is not None
    with form.filer.store.unit_of_work() as session:
        tickets = session.scalars(select(Ticket)).all()
        assert len(tickets) == 1 and code_matches(tickets[0].code_hash, code)
        actions = [event.action for event in session.scalars(select(TicketEvent)).all()]
    assert actions == ["created", "code_reissued"]


# -- the property: a reply or a stored value, and only values that parse ----------

_DATABASE = Path(tempfile.mkdtemp()) / "property.db"
PROPERTY_FORM = form_filing_into(_DATABASE)
_CHECKS = {
    f.NAME: fields.parse_name, f.DETAILS: fields.parse_details, f.PHONE: fields.parse_phone,
    f.EMAIL: fields.parse_email, f.CUSTOMER_NUMBER: fields.parse_customer_number,
}
WORDS = st.sampled_from(["山田太郎", "です", "。", "090-1234-5678", "taro@example.jp", "まだ", "？", "やめ", "担当者",
                         "開示", "削除", "の場合は", "はい", "いいえ", "[x](http://a)", "お客様番号は", "A-123", " "])


@given(slot=st.sampled_from([s for s in f.ASKED if s != f.FIX]),
       text=st.one_of(st.text(max_size=60), st.lists(WORDS, max_size=6).map("".join)),
       key=st.uuids())
@settings(max_examples=150, deadline=None)
def test_any_text_at_any_step_gets_a_reply_or_a_value_that_parses(slot: str, text: str, key: Any) -> None:
    slots = {**FILLED, slot: None, f.SUBMISSION: key.hex}
    step = PROPERTY_FORM.validate(turn(slot, text, **slots))
    stored = {name: value for name, value in step.updates.items() if value is not None and name != f.FAILURES}
    assert step.replies or stored, "silence"
    assert all(reply.text.strip() for reply in step.replies)
    for name, check in _CHECKS.items():
        if step.updates.get(name) is not None and step.updates[name] != fields.NO_CUSTOMER_NUMBER:
            assert check(step.updates[name]) == step.updates[name], (name, text)


def test_an_unusable_answer_is_said_once_the_question_follows_with_its_buttons() -> None:
    step = FORM.validate(turn(f.KIND, "えーっと、どれだろう"))
    # The form asks the question again right after, with the buttons: they are not doubled.
    assert step.updates[f.KIND] is None and [reply.buttons for reply in step.replies] == [()]
