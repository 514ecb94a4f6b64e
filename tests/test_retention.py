"""Retention (policy 12) on real SQLite and PostgreSQL databases: conversations written by
Rasa's own SQL tracker store, tickets of various ages and statuses."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot.cases.db import ROOT, CaseStore, alembic_config, make_engine, migration_connection
from bot.cases.handoffs import NewHandoff, open_handoff
from bot.cases.keyring import KEYS_VARIABLE, new_key
from bot.cases.models import INDEX_COLUMNS, PERSONAL_FIELDS, AuditEntry, Ticket, TicketNote
from bot.cases.retention import RETENTION_ACTOR
from bot.cases.statuses import Status
from bot.cases.tickets import change_status, open_request
from bot.console.labels import ACTION_LABELS, jst, value_label
from bot.tools import retention
from bot.tracker_events import TrackerEvents
from tests.cases_fixtures import (  # noqa: F401 (fixtures)
    PERSONAL_REQUEST,
    db_url,
    postgres_url,
    raw_tickets,
    store,
)
from tests.tracker_store import write_conversation

NOW = datetime.now(timezone.utc)
OLD, RECENT = NOW - timedelta(days=400), NOW - timedelta(days=100)
PERSONAL_VALUES = ("多摩", "花子", "090-1234-5678", "hanako@example.jp", "TCN-4821-77",
                   "契約者情報", "kujou@example.jp", "苦情があります")
# status: the transitions that lead there, with what each needs.
PATHS: dict[Status, list[tuple[Status, dict[str, str]]]] = {
    Status.DONE: [(Status.IN_PROGRESS, {}), (Status.DONE, {"note": "開示書面を郵送"})],
    Status.REFUSED: [(Status.REFUSED, {"note": "法令に抵触するため", "ground": "⑦"})],
    Status.WITHDRAWN: [(Status.WITHDRAWN, {})],
    Status.IN_PROGRESS: [(Status.IN_PROGRESS, {})],
}


def _close(session: Any, ticket: Ticket, status: Status, at: datetime) -> None:
    for step, arguments in PATHS[status]:
        change_status(session, ticket, step, "staff:tanaka", now=at, **arguments)


def file_request(store: CaseStore, key: str, status: Status, at: datetime,
                 note: str | None = None) -> int:
    """A request filed and moved to `status` at `at`, with a staff note if given."""
    with store.unit_of_work() as session:
        ticket = open_request(session, replace(PERSONAL_REQUEST, submission_key=key,
                                               conversation_id=f"conv-{key}"), now=at).ticket
        _close(session, ticket, status, at)
        if note:
            session.add(TicketNote(ticket=ticket, at=at, author="tanaka", kind="contact",
                                   body=note, channel="電話", direction="発信"))
        return ticket.id


def file_handoff(store: CaseStore, key: str, status: Status, at: datetime) -> int:
    handoff = NewHandoff(reason="complaint", phone=None, email="kujou@example.jp", name=None,
                         channel="socketio", conversation_id=f"conv-{key}", submission_key=key,
                         summary="個人情報の扱いについて苦情があります")
    with store.unit_of_work() as session:
        ticket = open_handoff(session, handoff, now=at).ticket
        _close(session, ticket, status, at)
        return ticket.id


@pytest.fixture
def tracker_url(db_url: str, tmp_path: Path) -> str:
    """Rasa's tracker store: its own SQLite file, or on PostgreSQL the case database
    itself (one database for both is a valid set-up, and its tables do not collide)."""
    return f"sqlite:///{tmp_path / 'tracker.db'}" if db_url.startswith("sqlite") else db_url


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tracker_url: str) -> dict[str, str]:
    settings = {"CASES_DATABASE_URL": db_url, "TRACKER_DATABASE_URL": tracker_url}
    for variable, value in settings.items():
        monkeypatch.setenv(variable, value)
    for variable in (retention.CONVERSATION_DAYS, retention.TICKET_DAYS):
        monkeypatch.delenv(variable, raising=False)
    return settings


def run(*argv: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = retention.main(list(argv), out=out)
    return code, out.getvalue().splitlines()


def senders(tracker_url: str) -> dict[str, int]:
    """Events per conversation in the tracker store."""
    engine = make_engine(tracker_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id"))
        counts = {sender: count for sender, count in rows}
    engine.dispose()
    return counts


def snapshot(store: CaseStore, tracker_url: str) -> dict[str, Any]:
    """Everything both databases hold, as plain SQL reads them."""
    with store.engine.connect() as connection:
        tables = {table: [tuple(row) for row in connection.execute(
                      text(f"SELECT * FROM {table} ORDER BY id"))]
                  for table in ("tickets", "ticket_events", "ticket_notes", "audit_log")}
    return {**tables, "conversations": senders(tracker_url)}


@pytest.fixture
def world(store: CaseStore, tracker_url: str) -> dict[str, int]:
    """Tickets and conversations of various ages; the ids of the tickets by name."""
    tickets = {
        "done_old": file_request(store, "done_old", Status.DONE, OLD, note="090-1234-5678 に連絡"),
        "refused_old": file_request(store, "refused_old", Status.REFUSED, OLD),
        "handoff_old": file_handoff(store, "handoff_old", Status.DONE, OLD),
        "withdrawn_recent": file_request(store, "withdrawn_recent", Status.WITHDRAWN, RECENT),
        "open_old": file_request(store, "open_old", Status.IN_PROGRESS, OLD),
    }
    talk = [("user", "開示を請求したい"), ("bot", "承りました"), ("user", "多摩花子です")]
    write_conversation(tracker_url, "conv-ended-1", talk, RECENT.timestamp())
    write_conversation(tracker_url, "conv-ended-2", talk[:1], OLD.timestamp())
    write_conversation(tracker_url, "conv-open_old", talk, RECENT.timestamp())  # ticket open
    write_conversation(tracker_url, "conv-recent", talk, (NOW - timedelta(days=10)).timestamp())
    write_conversation(tracker_url, "conv-resumed", talk[:2], RECENT.timestamp(),
                       step=(NOW - timedelta(days=1) - RECENT).total_seconds())
    return tickets


def test_a_dry_run_counts_and_changes_nothing(store: CaseStore, tracker_url: str,
                                              world: dict[str, int], env: dict[str, str]) -> None:
    before = snapshot(store, tracker_url)
    code, lines = run("--dry-run")
    assert code == 0
    assert "(dry run: nothing is changed)" in lines[0]
    assert re.search(r"\(90 days\): 2 to delete \(\d+ events\), 1 kept for open tickets", lines[1])
    assert "(365 days): 3 to anonymize" in lines[2]
    assert re.fullmatch(r"summary: 2 conversation\(s\) \(\d+ events\) would be deleted, "
                        r"3 ticket\(s\) would be anonymized", lines[-1])
    assert snapshot(store, tracker_url) == before


def test_retention_deletes_old_conversations_and_anonymizes_old_closed_tickets(
        store: CaseStore, tracker_url: str, world: dict[str, int], env: dict[str, str]) -> None:
    conversations = senders(tracker_url)
    code, lines = run("--batch-size", "1")
    assert code == 0
    assert [line.strip() for line in lines if line.startswith("  ")] == [
        "conversations: 1/2 deleted", "conversations: 2/2 deleted",
        "tickets: 1/3 anonymized", "tickets: 2/3 anonymized", "tickets: 3/3 anonymized"]
    events = conversations["conv-ended-1"] + conversations["conv-ended-2"]
    assert lines[-1] == (f"summary: 2 conversation(s) ({events} events) were deleted, "
                         "3 ticket(s) were anonymized")

    # Conversations: only those that ended before the period and belong to no open ticket.
    assert senders(tracker_url) == {sender: count for sender, count in conversations.items()
                                    if sender not in ("conv-ended-1", "conv-ended-2")}

    # Tickets: the old closed ones keep their record without personal data.
    anonymized = {world[name] for name in ("done_old", "refused_old", "handoff_old")}
    rows = {row["id"]: row for row in raw_tickets(store)}
    for ticket_id, row in rows.items():
        if ticket_id in anonymized:
            assert all(row[field] is None for field in PERSONAL_FIELDS)
            assert row["anonymized_at"] is not None
        else:
            assert all(row[field] for field in ("phone", "email", "name", "details"))
            assert row["anonymized_at"] is None
    with store.unit_of_work() as session:
        for ticket_id in anonymized:
            ticket = session.get(Ticket, ticket_id)
            assert ticket.reference.startswith("PR-") and ticket.status in (
                Status.DONE, Status.REFUSED)
            assert ticket.created_at < OLD + timedelta(minutes=1)
            handoff = ticket_id == world["handoff_old"]
            assert (ticket.category, ticket.kind) == (("handoff", None) if handoff
                                                      else ("request", "開示"))
            event = ticket.events[-1]
            assert (event.action, event.actor) == ("anonymized", RETENTION_ACTOR)
            notes = 1 if ticket_id == world["done_old"] else 0
            assert event.changes["notes_erased"] == [None, notes]
            assert [note.body for note in ticket.notes] == [""] * len(ticket.notes)
        entries = session.scalars(select(AuditEntry).where(AuditEntry.actor == RETENTION_ACTOR)
                                  .order_by(AuditEntry.id)).all()
        assert {e.ticket_id for e in entries if e.action == "anonymized"} == anonymized
        assert len([e for e in entries if e.action == "anonymized"]) == 3
        deletions = [e.details for e in entries if e.action == "delete_conversations"]
        assert [d["conversations"] for d in deletions] == [1, 1]
        assert sum(d["events"] for d in deletions) == events
        recorded = json.dumps([e.details for e in entries]
                              + [t.changes for t in session.get(Ticket, world["done_old"]).events],
                              ensure_ascii=False)
    for value in PERSONAL_VALUES:
        assert value not in recorded
    leftovers = json.dumps(snapshot(store, tracker_url)["ticket_notes"], default=str,
                           ensure_ascii=False)
    assert "090-1234-5678" not in leftovers

    # A second run finds nothing left to do, and changes nothing.
    before = snapshot(store, tracker_url)
    code, lines = run()
    assert lines[-1] == ("summary: 0 conversation(s) (0 events) were deleted, "
                         "0 ticket(s) were anonymized")
    assert snapshot(store, tracker_url) == before


def test_staff_read_the_anonymization_in_words(store: CaseStore, tracker_url: str,
                                               world: dict[str, int], env: dict[str, str]) -> None:
    run()
    with store.unit_of_work() as session:
        ticket = session.get(Ticket, world["done_old"])
        event = ticket.events[-1]
        moment = ticket.anonymized_at
    assert ACTION_LABELS[event.action] == "保存期間経過による個人情報の消去"
    assert value_label("anonymized_at", event.changes["anonymized_at"][1]) == jst(moment)
    assert ACTION_LABELS["delete_conversations"].endswith("会話記録の削除")


def test_the_periods_come_from_the_environment(store: CaseStore, tracker_url: str,
                                               world: dict[str, int], env: dict[str, str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(retention.TICKET_DAYS, "50")
    monkeypatch.setenv(retention.CONVERSATION_DAYS, "200")
    code, lines = run("--dry-run")
    assert "(200 days): 1 to delete" in lines[1]  # only conv-ended-2, 400 days old
    assert "(50 days): 4 to anonymize" in lines[2]  # withdrawn 100 days ago too


@pytest.mark.parametrize("value", ["0", "-5", "30日", "１０", "1.5", "ninety"])
def test_a_bad_period_stops_before_anything_is_done(value: str, store: CaseStore,
                                                    tracker_url: str, world: dict[str, int],
                                                    env: dict[str, str],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(store, tracker_url)
    monkeypatch.setenv(retention.TICKET_DAYS, value)
    assert run()[0] == 2
    assert "TCN_RETENTION_TICKET_DAYS must be a whole number of days" in capsys.readouterr().err
    assert snapshot(store, tracker_url) == before


def test_default_periods() -> None:
    assert retention.Periods.from_env({}) == retention.Periods(90, 365)
    assert retention.Periods.from_env({retention.CONVERSATION_DAYS: " 30 ",
                                       retention.TICKET_DAYS: "730"}) == retention.Periods(30, 730)


def test_anonymizing_needs_no_data_key(store: CaseStore, tracker_url: str,
                                       world: dict[str, int], env: dict[str, str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Personal values are never loaded: a key that decrypts nothing does not matter."""
    monkeypatch.setenv(KEYS_VARIABLE, new_key())
    assert run()[1][-1].endswith("3 ticket(s) were anonymized")


def test_a_conversation_that_went_on_meanwhile_is_not_deleted(tracker_url: str) -> None:
    write_conversation(tracker_url, "conv-a", [("user", "こんにちは"), ("user", "まだいます")],
                       RECENT.timestamp(), step=(NOW - RECENT).total_seconds())
    write_conversation(tracker_url, "conv-b", [("user", "こんにちは")], RECENT.timestamp())
    tracker = TrackerEvents(tracker_url)
    cutoff = (NOW - timedelta(days=90)).timestamp()
    # Listed as ended before conv-a's last message arrived:
    assert tracker.delete(["conv-a", "conv-b"], cutoff) == 1
    tracker.dispose()
    assert set(senders(tracker_url)) == {"conv-a"}


def test_without_a_tracker_store_only_tickets_are_done(store: CaseStore, world: dict[str, int],
                                                       env: dict[str, str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nothing-yet.db"
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{missing}")
    code, lines = run()
    assert code == 0 and "0 to delete (0 events)" in lines[1]
    assert lines[-1].endswith("3 ticket(s) were anonymized")
    assert not missing.exists()  # not created by looking


def test_an_outdated_database_is_refused(store: CaseStore, tracker_url: str,
                                         world: dict[str, int], env: dict[str, str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with migration_connection(store.engine) as connection:
        command.downgrade(alembic_config(connection), "0003")
    before = snapshot(store, tracker_url)
    assert run()[0] == 1
    error = capsys.readouterr().err
    assert "is at revision 0003, not " in error and "run `make migrate` first" in error
    assert snapshot(store, tracker_url) == before


def test_the_database_keeps_anonymized_tickets_empty(store: CaseStore,
                                                     world: dict[str, int]) -> None:
    old = world["done_old"]
    statements = [  # each breaks a CHECK
        "UPDATE tickets SET anonymized_at = updated_at WHERE id = :id",  # data still there
        "UPDATE tickets SET phone = NULL, email = NULL WHERE id = :id",  # no contact yet
        "UPDATE tickets SET name = NULL WHERE id = :id",  # a request's name
    ]
    for statement in statements:
        with pytest.raises(IntegrityError):
            with store.unit_of_work() as session:
                session.execute(text(statement), {"id": old})
    erase = ", ".join(f"{field} = NULL" for field in PERSONAL_FIELDS)
    with pytest.raises(IntegrityError):  # the search's indexes would still find it
        with store.unit_of_work() as session:
            session.execute(text(f"UPDATE tickets SET {erase}, anonymized_at = updated_at"
                                 " WHERE id = :id"), {"id": old})
    erase += "".join(f", {column} = NULL" for column in INDEX_COLUMNS)
    with store.unit_of_work() as session:
        session.execute(text(f"UPDATE tickets SET {erase}, anonymized_at = updated_at"
                             " WHERE id = :id"), {"id": old})


def test_0004_cannot_be_undone_while_tickets_are_anonymized(store: CaseStore, tracker_url: str,
                                                            world: dict[str, int],
                                                            env: dict[str, str]) -> None:
    run()
    with pytest.raises(RuntimeError, match="3 ticket\\(s\\) are anonymized"):
        with migration_connection(store.engine) as connection:
            command.downgrade(alembic_config(connection), "0003")


def test_the_command_runs_as_a_module(store: CaseStore, tracker_url: str, world: dict[str, int],
                                      env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "bot.tools.retention", "--dry-run"],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("3 ticket(s) would be anonymized")


def test_customers_are_never_told_a_period() -> None:
    """Only the retention command reads the periods: no reply, action or page can show them."""
    readers = [path.relative_to(ROOT).as_posix()
               for folder in ("bot", "actions", "data")
               for path in (ROOT / folder).rglob("*")
               if path.is_file() and path.suffix in (".py", ".yml", ".html", ".js")
               and "TCN_RETENTION_" in path.read_text(encoding="utf-8")]
    assert readers == ["bot/tools/retention.py"]
    assert "TCN_RETENTION_" not in (ROOT / "domain.yml").read_text(encoding="utf-8")
