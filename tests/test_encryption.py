"""Personal data of tickets encrypted at rest, the data keys and their rotation, on real
SQLite and PostgreSQL databases."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import StatementError

from bot.cases.db import (
    ROOT,
    CaseStore,
    alembic_config,
    make_engine,
    migrate,
    migration_connection,
)
from bot.cases.keyring import (
    FILE_VARIABLE,
    KEYS_VARIABLE,
    DataKeyError,
    keyring,
    new_key,
    prepare_local_key,
)
from bot.cases.keys import main as keys_main
from bot.cases.keys import rotate_all
from bot.cases.models import PERSONAL_FIELDS, Ticket
from bot.cases.tickets import open_request
from tests.cases_fixtures import (  # noqa: F401 (fixtures)
    PERSONAL_REQUEST,
    db_url,
    postgres_url,
    raw_tickets,
    store,
)

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)
PLAIN = {field: getattr(PERSONAL_REQUEST, field) for field in PERSONAL_FIELDS}
# The parts of the personal data that would show in any plain or lightly encoded copy.
FRAGMENTS = ("多摩", "花子", "1234", "5678", "hanako", "example.jp", "4821", "開示を希望")


def file_requests(store: CaseStore, count: int = 1) -> list[int]:
    with store.unit_of_work() as session:
        return [open_request(session, replace(PERSONAL_REQUEST, submission_key=f"key-{i}"),
                             now=NOW).ticket.id for i in range(count)]


def personal_data(store: CaseStore, ticket_id: int) -> dict[str, str | None]:
    with store.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        return {field: getattr(ticket, field) for field in PERSONAL_FIELDS}


def assert_no_plain_text(rows: list[dict]) -> None:
    for row in rows:
        for column, value in row.items():
            for fragment in FRAGMENTS:
                assert fragment not in str(value), (column, fragment)


# --- at rest -------------------------------------------------------------------------------


def test_the_database_holds_only_tokens_and_the_orm_reads_plain_text(store: CaseStore) -> None:
    [ticket_id] = file_requests(store)
    rows = raw_tickets(store)
    assert_no_plain_text(rows)
    key = Fernet(os.environ[KEYS_VARIABLE])
    for field in PERSONAL_FIELDS:
        assert rows[0][field].startswith("gAAAAA")  # a Fernet token (version byte 0x80)
        assert key.decrypt(rows[0][field].encode()).decode() == PLAIN[field]
    assert personal_data(store, ticket_id) == PLAIN


def test_every_value_has_its_own_token(store: CaseStore) -> None:
    file_requests(store, 2)
    first, second = raw_tickets(store)
    assert all(first[field] != second[field] for field in PERSONAL_FIELDS)


def test_empty_and_missing_values_stay_as_they_are(store: CaseStore) -> None:
    """So that the CHECK on phone-or-e-mail still sees an empty contact as empty."""
    with store.unit_of_work() as session:
        open_request(session, replace(PERSONAL_REQUEST, phone=None, customer_number=None,
                                      details=""), now=NOW)
    [row] = raw_tickets(store)
    assert (row["phone"], row["customer_number"], row["details"]) == (None, None, "")
    assert row["email"].startswith("gAAAAA")


def test_the_old_length_limits_still_hold(store: CaseStore) -> None:
    with pytest.raises(StatementError, match="longer than 20 characters"):
        with store.unit_of_work() as session:
            open_request(session, replace(PERSONAL_REQUEST, phone="0" * 21), now=NOW)
    with store.unit_of_work() as session:  # at the limit: accepted
        open_request(session, replace(PERSONAL_REQUEST, phone="0" * 20, name="名" * 100), now=NOW)
    assert len(raw_tickets(store)) == 1


def test_encrypted_columns_cannot_be_filtered_or_sorted() -> None:
    for query in (lambda: select(Ticket).where(Ticket.email == "hanako@example.jp"),
                  lambda: select(Ticket).where(Ticket.phone.in_(["090-1234-5678"])),
                  lambda: select(Ticket).order_by(Ticket.name.desc())):
        with pytest.raises(TypeError, match="encrypted column"):
            query()
    assert "IS NULL" in str(select(Ticket).where(Ticket.phone.is_(None)))


def test_a_wrong_key_fails_clearly(store: CaseStore, monkeypatch: pytest.MonkeyPatch) -> None:
    [ticket_id] = file_requests(store)
    token = raw_tickets(store)[0]["email"]
    other = new_key()
    monkeypatch.setenv(KEYS_VARIABLE, other)
    with pytest.raises(DataKeyError) as raised:
        personal_data(store, ticket_id)
    message = str(raised.value)
    assert "cannot be decrypted with the keys of TCN_DATA_KEYS" in message
    assert token not in message and other not in message


# --- migrations ----------------------------------------------------------------------------


def _insert_plain_ticket(store: CaseStore) -> None:
    with store.unit_of_work() as session:
        session.execute(text(
            "INSERT INTO tickets (reference, code_hash, category, kind, requester, name, phone,"
            " email, customer_number, details, id_presentation, fee_applies, channel,"
            " conversation_id, submission_key, status, due_date, created_at, updated_at)"
            " VALUES ('PR-20261128-ABC234', 'x', 'request', '開示', '本人', :name, :phone,"
            " :email, :customer_number, :details, '窓口で提示', :yes, 'rest', 'c', 'k',"
            " 'received', :due, :at, :at)"
        ), {**PLAIN, "yes": True, "due": NOW.date(), "at": NOW})
        # Rows that refer to the ticket: SQLite must still let batch mode rebuild the table.
        session.execute(text(
            "INSERT INTO ticket_events (ticket_id, at, actor, action, changes)"
            " SELECT id, :at, 'customer:chat', 'created', '{}' FROM tickets"), {"at": NOW})


def _types(store: CaseStore) -> dict[str, str]:
    columns = inspect(store.engine).get_columns("tickets")
    return {c["name"]: str(c["type"]) for c in columns if c["name"] in PERSONAL_FIELDS}


def test_0003_encrypts_existing_rows_and_its_downgrade_decrypts(store: CaseStore,
                                                               db_url: str) -> None:
    with migration_connection(store.engine) as connection:
        command.downgrade(alembic_config(connection), "0002")
    _insert_plain_ticket(store)
    before = _types(store)
    migrate(db_url)
    [row] = raw_tickets(store)
    assert_no_plain_text([row])
    assert personal_data(store, row["id"]) == PLAIN
    assert set(_types(store).values()) == {"TEXT"}
    with migration_connection(store.engine) as connection:
        command.downgrade(alembic_config(connection), "0002")
    [row] = raw_tickets(store)
    assert {field: row[field] for field in PERSONAL_FIELDS} == PLAIN
    assert _types(store) == before
    with store.engine.connect() as connection:  # back on for the pooled connection
        if store.engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    if store.engine.dialect.name == "postgresql":
        assert before["phone"] == "VARCHAR(20)" and before["email"] == "VARCHAR(254)"


def test_0003_without_a_key_stops_with_the_rows_unchanged(store: CaseStore, db_url: str,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    with migration_connection(store.engine) as connection:
        command.downgrade(alembic_config(connection), "0002")
    _insert_plain_ticket(store)
    monkeypatch.delenv(KEYS_VARIABLE)
    monkeypatch.setenv(FILE_VARIABLE, str(tmp_path / "no_such_key"))
    with pytest.raises(DataKeyError, match="no data key"):
        migrate(db_url)
    [row] = raw_tickets(store)
    assert {field: row[field] for field in PERSONAL_FIELDS} == PLAIN


def test_a_migration_on_sqlite_may_not_leave_dangling_rows(tmp_path: Path) -> None:
    """Foreign keys are off while migrating on SQLite, so they are checked before commit."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    migrate(url)
    sqlite_store = CaseStore(make_engine(url))
    with pytest.raises(RuntimeError, match="refer to missing rows"):
        with migration_connection(sqlite_store.engine) as connection:
            connection.execute(text(
                "INSERT INTO ticket_events (ticket_id, at, actor, action, changes)"
                " VALUES (999, :at, 'system', 'created', '{}')"), {"at": NOW})
    with sqlite_store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM ticket_events").scalar_one() == 0
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    sqlite_store.engine.dispose()


# --- rotation ------------------------------------------------------------------------------


def test_rotation_moves_every_row_to_the_first_key(store: CaseStore,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = os.environ[KEYS_VARIABLE], new_key()
    ids = file_requests(store, 5)
    with store.unit_of_work() as session:  # an anonymized-like gap: NULLs are left alone
        session.get(Ticket, ids[0]).customer_number = None
    before = raw_tickets(store)
    monkeypatch.setenv(KEYS_VARIABLE, f"{new},{old}")
    assert personal_data(store, ids[1]) == PLAIN  # both keys read, before and after
    out = io.StringIO()
    # Each ticket's "created" event has no staff text; it is gone through all the same.
    assert rotate_all(store, batch_size=2, out=out) == {
        "tickets": 5, "ticket_events": 5, "ticket_notes": 0}
    lines = out.getvalue().splitlines()
    assert "5 row(s) of tickets" in lines[0] and "first of 2 key(s) in TCN_DATA_KEYS" in lines[0]
    assert [line.strip() for line in lines[1:4]] == ["tickets: 2/5", "tickets: 4/5", "tickets: 5/5"]
    after = raw_tickets(store)
    assert after[0]["customer_number"] is None
    for old_row, new_row in zip(before, after):
        for field in PERSONAL_FIELDS:
            if old_row[field] is not None:
                assert new_row[field] != old_row[field]
                Fernet(new).decrypt(new_row[field].encode())  # under the new key now
    monkeypatch.setenv(KEYS_VARIABLE, new)  # the old key retired
    assert personal_data(store, ids[0]) == {**PLAIN, "customer_number": None}
    assert all(personal_data(store, i) == PLAIN for i in ids[1:])
    monkeypatch.setenv(KEYS_VARIABLE, old)
    with pytest.raises(DataKeyError):
        personal_data(store, ids[1])


def test_rotate_command_with_a_missing_key_changes_nothing(store: CaseStore, db_url: str) -> None:
    file_requests(store, 3)
    before = raw_tickets(store)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CASES_DATABASE_URL": db_url}
    result = subprocess.run([sys.executable, "-m", "bot.cases.keys", "rotate"],
                            env={**env, KEYS_VARIABLE: new_key()}, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "error: a stored value cannot be decrypted with any key of TCN_DATA_KEYS" in (
        result.stderr)
    assert "Traceback" not in result.stderr
    assert raw_tickets(store) == before
    result = subprocess.run([sys.executable, "-m", "bot.cases.keys", "rotate", "--batch-size", "2"],
                            env={**env, KEYS_VARIABLE: f"{new_key()},{os.environ[KEYS_VARIABLE]}"},
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("done: 3 row(s) of tickets, 3 row(s) of ticket_events")
               for line in result.stdout.splitlines()), result.stdout


def test_generate_prints_a_new_fernet_key(capsys: pytest.CaptureFixture[str]) -> None:
    keys = set()
    for _ in range(2):
        assert keys_main(["generate"]) == 0
        keys.add(capsys.readouterr().out.strip())
    assert len(keys) == 2
    for key in keys:
        Fernet(key)


# --- where the keys come from --------------------------------------------------------------


def test_keys_from_the_environment_first_then_the_file(tmp_path: Path) -> None:
    file_key, env_key = new_key(), new_key()
    path = tmp_path / "data_key"
    path.write_text(file_key + "\n")
    from_file = keyring({FILE_VARIABLE: str(path)})
    assert (from_file.source, from_file.size) == (str(path), 1)
    token = from_file.fernet.encrypt(b"x")
    both = keyring({KEYS_VARIABLE: f" {env_key} , {file_key} ", FILE_VARIABLE: str(path)})
    assert (both.source, both.size) == (KEYS_VARIABLE, 2)
    assert both.fernet.decrypt(token) == b"x"
    Fernet(env_key).decrypt(both.fernet.encrypt(b"y"))  # the first key encrypts


@pytest.mark.parametrize("value, problem", [
    ("not-a-key", "key 1 of TCN_DATA_KEYS is not a Fernet key"),
    (f"{new_key()},short-key", "key 2 of TCN_DATA_KEYS is not a Fernet key"),
    (" , ", "TCN_DATA_KEYS holds no key"),
])
def test_malformed_keys_are_refused_without_quoting_them(value: str, problem: str) -> None:
    with pytest.raises(DataKeyError) as raised:
        keyring({KEYS_VARIABLE: value})
    assert problem in str(raised.value)
    assert "short-key" not in str(raised.value) and "not-a-key" not in str(raised.value)


def test_a_missing_or_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataKeyError, match="no data key: set TCN_DATA_KEYS"):
        keyring({FILE_VARIABLE: str(tmp_path / "absent")})
    with pytest.raises(DataKeyError, match="cannot be read"):
        keyring({FILE_VARIABLE: str(tmp_path)})  # a directory
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(DataKeyError, match="cannot be read"):
        keyring({FILE_VARIABLE: str(binary)})


def test_a_local_run_makes_the_key_file_once_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "var" / "data_key"
    environ = {FILE_VARIABLE: str(path)}
    log = io.StringIO()
    keys = prepare_local_key(environ, log)
    assert "NEW DATA KEY" in log.getvalue() and str(path) in log.getvalue()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text()
    assert key not in log.getvalue()
    Fernet(key)
    assert keys.source == str(path)
    again = io.StringIO()
    prepare_local_key(environ, again)
    assert again.getvalue() == "" and path.read_text() == key


def test_with_keys_in_the_environment_no_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "data_key"
    log = io.StringIO()
    keys = prepare_local_key({KEYS_VARIABLE: new_key(), FILE_VARIABLE: str(path)}, log)
    assert keys.source == KEYS_VARIABLE and not path.exists() and log.getvalue() == ""


@pytest.mark.parametrize("setting", [{KEYS_VARIABLE: "not-a-key"},
                                     {KEYS_VARIABLE: "", FILE_VARIABLE: "."}])
def test_make_run_refuses_to_start_on_an_unusable_key(setting: dict[str, str],
                                                      tmp_path: Path) -> None:
    # A database that cannot be created: had the key check been skipped, migrating would
    # fail and nothing would start either way.
    env = {**os.environ, "PYTHONPATH": str(ROOT), **setting,
           "CASES_DATABASE_URL": "sqlite:////proc/no/such/dir/cases.db"}
    result = subprocess.run([sys.executable, "-m", "bot.tools.run"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("not starting: ")
    assert "Traceback" not in result.stderr
