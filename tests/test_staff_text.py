"""Staff's own words on a ticket follow the customer's data (issue 15, item 6): the status
note, the reason for a later due date, notes and contact records are encrypted at rest,
shown in the console, re-encrypted by key rotation, erased by retention while the history
keeps who did what and when, and converted by migration 0006. On real SQLite and
PostgreSQL databases, through the console's own service."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cases.db import CaseStore, alembic_config, migrate, migration_connection
from bot.cases.keyring import KEYS_VARIABLE, new_key
from bot.cases.keys import rotate_all
from bot.cases.models import Ticket
from bot.cases.retention import RETENTION_ACTOR
from bot.cases.tickets import open_request
from bot.console import service
from bot.console.audit import Actor
from bot.console.labels import ERASED_TEXT
from bot.tools import retention
from tests.cases_fixtures import (  # noqa: F401 (fixtures)
    PERSONAL_REQUEST,
    db_url,
    postgres_url,
    store,
)
from tests.test_console import Console, console, logged_in  # noqa: F401 (fixture)

STAFF = Actor.cli("tanaka")
# What staff write: each quotes the customer, as a completion note naturally does.
PROGRESS = "多摩様の本人確認書類を確認中"
REASON = "多摩様ご入院のため書類の到着が遅れる"
INTERNAL = "多摩様は平日の午前のみ在宅"
CONTACT = "多摩様に書類の到着を電話で伝えた"
DONE = "多摩花子様宛に開示書面を郵送"
WORDS = (PROGRESS, REASON, INTERNAL, CONTACT, DONE)
TABLES = ("tickets", "ticket_events", "ticket_notes", "audit_log")
# The erased notes of tickets anonymized before 0006, as that retention wrote them.
OLD_PLACEHOLDER = "（保存期間の経過により消去しました）"


def staffed_ticket(store: CaseStore, key: str = "form-key-alpha") -> int:
    """A request worked to its end through the console's service: two status changes with
    one note (the second keeps it), a due-date reason, a note, a contact, the completion."""
    with store.unit_of_work() as db:
        ticket = open_request(db, replace(PERSONAL_REQUEST, submission_key=key)).ticket
        service.set_status(db, STAFF, ticket, "awaiting_id", note=PROGRESS)
        service.set_status(db, STAFF, ticket, "in_progress", note=PROGRESS)
        service.extend_due(db, STAFF, ticket, ticket.due_date + timedelta(days=14), REASON)
        service.add_note(db, STAFF, ticket, INTERNAL)
        service.log_contact(db, STAFF, ticket, "電話", "発信", CONTACT)
        service.set_status(db, STAFF, ticket, "done", note=DONE)
        return ticket.id


# Each event's staff_text, after the "created" one (None: nothing written).
STAFF_TEXTS = [None, PROGRESS, PROGRESS, REASON, None, None, DONE]


def staff_view(store: CaseStore, ticket_id: int) -> dict[str, Any]:
    """What the ORM reads of the ticket's staff words, and its history without them."""
    with store.unit_of_work() as db:
        ticket = db.get(Ticket, ticket_id)
        return {"status_note": ticket.status_note,
                "texts": [event.staff_text for event in ticket.events],
                "notes": [note.body for note in ticket.notes],
                "history": [(e.at, e.actor, e.action, e.changes) for e in ticket.events]}


def raw_rows(store: CaseStore) -> dict[str, list[dict[str, Any]]]:
    """Every row of the case tables as plain SQL reads them."""
    with store.engine.connect() as connection:
        return {table: [dict(row) for row in connection.execute(
                    text(f"SELECT * FROM {table} ORDER BY id")).mappings()]
                for table in TABLES}


def assert_no_words_in_clear(store: CaseStore) -> None:
    dumped = repr(raw_rows(store))
    for words in WORDS:
        assert words not in dumped


def run_retention(monkeypatch: pytest.MonkeyPatch, cases_url: str, tracker: Path) -> list[str]:
    """`python -m bot.tools.retention` with the default periods; its output lines."""
    monkeypatch.setenv("CASES_DATABASE_URL", cases_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tracker}")
    for variable in (retention.CONVERSATION_DAYS, retention.TICKET_DAYS):
        monkeypatch.delenv(variable, raising=False)
    out = io.StringIO()
    assert retention.main([], out=out) == 0
    return out.getvalue().splitlines()


def expire(store: CaseStore, ticket_id: int) -> None:
    """Closed more than the default 365 days ago."""
    with store.unit_of_work() as db:
        db.get(Ticket, ticket_id).updated_at = datetime.now(timezone.utc) - timedelta(days=400)


def _downgrade(store: CaseStore, revision: str) -> None:
    with migration_connection(store.engine) as connection:
        command.downgrade(alembic_config(connection), revision)


# --- at rest and on screen -----------------------------------------------------------------


def test_staff_words_are_stored_only_as_tokens_and_read_back_in_clear(store: CaseStore,
                                                                      db_url: str) -> None:
    ticket_id = staffed_ticket(store)
    assert_no_words_in_clear(store)
    rows = raw_rows(store)
    key = Fernet(os.environ[KEYS_VARIABLE])
    tokens = [rows["tickets"][0]["status_note"],
              *(row["staff_text"] for row in rows["ticket_events"] if row["staff_text"]),
              *(row["body"] for row in rows["ticket_notes"])]
    assert [key.decrypt(token.encode()).decode() for token in tokens] == [
        DONE, PROGRESS, PROGRESS, REASON, DONE, INTERNAL, CONTACT]
    view = staff_view(store, ticket_id)
    assert (view["status_note"], view["texts"], view["notes"]) == (
        DONE, STAFF_TEXTS, [INTERNAL, CONTACT])
    if db_url.startswith("sqlite"):  # nor anywhere in the file (free pages included)
        data = Path(make_url(db_url).database).read_bytes()
        assert not [words for words in WORDS if words.encode() in data]


def test_the_console_shows_them_and_after_retention_only_who_did_what_when(
        console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket_id = staffed_ticket(console.store)
    client = logged_in(console, "tanaka")
    with console.store.unit_of_work() as db:
        reference = db.get(Ticket, ticket_id).reference
    page = client.get(f"/tickets/{reference}").text
    assert all(words in page for words in WORDS)
    assert "延長の理由: " + REASON in page and "状態のメモ: " + DONE in page
    assert ERASED_TEXT not in page

    expire(console.store, ticket_id)
    run_retention(monkeypatch, console.store.engine.url.render_as_string(hide_password=False),
                  console.tracker)
    page = client.get(f"/tickets/{reference}").text
    assert not [words for words in WORDS if words in page]
    assert page.count(ERASED_TEXT) == 2  # the note and the contact: they took place
    assert page.count("staff:tanaka") == 6 and RETENTION_ACTOR in page


# --- retention -----------------------------------------------------------------------------


def test_retention_erases_staff_words_in_tickets_and_events_and_keeps_the_trail(
        store: CaseStore, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, recent = staffed_ticket(store, "old"), staffed_ticket(store, "recent")
    expire(store, old)
    before = staff_view(store, old)
    lines = run_retention(monkeypatch, db_url, tmp_path / "tracker.db")
    assert lines[-1].endswith("1 ticket(s) were anonymized")

    after = staff_view(store, old)
    assert (after["status_note"], after["notes"]) == (None, ["", ""])
    assert after["texts"] == [None] * len(after["texts"])
    # Who did what and when: every entry as it was, and one more saying what was erased.
    assert after["history"][:-1] == before["history"]
    at, actor, action, changes = after["history"][-1]
    assert (actor, action) == (RETENTION_ACTOR, "anonymized")
    assert (changes["notes_erased"], changes["texts_erased"]) == ([None, 2], [None, 4])
    with store.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT staff_text FROM ticket_events WHERE ticket_id = :id AND staff_text IS NOT NULL"
        ), {"id": old}).all()
        assert rows == []
        raw_note = connection.execute(text("SELECT status_note FROM tickets WHERE id = :id"),
                                      {"id": old}).scalar_one()
        assert raw_note is None
    # A ticket still within its period keeps its words.
    kept = staff_view(store, recent)
    assert (kept["status_note"], kept["texts"]) == (DONE, STAFF_TEXTS)
    assert kept["notes"] == [INTERNAL, CONTACT]


# --- key rotation --------------------------------------------------------------------------


def test_rotation_re_encrypts_staff_words_too(store: CaseStore,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ticket_id = staffed_ticket(store)
    old, new = os.environ[KEYS_VARIABLE], new_key()
    monkeypatch.setenv(KEYS_VARIABLE, f"{new},{old}")
    out = io.StringIO()
    assert rotate_all(store, batch_size=3, out=out) == {
        "tickets": 1, "ticket_events": 7, "ticket_notes": 2}
    assert "  ticket_events: 7/7" in out.getvalue().splitlines()
    monkeypatch.setenv(KEYS_VARIABLE, new)  # the old key retired: everything still reads
    view = staff_view(store, ticket_id)
    assert (view["status_note"], view["texts"], view["notes"]) == (
        DONE, STAFF_TEXTS, [INTERNAL, CONTACT])


# --- migration 0006 ------------------------------------------------------------------------


def test_0006_encrypts_clear_rows_and_erases_the_words_of_anonymized_tickets(
        store: CaseStore, db_url: str) -> None:
    worked, anonymized = staffed_ticket(store, "worked"), staffed_ticket(store, "anonymized")
    at_head, anonymized_at_head = staff_view(store, worked), staff_view(store, anonymized)
    _downgrade(store, "0005")

    # As 0005's code kept them: in clear, the note and the reason inside the history.
    rows = raw_rows(store)
    events = [row for row in rows["ticket_events"] if row["ticket_id"] == worked]
    # PostgreSQL's driver reads JSON, SQLite's gives its text.
    changes = [row["changes"] if isinstance(row["changes"], dict) else json.loads(row["changes"])
               for row in events]
    assert [(change.get("status_note"), change.get("reason")) for change in changes] == [
        (None, None), ([None, PROGRESS], None), (None, None), (None, [None, REASON]),
        (None, None), (None, None), ([PROGRESS, DONE], None)]
    assert {row["status_note"] for row in rows["tickets"]} == {DONE}
    assert "staff_text" not in events[0]
    # Anonymized by 0005's retention: personal data gone, staff's words left behind.
    with store.unit_of_work() as db:
        db.execute(text("UPDATE tickets SET name = NULL, phone = NULL, email = NULL,"
                        " customer_number = NULL, details = NULL, anonymized_at = updated_at"
                        " WHERE id = :id"), {"id": anonymized})
        db.execute(text("UPDATE ticket_notes SET body = :body WHERE ticket_id = :id"),
                   {"body": OLD_PLACEHOLDER, "id": anonymized})

    migrate(db_url)
    assert_no_words_in_clear(store)
    assert OLD_PLACEHOLDER not in repr(raw_rows(store))
    assert staff_view(store, worked) == at_head
    erased = staff_view(store, anonymized)
    assert (erased["status_note"], erased["notes"]) == (None, ["", ""])
    assert erased["texts"] == [None] * len(STAFF_TEXTS)
    assert erased["history"] == anonymized_at_head["history"]  # who did what and when

    # And back: the downgrade restores 0005's form, erased notes with their placeholder.
    _downgrade(store, "0005")
    rows = raw_rows(store)
    assert {row["status_note"] for row in rows["tickets"]} == {DONE, None}
    assert sorted(row["body"] for row in rows["ticket_notes"]) == sorted(
        [INTERNAL, CONTACT, OLD_PLACEHOLDER, OLD_PLACEHOLDER])
    migrate(db_url)
    assert staff_view(store, worked) == at_head
