"""Conversations protected like tickets (issue 15, item 2): the tracker store's rows are
sealed with the data keys (bot/tracker_rows.py), a receipt's verification code is never
stored, rows written before sealing stay readable and are sealed by key rotation, and
after a whole request nothing personal is in clear in any file the bot writes or in the
PostgreSQL tracker tables."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.cases.db import migrate
from bot.cases.keyring import FILE_VARIABLE, KEYS_VARIABLE, DataKeyError, new_key
from bot.dialogue.tracker_store import TunedSQLTrackerStore
from bot.secretfile import keep_private
from bot.tracker_events import TrackerEvents
from bot.tracker_rows import RECEIPT_CODE_MASK, is_sealed, seal, unseal, without_receipt_code
from tests.cases_fixtures import fresh_postgres_database
from tests.conftest import ROOT, RunningBot, start_bot
from tests.intake_chat import answer_until_summary, confirm, new_sender

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
NAME, PHONE, EMAIL = "多摩 花子", "090-1234-5678", "hanako@example.jp"
RECEIPT = "ご請求を受け付けました。\n受付番号：PR-20261207-ABC234\n確認コード：482915\n控えてください。"
# What must never be found in clear: the values as typed and as the bot normalises them.
# (The customer's whole name: the shared running bot also holds a staff account 「担当 花子」.)
SECRETS = ("多摩 花子", "多摩　花子", "多摩花子", "1234-5678", "12345678", "１２３４", "hanako@example", "482915")


def _conversation(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(f"{NAME}です。電話は{PHONE}、メールは{EMAIL}",
                               {"name": "inform", "confidence": 0.9}))
    tracker.update(SlotSet("intake_name", NAME))
    tracker.update(SlotSet("intake_email", EMAIL))
    tracker.update(ActionExecuted("action_file_request"))
    tracker.update(BotUttered(RECEIPT))
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def _open_store(store_class: type, url: str) -> Any:
    parsed = make_url(url)
    return store_class(domain=DOMAIN, dialect=parsed.get_backend_name(), host=parsed.host,
                       port=parsed.port, db=parsed.database, username=parsed.username,
                       password=parsed.password)


def _raw_rows(url: str) -> list[tuple[Any, ...]]:
    """Every row of `events` as the database holds it, every text column."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(
                "SELECT sender_id, type_name, intent_name, action_name, data FROM events ORDER BY id"))]
    finally:
        engine.dispose()


def _found(texts: Any) -> list[str]:
    blob = "\n".join(str(text) for row in texts for text in row)
    return [secret for secret in SECRETS if secret in blob]


def test_a_sealed_row_opens_to_the_event_and_shows_nothing() -> None:
    event = UserUttered(f"{NAME} {PHONE} {EMAIL}").as_dict()
    sealed = seal(event)
    assert is_sealed(sealed) and not _found([(sealed,)])
    assert unseal(sealed) == event
    assert unseal('{"event": "user", "text": "前の形式"}') == {"event": "user", "text": "前の形式"}
    assert unseal(None) == {} and unseal("") == {}


def test_a_receipts_code_is_masked_in_what_the_bot_said_only() -> None:
    said = without_receipt_code(BotUttered(RECEIPT).as_dict())
    assert "482915" not in said["text"]
    assert f"確認コード：{RECEIPT_CODE_MASK}" in said["text"] and "PR-20261207-ABC234" in said["text"]
    typed = UserUttered("PR-20261207-ABC234 482915").as_dict()
    assert without_receipt_code(typed) == typed  # a lookup's typed code: sealed, not changed


def test_a_row_under_an_unknown_key_is_refused_not_misread(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = seal(UserUttered("こんにちは").as_dict())
    monkeypatch.setenv(KEYS_VARIABLE, new_key())
    with pytest.raises(DataKeyError):
        unseal(sealed)


def test_the_store_does_not_start_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEYS_VARIABLE)
    monkeypatch.setenv(FILE_VARIABLE, str(tmp_path / "no_key"))
    with pytest.raises(DataKeyError):
        TunedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))


def test_rows_are_sealed_and_read_back(tracker_store_url: str) -> None:
    store = _open_store(TunedSQLTrackerStore, tracker_store_url)
    asyncio.run(store.save(_conversation("sealed")))
    store.engine.dispose()

    rows = _raw_rows(tracker_store_url)
    assert len(rows) == 7 and all(is_sealed(row[-1]) for row in rows)
    assert _found(rows) == []
    # The other columns stay Rasa's: the queries of the console and of retention use them.
    assert [row[1] for row in rows][:2] == ["action", "user"] and rows[1][2] == "inform"

    again = _open_store(TunedSQLTrackerStore, tracker_store_url)  # nothing kept: read from the rows
    tracker = asyncio.run(again.retrieve("sealed"))
    full = asyncio.run(again.retrieve_full_tracker("sealed"))
    again.engine.dispose()
    assert tracker is not None and full is not None
    assert tracker.get_slot("intake_name") == NAME and tracker.latest_message.text.startswith(NAME)
    said = [event.text for event in full.events if isinstance(event, BotUttered)]
    assert said == [RECEIPT.replace("482915", RECEIPT_CODE_MASK)]

    events = TrackerEvents(tracker_store_url)
    try:
        texts = [str(event.data["text"]) for event in events.conversation("sealed", ["user", "bot"])]
    finally:
        events.dispose()
    assert texts[0].startswith(NAME) and "482915" not in texts[1]


def test_rows_from_before_sealing_are_read_then_sealed_by_rotation(
        tracker_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rasas = _open_store(SQLTrackerStore, tracker_store_url)  # Rasa's own store: rows in clear JSON
    asyncio.run(rasas.save(_conversation("before")))
    rasas.engine.dispose()
    assert _found(_raw_rows(tracker_store_url))  # the old state: personal data in clear

    ours = _open_store(TunedSQLTrackerStore, tracker_store_url)
    tracker = asyncio.run(ours.retrieve("before"))
    ours.engine.dispose()
    assert tracker is not None and tracker.get_slot("intake_email") == EMAIL

    old_key = os.environ[KEYS_VARIABLE]
    keys = f"{new_key()},{old_key}"
    cases_url = f"sqlite:///{tmp_path / 'cases.db'}"
    migrate(cases_url)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cases.keys", "rotate", "--batch-size", "3"], cwd=ROOT,
        env={**os.environ, KEYS_VARIABLE: keys, "CASES_DATABASE_URL": cases_url,
             "TRACKER_DATABASE_URL": tracker_store_url}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "7/7" in result.stdout

    rows = _raw_rows(tracker_store_url)
    assert all(is_sealed(row[-1]) for row in rows) and _found(rows) == []
    monkeypatch.setenv(KEYS_VARIABLE, keys.split(",")[0])  # the old key has left
    events = TrackerEvents(tracker_store_url)
    try:
        said = [event.data["text"] for event in events.conversation("before", ["bot"])]
    finally:
        events.dispose()
    assert said == [RECEIPT.replace("482915", RECEIPT_CODE_MASK)]


def _request_and_lookup(bot: RunningBot) -> str:
    """A whole request with a name, phone and e-mail, then a status lookup with the
    receipt's reference and code; the code."""
    sender = new_sender()
    answer_until_summary(bot, sender, "開示", contact=f"{PHONE}、{EMAIL}")
    receipt = confirm(bot, sender)
    assert receipt is not None
    looker = new_sender()
    bot.say(looker, "申し込みの状況を確認したい")
    bot.say(looker, f"{receipt.reference} {receipt.code}")
    return receipt.code


def _clear_in_files(folder: Path, code: str) -> dict[str, list[str]]:
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            hits = [secret for secret in (*SECRETS, code) if secret.encode("utf-8") in content]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def test_after_a_request_nothing_personal_is_in_clear_in_any_file(running_bot: RunningBot) -> None:
    code = _request_and_lookup(running_bot)
    assert _clear_in_files(running_bot.log.parent, code) == {}


def test_after_a_request_nothing_personal_is_in_clear_in_postgresql(
        model_path: Path, tmp_path: Path) -> None:
    with fresh_postgres_database() as tracker_url, fresh_postgres_database() as cases_url:
        with start_bot(tmp_path, cases_url, ["--tracker-url", tracker_url]) as bot:
            code = _request_and_lookup(bot)
        with psycopg2.connect(tracker_url) as db, db.cursor() as cursor:
            cursor.execute("SELECT sender_id, type_name, intent_name, action_name, data FROM events")
            rows = cursor.fetchall()
    assert rows and all(is_sealed(row[-1]) for row in rows)
    assert [secret for secret in (*SECRETS, code) if secret in repr(rows)] == []
    assert _clear_in_files(tmp_path, code) == {}


def test_a_private_folder_and_what_is_made_in_it_are_the_owners_only(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    (folder / "logs").mkdir(parents=True, mode=0o755)
    (folder / "tracker.db").write_text("")
    (folder / "tracker.db").chmod(0o644)
    before = os.umask(0o022)
    try:
        keep_private(folder)
        (folder / "cases.db").write_text("")
    finally:
        os.umask(before)
    assert {path.name: path.stat().st_mode & 0o777 for path in (folder, *folder.rglob("*"))} == {
        "var": 0o700, "logs": 0o700, "tracker.db": 0o600, "cases.db": 0o600}


def test_what_make_run_writes_is_its_owners_only(running_bot: RunningBot) -> None:
    running_bot.say(new_sender(), "こんにちは")  # the tracker store's file exists
    # The databases and, while connections are open, their -wal and -shm files.
    written = [path for path in running_bot.log.parent.iterdir()
               if path.name.startswith(("tracker.db", "cases.db"))]
    assert {path.name for path in written} >= {"tracker.db", "cases.db"}
    assert {path.name: path.stat().st_mode & 0o777 for path in written} == {
        path.name: 0o600 for path in written}
    var = ROOT / "var"
    assert var.stat().st_mode & 0o777 == 0o700
    assert [path.name for path in var.iterdir() if path.is_file() and path.stat().st_mode & 0o077] == []
