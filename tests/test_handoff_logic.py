"""The handoff form's decisions, without Rasa or a database."""

from __future__ import annotations

from bot.cases.db import CaseStore, make_engine
from bot.intake import handoff as h
from bot.intake.form import FAILURES, REQUESTED_SLOT, Turn, load_intake_wording
from bot.policy.answers import default_answerer

# Never connected to: these tests stop before any unit of work.
HANDOFF = h.Handoff(CaseStore(make_engine("sqlite://")), default_answerer(), load_intake_wording())


def turn(slot: str, text: str, intent: str = "inform", **slots: object) -> Turn:
    return Turn(slot=slot, text=text, intent=intent, confidence=0.99, entities={}, slots=slots)


def test_contact_is_asked_only_when_none_is_known() -> None:
    assert HANDOFF.required_slots({}) == [h.CONFIRM, h.CONTACT]
    known = {h.KNOWN_EMAIL: "hanako@example.jp", h.KNOWN_PHONE: "090-1234-2222"}
    assert HANDOFF.required_slots(known) == [h.CONFIRM]
    asked = HANDOFF.ask(h.CONFIRM, known).text
    # Shown back masked: enough to recognise, not to read for whoever knows the conversation id.
    assert "090-＊＊＊＊-2222" in asked and "h＊＊＊@example.jp" in asked
    assert "1234" not in asked and "hanako" not in asked


def test_confirmation_and_contact() -> None:
    assert HANDOFF.validate(turn(h.CONFIRM, "/affirm", "affirm")).updates == {h.CONFIRM: True}
    declined = HANDOFF.validate(turn(h.CONFIRM, "いいえ", "deny")).updates
    assert declined == {REQUESTED_SLOT: None, h.OUTCOME: h.OUTCOME_DECLINED}
    contact = HANDOFF.validate(turn(h.CONTACT, "０３－１２３４－５６７８"))
    assert contact.updates == {h.CONTACT: "03-1234-5678", h.KNOWN_PHONE: "03-1234-5678", h.KNOWN_EMAIL: None}


def test_an_unusable_contact_is_asked_again() -> None:
    step = HANDOFF.validate(turn(h.CONTACT, "あとで"))
    # counted: from the third unusable answer on, the re-ask adds the contact point
    assert step.updates == {h.CONTACT: None, FAILURES: 1} and "読み取れませんでした" in step.replies[0].text


def test_declined_or_incomplete_handoffs_give_the_contact_point_without_a_ticket() -> None:
    result = HANDOFF.finish({h.CONFIRM: None, h.OUTCOME: h.OUTCOME_DECLINED, h.KNOWN_PHONE: "03-1234-5678"},
                            "rest", "someone")
    assert result.answer is not None
    assert "safe@tcnnet.co.jp" in result.answer.text and result.updates == {}


def test_a_question_while_asked_yes_or_no_is_answered_then_asked_again() -> None:
    step = HANDOFF.validate(turn(h.CONFIRM, "電話はどこにかければいいですか", "ask_contact"))
    assert step.updates == {h.CONFIRM: None}
    answer, again = step.replies
    assert "0428-32-1351" in answer.text and "よろしいですか" in again.text


def test_a_question_the_policy_does_not_answer_is_said_so_then_asked_again() -> None:
    step = HANDOFF.validate(turn(h.CONFIRM, "それって海外の会社もあるの？", "nlu_fallback"))
    assert step.updates == {h.CONFIRM: None}  # not counted as an unusable answer
    answer, again = step.replies
    assert "お答えできません" in answer.text and "担当者" in answer.text and "よろしいですか" in again.text


def test_a_request_to_file_instead_ends_the_handoff_at_either_step() -> None:
    for slot in (h.CONFIRM, h.CONTACT):
        for text in ("担当者じゃなくて削除の申し込みをしたい", "やっぱり人じゃなくていいので、開示を請求したいです",
                     "オペレーターはいいです。利用停止を申し込みます"):
            step = HANDOFF.validate(turn(slot, text, "ask_human"))
            assert step.updates == {REQUESTED_SLOT: None, h.OUTCOME: h.OUTCOME_REQUEST}, (slot, text)


def test_a_question_about_a_request_or_one_filed_before_does_not_end_the_handoff() -> None:
    # asked about, not filed: answered, and the same step asked again
    asked = HANDOFF.validate(turn(h.CONTACT, "削除を申し込むには何が必要ですか", "ask_documents"))
    assert h.OUTCOME not in asked.updates
    # a request filed before: the person is what the customer is after
    assert HANDOFF.validate(turn(h.CONFIRM, "削除を申し込んだのに返事がないので話したい", "ask_human")).updates == {
        h.CONFIRM: True}


def test_a_button_of_an_earlier_answer_is_answered_and_the_step_asked_again() -> None:
    for slot in (h.CONFIRM, h.CONTACT):
        step = HANDOFF.validate(turn(slot, "/ask_contact", "ask_contact"))
        answer, again = step.replies
        assert step.updates == {slot: None} and "0428-32-1351" in answer.text and again.topic == slot
    # the way out it offers is still taken: a person is a yes
    assert HANDOFF.validate(turn(h.CONFIRM, "/ask_human", "ask_human")).updates == {h.CONFIRM: True}


def test_anger_at_the_confirmation_is_no_consent_to_pass_the_contact_on() -> None:
    step = HANDOFF.validate(turn(h.CONFIRM, "そもそもお前ら俺の情報を勝手に売ってるんじゃないのか？信用できない",
                                 "complain"))
    assert step.updates == {h.CONFIRM: None}
    apology, again = step.replies
    assert apology.text.startswith("ご不快な思いをおかけし") and "よろしいですか" in again.text
    # asking for the person in words is still a yes, angry or not
    assert HANDOFF.validate(turn(h.CONFIRM, "ふざけんな、早く担当者につないで", "complain")).updates == {
        h.CONFIRM: True}


def test_a_person_declined_in_hiragana_ends_the_handoff_for_the_request() -> None:
    step = HANDOFF.validate(turn(h.CONFIRM, "あ、やっぱり担当者さんはけっこうです。それより訂正の申し込みをしたいです",
                                 "ask_human"))
    assert step.updates == {REQUESTED_SLOT: None, h.OUTCOME: h.OUTCOME_REQUEST}
