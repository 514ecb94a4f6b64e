"""Searching tickets by reference, name, phone or e-mail (issue 16) through blind indexes:
normalisation, what the database holds, search on SQLite and PostgreSQL, erasure, key
rotation and migration 0007's backfill, and the console's search box with its audit."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot.cases.blind_index import email_key, name_key, phone_key
from bot.cases.db import CaseStore, alembic_config, migrate, migration_connection
from bot.cases.keyring import KEYS_VARIABLE, new_key
from bot.cases.keys import rotate_all
from bot.cases.models import Ticket
from bot.cases.retention import anonymize
from bot.cases.statuses import Status
from bot.cases.tickets import open_request
from bot.console.queue import OPEN, QueueFilter, page_of
from tests.cases_fixtures import PERSONAL_REQUEST, db_url, postgres_url, raw_tickets, store  # noqa: F401
from tests.test_console import Console, _set, audit, console, logged_in  # noqa: F401 (the fixture)

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)
INDEXES = ("name_index", "phone_index", "email_index")


def file(case_store: CaseStore, key: str, **change: Any) -> Ticket:
    with case_store.unit_of_work() as db:
        return open_request(db, replace(PERSONAL_REQUEST, submission_key=key, **change), now=NOW).ticket


def found(case_store: CaseStore, words: str) -> list[str]:
    with case_store.unit_of_work() as db:
        page = page_of(db, QueueFilter(status=None, q=words), None, NOW.date(), None)
        return [ticket.reference for ticket in page.tickets]


def test_values_are_normalised_as_staff_type_them() -> None:
    assert name_key("多摩 花子") == name_key("多摩　花子") == name_key(" 多摩花子 ") == "多摩花子"
    assert name_key("タマ ハナコ") == name_key("たま　はなこ") == name_key("ﾀﾏ ﾊﾅｺ") == "たまはなこ"
    assert name_key("Hanako・TAMA") == name_key("ｈａｎａｋｏ tama") == "hanakotama"
    assert name_key("   ") is None
    assert phone_key("090-1234-5678") == phone_key("０９０（１２３４）５６７８") == phone_key(
        "+81 90 1234 5678") == "+819012345678"
    assert phone_key("042-832-1351") == "+81428321351"
    assert phone_key("1234") is None and phone_key("多摩 花子") is None
    assert email_key(" Hanako@Example.JP ") == email_key("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ") == "hanako@example.jp"
    assert email_key("hanako") is None


def test_a_ticket_is_found_by_each_value_and_by_nothing_less(store: CaseStore) -> None:  # noqa: F811
    ticket = file(store, "k-1")
    other = file(store, "k-2", name="府中 一郎", phone=None, email="ichiro@example.jp")
    [row, _] = raw_tickets(store)
    assert all(row[index] and len(row[index]) == 43 for index in INDEXES)
    assert len({row[index] for index in INDEXES}) == 3  # per field, even of equal text
    for words in ("多摩 花子", "多摩花子", "０９０−１２３４−５６７８", "+819012345678",
                  "HANAKO@example.jp", ticket.reference.lower(), ticket.reference[-6:].lower()):
        assert found(store, words) == [ticket.reference], words
    assert found(store, "ichiro@example.jp") == [other.reference]
    for words in ("多摩", "090-1234", "hanako", "example.jp", "PR-", "ZZZZZZ"):
        assert found(store, words) == [], words


def test_closed_tickets_are_found_and_erased_ones_are_not(store: CaseStore) -> None:  # noqa: F811
    ticket = file(store, "k-closed")
    with store.unit_of_work() as db:
        db.get(Ticket, ticket.id).status = Status.DONE
    assert found(store, "多摩花子") == [ticket.reference]
    with store.unit_of_work() as db:
        assert page_of(db, QueueFilter(status=OPEN, q="多摩花子"), None, NOW.date(), None).tickets == []
        anonymize(db, db.get(Ticket, ticket.id), NOW + timedelta(days=400))
    [row] = raw_tickets(store)
    assert [row[index] for index in INDEXES] == [None, None, None]
    assert found(store, "多摩花子") == found(store, "090-1234-5678") == []
    assert found(store, ticket.reference) == [ticket.reference]  # the anonymous record stays
    with pytest.raises(IntegrityError):  # the database keeps erased tickets unfindable too
        with store.unit_of_work() as db:
            db.execute(text("UPDATE tickets SET name_index = 'x' WHERE id = :id"), {"id": ticket.id})


def test_search_goes_on_through_a_key_rotation(store: CaseStore, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    old, new = os.environ[KEYS_VARIABLE], new_key()
    ticket = file(store, "k-rotate")
    [before] = raw_tickets(store)
    monkeypatch.setenv(KEYS_VARIABLE, f"{new},{old}")
    assert found(store, "多摩花子") == [ticket.reference]  # indexed under the old key
    fresh = file(store, "k-fresh", name="新田 太郎", phone=None,  # indexed under the new key
                 email="fresh@example.jp")
    assert found(store, "fresh@example.jp") == [fresh.reference]
    rotate_all(store, batch_size=1, out=io.StringIO())
    [after, _] = raw_tickets(store)
    assert all(after[index] != before[index] for index in INDEXES)
    monkeypatch.setenv(KEYS_VARIABLE, new)  # the old key retired
    assert found(store, "090-1234-5678") == [ticket.reference]
    assert found(store, "hanako@example.jp") == [ticket.reference]
    monkeypatch.setenv(KEYS_VARIABLE, new_key())  # a key that never indexed anything
    assert found(store, "hanako@example.jp") == []


def test_0007_indexes_existing_tickets_and_goes_back(store: CaseStore, db_url: str) -> None:  # noqa: F811
    ticket = file(store, "k-0007")
    with migration_connection(store.engine) as connection:
        command.downgrade(alembic_config(connection), "0006")
    assert not set(INDEXES) & set(raw_tickets(store)[0])
    migrate(db_url)
    [row] = raw_tickets(store)
    assert all(row[index] for index in INDEXES)
    assert found(store, "多摩花子") == [ticket.reference]


def test_the_search_box_finds_in_two_actions_and_audits_no_words(console: Console) -> None:  # noqa: F811
    wanted, closed = file(console.store, "k-web"), file(console.store, "k-web-2", name="府中 一郎")
    _set(console.store, closed.id, status=Status.WITHDRAWN)
    client = logged_in(console, "tanaka")
    page = client.get("/").text
    assert 'role="search"' in page and 'name="q"' in page
    result = client.get("/", query_string={"q": "多摩　花子"}).text
    assert f'href="/tickets/{wanted.reference}"' in result and closed.reference not in result
    assert "「多摩　花子」の検索結果です" in result
    assert f'href="/tickets/{closed.reference}"' in client.get("/?q=府中一郎").text  # closed too
    assert f'href="/tickets/{wanted.reference}"' in client.get(
        "/", query_string={"q": wanted.reference[-6:]}).text
    # Filters within the results keep the search; a filter for open ones hides the closed.
    assert closed.reference not in client.get("/?q=府中一郎&status=open").text
    details = [entry.details for entry in audit(console.store, "view_queue")][1:]
    assert details[0]["search"] == ["name"] and details[2]["search"][0] == "reference_suffix"
    logged = str(details)
    assert "多摩" not in logged and "府中" not in logged and wanted.reference[-6:] not in logged
    with console.store.unit_of_work() as db:  # nothing decrypted to search: no plain text stored
        assert db.execute(select(Ticket.name_index).where(Ticket.id == wanted.id)).scalar_one() != "多摩花子"
