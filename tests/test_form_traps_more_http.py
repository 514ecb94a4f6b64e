"""Issue 14 over REST, with the servers started as `make run` starts them: more
kinds of message at the form steps, the lookup's and the handoff's, and a new
session in the middle of a form. One conversation per test; what was stored is
read back from the case database, the wording from data/policy/intake.yml."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from bot.intake.form import load_intake_wording
from bot.tracker_rows import seal, unseal
from tests.channel_client import stored_events
from tests.conftest import RunningBot
from tests.intake_chat import begin_request, confirm, new_sender, receipt_of, tickets_of

WORDING = load_intake_wording()
CONTACT_POINT = "0428-32-1351"
PR_FORMAT = "「PR-」で始まる形式"
NAME_ASKED = WORDING["ask"]["intake_name"]["text"]
CONTACT_ASKED = WORDING["ask"]["intake_contact"]["text"]
REQUESTER_ASKED = WORDING["ask"]["intake_requester"]["text"]
THANKS = WORDING["gentle"]["thanks"]
FILLER = WORDING["gentle"]["filler"]
HANDOFF_ASKED = "おつなぎします"
HANDOFF_CONTACT_ASKED = WORDING["handoff"]["ask"]["handoff_contact"]["text"]
HANDOFF_DECLINED = WORDING["handoff"]["declined"]
REFERENCE_ASKED = WORDING["status"]["ask_reference"]
CODE_ASKED = WORDING["status"]["ask_code"]
SESSION_RESUMED = WORDING["session_resumed"]
# How long ago the conversation's events are put when a test lets its session expire:
# more than domain.yml's session_expiration_time (60 minutes).
LONG_AGO = 3 * 3600


def buttons(reply: list[dict[str, Any]]) -> list[str]:
    return [button["payload"] for message in reply for button in message.get("buttons") or []]


def text(reply: list[dict[str, Any]]) -> str:
    return "\n".join(message.get("text", "") for message in reply)


def to_name_step(bot: RunningBot, sender: str, kind: str = "開示") -> None:
    begin_request(bot, sender, kind)
    assert NAME_ASKED in bot.click(sender, "はい")


def from_contact_to_summary(bot: RunningBot, sender: str) -> str:
    assert "お客様番号" in bot.reply_text(sender, "090-1234-5678")
    assert "具体的" in bot.reply_text(sender, "なし")
    assert "本人確認書類" in bot.reply_text(sender, "登録されている住所と電話番号")
    summary = bot.reply_text(sender, "郵送でコピーを提出します")
    assert "よろしいですか" in summary
    return summary


def file_request(bot: RunningBot, kind: str = "開示") -> Any:
    sender = new_sender()
    to_name_step(bot, sender, kind)
    assert CONTACT_ASKED in bot.reply_text(sender, "多摩 花子")
    from_contact_to_summary(bot, sender)
    receipt = confirm(bot, sender)
    assert receipt
    return receipt


def to_handoff_contact_step(bot: RunningBot, sender: str) -> None:
    assert HANDOFF_ASKED in bot.reply_text(sender, "担当者と話したい")
    assert HANDOFF_CONTACT_ASKED in bot.click(sender, "はい")


def in_order(reply: str, *parts: str) -> bool:
    """Whether every part is in `reply`, each after the one before."""
    position = 0
    for part in parts:
        found = reply.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def let_the_session_expire(bot: RunningBot, sender: str, seconds: float = LONG_AGO) -> None:
    """Put every stored event of the conversation `seconds` earlier, as if the
    customer had left the chat that long ago: Rasa then starts a new session
    (action_session_start) before it handles the next message. The events are
    stored again under new ids, in the same order: the running tracker store keeps
    the trackers it handled (bot/dialogue/tracker_store.py) and reads a
    conversation from the database again when its last stored event is gone."""
    with sqlite3.connect(bot.tracker_db, timeout=30) as db:
        rows = db.execute("SELECT id, type_name, timestamp, intent_name, action_name, data FROM events"
                          " WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
        assert rows, f"nothing stored for {sender}"
        for _, type_name, timestamp, intent_name, action_name, data in rows:
            event = unseal(data)
            if event.get("timestamp") is not None:
                event["timestamp"] -= seconds
            db.execute("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       (sender, type_name, None if timestamp is None else timestamp - seconds,
                        intent_name, action_name, seal(event)))
        db.execute("DELETE FROM events WHERE sender_id = ? AND id <= ?", (sender, rows[-1][0]))


def sessions_started(bot: RunningBot, sender: str) -> int:
    return sum(1 for kind, _ in stored_events(bot, sender) if kind == "session_started")


# -- 1. a request for a person mid-form ends it into the handoff --------------------------

@pytest.mark.parametrize("said", ["担当者と話したい", "オペレーターにつないでください"])
def test_a_request_for_a_person_at_the_name_step_ends_the_form_into_the_handoff(
        running_bot: RunningBot, said: str) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    reply = running_bot.say(sender, said)
    assert HANDOFF_ASKED in text(reply) and {"/affirm", "/deny"} <= set(buttons(reply))
    assert NAME_ASKED not in text(reply)
    assert tickets_of(running_bot, sender) == []
    assert HANDOFF_CONTACT_ASKED in running_bot.click(sender, "はい")
    receipt = receipt_of(running_bot.reply_text(sender, "090-2222-3333"))
    assert receipt
    # Only the handoff was filed: no request ticket of the half-filled form, nothing of it stored.
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.reference, ticket.category, ticket.handoff_reason) == (receipt.reference, "handoff", "ask_human")
    assert (ticket.kind, ticket.name, ticket.phone) == (None, None, "090-2222-3333")
    assert ticket.details == said


def test_declining_the_handoff_after_leaving_the_form_stores_nothing(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    assert CONTACT_ASKED in running_bot.reply_text(sender, "多摩 花子")
    assert HANDOFF_ASKED in running_bot.reply_text(sender, "担当者と話したい")
    declined = running_bot.click(sender, "いいえ")
    assert HANDOFF_DECLINED in declined and CONTACT_POINT in declined
    assert tickets_of(running_bot, sender) == []
    # Neither form is left asking: the next message is an ordinary question.
    assert "出典：セキュリティポリシー 1" in running_bot.reply_text(sender, "個人情報とは何ですか")


@pytest.mark.parametrize("after_all", ["やっぱりお願いします", "はい"])
def test_yes_after_declining_the_handoff_is_the_handoff_not_a_request(running_bot: RunningBot,
                                                                       after_all: str) -> None:
    sender = new_sender()
    assert HANDOFF_ASKED in running_bot.reply_text(sender, "担当の方とお話しできますか")
    assert HANDOFF_DECLINED in running_bot.click(sender, "いいえ")
    reply = running_bot.reply_text(sender, after_all)
    assert HANDOFF_ASKED in reply and WORDING["ask"]["intake_kind"]["text"] not in reply, reply


# -- 2. a new request during the status lookup --------------------------------------------

@pytest.mark.parametrize(("said", "kind"), [("開示を請求したい", "開示"), ("削除してほしいです", "削除")])
@pytest.mark.parametrize("at_code_step", [False, True])
def test_a_new_request_during_the_lookup_ends_it_and_starts_the_request(
        running_bot: RunningBot, said: str, kind: str, at_code_step: bool) -> None:
    sender = new_sender()
    assert REFERENCE_ASKED in running_bot.reply_text(sender, "受付状況を確認したい")
    if at_code_step:
        assert CODE_ASKED in running_bot.reply_text(sender, "PR-20261128-ABC234")
    reply = running_bot.say(sender, said)
    assert in_order(text(reply), WORDING["status"]["to_request"], WORDING["start_kind"].format(kind=kind),
                    REQUESTER_ASKED)
    assert PR_FORMAT not in text(reply) and "確認コードは6桁" not in text(reply)
    assert "/cancel" in buttons(reply)
    assert "よろしいですか" in running_bot.reply_text(sender, "本人です")
    assert NAME_ASKED in running_bot.click(sender, "はい")
    assert CONTACT_ASKED in running_bot.reply_text(sender, "多摩 花子")
    summary = from_contact_to_summary(running_bot, sender)
    assert f"・ご請求の種類：{kind}" in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.category, ticket.kind, ticket.name) == ("request", kind, "多摩 花子")


def test_a_new_request_is_never_counted_as_an_unusable_reference(running_bot: RunningBot) -> None:
    """Two unusable answers, then a new request: not the third unusable answer (no
    contact point, no format hint), the request starts."""
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    for unusable in ("hoge", "fuga"):
        assert PR_FORMAT in running_bot.reply_text(sender, unusable)
    reply = running_bot.reply_text(sender, "開示を請求したい")
    assert CONTACT_POINT not in reply and PR_FORMAT not in reply
    assert in_order(reply, WORDING["start_kind"].format(kind="開示"), REQUESTER_ASKED)


def test_the_status_of_an_earlier_request_is_no_new_request(running_bot: RunningBot) -> None:
    """「開示を請求したのですが」 names a kind and 請求, but is about the request being looked up."""
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    reply = running_bot.reply_text(sender, "開示を請求したのですが")
    assert REFERENCE_ASKED in reply and "どなた" not in reply
    assert tickets_of(running_bot, sender) == []


# -- 3. thanks mid-form ---------------------------------------------------------------------

def test_thanks_at_the_name_step_is_not_stored_nor_counted(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    for unusable in ("123", "456"):
        reply = running_bot.reply_text(sender, unusable)
        assert NAME_ASKED in reply and CONTACT_POINT not in reply
    # The third message is thanks: re-asked politely, not the third unusable answer.
    reply = running_bot.reply_text(sender, "ありがとうございます")
    assert in_order(reply, THANKS, NAME_ASKED)
    assert CONTACT_POINT not in reply and WORDING["too_many_invalid"] not in reply
    assert CONTACT_ASKED in running_bot.reply_text(sender, "多摩 花子")
    summary = from_contact_to_summary(running_bot, sender)
    assert "・お名前：多摩 花子" in summary and "ありがとう" not in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert ticket.name == "多摩 花子"


def test_thanks_at_the_lookup_reference_step_is_not_counted(running_bot: RunningBot) -> None:
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    for unusable in ("hoge", "fuga"):
        assert PR_FORMAT in running_bot.reply_text(sender, unusable)
    reply = running_bot.say(sender, "ありがとうございます")
    assert in_order(text(reply), THANKS, REFERENCE_ASKED) and "/cancel" in buttons(reply)
    assert CONTACT_POINT not in text(reply) and PR_FORMAT not in text(reply)
    # The next unusable answer is the third: the contact point and a person.
    third = running_bot.say(sender, "piyo")
    assert CONTACT_POINT in text(third) and "/ask_human" in buttons(third)


def test_thanks_at_the_lookup_then_the_reference_and_code_give_the_status(running_bot: RunningBot) -> None:
    receipt = file_request(running_bot, "訂正")
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    assert in_order(running_bot.reply_text(sender, "ありがとうございます"), THANKS, REFERENCE_ASKED)
    assert CODE_ASKED in running_bot.reply_text(sender, receipt.reference)
    assert f"受付番号 {receipt.reference}（訂正）" in running_bot.reply_text(sender, receipt.code)


# -- 4. the handoff form's own steps ----------------------------------------------------------

CANCEL_WORDINGS = ["やめます", "キャンセルでお願いします", "stop", "もういいです", "中止します"]
CLICK_STOP = "（「やめる」を押す）"


@pytest.mark.parametrize(("said", "at_contact_step"), [
    *((said, False) for said in CANCEL_WORDINGS), *((said, True) for said in CANCEL_WORDINGS),
    (CLICK_STOP, True)])
def test_cancel_in_any_wording_ends_the_handoff_with_the_contact_point(
        running_bot: RunningBot, said: str, at_contact_step: bool) -> None:
    """At the confirmation (whose own way out is 「いいえ」) and at the contact, which
    has the button to stop: the handoff ends, with the contact point, nothing stored."""
    sender = new_sender()
    assert HANDOFF_ASKED in running_bot.reply_text(sender, "担当者と話したい")
    if at_contact_step:
        reply = running_bot.say(sender, running_bot.button(sender, "はい"))
        assert HANDOFF_CONTACT_ASKED in text(reply) and "/cancel" in buttons(reply)
    ended = running_bot.click(sender, "やめる") if said == CLICK_STOP else running_bot.reply_text(sender, said)
    assert HANDOFF_DECLINED in ended and CONTACT_POINT in ended
    assert tickets_of(running_bot, sender) == []
    assert "出典：セキュリティポリシー 1" in running_bot.reply_text(sender, "個人情報とは何ですか")


def test_filler_at_the_handoff_steps_gets_a_gentle_re_ask(running_bot: RunningBot) -> None:
    sender = new_sender()
    assert HANDOFF_ASKED in running_bot.reply_text(sender, "担当者と話したい")
    # 「えーと」, which the classifier reads as a yes, confirms nothing.
    reply = running_bot.say(sender, "えーと")
    assert in_order(text(reply), FILLER, HANDOFF_ASKED) and HANDOFF_CONTACT_ASKED not in text(reply)
    assert {"/affirm", "/deny"} <= set(buttons(reply))
    assert HANDOFF_CONTACT_ASKED in running_bot.click(sender, "はい")
    reply = running_bot.say(sender, "ちょっと待ってください")
    assert in_order(text(reply), FILLER, HANDOFF_CONTACT_ASKED) and "/cancel" in buttons(reply)
    assert tickets_of(running_bot, sender) == []
    receipt = receipt_of(running_bot.reply_text(sender, "hanako@example.jp"))
    assert receipt
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.category, ticket.email, ticket.phone) == ("handoff", "hanako@example.jp", None)


def test_three_unusable_contacts_in_the_handoff_give_the_contact_point_and_a_way_out(
        running_bot: RunningBot) -> None:
    sender = new_sender()
    to_handoff_contact_step(running_bot, sender)
    replies = [running_bot.say(sender, unusable) for unusable in ("hoge", "fuga", "piyo")]
    invalid = WORDING["handoff"]["invalid"]["handoff_contact"]
    assert all(invalid in text(reply) and "/cancel" in buttons(reply) for reply in replies)
    assert CONTACT_POINT not in text(replies[0]) + text(replies[1])
    assert CONTACT_POINT in text(replies[2]) and WORDING["handoff"]["too_many_invalid"] in text(replies[2])
    assert tickets_of(running_bot, sender) == []
    # Never a dead end: a contact still opens the handoff, and the way out still works elsewhere.
    receipt = receipt_of(running_bot.reply_text(sender, "090-3333-4444"))
    assert receipt
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.reference, ticket.phone) == (receipt.reference, "090-3333-4444")


def test_three_unusable_answers_to_the_handoff_confirmation(running_bot: RunningBot) -> None:
    sender = new_sender()
    assert HANDOFF_ASKED in running_bot.reply_text(sender, "担当者と話したい")
    replies = [running_bot.say(sender, unusable) for unusable in ("hoge", "fuga", "piyo")]
    assert all({"/affirm", "/deny"} <= set(buttons(reply)) for reply in replies)
    assert CONTACT_POINT not in text(replies[0]) + text(replies[1]) and CONTACT_POINT in text(replies[2])
    declined = running_bot.click(sender, "いいえ")
    assert HANDOFF_DECLINED in declined and tickets_of(running_bot, sender) == []


# -- 5. a new session in the middle of a form ---------------------------------------------------

def test_a_new_session_at_the_name_step_resumes_the_form(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_name_step(running_bot, sender)
    let_the_session_expire(running_bot, sender)
    reply = running_bot.say(sender, "多摩 花子")
    # Told the form goes on and asked the same question, then the answer is taken as the name.
    assert in_order(text(reply), SESSION_RESUMED, NAME_ASKED, CONTACT_ASKED)
    assert "/cancel" in buttons(reply)
    assert sessions_started(running_bot, sender) == 2
    summary = from_contact_to_summary(running_bot, sender)
    assert "・お名前：多摩 花子" in summary and "・ご請求の種類：開示" in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.kind, ticket.requester, ticket.name, ticket.phone) == ("開示", "本人", "多摩 花子", "090-1234-5678")


def test_a_new_session_then_something_else_re_asks_the_same_question(running_bot: RunningBot) -> None:
    """Back after a long pause with 「えーと」: the form goes on, the same question,
    and the next answer goes in the field asked."""
    sender = new_sender()
    to_name_step(running_bot, sender)
    assert CONTACT_ASKED in running_bot.reply_text(sender, "多摩 花子")
    let_the_session_expire(running_bot, sender)
    reply = running_bot.reply_text(sender, "えーと")
    assert in_order(reply, SESSION_RESUMED, CONTACT_ASKED, FILLER, CONTACT_ASKED)
    assert "お客様番号" not in reply
    summary = from_contact_to_summary(running_bot, sender)
    assert "・お名前：多摩 花子" in summary and "・ご連絡先：090-＊＊＊＊-5678" in summary
    assert confirm(running_bot, sender)
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.name, ticket.phone) == ("多摩 花子", "090-1234-5678")


def test_a_new_session_at_the_lookup_code_step_resumes_the_lookup(running_bot: RunningBot) -> None:
    receipt = file_request(running_bot, "追加")
    sender = new_sender()
    running_bot.reply_text(sender, "受付状況を確認したい")
    assert CODE_ASKED in running_bot.reply_text(sender, receipt.reference)
    let_the_session_expire(running_bot, sender)
    reply = running_bot.reply_text(sender, receipt.code)
    assert in_order(reply, SESSION_RESUMED, CODE_ASKED, f"受付番号 {receipt.reference}（追加）")
    assert sessions_started(running_bot, sender) == 2


def test_a_new_session_at_the_handoff_contact_step_resumes_the_handoff(running_bot: RunningBot) -> None:
    sender = new_sender()
    to_handoff_contact_step(running_bot, sender)
    let_the_session_expire(running_bot, sender)
    reply = running_bot.reply_text(sender, "090-5555-6666")
    assert in_order(reply, SESSION_RESUMED, HANDOFF_CONTACT_ASKED)
    receipt = receipt_of(reply)
    assert receipt
    [ticket] = tickets_of(running_bot, sender)
    assert (ticket.category, ticket.phone) == ("handoff", "090-5555-6666")


def test_a_new_session_outside_a_form_says_nothing_of_a_form(running_bot: RunningBot) -> None:
    sender = new_sender()
    assert "出典：セキュリティポリシー 1" in running_bot.reply_text(sender, "個人情報とは何ですか")
    let_the_session_expire(running_bot, sender)
    reply = running_bot.reply_text(sender, "個人情報とは何ですか")
    assert SESSION_RESUMED not in reply and "出典：セキュリティポリシー 1" in reply
    assert sessions_started(running_bot, sender) == 2


# -- the same decisions without servers: variants too many to send over REST ---------------------

def _lookup_and_handoff() -> tuple[Any, Any]:
    from bot.cases.db import CaseStore, make_engine
    from bot.intake.handoff import Handoff
    from bot.intake.status import StatusLookup
    from bot.policy.answers import default_answerer

    store, answerer = CaseStore(make_engine("sqlite://")), default_answerer()
    return StatusLookup(store, answerer, WORDING), Handoff(store, answerer, WORDING)


@pytest.mark.parametrize(("said", "new_request"), [
    ("開示を請求したい", True), ("削除してほしいです", True), ("請求を申し込みたい", True),
    ("利用停止をお願いします", True), ("やっぱり訂正の請求にしたい", True),
    ("開示を請求したのですが", False), ("削除の進捗を知りたい", False), ("開示請求はどうすればいいですか", False),
    ("開示", False), ("hoge", False)])
def test_what_is_a_new_request_during_the_lookup(said: str, new_request: bool) -> None:
    from bot.intake import status as s
    from bot.intake.form import FAILURES, Turn

    lookup, _ = _lookup_and_handoff()
    for slot in s.ASKED:
        step = lookup.validate(Turn(slot=slot, text=said, intent="request_privacy_action", confidence=0.9))
        assert (step.updates.get(s.OUTCOME) == s.OUTCOME_REQUEST) == new_request, (slot, step.updates)
        if new_request:
            assert FAILURES not in step.updates and not step.replies


@pytest.mark.parametrize("slot", ["handoff_confirm", "handoff_contact"])
def test_the_handoff_counts_unusable_answers_but_not_thanks(slot: str) -> None:
    from bot.intake.form import FAILURES, Turn

    _, handoff = _lookup_and_handoff()
    thanks = handoff.validate(Turn(slot=slot, text="ありがとうございます", intent="thank", confidence=0.95,
                                   slots={FAILURES: 2}))
    assert thanks.updates == {slot: None} and thanks.replies[0].text == THANKS
    third = handoff.validate(Turn(slot=slot, text="hoge", intent="affirm", confidence=0.4, slots={FAILURES: 2}))
    assert third.updates == {slot: None, FAILURES: 3}
    assert CONTACT_POINT in third.replies[0].text and third.replies[0].buttons
