"""Finding work in the staff console (issue 16): pages and sortable columns of the queue,
new tickets and unread handoff messages marked, the refresh's own endpoint and session
rules, handoffs' due dates and statuses, the transcript as staff read it, the login page.
Flask's test client on a real SQLite database, Rasa's own tracker store; no mocks."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from bot.cases.due import add_business_days, closed_days, due_date
from bot.cases.handoffs import open_handoff
from bot.cases.models import StaffUser
from bot.cases.statuses import FINAL, HANDOFF_TRANSITIONS, TRANSITIONS, Status
from bot.console.auth import LOGIN_REFUSED, LOGIN_THROTTLED
from bot.console.queue import QueuePage
from bot.console.state import KEY
from tests.test_console import (  # noqa: F401 (the fixture)
    HANDOFF,
    NOW,
    Console,
    _set,
    _write_conversation,
    audit,
    console,
    file,
    flashes,
    logged_in,
    login,
    post,
    user,
)
from tests.tracker_store import write_conversation

REFRESH = {"X-Console-Refresh": "1"}
ROW = re.compile(r'<tr class="[^"]*">\s*<td class="nowrap"><a href="/tickets/(PR-[^"]+)">')


def activity_of(client: FlaskClient) -> dict[str, Any]:
    answer = client.get("/queue/activity").json
    assert isinstance(answer, dict)
    return answer


def rows(html: str) -> list[str]:
    return ROW.findall(html)


def small_pages(console: Console, size: int) -> None:
    state = console.app.extensions[KEY]
    console.app.extensions[KEY] = replace(state, config=replace(state.config, page_size=size))


def handoff(console: Console, key: str, conversation: str, now: datetime = NOW):
    with console.store.unit_of_work() as db:
        return open_handoff(db, replace(HANDOFF, submission_key=key, conversation_id=conversation),
                            now=now).ticket


# --- pages and sorting ---------------------------------------------------------------------


def test_the_queue_comes_in_pages(console: Console) -> None:
    small_pages(console, 3)
    today = datetime.now(timezone.utc).date()
    tickets = [file(console.store) for _ in range(7)]
    for number, ticket in enumerate(tickets):
        _set(console.store, ticket.id, due_date=today + timedelta(days=number))
    client = logged_in(console, "tanaka")
    references = [ticket.reference for ticket in tickets]

    first = client.get("/").text
    assert rows(first) == references[:3]
    assert "全 7 件のうち 1〜3 件目" in first
    assert 'aria-current="page">1</a>' in first and 'rel="next"' in first and 'rel="prev"' not in first
    assert rows(client.get("/?page=2").text) == references[3:6]
    last = client.get("/?page=3").text
    assert rows(last) == references[6:] and "全 7 件のうち 7〜7 件目" in last
    assert 'rel="next"' not in last
    # Past the end or not a number: the last page, and the first.
    assert rows(client.get("/?page=99").text) == references[6:]
    assert rows(client.get("/?page=x").text) == references[:3]
    # A page link keeps the filters; a filter (the form) starts again at page 1.
    filtered = client.get("/?status=received&page=2").text
    assert 'href="/?status=received&amp;page=3"' in filtered
    assert [e.details.get("page") for e in audit(console.store, "view_queue")] == [
        None, 2, 3, 99, None, 2]


def test_page_numbers_leave_out_the_middle() -> None:
    def numbers(page: int, pages: int) -> list[int | None]:
        return QueuePage([], 0, page, pages, 10).numbers()

    assert numbers(1, 1) == [1]
    assert numbers(1, 4) == [1, 2, 3, 4]
    assert numbers(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert numbers(20, 20) == [1, None, 18, 19, 20]


def test_every_column_but_the_name_sorts_both_ways(console: Console) -> None:
    today = datetime.now(timezone.utc).date()
    tanaka, suzuki = user(console.store, "tanaka"), user(console.store, "suzuki")
    # Filed a day apart; kinds, statuses, due dates and assignees in other orders.
    a = file(console.store, kind="訂正")
    b = file(console.store, kind="開示")
    c = handoff(console, "h-sort", "conv-sort", now=NOW + timedelta(days=1))
    for ticket, days, status, assignee, created in (
            (a, 5, Status.IN_PROGRESS, suzuki.id, NOW - timedelta(days=2)),
            (b, 9, Status.AWAITING_ID, None, NOW - timedelta(days=1)),
            (c, 1, Status.RECEIVED, tanaka.id, NOW)):
        _set(console.store, ticket.id, due_date=today + timedelta(days=days), status=status,
             assignee_id=assignee, created_at=created)
    client = logged_in(console, "tanaka")
    expected = {
        "due": [c, a, b],
        "received": [a, b, c],
        "status": [c, b, a],  # 受付, 本人確認待ち, 対応中: the order of the statuses
        "kind": [b, a, c],  # 開示 and 訂正 in the order of 5.(1), then handoffs' reasons
        "category": [a, b, c] if a.id < b.id else [b, a, c],  # 請求 before 担当者対応
        "reference": sorted([a, b, c], key=lambda t: t.reference),
    }
    for key, order in expected.items():
        want = [t.reference for t in order]
        assert rows(client.get("/", query_string={"sort": key}).text) == want, key
        if key != "category":  # equal keys keep the id's order both ways
            assert rows(client.get("/", query_string={"sort": key, "order": "desc"}).text) == want[::-1], key
    # By display name (SQLite: code points, 田中 before 鈴木), the unassigned last both ways.
    assert rows(client.get("/?sort=assignee").text) == [c.reference, a.reference, b.reference]
    assert rows(client.get("/?sort=assignee&order=desc").text) == [a.reference, c.reference, b.reference]

    page = client.get("/?sort=received&order=asc").text
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*'
                     r'<a href="/\?sort=received&amp;order=desc">受付日時', page)
    assert page.count("aria-sort=") == 1
    assert '<th scope="col">氏名</th>' in page  # encrypted: no sort
    # Unknown keys fall back to the due date, ascending.
    assert rows(client.get("/?sort=name&order=sideways").text) == [t.reference for t in expected["due"]]


def test_a_long_name_is_kept_whole_in_the_table(console: Console) -> None:
    long_name = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処" * 2
    file(console.store, name=long_name)
    page = logged_in(console, "tanaka").get("/").text
    assert f'<td class="name">{long_name}</td>' in page
    assert '<td class="nowrap"><span class="status status-received">受付</span></td>' in page


# --- marks and the refresh -----------------------------------------------------------------


def test_new_tickets_are_marked_until_someone_opens_them(console: Console) -> None:
    seen, fresh = file(console.store), file(console.store)
    client = logged_in(console, "tanaka")
    client.get(f"/tickets/{seen.reference}")
    page = logged_in(console, "suzuki").get("/").text
    marked = re.findall(r'href="/tickets/(PR-[^"]+)">[^<]+</a>\s*<span class="badge new">新着</span>', page)
    assert marked == [fresh.reference]  # opened by tanaka: not new for suzuki either
    assert "新着 1 件" in page and 'data-new="1"' in page


def test_customer_messages_after_the_last_look_are_unread(console: Console) -> None:
    ticket = handoff(console, "h-unread", "conv-unread")
    # Five minutes apart from 9 minutes before the handoff was filed (NOW).
    _write_conversation(console.tracker, "conv-other", [("user", "別の会話")])
    write_conversation(f"sqlite:///{console.tracker}", "conv-unread", [
        ("user", "担当者と話したい"), ("bot", "担当者におつなぎします"),
        ("user", "連絡は夕方以降にお願いします"), ("user", "/affirm"), ("user", "/greet")],
        (NOW - timedelta(minutes=9)).timestamp(), step=300)
    client = logged_in(console, "tanaka")
    # After NOW: the message at +1 min and the click of 「はい」 at +6 (a /greet is internal).
    assert '<span class="badge unread">未読 2 件</span>' in client.get("/").text
    assert activity_of(client)["unread"] == 2
    client.get(f"/tickets/{ticket.reference}")
    assert "未読" not in client.get("/").text
    after = activity_of(client)
    assert (after["new"], after["unread"]) == (0, 0)


def test_the_stamp_changes_with_the_queue_and_tells_nothing_personal(console: Console) -> None:
    client = logged_in(console, "tanaka")
    before = client.get("/queue/activity")
    assert before.mimetype == "application/json" and before.headers["Cache-Control"] == "no-store"
    assert activity_of(client) == before.json  # nothing changed
    ticket = file(console.store)
    after = activity_of(client)
    assert before.json is not None and after["stamp"] != before.json["stamp"] and after["new"] == 1
    assert set(after) == {"stamp", "new", "unread", "escalated"}
    assert f'data-stamp="{after["stamp"]}"' in client.get("/").text  # the page's own stamp
    post(client, f"/tickets/{ticket.reference}/status", status="in_progress")
    assert activity_of(client)["stamp"] != after["stamp"]
    entries = len(audit(console.store))
    client.get("/queue/activity")
    assert len(audit(console.store)) == entries  # counts only: not an audited view


def test_the_refresh_neither_keeps_a_session_alive_nor_redirects(console: Console) -> None:
    client = logged_in(console, "tanaka")
    with client.session_transaction() as session:
        session["seen"] -= 14 * 60  # 14 of the 15 idle minutes gone
        seen = session["seen"]
    assert client.get("/queue/activity", headers=REFRESH).status_code == 200
    with client.session_transaction() as session:
        assert session["seen"] == seen  # the refresh is not the user at work
    client.get("/", headers=REFRESH)
    with client.session_transaction() as session:
        assert session["seen"] == seen
        session["seen"] -= 2 * 60
    response = client.get("/queue/activity", headers=REFRESH)
    assert response.status_code == 401  # the page reloads itself and shows why
    page = client.get("/", follow_redirects=True).text
    assert "一定時間操作がなかったため、ログアウトしました" in page
    assert [e.details for e in audit(console.store, "logout")] == [{"reason": "idle"}]
    # Without the header, a page view is the user at work.
    other = logged_in(console, "suzuki")
    with other.session_transaction() as session:
        session["seen"] -= 60
        seen = session["seen"]
    other.get("/")
    with other.session_transaction() as session:
        assert session["seen"] > seen


def test_the_queue_page_carries_the_refresh_settings(console: Console) -> None:
    page = logged_in(console, "tanaka").get("/").text
    assert 'data-activity-url="/queue/activity"' in page and 'data-refresh-seconds="30"' in page
    assert 'id="notify"' in page and " hidden>" in page  # shown by the script when it can work


# --- handoffs: due dates and statuses ------------------------------------------------------


def test_business_days_skip_weekends_and_closed_days(tmp_path: Path) -> None:
    friday = date(2026, 12, 25)
    assert add_business_days(friday, 1, frozenset()) == date(2026, 12, 28)
    assert add_business_days(date(2026, 11, 28), 1, frozenset()) == date(2026, 11, 30)  # Sat → Mon
    assert add_business_days(friday, 1, frozenset({date(2026, 12, 28)})) == date(2026, 12, 29)
    calendar = tmp_path / "closed.txt"
    calendar.write_text("# 年末\n2026-12-28  # 休業\n\n2026-12-29\nnot a date\n", encoding="utf-8")
    environ = {"TCN_CLOSED_DAYS_FILE": str(calendar)}
    assert closed_days(environ) == {date(2026, 12, 28), date(2026, 12, 29)}
    assert due_date("handoff", friday, environ) == date(2026, 12, 30)
    assert due_date("handoff", friday, {**environ, "TCN_HANDOFF_DUE_BUSINESS_DAYS": "2"}) == date(2026, 12, 31)
    assert due_date("handoff", friday, {**environ, "TCN_HANDOFF_DUE_BUSINESS_DAYS": "0"}) == date(2026, 12, 30)
    assert due_date("request", friday, {**environ, "TCN_DUE_DAYS": "3"}) == date(2026, 12, 28)
    assert closed_days({"TCN_CLOSED_DAYS_FILE": str(tmp_path / "none.txt")}) == frozenset()
    # The shipped calendar: the year-end break and a substitute holiday.
    shipped = closed_days({})
    assert {date(2026, 12, 31), date(2027, 1, 1), date(2026, 5, 6)} <= shipped
    assert due_date("handoff", date(2026, 12, 28), {}) == date(2027, 1, 4)


def test_handoffs_have_their_own_next_statuses(console: Console) -> None:
    assert set(HANDOFF_TRANSITIONS) == set(TRANSITIONS) == set(Status)
    assert FINAL == {s for s, nexts in HANDOFF_TRANSITIONS.items() if not nexts}
    ticket = handoff(console, "h-status", "conv-status")
    client = logged_in(console, "tanaka")
    page = client.get(f"/tickets/{ticket.reference}").text
    offered = re.search(r'<select id="status" name="status">(.*?)</select>', page, re.S)
    assert offered and re.findall(r'value="(\w+)"', offered.group(1)) == ["in_progress", "done", "withdrawn"]
    assert 'name="ground"' not in page and "メモ（完了のときは対応した内容）" in page
    # Refusing on a ground of 5.(1) is a request's, not a handoff's.
    post(client, f"/tickets/{ticket.reference}/status", status="refused", ground="②", note="x")
    assert "受付から不実施には変更できません。" in flashes(client.get(f"/tickets/{ticket.reference}").text)
    post(client, f"/tickets/{ticket.reference}/status", status="done", note="電話でご説明した")
    assert "この案件は「完了」で終了しています。" in client.get(f"/tickets/{ticket.reference}").text
    # A request still offers its own.
    request_page = client.get(f"/tickets/{file(console.store).reference}").text
    assert 'name="ground"' in request_page and 'value="awaiting_id"' in request_page


def test_a_handoff_is_due_on_the_next_business_day(console: Console) -> None:
    ticket = handoff(console, "h-due", "conv-due")  # Saturday 2026-11-28 in Japan
    assert ticket.due_date == date(2026, 11, 30)
    assert file(console.store).due_date == date(2026, 12, 12)  # a request: 14 days


# --- the transcript ------------------------------------------------------------------------


def test_the_transcript_shows_what_the_customer_clicked(console: Console) -> None:
    ticket = file(console.store, conversation_id="conv-click")
    _write_conversation(console.tracker, "conv-click", [
        ("user", "/greet"), ("bot", "ご用件をお選びください"), ("user", "/affirm"),
        ("user", "／affirm"), ("user", "/deny")])
    page = logged_in(console, "tanaka").get(f"/tickets/{ticket.reference}").text
    transcript = page[page.index('<ol class="transcript">'):]
    said = re.findall(r'<li class="(user|bot)">\s*<span class="meta">[^<]+</span>\s*'
                      r'<div class="text">([^<]+)', transcript)
    # /greet was the chat page's, /deny no button's: internal. 「／affirm」 was typed.
    assert said == [("bot", "ご用件をお選びください"), ("user", "はい "), ("user", "／affirm")]
    assert '<span class="clicked">（ボタンを選択）</span>' in transcript
    assert "/affirm" not in transcript and "/greet" not in transcript and "/deny" not in transcript


def test_the_history_names_no_chat_channel_but_each_contacts_method(console: Console) -> None:
    ticket = file(console.store, channel="socketio")
    client = logged_in(console, "tanaka")
    post(client, f"/tickets/{ticket.reference}/contacts", channel="郵送", direction="発信", body="書類を送付")
    page = client.get(f"/tickets/{ticket.reference}").text
    history = page[page.index('<table class="history">'):]
    assert "socketio" not in page and "連絡の方法: — → 郵送" in history


# --- the login page ------------------------------------------------------------------------


def test_the_login_page_is_written_for_office_staff(console: Console) -> None:
    page = console.client().get("/login").text
    assert "make" not in page and "staff-user" not in page and "<code>" not in page
    assert "管理者（総務部 情報管理担当）にお申し出ください" in page
    client = console.client()
    once = login(client, "tanaka", "wrong password!!")
    assert flashes(once.text) == [LOGIN_REFUSED]
    assert "15" not in LOGIN_REFUSED and "しばらく" not in LOGIN_REFUSED and "一時的" not in LOGIN_REFUSED
    for _ in range(5):  # three typos are free; after them each makes the next try wait
        login(client, "tanaka", "wrong password!!")
    assert flashes(login(client, "tanaka").text) == [LOGIN_THROTTLED]
    with console.store.unit_of_work() as db:
        assert db.query(StaffUser).filter_by(login="tanaka").one().last_login_at is None
