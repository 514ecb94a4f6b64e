"""The case database on real SQLite and PostgreSQL databases (no mocks of the database)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta, timezone
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import CheckConstraint, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.cases import tickets as tickets_module
from bot.cases.db import (
    DEFAULT_URL,
    MIGRATIONS,
    ROOT,
    CaseStore,
    alembic_config,
    database_url,
    make_engine,
    migrate,
)
from bot.cases.due import due_days
from bot.cases.models import KINDS, AppendOnlyError, Base, LookupFailure, Ticket, TicketEvent
from bot.cases.references import (
    ALPHABET,
    REFERENCE_PATTERN,
    code_matches,
    hash_code,
    new_code,
    new_reference,
    normalize_reference,
)
from bot.cases.statuses import (
    REFUSAL_GROUNDS,
    TRANSITIONS,
    Status,
    TransitionError,
    refusal_ground_text,
)
from bot.cases.tickets import (
    InvalidRequest,
    NewRequest,
    change_status,
    find_by_reference,
    lookup_status,
    open_request,
)
from bot.policy.document import load_policy
from tests.cases_fixtures import db_url, postgres_url, store  # noqa: F401 (fixtures)

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)  # 12:00 in Japan
REQUEST = NewRequest(
    kind="開示",
    requester="本人",
    name="多摩 花子",
    phone="090-1234-5678",
    email="hanako@example.jp",
    customer_number="TCN-4821-77",
    details="契約者情報の開示を希望",
    id_presentation="窓口で提示",
    channel="rest",
    conversation_id="conversation-abc",
    submission_key="form-key-alpha",
)
# The transitions as the brief states them, written independently of TRANSITIONS.
EXPECTED_TRANSITIONS = {
    "受付": {"本人確認待ち", "対応中", "不実施", "取下げ"},
    "本人確認待ち": {"対応中", "不実施", "取下げ"},
    "対応中": {"完了", "不実施", "取下げ"},
    "完了": set(),
    "不実施": set(),
    "取下げ": set(),
}
BY_LABEL = {status.label: status for status in Status}


def file_one(store: CaseStore, request: NewRequest = REQUEST, now: datetime = NOW):
    with store.unit_of_work() as session:
        return open_request(session, request, now=now)


def count(store: CaseStore, model: type) -> int:
    with store.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


# --- statuses -----------------------------------------------------------------------------


def test_status_values_and_labels() -> None:
    assert {s.value: s.label for s in Status} == {
        "received": "受付",
        "awaiting_id": "本人確認待ち",
        "in_progress": "対応中",
        "done": "完了",
        "refused": "不実施",
        "withdrawn": "取下げ",
    }


def test_transition_table_is_the_agreed_one() -> None:
    actual = {old.label: {new.label for new in targets} for old, targets in TRANSITIONS.items()}
    assert actual == EXPECTED_TRANSITIONS


def test_refusal_grounds_are_those_of_policy_5_1() -> None:
    grounds = load_policy()["5.(1)"].children
    assert REFUSAL_GROUNDS == tuple(node.number for node in grounds) == tuple("①②③④⑤⑥⑦")
    assert refusal_ground_text("⑦") == "他の法令に違反することとなる場合"
    assert all(refusal_ground_text(g).endswith("場合") for g in REFUSAL_GROUNDS)
    with pytest.raises(KeyError):
        refusal_ground_text("⑧")


def test_kinds_and_fee_kinds_follow_the_policy() -> None:
    policy = load_policy()
    assert list(KINDS) == policy.fact("5.(1)", "request_kinds")
    assert tickets_module.FEE_KINDS == {"開示", "利用目的の通知"}


# --- references and codes ------------------------------------------------------------------


def test_new_reference_format_and_alphabet() -> None:
    references = [new_reference(date(2026, 11, 28)) for _ in range(300)]
    assert all(REFERENCE_PATTERN.match(ref) for ref in references)
    assert all(ref.startswith("PR-20261128-") and len(ref) == 18 for ref in references)
    suffixes = "".join(ref[-6:] for ref in references)
    assert set(suffixes) == set(ALPHABET)  # every letter used; I, O, 0, 1 never
    assert not set("IO01") & set(ALPHABET)
    assert len(set(references)) == len(references)


def _dashes() -> st.SearchStrategy[str]:
    return st.sampled_from(["-", "‐", "‑", "–", "—", "―", "−", "ー", "ｰ", "﹣", "－", " - "])


@settings(database=None)  # no example database written into the repository
@given(
    day=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    suffix=st.text(alphabet=ALPHABET, min_size=6, max_size=6),
    lower=st.lists(st.booleans(), min_size=18, max_size=18),
    dashes=st.tuples(_dashes(), _dashes()),
    pad=st.tuples(st.sampled_from(["", " ", "\u3000", "\t "]), st.sampled_from(["", " ", "\n"])),
)
def test_normalize_reference_round_trip(
    day: date, suffix: str, lower: list[bool], dashes: tuple[str, str], pad: tuple[str, str]
) -> None:
    canonical = f"PR-{day:%Y%m%d}-{suffix}"
    assert REFERENCE_PATTERN.match(canonical)
    cased = "".join(c.lower() if low else c for c, low in zip(canonical, lower))
    typed = f"{pad[0]}{cased[:2]}{dashes[0]}{cased[3:11]}{dashes[1]}{cased[12:]}{pad[1]}"
    assert normalize_reference(typed) == canonical


@settings(database=None)
@given(st.text(max_size=30))
def test_normalize_reference_gives_none_or_a_canonical_reference(typed: str) -> None:
    result = normalize_reference(typed)
    assert result is None or REFERENCE_PATTERN.match(result)


@pytest.mark.parametrize("typed", [
    "PR-20261128-ABC2I4",  # I is not in the alphabet
    "PR-20261128-ABC2O4",
    "PR-20261128-ABC014",
    "PR-20261128-ABC23",  # too short
    "PR-20261128-ABC2345",
    "XR-20261128-ABC234",
    "PR-2026112-ABC234",
    "PR-20261128--ABC234",
    "PR-20261128-ABC23\u212a",  # Kelvin sign, which folds to K
    "",
])
def test_normalize_reference_rejects(typed: str) -> None:
    assert normalize_reference(typed) is None


def test_normalize_reference_accepts_missing_dashes() -> None:
    assert normalize_reference("pr20261128abc234") == "PR-20261128-ABC234"
    assert normalize_reference(" PR 20261128 abc 234 ") == "PR-20261128-ABC234"


def test_new_code_is_six_random_digits() -> None:
    codes = [new_code() for _ in range(200)]
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(set(codes)) > 190


def test_code_hash_verifies_only_the_code() -> None:
    code_hash = hash_code("012345")
    assert code_hash.startswith("$argon2id$") and "m=19456,t=2,p=1" in code_hash
    assert "012345" not in code_hash
    assert code_matches(code_hash, "012345")
    assert not code_matches(code_hash, "012346")
    assert not code_matches("not a hash", "012345")
    assert hash_code("012345") != code_hash  # salted


@pytest.mark.parametrize("value, expected", [
    (None, 14), ("30", 30), ("1", 1), ("0", 14), ("-3", 14), ("2週間", 14), ("", 14),
])
def test_due_days_from_environment(monkeypatch: pytest.MonkeyPatch, value: str | None,
                                   expected: int) -> None:
    if value is None:
        monkeypatch.delenv("TCN_DUE_DAYS", raising=False)
    else:
        monkeypatch.setenv("TCN_DUE_DAYS", value)
    assert due_days() == expected


# --- engine and migrations -----------------------------------------------------------------


def test_default_url_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert DEFAULT_URL == f"sqlite:///{ROOT / 'var' / 'cases.db'}"
    assert Path(make_url(DEFAULT_URL).database).is_absolute()
    monkeypatch.delenv("CASES_DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_URL
    monkeypatch.setenv("CASES_DATABASE_URL", "postgresql://u@h/d")
    assert database_url() == "postgresql://u@h/d"
    nested = tmp_path / "not" / "yet" / "cases.db"
    migrate(f"sqlite:///{nested}")
    assert nested.exists()


def test_sqlite_engine_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()


def test_migrate_twice_is_a_no_op(store: CaseStore, db_url: str) -> None:
    filed = file_one(store)
    migrate(db_url)
    with store.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert current == head == "0007"
    with store.unit_of_work() as session:
        assert session.get(Ticket, filed.ticket.id).reference == filed.ticket.reference


def _quoted(sqltext: str) -> set[str]:
    return set(re.findall(r"'([^']*)'", sqltext)) - {""}


def _assert_schema_matches_the_models(store: CaseStore) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, Base.metadata) == []
        # Autogenerate does not compare CHECK constraints: names and allowed values here.
        inspector = inspect(connection)
        for table in Base.metadata.sorted_tables:
            in_db = {
                c["name"]: _quoted(c["sqltext"])
                for c in inspector.get_check_constraints(table.name)
            }
            in_model = {
                c.name: _quoted(str(c.sqltext))
                for c in table.constraints if isinstance(c, CheckConstraint)
            }
            assert in_db == in_model, table.name


def test_migrated_schema_matches_the_models(store: CaseStore) -> None:
    _assert_schema_matches_the_models(store)
    assert {"staff_users", "audit_log", "ticket_notes"} <= set(Base.metadata.tables)


def test_upgrade_from_0001_keeps_tickets_as_requests(store: CaseStore, db_url: str) -> None:
    """A database filed under 0001 (the batch rebuild on SQLite keeps rows and constraints)."""
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
    with store.unit_of_work() as session:
        session.execute(text(
            "INSERT INTO tickets (reference, code_hash, kind, requester, name, phone,"
            " id_presentation, fee_applies, channel, conversation_id, submission_key, status,"
            " due_date, created_at, updated_at) VALUES ('PR-20261128-ABC234', 'x', '開示',"
            " '本人', '多摩 花子', '090-1234-5678', '窓口で提示', :yes, 'rest', 'c', 'k',"
            " 'in_progress', :due, :at, :at)"
        ), {"yes": True, "due": date(2026, 12, 12), "at": NOW})
    migrate(db_url)
    _assert_schema_matches_the_models(store)
    with store.unit_of_work() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert (ticket.category, ticket.handoff_reason, ticket.assignee_id) == ("request", None, None)
        assert (ticket.status, ticket.kind, ticket.name) == (Status.IN_PROGRESS, "開示", "多摩 花子")
    with pytest.raises(IntegrityError):  # the request CHECKs survived the rebuild
        with store.unit_of_work() as session:
            session.execute(text("UPDATE tickets SET kind = NULL"))
    with pytest.raises(IntegrityError):
        with store.unit_of_work() as session:
            session.execute(text("UPDATE tickets SET phone = NULL"))


def test_downgrade_and_upgrade_again(store: CaseStore, db_url: str) -> None:
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    migrate(db_url)
    assert set(inspect(store.engine).get_table_names()) == {
        "alembic_version", "tickets", "ticket_events", "lookup_failures",
        "staff_users", "audit_log", "ticket_notes", "login_failures",
    }


def test_module_run_migrates_and_masks_the_password(db_url: str, tmp_path: Path) -> None:
    if is_postgres(db_url):
        url = make_url(db_url).set(password="s3cret-pw")  # the local server trusts, ignoring it
    else:
        url = make_url(f"sqlite:///{tmp_path / 'fresh.db'}")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cases.db"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT),
             "CASES_DATABASE_URL": url.render_as_string(hide_password=False)},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert url.render_as_string(hide_password=True) in lines[0]
    assert "s3cret" not in result.stdout + result.stderr
    engine = make_engine(url.render_as_string(hide_password=False))
    assert "tickets" in inspect(engine).get_table_names()
    engine.dispose()


def test_case_store_from_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASES_DATABASE_URL", db_url)
    case_store = CaseStore.from_env()
    with case_store.unit_of_work() as session:
        assert open_request(session, REQUEST, now=NOW).code is not None
    assert count(case_store, Ticket) == 1
    case_store.engine.dispose()


# --- filing requests -----------------------------------------------------------------------


def test_open_request_stores_every_field_and_one_created_event(store: CaseStore) -> None:
    filed = file_one(store)
    with store.unit_of_work() as session:
        ticket = session.get(Ticket, filed.ticket.id)
        assert {
            field: getattr(ticket, field) for field in (
                "kind", "requester", "name", "phone", "email", "customer_number", "details",
                "id_presentation", "channel", "conversation_id", "submission_key")
        } == asdict(REQUEST)
        assert ticket.status is Status.RECEIVED
        assert ticket.fee_applies is True
        assert ticket.refusal_ground is None and ticket.status_note is None
        assert ticket.created_at == ticket.updated_at == NOW
        assert ticket.created_at.utcoffset() == timedelta(0)
        assert ticket.due_date == date(2026, 12, 12)
        assert REFERENCE_PATTERN.match(ticket.reference)
        assert ticket.reference.startswith("PR-20261128-")
        [event] = ticket.events
        assert (event.action, event.actor, event.at) == ("created", "customer:chat", NOW)
        assert event.changes["status"] == [None, "received"]
        assert event.changes["reference"] == [None, ticket.reference]
        # The history is append-only, so it holds no personal data an erasure could not reach.
        history = json.dumps(event.changes, ensure_ascii=False)
        for personal in (REQUEST.name, REQUEST.phone, REQUEST.email, REQUEST.customer_number,
                         REQUEST.details):
            assert personal is not None and personal not in history
    assert filed.code is not None


def test_code_is_stored_only_as_its_hash(store: CaseStore) -> None:
    filed = file_one(store)
    with store.unit_of_work() as session:
        row = session.execute(text("SELECT * FROM tickets")).mappings().one()
        events = session.execute(text("SELECT * FROM ticket_events")).mappings().all()
    assert code_matches(row["code_hash"], filed.code)
    assert row["code_hash"].startswith("$argon2id$")
    for column, value in row.items():
        if column != "code_hash":
            assert filed.code not in str(value), column
    for event in events:
        changes = event["changes"]  # JSON text from SQLite, already parsed from PostgreSQL
        changes = changes if isinstance(changes, str) else json.dumps(changes)
        assert "code" not in changes
        dumped = str(dict(event))
        assert filed.code not in dumped and row["code_hash"] not in dumped


def test_fee_applies_only_to_disclosure_and_purpose_notice(store: CaseStore) -> None:
    with store.unit_of_work() as session:
        fees = {
            kind: open_request(session, replace(REQUEST, kind=kind, submission_key=f"k-{i}"),
                               now=NOW).ticket.fee_applies
            for i, kind in enumerate(KINDS)
        }
    assert {kind for kind, fee in fees.items() if fee} == {"開示", "利用目的の通知"}
    assert len(fees) == 8


def test_due_date_follows_tcn_due_days_and_the_japanese_date(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TCN_DUE_DAYS", raising=False)
    assert file_one(store).ticket.due_date == NOW.date() + timedelta(days=14)
    monkeypatch.setenv("TCN_DUE_DAYS", "30")
    later = file_one(store, replace(REQUEST, submission_key="k-30"))
    assert later.ticket.due_date == date(2026, 12, 28)
    # 20:00 UTC is already the next day in Japan: the reference and the due date say so.
    evening = file_one(store, replace(REQUEST, submission_key="k-evening"),
                       now=datetime(2026, 11, 28, 20, 0, tzinfo=timezone.utc))
    assert evening.ticket.reference.startswith("PR-20261129-")
    assert evening.ticket.due_date == date(2026, 12, 29)


def test_repeated_submission_key_returns_the_same_ticket_without_a_code(store: CaseStore) -> None:
    first = file_one(store)
    again = file_one(store, now=NOW + timedelta(minutes=1))
    with store.unit_of_work() as session:
        same_session = [open_request(session, REQUEST) for _ in range(2)]
    assert first.code is not None
    assert again.code is None and all(filed.code is None for filed in same_session)
    assert {again.ticket.id, *(f.ticket.id for f in same_session)} == {first.ticket.id}
    assert again.ticket.reference == first.ticket.reference
    assert count(store, Ticket) == 1 and count(store, TicketEvent) == 1


def _waiting_on_a_lock(store: CaseStore) -> bool:
    with store.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).scalar_one() > 0


def test_concurrent_confirmations_file_one_ticket(store: CaseStore, db_url: str) -> None:
    """The second confirmation runs while the first is still uncommitted.

    On PostgreSQL the second INSERT waits on the unique index until the first commits, then
    fails, and the SAVEPOINT lets it return the first ticket; SQLite serializes the two.
    """
    second: dict[str, Any] = {}

    def confirm_again() -> None:
        try:
            with store.unit_of_work() as session:
                filed = open_request(session, REQUEST)
                second.update(id=filed.ticket.id, code=filed.code)
        except Exception as error:  # reported by the assertion below
            second["error"] = "".join(traceback.format_exception(error))

    thread = threading.Thread(target=confirm_again)
    with store.unit_of_work() as session:
        first = open_request(session, REQUEST)
        thread.start()
        if is_postgres(db_url):
            deadline = time.monotonic() + 10
            while not _waiting_on_a_lock(store):
                assert time.monotonic() < deadline, "the second INSERT never waited"
                time.sleep(0.02)
        else:
            time.sleep(0.3)
    thread.join(timeout=30)
    assert "error" not in second, second.get("error")
    assert second == {"id": first.ticket.id, "code": None}
    assert first.code is not None
    assert count(store, Ticket) == 1 and count(store, TicketEvent) == 1


def test_reference_collision_draws_a_new_reference(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = file_one(store).ticket.reference
    draws = iter([taken, "PR-20261128-FRESH2"])
    monkeypatch.setattr(tickets_module, "new_reference", lambda today: next(draws))
    filed = file_one(store, replace(REQUEST, submission_key="another-form"))
    assert filed.ticket.reference == "PR-20261128-FRESH2" and filed.code is not None
    assert count(store, Ticket) == 2 and count(store, TicketEvent) == 2


@pytest.mark.parametrize("change, message", [
    ({"kind": "苦情"}, "kind"),
    ({"requester": "友人"}, "requester"),
    ({"id_presentation": "電話で"}, "id_presentation"),
    ({"phone": None, "email": None}, "phone"),
    ({"phone": "", "email": ""}, "phone"),
    ({"name": None}, "name"),
])
def test_open_request_refuses_an_invalid_request(store: CaseStore, change: dict[str, Any],
                                                 message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        file_one(store, replace(REQUEST, **change))
    assert count(store, Ticket) == 0


def test_database_errors_do_not_quote_personal_data(store: CaseStore) -> None:
    with pytest.raises(InvalidRequest) as raised:
        file_one(store, replace(REQUEST, channel=None))  # type: ignore[arg-type]  # only the database checks it
    shown = "".join(traceback.format_exception(raised.value))
    assert "channel" in str(raised.value)
    for personal in (REQUEST.phone, REQUEST.email, REQUEST.customer_number):
        assert personal is not None and personal not in shown
    assert count(store, Ticket) == 0 and count(store, TicketEvent) == 0


# --- constraints in the database itself ----------------------------------------------------


def _ticket(**change: Any) -> Ticket:
    values = dict(
        reference="PR-20261128-ABC234", code_hash="x", kind="開示", requester="本人",
        name="多摩 花子", phone="090-1234-5678", email=None, id_presentation="窓口で提示",
        fee_applies=True, channel="rest", conversation_id="c", submission_key="k",
        due_date=date(2026, 12, 12), created_at=NOW, updated_at=NOW,
    )
    return Ticket(**{**values, **change})


@pytest.mark.parametrize("change", [
    {"kind": "苦情"},
    {"requester": "友人"},
    {"id_presentation": "電話で"},
    {"phone": None, "email": None},
    {"phone": "", "email": None},
    {"refusal_ground": "⑧"},
])
def test_check_constraints_reject_bad_rows(store: CaseStore, change: dict[str, Any]) -> None:
    with store.unit_of_work() as session:
        session.add(_ticket())  # the same row without the change is accepted
    with pytest.raises(IntegrityError):
        with store.unit_of_work() as session:
            session.add(_ticket(reference="PR-20261128-ABC235", submission_key="k2", **change))
    assert count(store, Ticket) == 1


def test_status_check_and_foreign_key_are_enforced(store: CaseStore) -> None:
    filed = file_one(store)
    with pytest.raises(IntegrityError):
        with store.unit_of_work() as session:
            session.execute(text("UPDATE tickets SET status = 'lost'"))
    with pytest.raises(IntegrityError):
        with store.unit_of_work() as session:
            session.execute(text(
                "INSERT INTO ticket_events (ticket_id, at, actor, action, changes) "
                "VALUES (:id, :at, 'system', 'created', '{}')"
            ), {"id": filed.ticket.id + 1000, "at": NOW})
    with store.unit_of_work() as session:
        session.execute(text("UPDATE tickets SET status = 'done'"))  # a listed value passes
        assert session.get(Ticket, filed.ticket.id).status is Status.DONE


# --- status changes ------------------------------------------------------------------------


def _force_status(store: CaseStore, ticket_id: int, status: Status) -> None:
    """Put a ticket in a status without the rules, to test the way out of it."""
    with store.unit_of_work() as session:
        session.get(Ticket, ticket_id).status = status


def _arguments_for(new: Status) -> dict[str, Any]:
    return {"note": "対応内容のメモ", "ground": "②" if new is Status.REFUSED else None}


@pytest.mark.parametrize("old, new", list(product(Status, Status)),
                         ids=lambda s: s.value)
def test_each_transition_is_allowed_exactly_as_agreed(store: CaseStore, old: Status,
                                                      new: Status) -> None:
    ticket_id = file_one(store).ticket.id
    _force_status(store, ticket_id, old)
    later = NOW + timedelta(days=1)
    allowed = new.label in EXPECTED_TRANSITIONS[old.label]
    if allowed:
        with store.unit_of_work() as session:
            ticket = session.get(Ticket, ticket_id)
            change_status(session, ticket, new, "staff:tanaka", now=later, **_arguments_for(new))
    else:
        with pytest.raises(TransitionError):
            with store.unit_of_work() as session:
                ticket = session.get(Ticket, ticket_id)
                change_status(session, ticket, new, "staff:tanaka", now=later,
                              **_arguments_for(new))
    with store.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.status is (new if allowed else old)
        actions = [e.action for e in ticket.events]
        assert actions == ["created"] + (["status_changed"] if allowed else [])
        assert ticket.updated_at == (later if allowed else NOW)


@pytest.mark.parametrize("note, ground", [
    ("理由の説明", None),
    ("理由の説明", "⑧"),
    ("理由の説明", "1"),
    (None, "①"),
    ("  \n", "①"),
])
def test_refusal_needs_a_ground_of_5_1_and_a_note(store: CaseStore, note: str | None,
                                                  ground: str | None) -> None:
    ticket_id = file_one(store).ticket.id
    with pytest.raises(TransitionError):
        with store.unit_of_work() as session:
            change_status(session, session.get(Ticket, ticket_id), Status.REFUSED,
                          "staff:tanaka", note=note, ground=ground)
    with store.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.status is Status.RECEIVED and len(ticket.events) == 1


def test_refusal_with_ground_and_note_is_recorded(store: CaseStore) -> None:
    ticket_id = file_one(store).ticket.id
    with store.unit_of_work() as session:
        event = change_status(session, session.get(Ticket, ticket_id), Status.REFUSED,
                              "staff:tanaka", note="法令に抵触するため", ground="⑦")
    # The note is staff's words: kept apart from the changes, encrypted (tests/test_staff_text.py).
    assert (event.changes, event.staff_text) == (
        {"status": ["received", "refused"], "refusal_ground": [None, "⑦"]}, "法令に抵触するため")
    with store.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        assert (ticket.status, ticket.refusal_ground, ticket.status_note) == (
            Status.REFUSED, "⑦", "法令に抵触するため")


@pytest.mark.parametrize("note", [None, "", "   "])
def test_done_needs_a_note(store: CaseStore, note: str | None) -> None:
    ticket_id = file_one(store).ticket.id
    with store.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        change_status(session, ticket, Status.IN_PROGRESS, "staff:tanaka")
        with pytest.raises(TransitionError):
            change_status(session, ticket, Status.DONE, "staff:tanaka", note=note)
        change_status(session, ticket, Status.DONE, "staff:tanaka", note="開示書面を郵送")
        assert ticket.status is Status.DONE


def test_a_ground_only_goes_with_a_refusal(store: CaseStore) -> None:
    ticket_id = file_one(store).ticket.id
    with pytest.raises(TransitionError):
        with store.unit_of_work() as session:
            change_status(session, session.get(Ticket, ticket_id), Status.IN_PROGRESS,
                          "staff:tanaka", note="確認中", ground="①")


def test_events_record_actor_and_changes_and_cannot_be_rewritten(store: CaseStore) -> None:
    ticket_id = file_one(store).ticket.id
    steps = [
        (Status.AWAITING_ID, "staff:tanaka", "郵送でのコピー待ち"),
        (Status.IN_PROGRESS, "staff:suzuki", None),
        (Status.WITHDRAWN, "system", "お客様から取下げの連絡"),
    ]
    with store.unit_of_work() as session:
        ticket = session.get(Ticket, ticket_id)
        for i, (status, actor, note) in enumerate(steps, start=1):
            change_status(session, ticket, status, actor, note=note, now=NOW + timedelta(hours=i))
    with store.unit_of_work() as session:
        events = session.get(Ticket, ticket_id).events
        assert [(e.action, e.actor, e.at, e.changes, e.staff_text) for e in events[1:]] == [
            ("status_changed", "staff:tanaka", NOW + timedelta(hours=1),
             {"status": ["received", "awaiting_id"]}, "郵送でのコピー待ち"),
            ("status_changed", "staff:suzuki", NOW + timedelta(hours=2),
             {"status": ["awaiting_id", "in_progress"]}, None),
            ("status_changed", "system", NOW + timedelta(hours=3),
             {"status": ["in_progress", "withdrawn"]}, "お客様から取下げの連絡"),
        ]
        assert [e.id for e in events] == sorted(e.id for e in events)
    with pytest.raises(AppendOnlyError):
        with store.unit_of_work() as session:
            session.get(Ticket, ticket_id).events[0].actor = "staff:someone-else"
    with pytest.raises(AppendOnlyError):
        with store.unit_of_work() as session:
            session.delete(session.get(Ticket, ticket_id).events[-1])
    with store.unit_of_work() as session:
        events = session.get(Ticket, ticket_id).events
        assert len(events) == 4 and events[0].actor == "customer:chat"


# --- units of work -------------------------------------------------------------------------


def test_unit_of_work_rolls_back_everything_on_an_error(store: CaseStore) -> None:
    with pytest.raises(RuntimeError, match="after the insert"):
        with store.unit_of_work() as session:
            filed = open_request(session, REQUEST)
            assert session.get(Ticket, filed.ticket.id) is not None  # written, not committed
            raise RuntimeError("failure after the insert")
    assert count(store, Ticket) == 0 and count(store, TicketEvent) == 0


def test_unit_of_work_commits_and_closes(store: CaseStore) -> None:
    with store.unit_of_work() as session:
        filed = open_request(session, REQUEST)
    assert inspect(filed.ticket).detached
    assert filed.ticket.reference.startswith("PR-")  # still readable after the commit
    with store.unit_of_work() as session:
        found = find_by_reference(session, filed.ticket.reference.lower())
        assert found is not None and found.id == filed.ticket.id
        assert find_by_reference(session, "PR-20261128-ZZZZZZ") is None
        assert find_by_reference(session, "nonsense") is None


# --- status look-up ------------------------------------------------------------------------


def lookup(store: CaseStore, reference: str, code: str, now: datetime):
    with store.unit_of_work() as session:
        return lookup_status(session, reference, code, now=now)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_lookup_with_the_right_code_gives_the_status(store: CaseStore) -> None:
    filed = file_one(store)
    answer = lookup(store, filed.ticket.reference, filed.code, NOW)
    assert (answer.status, answer.locked) == (Status.RECEIVED, False)
    assert answer.ticket.id == filed.ticket.id
    typed = " " + filed.ticket.reference.lower().replace("-", "ー") + " "
    assert lookup(store, typed, filed.code, NOW).status is Status.RECEIVED
    with store.unit_of_work() as session:
        change_status(session, session.get(Ticket, filed.ticket.id), Status.IN_PROGRESS, "staff:x")
    assert lookup(store, filed.ticket.reference, filed.code, NOW).status is Status.IN_PROGRESS
    assert count(store, LookupFailure) == 0


def test_wrong_code_and_unknown_reference_answer_alike(store: CaseStore) -> None:
    filed = file_one(store)
    wrong_code = lookup(store, filed.ticket.reference.lower(), _wrong(filed.code), NOW)
    unknown = lookup(store, "PR-20261128-ZZZZZZ", filed.code, NOW)
    assert wrong_code == unknown
    assert (wrong_code.status, wrong_code.locked, wrong_code.ticket) == (None, False, None)
    with store.unit_of_work() as session:
        recorded = session.scalars(select(LookupFailure.reference).order_by(LookupFailure.id)).all()
    assert recorded == [filed.ticket.reference, "PR-20261128-ZZZZZZ"]


def test_text_that_is_no_reference_is_not_recorded(store: CaseStore) -> None:
    answer = lookup(store, "山田です", "123456", NOW)
    assert (answer.status, answer.locked, answer.ticket) == (None, False, None)
    assert count(store, LookupFailure) == 0


def test_five_failures_lock_for_an_hour_after_the_first(store: CaseStore) -> None:
    filed = file_one(store, now=NOW - timedelta(days=1))
    reference, code = filed.ticket.reference, filed.code
    typed = [reference, reference.lower(), reference.replace("-", " "), reference, reference]
    answers = [lookup(store, t, _wrong(code), NOW + timedelta(minutes=i))
               for i, t in enumerate(typed)]
    assert [a.locked for a in answers] == [False, False, False, False, True]
    assert all(a.status is None for a in answers)
    sixth = lookup(store, reference, code, NOW + timedelta(minutes=5))
    assert (sixth.status, sixth.locked, sixth.ticket) == (None, True, None)
    assert lookup(store, reference, code, NOW + timedelta(hours=1, microseconds=-1)).locked
    assert count(store, LookupFailure) == 5  # locked attempts are not counted
    reopened = lookup(store, reference, code, NOW + timedelta(hours=1))
    assert (reopened.status, reopened.locked) == (Status.RECEIVED, False)


def test_unknown_references_lock_the_same_way(store: CaseStore) -> None:
    filed = file_one(store)
    unknown = "PR-20261128-ZZZZZZ"
    answers = [lookup(store, unknown, "000000", NOW + timedelta(minutes=i)) for i in range(6)]
    assert [a.locked for a in answers] == [False] * 4 + [True, True]
    assert count(store, LookupFailure) == 5
    # Another reference is not affected.
    assert lookup(store, filed.ticket.reference, filed.code, NOW).status is Status.RECEIVED


def test_unknown_reference_runs_the_same_argon2_verify_as_a_wrong_code(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing must not tell whether a reference exists: both paths verify a code
    once (a spy counts the real calls; a timed test would be flaky on a busy machine)."""
    filed = file_one(store)
    calls: list[str] = []
    real = tickets_module.code_matches

    def counted(code_hash: str, code: str) -> bool:
        calls.append(code)
        return real(code_hash, code)

    monkeypatch.setattr(tickets_module, "code_matches", counted)
    lookup(store, filed.ticket.reference, _wrong(filed.code), NOW)
    lookup(store, "PR-20261128-ZZZZZZ", filed.code, NOW + timedelta(hours=2))
    assert len(calls) == 2


def test_sql_logging_shows_no_personal_data(store: CaseStore,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    filed = file_one(store)
    lookup(store, filed.ticket.reference, filed.code, NOW)
    with pytest.raises(IntegrityError) as raised:
        with store.unit_of_work() as session:
            session.add(_ticket(kind="苦情"))
    assert "INSERT INTO tickets" in caplog.text  # the statements were logged...
    for secret in (REQUEST.name, REQUEST.phone, REQUEST.email, REQUEST.customer_number,
                   filed.code, filed.ticket.code_hash):
        assert secret is not None and secret not in caplog.text  # ...without their parameters
    assert "parameters hidden" in str(raised.value)
