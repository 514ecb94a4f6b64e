"""The staff console: its pages through Flask's test client on a real SQLite database, the
shared service and the handoff tickets on SQLite and PostgreSQL, the command line as a
real process, and conversations written by Rasa's own SQL tracker store. No mocks."""

from __future__ import annotations

import csv
import getpass
import io
import json
import re
import sqlite3
import stat
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from ipaddress import ip_network
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from bot.cases.db import ROOT, CaseStore, make_engine, migrate
from bot.cases.handoffs import HANDOFF_REASONS, REASON_LABELS, NewHandoff, open_handoff, open_handoff_for
from bot.cases.models import AppendOnlyError, AuditEntry, StaffUser, Ticket, TicketNote
from bot.cases.references import REFERENCE_PATTERN, code_matches
from bot.cases.statuses import REFUSAL_GROUNDS, Status, refusal_ground_text
from bot.cases.tickets import InvalidRequest, NewRequest, change_status, open_request
from bot.console import service
from bot.console.addresses import client_address
from bot.console.app import create_app
from bot.console.audit import SYSTEM, Actor
from bot.console.auth import LOGIN_REFUSED, PUBLIC
from bot.console.config import ConsoleConfig, kept_secret, parse_networks
from bot.console.export import safe_cell
from bot.console.state import KEY
from bot.tracker_events import DEFAULT_TRACKER_URL
from tests.cases_fixtures import db_url, postgres_url, store  # noqa: F401 (fixtures)
from tests.console_cli import cli
from tests.tracker_store import write_conversation

PASSWORD = "correct horse battery staple"
NAMES = {"kanri": "管理 一郎", "tanaka": "田中 花子", "suzuki": "鈴木 次郎"}
ROLES = {"kanri": "admin", "tanaka": "staff", "suzuki": "staff"}
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)
REQUEST = NewRequest(
    kind="開示", requester="本人", name="多摩 花子", phone="090-1234-5678",
    email="hanako@example.jp", customer_number="TCN-4821-77", details="契約者情報の開示を希望",
    id_presentation="窓口で提示", channel="rest", conversation_id="conversation-abc",
    submission_key="form-key-alpha",
)
HANDOFF = NewHandoff(
    reason="complaint", phone=None, email="kujou@example.jp", name=None, channel="socketio",
    conversation_id="conversation-xyz", submission_key="handoff-key-1",
    summary="個人情報の扱いについて苦情があります",
)
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


# --- fixtures and helpers ------------------------------------------------------------------


@dataclass
class Console:
    app: Flask
    store: CaseStore
    tracker: Path

    def client(self) -> FlaskClient:
        return self.app.test_client()


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    """The app on a migrated SQLite database with one admin and two staff accounts."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    migrate(url)
    tracker = tmp_path / "tracker.db"
    app = create_app(ConsoleConfig(cases_url=url, tracker_url=f"sqlite:///{tracker}",
                                   secret_key="test-secret-" + "k" * 40))
    case_store = app.extensions[KEY].store
    with case_store.unit_of_work() as db:
        for login, name in NAMES.items():
            service.create_user(db, Actor(SYSTEM, None, None), login, name, ROLES[login], PASSWORD)
    yield Console(app, case_store, tracker)
    case_store.engine.dispose()


def file(case_store: CaseStore, **change: Any) -> Ticket:
    request = replace(REQUEST, submission_key=f"key-{time.monotonic_ns()}", **change)
    with case_store.unit_of_work() as db:
        return open_request(db, request, now=NOW).ticket


def token(client: FlaskClient) -> str:
    """The session's CSRF token, from the login page (which writes no audit entry)."""
    found = TOKEN.search(client.get("/login").text)
    assert found, "no CSRF token on the login page"
    return found.group(1)


def login(client: FlaskClient, name: str, password: str = PASSWORD):
    return client.post("/login", data={"csrf_token": token(client), "login": name,
                                       "password": password})


def logged_in(console: Console, name: str) -> FlaskClient:
    client = console.client()
    assert login(client, name).status_code == 302
    return client


def post(client: FlaskClient, path: str, **data: Any):
    return client.post(path, data={"csrf_token": token(client), **data})


def ticket_row(case_store: CaseStore, ticket_id: int) -> Ticket:
    with case_store.unit_of_work() as db:
        ticket = db.get(Ticket, ticket_id)
        ticket.events, ticket.notes, ticket.assignee  # noqa: B018 (loaded while the session is open)
        return ticket


def audit(case_store: CaseStore, action: str | None = None) -> list[AuditEntry]:
    with case_store.unit_of_work() as db:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(db.scalars(query))


def user(case_store: CaseStore, login_name: str) -> StaffUser:
    with case_store.unit_of_work() as db:
        return db.scalars(select(StaffUser).where(StaffUser.login == login_name)).one()


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', html)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


# --- every route needs a login -------------------------------------------------------------

# The URL map does not depend on the configuration: read it once, to parametrize over it.
_MAP = create_app(ConsoleConfig("sqlite://", "sqlite://", "x" * 40)).url_map
ROUTES = sorted(
    (rule.endpoint, method)
    for rule in _MAP.iter_rules() if rule.endpoint not in PUBLIC
    for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
)


def test_only_login_and_static_are_public() -> None:
    assert PUBLIC == {"auth.login", "static"}
    assert {rule.endpoint for rule in _MAP.iter_rules()} >= PUBLIC
    assert len(ROUTES) >= 12  # the map was read: queue, ticket changes, admin pages, logout


@pytest.mark.parametrize("endpoint, method", ROUTES, ids=lambda value: str(value))
def test_every_route_refuses_anonymous_access(console: Console, endpoint: str, method: str) -> None:
    ticket = file(console.store)
    values = {"reference": ticket.reference, "user_id": user(console.store, "tanaka").id}
    [rule] = [r for r in console.app.url_map.iter_rules() if r.endpoint == endpoint]
    url = console.app.url_map.bind("localhost").build(
        endpoint, {name: values[name] for name in rule.arguments}, method=method)
    client = console.client()
    before = len(audit(console.store))
    # A valid CSRF token, so that only the missing login can be the reason for refusing.
    data = {"csrf_token": token(client), "status": "in_progress", "body": "x", "login": "x",
            "display_name": "x", "role": "admin", "password": PASSWORD, "confirm": PASSWORD}
    response = client.open(url, method=method, data=data if method == "POST" else None)
    assert is_login_redirect(response) or response.status_code in (401, 403), response.status_code
    assert len(audit(console.store)) == before
    assert ticket_row(console.store, ticket.id).status is Status.RECEIVED
    with console.store.unit_of_work() as db:
        assert db.execute(select(func.count()).select_from(StaffUser)).scalar_one() == 3


def test_login_page_and_stylesheet_are_public(console: Console) -> None:
    client = console.client()
    page = client.get("/login")
    assert page.status_code == 200 and "ログイン" in page.text
    css = client.get("/static/console.css")
    assert css.status_code == 200 and css.mimetype == "text/css"


def test_an_anonymous_get_returns_to_the_page_after_login(console: Console) -> None:
    ticket = file(console.store)
    client = console.client()
    response = client.get(f"/tickets/{ticket.reference}")
    assert is_login_redirect(response)
    assert login(client, "tanaka").headers["Location"] == "/"  # no next: the queue
    client = console.client()
    client.get(f"/tickets/{ticket.reference}")
    response = client.post(f"/login?next=/tickets/{ticket.reference}", data={
        "csrf_token": token(client), "login": "tanaka", "password": PASSWORD})
    assert response.headers["Location"] == f"/tickets/{ticket.reference}"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_to_another_site(console: Console, target: str) -> None:
    client = console.client()
    response = client.post("/login", query_string={"next": target}, data={
        "csrf_token": token(client), "login": "tanaka", "password": PASSWORD})
    assert response.headers["Location"] == "/"


# --- CSRF ----------------------------------------------------------------------------------


def test_csrf_protection_is_on(console: Console) -> None:
    assert console.app.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize("sent", [None, "forged-token"])
def test_a_post_without_a_valid_csrf_token_is_rejected(console: Console, sent: str | None) -> None:
    ticket = file(console.store)
    client = logged_in(console, "tanaka")
    data = {"status": "in_progress"} | ({"csrf_token": sent} if sent else {})
    response = client.post(f"/tickets/{ticket.reference}/status", data=data)
    assert response.status_code == 400
    assert "フォームの有効期限が切れたか" in response.text
    assert ticket_row(console.store, ticket.id).status is Status.RECEIVED
    assert audit(console.store, "change_status") == []
    # Logging out needs the token too.
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_the_login_form_needs_the_csrf_token(console: Console) -> None:
    client = console.client()
    client.get("/login")
    response = client.post("/login", data={"login": "tanaka", "password": PASSWORD})
    assert response.status_code == 400
    assert user(console.store, "tanaka").last_login_at is None


# --- logging in ----------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2_hashes_only(console: Console) -> None:
    with console.store.unit_of_work() as db:
        rows = db.execute(text("SELECT * FROM staff_users")).mappings().all()
        everything = str(rows) + str(db.execute(text("SELECT * FROM audit_log")).all())
    assert len(rows) == 3
    assert PASSWORD not in everything
    for row in rows:
        assert row["password_hash"].startswith("$argon2id$")
        assert PasswordHasher().verify(row["password_hash"], PASSWORD)


def test_login_and_logout_are_audited_with_the_address(console: Console) -> None:
    client = console.client()
    response = login(client, "tanaka")
    assert response.status_code == 302
    assert user(console.store, "tanaka").last_login_at is not None
    assert client.get("/").status_code == 200
    response = post(client, "/logout")
    assert is_login_redirect(response)
    assert is_login_redirect(client.get("/"))
    entries = [(e.actor, e.action, e.ip) for e in audit(console.store)
               if e.action in ("login", "logout", "view_queue")]
    assert entries == [("tanaka", "login", "127.0.0.1"), ("tanaka", "view_queue", "127.0.0.1"),
                       ("tanaka", "logout", "127.0.0.1")]


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("tcn_console")
    assert cookie is not None, "no session cookie"
    return cookie.value


def test_a_cookie_kept_from_before_logout_no_longer_works(console: Console) -> None:
    client = logged_in(console, "tanaka")
    kept = session_cookie(client)
    post(client, "/logout")
    thief = console.client()
    thief.set_cookie("tcn_console", kept)
    assert is_login_redirect(thief.get("/"))


def test_session_cookie_flags(console: Console, tmp_path: Path) -> None:
    header = login(console.client(), "tanaka").headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    plain = create_app(replace(console.app.extensions[KEY].config, secure_cookies=False))
    header = login(plain.test_client(), "tanaka").headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


def test_login_starts_a_new_session(console: Console) -> None:
    """Session fixation: nothing planted in the session before the login survives it."""
    client = console.client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["uid"] = user(console.store, "kanri").id  # without the nonce it counts for nothing
    before = session_cookie(client)
    login(client, "tanaka")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["uid"] == user(console.store, "tanaka").id
    assert session_cookie(client) != before


def test_unknown_user_and_wrong_password_get_the_same_answer(console: Console) -> None:
    unknown = login(console.client(), "nobody")
    wrong = login(console.client(), "tanaka", "wrong password 123")
    assert unknown.status_code == wrong.status_code == 200
    assert flashes(unknown.text) == flashes(wrong.text) == [LOGIN_REFUSED]
    failed = [(e.actor, e.details) for e in audit(console.store, "login_failed")]
    assert failed == [("anonymous", {"reason": "unknown_user"}),
                      ("tanaka", {"reason": "wrong_password"})]
    assert "wrong password" not in str(audit(console.store)) + str(failed)


def _idle(client: FlaskClient, minutes: float) -> None:
    with client.session_transaction() as session:
        session["seen"] = time.time() - minutes * 60


def test_idle_timeout_logs_out(console: Console) -> None:
    client = logged_in(console, "tanaka")
    _idle(client, 14)
    assert client.get("/").status_code == 200  # 14 minutes idle: still in
    _idle(client, 16)
    response = client.get("/")
    assert is_login_redirect(response)
    assert "一定時間操作がなかったため" in client.get("/login").text
    assert [e.details for e in audit(console.store, "logout")] == [{"reason": "idle"}]
    assert is_login_redirect(client.get("/"))  # the session is over, not just this request
    assert user(console.store, "tanaka").session_nonce is None


def test_idle_minutes_come_from_the_configuration(console: Console) -> None:
    short = create_app(replace(console.app.extensions[KEY].config, idle_minutes=1))
    client = short.test_client()
    assert login(client, "tanaka").status_code == 302
    _idle(client, 1.5)
    assert is_login_redirect(client.get("/"))


def test_inactive_accounts_cannot_log_in_and_lose_their_session(console: Console) -> None:
    client = logged_in(console, "suzuki")
    admin = logged_in(console, "kanri")
    suzuki = user(console.store, "suzuki")
    assert is_login_redirect(client.get("/")) is False
    post(admin, f"/admin/users/{suzuki.id}/deactivate")
    assert user(console.store, "suzuki").active is False
    assert is_login_redirect(client.get("/"))
    assert flashes(login(console.client(), "suzuki").text) == [LOGIN_REFUSED]


# --- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [
    ("GET", "/export.csv"), ("GET", "/admin/users"), ("GET", "/admin/audit"),
    ("POST", "/admin/users"), ("GET", "/admin/users/1/password"),
    ("POST", "/admin/users/1/deactivate"),
])
def test_staff_cannot_use_the_admin_pages(console: Console, method: str, path: str) -> None:
    client = logged_in(console, "tanaka")
    data = {"csrf_token": token(client), "login": "intruder", "display_name": "x",
            "role": "admin", "password": PASSWORD, "confirm": PASSWORD}
    response = client.open(path, method=method, data=data if method == "POST" else None)
    assert response.status_code == 403
    assert "権限がありません" in response.text
    assert [(e.actor, e.details) for e in audit(console.store, "denied")] == [
        ("tanaka", {"path": path})]
    assert user(console.store, "kanri").active
    with console.store.unit_of_work() as db:
        assert db.scalars(select(StaffUser).where(StaffUser.login == "intruder")).first() is None
    admin = logged_in(console, "kanri")
    assert admin.get("/admin/users").status_code == 200


def test_the_menu_shows_admin_pages_to_admins_only(console: Console) -> None:
    staff_page = logged_in(console, "tanaka").get("/").text
    admin_page = logged_in(console, "kanri").get("/").text
    for link in ('href="/admin/users"', 'href="/admin/audit"', 'href="/export.csv'):
        assert link not in staff_page and link in admin_page


def test_admin_creates_an_account_that_can_log_in(console: Console) -> None:
    admin = logged_in(console, "kanri")
    short = post(admin, "/admin/users", login="yamada", display_name="山田 太郎", role="staff",
                 password="too short", confirm="too short")
    assert short.status_code == 200 and "12文字以上" in short.text
    response = post(admin, "/admin/users", login="yamada", display_name="山田 太郎", role="staff",
                    password="a long enough pass", confirm="a long enough pass")
    assert response.status_code == 302
    assert login(console.client(), "yamada", "a long enough pass").status_code == 302
    [entry] = audit(console.store, "create_user")[-1:]
    assert (entry.actor, entry.details) == ("kanri", {"login": "yamada", "role": "staff"})
    assert "a long enough pass" not in str([e.details for e in audit(console.store)])
    taken = post(admin, "/admin/users", login="yamada", display_name="別人", role="admin",
                 password="a long enough pass", confirm="a long enough pass")
    assert "すでに使われています" in " ".join(flashes(taken.text))


def test_admin_resets_a_password(console: Console) -> None:
    old_session = logged_in(console, "tanaka")
    admin = logged_in(console, "kanri")
    tanaka = user(console.store, "tanaka")
    response = post(admin, f"/admin/users/{tanaka.id}/password", password="brand new password",
                    confirm="brand new password")
    assert response.status_code == 302
    assert is_login_redirect(old_session.get("/"))
    assert flashes(login(console.client(), "tanaka").text) == [LOGIN_REFUSED]
    assert login(console.client(), "tanaka", "brand new password").status_code == 302
    assert [e.details for e in audit(console.store, "reset_password")] == [{"login": "tanaka"}]


def test_admin_cannot_deactivate_themselves(console: Console) -> None:
    admin = logged_in(console, "kanri")
    response = post(admin, f"/admin/users/{user(console.store, 'kanri').id}/deactivate")
    assert response.status_code == 302 and user(console.store, "kanri").active


# --- the queue -----------------------------------------------------------------------------


def _set(case_store: CaseStore, ticket_id: int, **values: Any) -> None:
    with case_store.unit_of_work() as db:
        ticket = db.get(Ticket, ticket_id)
        for name, value in values.items():
            setattr(ticket, name, value)


def _references(html: str) -> list[str]:
    return re.findall(r'<a href="/tickets/(PR-[^"]+)">', html)


def test_queue_filters_sorts_and_counts(console: Console) -> None:
    today = datetime.now(timezone.utc).date()
    late = file(console.store, kind="訂正")
    fresh = file(console.store)
    done = file(console.store)
    with console.store.unit_of_work() as db:
        handoff = open_handoff(db, HANDOFF).ticket
    _set(console.store, late.id, due_date=today - timedelta(days=3),
         assignee_id=user(console.store, "tanaka").id)
    _set(console.store, fresh.id, due_date=today + timedelta(days=10))
    _set(console.store, done.id, status=Status.DONE, due_date=today - timedelta(days=30))
    _set(console.store, handoff.id, due_date=today + timedelta(days=5),
         created_at=NOW - timedelta(days=1))
    client = logged_in(console, "tanaka")

    page = client.get("/").text  # open tickets, earliest due date first
    assert _references(page) == [late.reference, handoff.reference, fresh.reference]
    assert re.search(r'<tr class="overdue[^"]*">\s*<td class="nowrap"><a href="/tickets/' + late.reference, page)
    assert page.count("期限超過</span>") == 1
    assert REASON_LABELS["complaint"] in page
    counts = dict(re.findall(r'status=(\w+)">[^<]+<strong>(\d+)</strong>', page))
    assert counts == {"received": "3", "awaiting_id": "0", "in_progress": "0", "done": "1",
                      "refused": "0", "withdrawn": "0"}

    def listed(**query: str) -> list[str]:
        return _references(client.get("/", query_string=query).text)

    assert listed(status="") == [done.reference, late.reference, handoff.reference, fresh.reference]
    assert listed(status="done") == [done.reference]
    assert listed(sort="received") == [handoff.reference, late.reference, fresh.reference]
    assert listed(category="handoff") == [handoff.reference]
    assert listed(kind="訂正") == [late.reference]
    assert listed(overdue="y", status="") == [late.reference]  # a closed ticket is never late
    assert listed(assignee="me") == [late.reference]
    assert listed(assignee="none") == [handoff.reference, fresh.reference]
    assert listed(assignee=str(user(console.store, "suzuki").id)) == []
    assert listed(status="lost", kind="苦情") == _references(client.get("/?status=").text)
    views = audit(console.store, "view_queue")
    assert views[0].details == {"status": "open", "sort": "due", "order": "asc"}
    assert views[2].details == {"status": "done", "sort": "due", "order": "asc"}
    assert {(e.actor, e.ip) for e in views} == {("tanaka", "127.0.0.1")}


# --- the ticket page -----------------------------------------------------------------------


def test_ticket_page_shows_every_field_and_audits_the_view(console: Console) -> None:
    ticket = file(console.store)
    page = logged_in(console, "tanaka").get(f"/tickets/{ticket.reference}").text
    for value in (ticket.reference, "開示", "本人", "多摩 花子", "090-1234-5678",
                  "hanako@example.jp", "TCN-4821-77", "契約者情報の開示を希望", "窓口で提示",
                  ticket.due_date.isoformat(), "2026-11-28 12:00"):
        assert value in page, value
    # Technical fields are out of the staff view (the history's "created" has the channel).
    assert "conversation-abc" not in page and "経路" not in page and "会話 ID" not in page
    [entry] = audit(console.store, "view_ticket")
    assert (entry.actor, entry.ip, entry.ticket_id, entry.details) == (
        "tanaka", "127.0.0.1", ticket.id, {})


def test_an_unknown_reference_is_not_found(console: Console) -> None:
    client = logged_in(console, "tanaka")
    assert client.get("/tickets/PR-20261128-ZZZZZZ").status_code == 404
    assert post(client, "/tickets/PR-20261128-ZZZZZZ/status", status="in_progress").status_code == 302


def _offered(page: str) -> list[str]:
    select = re.search(r'<select id="status" name="status">(.*?)</select>', page, re.S)
    assert select, "no status select on the page"
    return re.findall(r'value="(\w+)"', select.group(1))


def test_only_the_allowed_next_statuses_are_offered(console: Console) -> None:
    ticket = file(console.store)
    client = logged_in(console, "tanaka")
    page = client.get(f"/tickets/{ticket.reference}").text
    assert _offered(page) == ["awaiting_id", "in_progress", "refused", "withdrawn"]
    for ground in REFUSAL_GROUNDS:  # the grounds with the policy's own words
        assert f"{ground} {refusal_ground_text(ground)}" in page
    _set(console.store, ticket.id, status=Status.IN_PROGRESS)
    assert _offered(client.get(f"/tickets/{ticket.reference}").text) == [
        "done", "refused", "withdrawn"]
    _set(console.store, ticket.id, status=Status.DONE)
    page = client.get(f"/tickets/{ticket.reference}").text
    assert 'name="status"' not in page and "「完了」で終了しています" in page


def test_allowed_transitions_through_the_page_are_recorded_and_audited(console: Console) -> None:
    ticket = file(console.store)
    client = logged_in(console, "tanaka")
    path = f"/tickets/{ticket.reference}/status"
    response = post(client, path, status="in_progress", note="", ground="")
    assert response.status_code == 302 and response.headers["Location"] == f"/tickets/{ticket.reference}"
    assert "状態を変更しました。" in flashes(client.get(response.headers["Location"]).text)
    post(client, path, status="done", note="開示書面を郵送した", ground="")
    row = ticket_row(console.store, ticket.id)
    assert (row.status, row.status_note) == (Status.DONE, "開示書面を郵送した")
    assert [(e.actor, e.action, e.changes.get("status")) for e in row.events[1:]] == [
        ("staff:tanaka", "status_changed", ["received", "in_progress"]),
        ("staff:tanaka", "status_changed", ["in_progress", "done"])]
    assert [(e.actor, e.ip, e.ticket_id, e.details) for e in audit(console.store, "change_status")] == [
        ("tanaka", "127.0.0.1", ticket.id, {"from": "received", "to": "in_progress"}),
        ("tanaka", "127.0.0.1", ticket.id, {"from": "in_progress", "to": "done"})]


@pytest.mark.parametrize("start, data, message", [
    (Status.RECEIVED, {"status": "done", "note": "済み"}, "受付から完了には変更できません。"),
    (Status.IN_PROGRESS, {"status": "done", "note": "  "}, "完了にするには、メモに対応した内容を書いてください。"),
    (Status.RECEIVED, {"status": "refused", "note": "理由の説明"}, "不実施の理由（①〜⑦）を選んでください。"),
    (Status.RECEIVED, {"status": "refused", "note": "", "ground": "③"}, "メモに理由の説明を書いてください。"),
    (Status.RECEIVED, {"status": "refused", "note": "理由", "ground": "⑧"}, "不実施の理由（①〜⑦）を選んでください。"),
    (Status.RECEIVED, {"status": "in_progress", "ground": "①"}, "不実施の理由は、不実施にするときだけ選べます。"),
    (Status.DONE, {"status": "withdrawn", "note": "取下げ"}, "完了から取下げには変更できません。"),
    (Status.RECEIVED, {"status": "lost"}, "変更先の状態を選んでください。"),
])
def test_forbidden_or_incomplete_transitions_are_refused(
    console: Console, start: Status, data: dict[str, str], message: str
) -> None:
    ticket = file(console.store)
    _set(console.store, ticket.id, status=start)
    client = logged_in(console, "tanaka")
    response = post(client, f"/tickets/{ticket.reference}/status", **data)
    assert any(message in shown for shown in flashes(client.get(response.headers["Location"]).text))
    row = ticket_row(console.store, ticket.id)
    assert row.status is start and len(row.events) == 1
    assert audit(console.store, "change_status") == []


def test_refusal_with_a_ground_and_a_note(console: Console) -> None:
    ticket = file(console.store)
    client = logged_in(console, "tanaka")
    post(client, f"/tickets/{ticket.reference}/status", status="refused", ground="⑦",
         note="法令に抵触するため")
    row = ticket_row(console.store, ticket.id)
    assert (row.status, row.refusal_ground, row.status_note) == (Status.REFUSED, "⑦", "法令に抵触するため")
    assert audit(console.store, "change_status")[0].details == {
        "from": "received", "to": "refused", "ground": "⑦"}
    assert refusal_ground_text("⑦") in client.get(f"/tickets/{ticket.reference}").text


def test_assignment_notes_contacts_and_extension(console: Console) -> None:
    ticket = file(console.store)
    client = logged_in(console, "tanaka")
    base = f"/tickets/{ticket.reference}"
    post(client, f"{base}/assign", assignee="suzuki")
    post(client, f"{base}/assign", assignee="nobody")  # refused: no such account
    post(client, f"{base}/notes", body="本人確認書類の到着待ち")
    post(client, f"{base}/notes", body="   ")  # refused: empty
    post(client, f"{base}/contacts", channel="電話", direction="発信", body="受付の連絡をした")
    post(client, f"{base}/contacts", channel="FAX", direction="発信", body="x")  # refused
    earlier = ticket.due_date - timedelta(days=1)
    later = ticket.due_date + timedelta(days=14)
    post(client, f"{base}/due", due_date=earlier.isoformat(), reason="前倒し")  # refused
    post(client, f"{base}/due", due_date=later.isoformat(), reason="")  # refused: no reason
    post(client, f"{base}/due", due_date="not a date", reason="理由")  # refused
    post(client, f"{base}/due", due_date=later.isoformat(), reason="書類の再提出待ち")

    row = ticket_row(console.store, ticket.id)
    assert row.assignee.login == "suzuki" and row.due_date == later
    assert [(n.kind, n.author, n.body, n.channel, n.direction) for n in row.notes] == [
        ("internal", "tanaka", "本人確認書類の到着待ち", None, None),
        ("contact", "tanaka", "受付の連絡をした", "電話", "発信")]
    note_id, contact_id = (n.id for n in row.notes)
    assert [(e.actor, e.action, e.changes) for e in row.events[1:]] == [
        ("staff:tanaka", "assign", {"assignee": [None, "suzuki"]}),
        ("staff:tanaka", "add_note", {"note_id": [None, note_id]}),
        ("staff:tanaka", "log_contact", {"note_id": [None, contact_id], "channel": [None, "電話"],
                                         "direction": [None, "発信"]}),
        ("staff:tanaka", "extend_due", {"due_date": [ticket.due_date.isoformat(), later.isoformat()]}),
    ]
    # Staff's words are never part of the history's changes: the reason is the event's
    # own encrypted text, the notes' text stays in ticket_notes.
    assert [e.staff_text for e in row.events[1:]] == [None, None, None, "書類の再提出待ち"]
    history = json.dumps([e.changes for e in row.events], ensure_ascii=False)
    assert "受付の連絡をした" not in history and "書類の再提出待ち" not in history
    actions = [(e.action, e.actor, e.ip, e.ticket_id) for e in audit(console.store)
               if e.action in ("assign", "add_note", "log_contact", "extend_due")]
    assert actions == [(action, "tanaka", "127.0.0.1", ticket.id)
                       for action in ("assign", "add_note", "log_contact", "extend_due")]
    page = client.get(base).text
    for shown in ("本人確認書類の到着待ち", "受付の連絡をした", "書類の再提出待ち", NAMES["suzuki"]):
        assert shown in page
    post(client, f"{base}/assign", assignee="")
    assert ticket_row(console.store, ticket.id).assignee is None


def test_a_customers_html_is_shown_escaped(console: Console) -> None:
    ticket = file(console.store, name=XSS, details=XSS, conversation_id="conv-xss")
    _write_conversation(console.tracker, "conv-xss", [("user", XSS), ("bot", "承りました")])
    client = logged_in(console, "tanaka")
    for page in (client.get(f"/tickets/{ticket.reference}").text, client.get("/").text):
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    page = client.get(f"/tickets/{ticket.reference}").text
    assert page.count("&lt;script&gt;") == 3  # name, details and the chat message


# --- the transcript ------------------------------------------------------------------------


def _write_conversation(path: Path, sender: str, messages: list[tuple[str, str]]) -> None:
    write_conversation(f"sqlite:///{path}", sender, messages, NOW.timestamp())


def test_the_transcript_is_read_from_the_tracker_store(console: Console) -> None:
    ticket = file(console.store, conversation_id="conv-1")
    _write_conversation(console.tracker, "conv-1", [
        ("user", "開示を請求したい"), ("bot", "請求の種類をお選びください"), ("user", "開示です")])
    _write_conversation(console.tracker, "conv-other", [("user", "別の会話")])
    page = logged_in(console, "tanaka").get(f"/tickets/{ticket.reference}").text
    transcript = page[page.index("会話記録"):]
    said = re.findall(r'<li class="(user|bot)">\s*<span class="meta">([^<]+)</span>\s*'
                      r'<div class="text">([^<]+)</div>', transcript)
    assert said == [("user", "2026-11-28 12:00 お客様", "開示を請求したい"),
                    ("bot", "2026-11-28 12:01 ボット", "請求の種類をお選びください"),
                    ("user", "2026-11-28 12:02 お客様", "開示です")]
    assert "選択肢: はい" in transcript and "別の会話" not in page


def test_verification_codes_are_masked_in_the_transcript(console: Console) -> None:
    ticket = file(console.store, conversation_id="conv-code")
    _write_conversation(console.tracker, "conv-code", [
        ("bot", f"受付番号：{ticket.reference}\n確認コード：482913"), ("user", "確認コードは４８２９１３です"),
        ("user", "電話は090-1234-5678、お客様番号は1234567")])
    page = logged_in(console, "tanaka").get(f"/tickets/{ticket.reference}").text
    transcript = page[page.index("会話記録"):]
    assert "482913" not in transcript and "４８２９１３" not in transcript
    # The code the bot showed never reached the tracker store (bot/tracker_rows.py); the one
    # the customer typed is there, sealed, and masked on this page.
    assert "確認コードは******です" in transcript
    # References, phone numbers and longer numbers are left as they are.
    assert ticket.reference in transcript and "090-1234-5678" in transcript and "1234567" in transcript


def test_without_a_tracker_store_there_is_no_transcript(console: Console) -> None:
    ticket = file(console.store)
    client = logged_in(console, "tanaka")
    assert "会話記録はありません" in client.get(f"/tickets/{ticket.reference}").text
    assert not console.tracker.exists()  # reading did not create the file
    sqlite3.connect(console.tracker).close()  # a database without Rasa's events table
    assert "会話記録はありません" in client.get(f"/tickets/{ticket.reference}").text


# --- audit log and addresses ---------------------------------------------------------------


def test_the_audit_log_page_lists_entries_for_admins(console: Console) -> None:
    ticket = file(console.store)
    logged_in(console, "tanaka").get(f"/tickets/{ticket.reference}")
    admin = logged_in(console, "kanri")
    page = admin.get("/admin/audit").text
    assert "案件の閲覧" in page and ticket.reference in page and "127.0.0.1" in page
    only = admin.get("/admin/audit", query_string={"actor": "tanaka", "action": "view_ticket"}).text
    assert only.count("<code>view_ticket</code>") == 1 and "<code>login</code>" not in only
    assert [e.details for e in audit(console.store, "view_audit")] == [
        {}, {"actor": "tanaka", "action": "view_ticket"}]


def test_audit_entries_cannot_be_changed_or_removed(console: Console) -> None:
    logged_in(console, "tanaka").get("/")
    with pytest.raises(AppendOnlyError):
        with console.store.unit_of_work() as db:
            db.scalars(select(AuditEntry)).first().actor = "someone-else"
    with pytest.raises(AppendOnlyError):
        with console.store.unit_of_work() as db:
            db.delete(db.scalars(select(AuditEntry)).first())


PROXIES = parse_networks("10.0.0.5, 192.168.0.0/24")


@pytest.mark.parametrize("peer, forwarded, proxies, expected", [
    ("203.0.113.7", None, (), "203.0.113.7"),
    ("203.0.113.7", "198.51.100.1", (), "203.0.113.7"),  # no trusted proxies: header ignored
    ("203.0.113.7", "198.51.100.1", PROXIES, "203.0.113.7"),  # not from our proxy: ignored
    ("10.0.0.5", "198.51.100.1", PROXIES, "198.51.100.1"),
    ("10.0.0.5", "6.6.6.6, 198.51.100.1, 192.168.0.9", PROXIES, "198.51.100.1"),
    ("10.0.0.5", "garbage, 198.51.100.1", PROXIES, "198.51.100.1"),
    ("10.0.0.5", "198.51.100.1, not-an-ip", PROXIES, "10.0.0.5"),
    ("10.0.0.5", "2001:db8::1", PROXIES, "2001:db8::1"),
])
def test_client_address(peer: str, forwarded: str | None, proxies: tuple, expected: str) -> None:
    assert client_address(peer, forwarded, proxies) == expected


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(console: Console) -> None:
    config = console.app.extensions[KEY].config
    for proxies, expected in (((), "10.0.0.5"), (PROXIES, "198.51.100.1")):
        app = create_app(replace(config, trusted_proxies=proxies))
        client = app.test_client()
        client.environ_base.update(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
        login(client, "tanaka")
        assert audit(console.store, "login")[-1].ip == expected


# --- CSV export ----------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+81 90", "'+81 90"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), ("多摩", "多摩"), (None, ""), (3, "3"),
])
def test_safe_cell(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_admin_exports_the_queue_as_csv(console: Console) -> None:
    formula = file(console.store, name="=HYPERLINK(\"http://evil.example\",\"x\")",
                   details="@SUM(1+1)", phone="+81-90-1234-5678", customer_number=None)
    file(console.store, kind="削除")
    admin = logged_in(console, "kanri")
    response = admin.get("/export.csv", query_string={"kind": "開示"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment; filename=tickets-" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:4] == ["受付番号", "区分", "種類・理由", "状態"]
    [row] = rows[1:]
    assert row[0] == formula.reference and row[1:4] == ["請求", "開示", "受付"]
    assert row[8:] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+81-90-1234-5678",
                       "hanako@example.jp", "'@SUM(1+1)"]
    [entry] = audit(console.store, "export_csv")
    assert (entry.actor, entry.ip, entry.details) == (
        "kanri", "127.0.0.1", {"status": "open", "kind": "開示", "sort": "due", "order": "asc", "rows": 1})


# --- the service on both databases ---------------------------------------------------------


def _staff(case_store: CaseStore) -> Actor:
    with case_store.unit_of_work() as db:
        service.create_user(db, Actor(SYSTEM, None, None), "tanaka", "田中", "staff", PASSWORD)
    return Actor.web("tanaka", "192.0.2.10")


def test_service_changes_on_each_backend(store: CaseStore) -> None:  # noqa: F811
    actor = _staff(store)
    ticket_id = file(store).id
    with store.unit_of_work() as db:
        ticket = db.get(Ticket, ticket_id)
        service.set_status(db, actor, ticket, "in_progress")
        service.assign(db, actor, ticket, "tanaka")
        service.log_contact(db, actor, ticket, "電子メール", "着信", "お客様から問い合わせ")
        service.extend_due(db, actor, ticket, ticket.due_date + timedelta(days=7), "再提出待ち")
        with pytest.raises(service.ConsoleError):
            service.set_status(db, actor, ticket, "done")
    row = ticket_row(store, ticket_id)
    assert row.status is Status.IN_PROGRESS and row.assignee.login == "tanaka"
    assert [e.action for e in row.events] == ["created", "status_changed", "assign", "log_contact",
                                              "extend_due"]
    assert [(e.action, e.actor, e.ip) for e in audit(store) if e.ticket_id] == [
        (action, "tanaka", "192.0.2.10")
        for action in ("change_status", "assign", "log_contact", "extend_due")]
    with pytest.raises(AppendOnlyError):
        with store.unit_of_work() as db:
            db.delete(db.scalars(select(AuditEntry)).first())


def test_note_and_user_constraints_hold_in_the_database(store: CaseStore) -> None:  # noqa: F811
    ticket_id = file(store).id
    bad_rows = [
        TicketNote(ticket_id=ticket_id, at=NOW, author="x", kind="contact", body="x"),
        TicketNote(ticket_id=ticket_id, at=NOW, author="x", kind="internal", body="x",
                   channel="電話", direction="発信"),
        TicketNote(ticket_id=ticket_id, at=NOW, author="x", kind="memo", body="x"),
        StaffUser(login="x", display_name="x", password_hash="x", role="root", created_at=NOW),
    ]
    for row in bad_rows:
        with pytest.raises(IntegrityError):
            with store.unit_of_work() as db:
                db.add(row)
    with store.unit_of_work() as db:
        db.add(TicketNote(ticket_id=ticket_id, at=NOW, author="x", kind="contact", body="x",
                          channel="窓口", direction="着信"))


# --- handoff tickets -----------------------------------------------------------------------


def test_handoff_reasons_and_labels() -> None:
    assert HANDOFF_REASONS == ("ask_human", "complaint", "not_understood")
    assert dict(REASON_LABELS) == {"ask_human": "担当者との対話を希望",
                                   "complaint": "苦情・異議の申出",
                                   "not_understood": "自動応答で解決できず"}


def test_open_handoff_files_a_ticket_like_a_request(store: CaseStore, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TCN_DUE_DAYS", "10")  # a request's: not a handoff's
    monkeypatch.setenv("TCN_HANDOFF_DUE_BUSINESS_DAYS", "2")
    with store.unit_of_work() as db:
        filed = open_handoff(db, HANDOFF, now=NOW)
    assert filed.code is not None and REFERENCE_PATTERN.match(filed.ticket.reference)
    row = ticket_row(store, filed.ticket.id)
    assert (row.category, row.handoff_reason, row.status, row.due_date) == (
        "handoff", "complaint", Status.RECEIVED, date(2026, 12, 1))  # Sat 28 → Mon, Tue
    assert (row.kind, row.requester, row.name, row.id_presentation, row.fee_applies) == (
        None, None, None, None, False)
    assert (row.email, row.phone, row.details, row.channel, row.conversation_id) == (
        "kujou@example.jp", None, HANDOFF.summary, "socketio", "conversation-xyz")
    assert code_matches(row.code_hash, filed.code)
    [event] = row.events
    assert (event.actor, event.action) == ("customer:chat", "created")
    assert event.changes["category"] == [None, "handoff"]
    assert event.changes["handoff_reason"] == [None, "complaint"]
    assert "kind" not in event.changes
    history = json.dumps(event.changes, ensure_ascii=False)
    assert HANDOFF.email is not None and HANDOFF.summary is not None
    assert HANDOFF.email not in history and HANDOFF.summary not in history
    with store.unit_of_work() as db:
        again = open_handoff(db, replace(HANDOFF, reason="ask_human"), now=NOW)
    assert (again.ticket.id, again.code) == (filed.ticket.id, None)


@pytest.mark.parametrize("change", [{"reason": "angry"}, {"phone": None, "email": None},
                                    {"phone": "", "email": ""}])
def test_open_handoff_refuses_invalid_input(store: CaseStore, change: dict) -> None:  # noqa: F811
    with pytest.raises(InvalidRequest):
        with store.unit_of_work() as db:
            open_handoff(db, replace(HANDOFF, **change))
    with store.unit_of_work() as db:
        assert db.execute(select(func.count()).select_from(Ticket)).scalar_one() == 0


def test_the_database_keeps_requests_and_handoffs_apart(store: CaseStore) -> None:  # noqa: F811
    request_id = file(store).id
    with store.unit_of_work() as db:
        handoff_id = open_handoff(db, HANDOFF).ticket.id
    for ticket_id, sql in ((request_id, "UPDATE tickets SET kind = NULL WHERE id = :id"),
                           (request_id, "UPDATE tickets SET handoff_reason = 'complaint' WHERE id = :id"),
                           (handoff_id, "UPDATE tickets SET handoff_reason = NULL WHERE id = :id"),
                           (handoff_id, "UPDATE tickets SET email = NULL WHERE id = :id"),
                           (handoff_id, "UPDATE tickets SET category = 'chat' WHERE id = :id")):
        with pytest.raises(IntegrityError):
            with store.unit_of_work() as db:
                db.execute(text(sql), {"id": ticket_id})


def _open_handoff_id(db: Any, conversation: str) -> int | None:
    ticket = open_handoff_for(db, conversation)
    return ticket.id if ticket is not None else None


def test_open_handoff_for_finds_the_conversations_open_handoff(store: CaseStore) -> None:  # noqa: F811
    conversation = HANDOFF.conversation_id
    file(store, conversation_id=conversation)  # a request is no handoff
    with store.unit_of_work() as db:
        assert open_handoff_for(db, conversation) is None
        first = open_handoff(db, HANDOFF, now=NOW).ticket
        open_handoff(db, replace(HANDOFF, conversation_id="elsewhere", submission_key="k-else"))
    with store.unit_of_work() as db:
        assert _open_handoff_id(db, conversation) == first.id
        assert open_handoff_for(db, "nobody") is None
        second = open_handoff(db, replace(HANDOFF, submission_key="handoff-key-2"),
                              now=NOW + timedelta(hours=1)).ticket
        assert _open_handoff_id(db, conversation) == second.id  # newest first
    for status in (Status.IN_PROGRESS, Status.DONE):
        with store.unit_of_work() as db:
            change_status(db, db.get(Ticket, second.id), status, "staff:tanaka", note="対応済み")
    with store.unit_of_work() as db:
        assert _open_handoff_id(db, conversation) == first.id  # still open, in progress
        change_status(db, db.get(Ticket, first.id), Status.IN_PROGRESS, "staff:tanaka")
        assert _open_handoff_id(db, conversation) == first.id
        change_status(db, db.get(Ticket, first.id), Status.WITHDRAWN, "staff:tanaka")
        assert open_handoff_for(db, conversation) is None


def test_a_handoff_ticket_in_the_console(console: Console) -> None:
    with console.store.unit_of_work() as db:
        filed = open_handoff(db, HANDOFF)
    client = logged_in(console, "tanaka")
    page = client.get(f"/tickets/{filed.ticket.reference}").text
    assert HANDOFF.summary is not None
    assert "苦情・異議の申出" in page and "お客様の言葉" in page and HANDOFF.summary in page
    post(client, f"/tickets/{filed.ticket.reference}/status", status="in_progress")
    post(client, f"/tickets/{filed.ticket.reference}/status", status="done", note="電話で回答")
    with console.store.unit_of_work() as db:
        assert open_handoff_for(db, HANDOFF.conversation_id) is None


# --- configuration -------------------------------------------------------------------------


def test_configuration_from_the_environment(tmp_path: Path) -> None:
    secret = tmp_path / "var" / "console_secret"
    config = ConsoleConfig.from_env({}, secret_file=secret)
    assert config.tracker_url == DEFAULT_TRACKER_URL == f"sqlite:///{ROOT / 'var' / 'tracker.db'}"
    assert (config.idle_minutes, config.secure_cookies, config.trusted_proxies) == (15, True, ())
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(config.secret_key) >= 48 and secret.read_text() == config.secret_key
    assert ConsoleConfig.from_env({}, secret_file=secret).secret_key == config.secret_key
    assert [p.name for p in secret.parent.iterdir()] == ["console_secret"]  # no draft left
    config = ConsoleConfig.from_env({
        "CASES_DATABASE_URL": "postgresql://u@h/cases", "TRACKER_DATABASE_URL": "sqlite:////t.db",
        "TCN_CONSOLE_SECRET_KEY": "from-env", "TCN_CONSOLE_IDLE_MINUTES": "30",
        "TCN_CONSOLE_SECURE_COOKIES": "0", "TCN_CONSOLE_TRUSTED_PROXIES": "10.0.0.1,fd00::/8",
    }, secret_file=tmp_path / "unused")
    assert (config.cases_url, config.tracker_url, config.secret_key, config.idle_minutes,
            config.secure_cookies) == ("postgresql://u@h/cases", "sqlite:////t.db", "from-env", 30,
                                       False)
    assert config.trusted_proxies == (ip_network("10.0.0.1"), ip_network("fd00::/8"))
    assert not (tmp_path / "unused").exists()
    assert ConsoleConfig.from_env({"TCN_CONSOLE_IDLE_MINUTES": "x"}, secret).idle_minutes == 15


def test_kept_secret_is_the_same_for_every_caller(tmp_path: Path) -> None:
    keys = {kept_secret(tmp_path / "secret") for _ in range(3)}
    assert len(keys) == 1


def test_pages_send_security_headers(console: Console) -> None:
    client = logged_in(console, "tanaka")
    headers = client.get("/").headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    page = client.get("/").text
    assert "http://" not in page and "https://" not in page
    # The one script is the console's own file; nothing inline.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/console.js" defer>']


# --- the command line ----------------------------------------------------------------------


def test_cli_creates_users_and_works_tickets_through_the_audit_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    created = cli(url, "create-user", "yamada", "--role", "admin", "--name", "山田 太郎",
                  "--password-stdin", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "yamada" in created.stdout
    # Interactive: asked twice (no terminal here, so getpass reads the lines from stdin).
    mismatch = cli(url, "create-user", "sato", "--role", "staff", stdin=f"{PASSWORD}\nother one\n")
    assert mismatch.returncode == 1 and "一致しません" in mismatch.stderr
    short = cli(url, "create-user", "sato", "--role", "staff", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "12文字以上" in short.stderr
    assert cli(url, "create-user", "sato", "--role", "staff",
               stdin=f"{PASSWORD}\n{PASSWORD}\n").returncode == 0

    case_store = CaseStore(make_engine(url))
    ticket = file(case_store)

    listed = cli(url, "list", "--as", "yamada")
    assert listed.returncode == 0 and ticket.reference in listed.stdout and "1 件" in listed.stdout
    shown = cli(url, "show", ticket.reference.lower(), "--as", "sato")
    assert shown.returncode == 0
    assert "多摩 花子" in shown.stdout and "090-1234-5678" in shown.stdout
    refused = cli(url, "set-status", ticket.reference, "完了", "--as", "yamada")
    assert refused.returncode == 1 and "受付から完了には変更できません" in refused.stderr
    moved = cli(url, "set-status", ticket.reference, "対応中", "--as", "yamada")
    assert moved.returncode == 0 and "対応中" in moved.stdout
    done = cli(url, "set-status", ticket.reference, "done", "--as", "yamada", "--note", "郵送済み")
    assert done.returncode == 0
    unknown = cli(url, "set-status", ticket.reference, "done", "--as", "ghost", "--note", "x")
    assert unknown.returncode == 1 and "ghost" in unknown.stderr
    assert "完了" in cli(url, "list", "--status", "完了").stdout
    assert cli(url, "list", "--status", "open").stdout.strip() == "0 件"

    row = ticket_row(case_store, ticket.id)
    assert (row.status, row.status_note) == (Status.DONE, "郵送済み")
    assert [e.actor for e in row.events[1:]] == ["staff:yamada", "staff:yamada"]
    entries = [(e.actor, e.ip, e.action) for e in audit(case_store)]
    shell = f"cli:{getpass.getuser()}"
    assert entries == [
        (shell, None, "create_user"), (shell, None, "create_user"),
        ("cli:yamada", None, "view_queue"), ("cli:sato", None, "view_ticket"),
        ("cli:yamada", None, "change_status"), ("cli:yamada", None, "change_status"),
        (shell, None, "view_queue"), (shell, None, "view_queue"),
    ]
    assert PASSWORD not in str([e.details for e in audit(case_store)])
    case_store.engine.dispose()
