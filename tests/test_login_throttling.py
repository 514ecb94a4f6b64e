"""Login throttling of the staff console (bot/console/accounts.py): by login and address
together, so that nobody can lock a staff member out from another address, and nobody
can try passwords quickly from one address, for one login or across many. The rules on
a real SQLite case database with a clock the tests move; then the login page through
Flask's test client from different client addresses."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.cases.db import CaseStore, make_engine, migrate
from bot.cases.models import AuditEntry, LoginFailure
from bot.console import accounts
from bot.console.accounts import ADDRESS_FAILURES, ADDRESS_WINDOW, FAILURE_MEMORY, FREE_FAILURES, MAX_BACKOFF, backoff
from bot.console.app import create_app
from bot.console.config import ConsoleConfig
from bot.console.state import KEY

PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 12, 8, 1, 0, tzinfo=timezone.utc)
OWN, ATTACKER, OTHER = "10.0.0.5", "203.0.113.9", "198.51.100.7"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CaseStore]:
    """A migrated case database with the staff account 'tanaka'."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    migrate(url)
    case_store = CaseStore(make_engine(url))
    with case_store.unit_of_work() as db:
        accounts.create_user(db, "tanaka", "田中 花子", "staff", PASSWORD, NOW)
    yield case_store
    case_store.engine.dispose()


def attempt(store: CaseStore, address: str | None, now: datetime, password: str = "wrong password 1",
            login: str = "tanaka") -> str:
    with store.unit_of_work() as db:
        return accounts.authenticate(db, login, password, address, now).outcome


def test_backoff_doubles_after_the_free_failures_up_to_its_cap() -> None:
    waits = [backoff(failures).total_seconds() for failures in range(1, 16)]
    assert waits[:FREE_FAILURES - 1] == [0] * (FREE_FAILURES - 1)
    assert waits[FREE_FAILURES - 1:FREE_FAILURES + 3] == [2, 4, 8, 16]
    assert max(waits) == waits[-1] == MAX_BACKOFF.total_seconds()


def test_passwords_cannot_be_tried_quickly_from_one_address(store: CaseStore) -> None:
    assert [attempt(store, ATTACKER, NOW) for _ in range(FREE_FAILURES)] == ["wrong_password"] * 3
    # Now even the right password is not checked until the wait is over.
    assert attempt(store, ATTACKER, NOW + timedelta(seconds=1), PASSWORD) == "throttled"
    now, tries = NOW, 0
    while now < NOW + timedelta(hours=1):
        now += backoff(FREE_FAILURES + tries)
        assert attempt(store, ATTACKER, now - timedelta(milliseconds=1)) == "throttled"
        assert attempt(store, ATTACKER, now) == "wrong_password"
        tries += 1
    # Three free tries and about ten more in the first hour, then four an hour.
    assert FREE_FAILURES + tries <= 15
    assert attempt(store, ATTACKER, now + MAX_BACKOFF, PASSWORD) == "ok"


def test_an_attacker_cannot_lock_the_staff_member_out(store: CaseStore) -> None:
    now = NOW
    for _ in range(200):  # hammering, and waiting out every backoff for a day
        attempt(store, ATTACKER, now)
        now += timedelta(minutes=5)
    assert attempt(store, ATTACKER, now, PASSWORD) == "throttled"
    assert attempt(store, OWN, now, PASSWORD) == "ok"
    # The staff member's own typos cost nothing more than anyone's.
    assert [attempt(store, OWN, now) for _ in range(FREE_FAILURES)] == ["wrong_password"] * 3
    assert attempt(store, OWN, now + backoff(FREE_FAILURES), PASSWORD) == "ok"


def test_a_success_forgives_only_its_own_address(store: CaseStore) -> None:
    for address in (OWN, ATTACKER):
        for _ in range(FREE_FAILURES - 1):
            attempt(store, address, NOW)
    assert attempt(store, OWN, NOW, PASSWORD) == "ok"
    assert attempt(store, OWN, NOW) == "wrong_password"  # the count started again
    assert attempt(store, ATTACKER, NOW) == "wrong_password"
    assert attempt(store, ATTACKER, NOW, PASSWORD) == "throttled"


def test_one_address_cannot_spray_many_logins(store: CaseStore) -> None:
    for number in range(ADDRESS_FAILURES):
        assert attempt(store, ATTACKER, NOW, login=f"guess{number}") == "unknown_user"
    assert attempt(store, ATTACKER, NOW, login="another") == "throttled"
    assert attempt(store, ATTACKER, NOW, PASSWORD) == "throttled"
    assert attempt(store, OTHER, NOW, PASSWORD) == "ok"
    assert attempt(store, ATTACKER, NOW + ADDRESS_WINDOW, PASSWORD) == "ok"


def test_unknown_logins_are_throttled_like_real_ones(store: CaseStore) -> None:
    """Else the throttling would tell which logins exist."""
    for login in ("tanaka", "nobody"):
        outcomes = [attempt(store, ATTACKER, NOW, login=login) for _ in range(FREE_FAILURES + 1)]
        assert outcomes[-1] == "throttled", login


def test_failures_are_forgotten_after_a_day(store: CaseStore) -> None:
    for _ in range(FREE_FAILURES):
        attempt(store, ATTACKER, NOW)
    later = NOW + FAILURE_MEMORY + timedelta(seconds=1)
    assert attempt(store, OTHER, later) == "wrong_password"  # any failure clears the old ones
    with store.unit_of_work() as db:
        assert db.scalar(select(func.count()).select_from(LoginFailure)) == 1
    assert attempt(store, ATTACKER, later, PASSWORD) == "ok"


def test_no_address_is_one_address_of_its_own(store: CaseStore) -> None:
    for _ in range(FREE_FAILURES):
        attempt(store, None, NOW)
    assert attempt(store, None, NOW, PASSWORD) == "throttled"
    assert attempt(store, OWN, NOW, PASSWORD) == "ok"


# --- the login page ------------------------------------------------------------------------


@pytest.fixture
def app(store: CaseStore, tmp_path: Path) -> Flask:
    url = store.engine.url.render_as_string(hide_password=False)
    return create_app(ConsoleConfig(cases_url=url, tracker_url=f"sqlite:///{tmp_path / 'tracker.db'}",
                                    secret_key="test-secret-" + "k" * 40))


def client_from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def log_in(client: FlaskClient, password: str, **headers: str) -> int:
    found = TOKEN.search(client.get("/login").text)
    assert found, "no CSRF token on the login page"
    token = found.group(1)
    return client.post("/login", data={"csrf_token": token, "login": "tanaka", "password": password},
                       headers=headers).status_code


def test_the_login_page_throttles_the_attacker_and_not_the_staff_member(app: Flask) -> None:
    attacker = client_from(app, ATTACKER)
    # A forged X-Forwarded-For does not make a new address (no trusted proxy is configured).
    codes = [log_in(attacker, f"guess {n}", **{"X-Forwarded-For": f"192.0.2.{n}"}) for n in range(20)]
    assert codes == [200] * 20
    assert log_in(attacker, PASSWORD) == 200  # the right password, refused all the same
    assert log_in(client_from(app, OWN), PASSWORD) == 302
    with app.extensions[KEY].store.unit_of_work() as db:
        reasons = [entry.details["reason"] for entry in db.scalars(
            select(AuditEntry).where(AuditEntry.action == "login_failed").order_by(AuditEntry.id))]
    assert reasons == ["wrong_password"] * FREE_FAILURES + ["throttled"] * (21 - FREE_FAILURES)
