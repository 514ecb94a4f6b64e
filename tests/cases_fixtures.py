"""Real case databases for tests/test_cases.py: a SQLite file and a fresh PostgreSQL database.

PostgreSQL is required: when the server (CASES_TEST_POSTGRES_URL, default the local
superuser on 127.0.0.1:5432) cannot be reached the tests fail.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import psycopg2
import pytest
from psycopg2 import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cases.db import CaseStore, make_engine, migrate
from bot.cases.tickets import NewRequest
from bot.tools.databases import create_database, drop_database

POSTGRES_ADMIN_URL = os.environ.get(
    "CASES_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# A request with every personal field filled in.
PERSONAL_REQUEST = NewRequest(
    kind="開示", requester="本人", name="多摩 花子", phone="090-1234-5678",
    email="hanako@example.jp", customer_number="TCN-4821-77", details="契約者情報の開示を希望",
    id_presentation="窓口で提示", channel="rest", conversation_id="conversation-abc",
    submission_key="form-key-alpha",
)


def _admin_connection() -> psycopg2.extensions.connection:
    """A connection to the server as superuser, or the test fails saying what to do."""
    try:
        return psycopg2.connect(POSTGRES_ADMIN_URL, connect_timeout=5)
    except psycopg2.OperationalError as error:
        problem = " ".join(str(error).split())
    shown = make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)
    pytest.fail(
        f"PostgreSQL at {shown} is not reachable ({problem}). Start it, point "
        "CASES_TEST_POSTGRES_URL at a superuser.",
        pytrace=False,
    )


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A database with a random name, dropped at the end; yields its URL. Each step
    opens its own connection: the production tests restart the server meanwhile."""
    _admin_connection().close()  # fails the test, saying what to do, when unreachable
    url = make_url(POSTGRES_ADMIN_URL).set(database=f"cases_test_{secrets.token_hex(6)}")
    url_text = url.render_as_string(hide_password=False)
    create_database(url_text)
    try:
        yield url_text
    finally:
        drop_database(url_text)


def set_connections_allowed(url: str, allowed: bool) -> None:
    """Take a database down for its clients (new connections refused, open
    ones ended) or bring it back: a real outage, without stopping the server."""
    name = make_url(url).database
    admin = _admin_connection()
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.Literal(allowed)))
            if not allowed:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                               (name,))
    finally:
        admin.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database for this session's model tests (each test empties it)."""
    with fresh_postgres_database() as url:
        yield url


def _empty_postgres(url: str) -> str:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cases.db'}"
    else:
        url = _empty_postgres(request.getfixturevalue("postgres_url"))
    migrate(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[CaseStore]:
    case_store = CaseStore(make_engine(db_url))
    yield case_store
    case_store.engine.dispose()


def raw_tickets(store: CaseStore) -> list[dict[str, Any]]:
    """Every row of `tickets` as the database holds it: plain SQL, no ORM types."""
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM tickets ORDER BY id")).mappings().all()
    return [dict(row) for row in rows]
