"""The intake form's decisions, without Rasa: order, re-asks, digressions, cancel,
correction, and filing on confirmation (into a real SQLite database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.intake import form as f
from bot.policy.answers import default_answerer
from tests.intake_forms import FORM, filled, form_filing_into, turn

FILLED = filled()


def test_order_of_questions_and_details_only_where_needed() -> None:
    assert FORM.required_slots({}) == [
        f.KIND, f.REQUESTER, f.CONSENT, f.NAME, f.CONTACT, f.CUSTOMER_NUMBER, f.DETAILS,
        f.PRESENTATION, f.CONFIRMED,
    ]
    assert f.DETAILS not in FORM.required_slots({f.KIND: "利用目的の通知"})
    assert FORM.required_slots({f.CORRECTING: True})[-2:] == [f.FIX, f.CONFIRMED]


def test_kind_question_offers_the_eight_kinds_of_the_policy_and_a_way_out() -> None:
    asked = FORM.ask(f.KIND, {})
    assert [b.title for b in asked.buttons[:-1]] == list(FORM.answerer.policy.fact("5.(1)", "request_kinds"))
    assert (asked.buttons[-1].title, asked.buttons[-1].payload) == ("やめる", "/cancel")


def test_consent_notice_says_why_and_cites_the_policy() -> None:
    asked = FORM.ask(f.CONSENT, {})
    assert "のみ利用します" in asked.text and "出典：セキュリティポリシー" in asked.text


def test_a_valid_answer_fills_the_slot_and_resets_failures() -> None:
    step = FORM.validate(turn(f.CONTACT, "電話は０９０－１２３４－５６７８です", intake_failures=2))
    assert step.updates == {f.CONTACT: "090-1234-5678", f.PHONE: "090-1234-5678", f.EMAIL: None, f.FAILURES: 0}
    assert step.replies == []


def test_an_invalid_answer_is_re_asked_and_the_third_offers_the_contact_point() -> None:
    first = FORM.validate(turn(f.CONTACT, "わかんない"))
    assert first.updates == {f.CONTACT: None, f.FAILURES: 1}
    assert "0428-32-1351" not in first.replies[0].text
    third = FORM.validate(turn(f.CONTACT, "わかんない", intake_failures=2))
    assert third.updates[f.FAILURES] == 3
    assert "0428-32-1351" in third.replies[0].text and "safe@tcnnet.co.jp" in third.replies[0].text


@pytest.mark.parametrize("slot", [f.KIND, f.NAME, f.CONTACT, f.DETAILS, f.CONFIRMED])
def test_cancel_ends_the_form_from_any_question(slot: str) -> None:
    step = FORM.validate(turn(slot, "やめます", intent="cancel"))
    assert step.updates[f.REQUESTED_SLOT] is None
    assert step.updates[f.OUTCOME] == f.OUTCOME_CANCELLED


def test_saying_no_to_the_notice_ends_the_form() -> None:
    step = FORM.validate(turn(f.CONSENT, "/deny", intent="deny"))
    assert step.updates[f.OUTCOME] == f.OUTCOME_DECLINED and step.updates[f.REQUESTED_SLOT] is None


@pytest.mark.parametrize("slot", [f.NAME, f.CONTACT, f.PRESENTATION])
def test_a_question_mid_form_is_answered_and_the_slot_asked_again(slot: str) -> None:
    step = FORM.validate(turn(slot, "手数料はかかりますか", intent="ask_fee", confidence=0.95))
    assert step.updates == {slot: None}
    assert "5.(3)" in step.replies[0].citations


def test_a_name_the_classifier_is_unsure_about_is_still_a_name() -> None:
    step = FORM.validate(turn(f.NAME, "多摩太郎", intent="ask_definition", confidence=0.5))
    assert step.updates[f.NAME] == "多摩太郎"


def test_yes_or_hello_is_not_taken_as_a_name() -> None:
    step = FORM.validate(turn(f.NAME, "はい", intent="affirm", confidence=0.97))
    assert step.updates == {f.NAME: None, f.FAILURES: 1}


def test_summary_lists_every_field_and_correction_clears_one() -> None:
    summary = FORM.ask(f.CONFIRMED, FILLED).text
    # The contact masked: the summary is asked for again by whoever sends on the conversation id.
    for value in ("訂正", "ご本人", "多摩 太郎", "・ご連絡先：090-＊＊＊＊-5678", "住所を新しいものに", "窓口で提示"):
        assert value in summary
    assert "1234" not in summary
    wants_fix = FORM.validate(turn(f.CONFIRMED, "修正します", intent="deny", **FILLED))
    assert wants_fix.updates == {f.CONFIRMED: None, f.CORRECTING: True, f.FAILURES: 0}
    options = [b.title for b in FORM.ask(f.FIX, {**FILLED, f.CORRECTING: True}).buttons]
    assert "ご連絡先" in options and "ご請求の内容" in options
    fix = FORM.validate(turn(f.FIX, "ご連絡先", **FILLED, intake_correcting=True))
    assert fix.updates == {
        f.CONTACT: None, f.PHONE: None, f.EMAIL: None, f.FIX: None, f.CORRECTING: False, f.FAILURES: 0}


def test_confirmation_files_the_request_and_ends_the_form(tmp_path: Path) -> None:
    slots = {**FILLED, f.SUBMISSION: "key-1"}
    step = form_filing_into(tmp_path / "cases.db").validate(turn(f.CONFIRMED, "/affirm", intent="affirm", **slots))
    assert step.updates[f.OUTCOME] == f.OUTCOME_FILED and step.updates[f.REQUESTED_SLOT] is None
    assert step.updates[f.KNOWN_PHONE] == "090-1234-5678"
    assert "受付番号：PR-" in step.replies[0].text


def test_a_request_that_cannot_be_recorded_keeps_the_form_open(tmp_path: Path) -> None:
    form = form_filing_into(tmp_path / "empty.db", migrated=False)
    step = form.validate(turn(f.CONFIRMED, "/affirm", intent="affirm", **FILLED, intake_id="key-2"))
    assert step.updates == {f.CONFIRMED: None, f.FAILURES: 0}
    assert "記録できませんでした" in step.replies[0].text and "0428-32-1351" in step.replies[0].text


def test_a_question_the_classifier_was_unsure_of_is_answered_from_its_clause() -> None:
    step = FORM.validate(turn(f.REQUESTER, "マイナンバーカードでもいい？", confidence=0.4, **{f.KIND: "開示"}))
    assert step.updates == {f.REQUESTER: None}
    assert "5.(2)④" in step.replies[0].text


def test_a_button_title_of_an_earlier_answer_is_answered_not_stored() -> None:
    answerer = default_answerer()
    contact = f.earlier_button_answer(answerer, f.Turn(slot="intake_name", text="お問い合わせ窓口"))
    assert contact is not None and "0428-32-1351" in contact.text
    full = f.earlier_button_answer(answerer, f.Turn(slot="intake_name", text="原文を見る",
                                                    slots={"answer_topic": "ask_fee", "answer_clauses": ["5.(3)"]}))
    assert full is not None and "原文は次のとおりです" in full.text
    # nothing remembered to show: not answered here (the step says what it needs)
    assert f.earlier_button_answer(answerer, f.Turn(slot="intake_name", text="原文を見る")) is None
    assert f.earlier_button_answer(answerer, f.Turn(slot="intake_name", text="多摩 花子")) is None
