"""No personal data in any log, at any level: the masking on its own, then a whole
request through the bot started at DEBUG (libraries too), every process's output searched."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from bot.logging_privacy import (
    MASK,
    SHOWN_SLOTS,
    _masking_record_factory,
    mask_event_dict,
    mask_text,
    masked,
)
from tests.channel_client import socket_chat
from tests.conftest import ROOT, RunningBot, start_bot
from tests.intake_chat import answer_until_summary, confirm, new_sender

NAME = "多摩　花子"  # what answer_until_summary types
PHONE = "０９０－１２３４－５６７８"
EMAIL = "hanako@example.jp"
CUSTOMER_NUMBER = "TCN-4821-77"


# --- the masking on its own ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("電話は０９０－１２３４－５６７８です", "電話は[phone]です"),
    ("tel 090 1234 5678 / 03-1234-5678 / (03)1234-5678 / +81 90-1234-5678",
     "tel [phone] / [phone] / ([phone] / [phone]"),
    ("09012345678、ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "[phone]、[email]"),
    ("確認コード：123456", "確認コード：[code]"),
    ("受付番号 PR-20261129-HET4VH と pr20261129het4vh", "受付番号 PR-20261129-****** と pr20261129******"),
    # What logs are full of stays: times, confidences, counts, addresses.
    ("2026-11-29 06:05:47 confidence 0.9449390769004822 at 0x7fedc8798220, 57 events",
     "2026-11-29 06:05:47 confidence 0.9449390769004822 at 0x7fedc8798220, 57 events"),
])
def test_patterns(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_slot_values_are_masked_by_slot_name() -> None:
    listing = "\trequest_kind: 開示\n\tintake_name: 多摩 花子\n\tintake_customer_number: TCN-1\n\tstatus_code: None"
    assert masked("slot_values", listing) == (
        f"\trequest_kind: 開示\n\tintake_name: {MASK}\n\tintake_customer_number: {MASK}\n\tstatus_code: None")
    assert masked("slot_candidates", {"intake_name": "多摩", "requested_slot": "intake_name"}) == {
        "intake_name": MASK, "requested_slot": "intake_name"}


def test_events_keep_their_shape_without_the_values() -> None:
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

    events = [SlotSet("intake_name", "多摩 花子"), SlotSet("requested_slot", "intake_contact"),
              BotUttered("お名前：多摩 花子", {"buttons": []}), UserUttered("多摩 花子")]
    shown = json.dumps(masked("rasa_events", events), ensure_ascii=False)
    assert "多摩" not in shown and "花子" not in shown
    assert "SlotSet(key: intake_name, value: [masked])" in shown
    assert "SlotSet(key: requested_slot, value: intake_contact)" in shown


def test_user_text_is_masked_wherever_rasa_logs_it() -> None:
    event = mask_event_dict(None, "debug", {
        "event": "processor.message.parse", "parse_data_text": "多摩 花子",
        "parse_data_intent": {"name": "inform", "confidence": 0.9},
        "parse_data_entities": [{"entity": "email", "value": "a@b.jp", "start": 0, "end": 6}],
        "tracker_states": [{"user": {"text": "多摩 花子"}}],
        "current_states": "[state 4] user text: 多摩 花子 | previous action name: action_listen",
    })
    assert "多摩" not in json.dumps(event, ensure_ascii=False)
    assert event["parse_data_intent"] == {"name": "inform", "confidence": 0.9}
    assert event["parse_data_entities"][0]["entity"] == "email"
    assert event["current_states"] == f"[state 4] user text: {MASK} | previous action name: action_listen"


def test_tracebacks_are_masked() -> None:
    try:
        raise ValueError("no ticket for hanako@example.jp, 090-1234-5678")
    except ValueError:
        event = mask_event_dict(None, "error", {"event": "x", "exc_info": True, "text": "多摩"})
        record = _masking_record_factory(logging.LogRecord)(
            "x", logging.ERROR, __file__, 1, "failed for %s", ("hanako@example.jp",), sys.exc_info())
    assert "hanako" not in event["exception"] and "[email]" in event["exception"]
    assert event["text"] == MASK
    assert record.getMessage() == "failed for [email]"
    assert record.exc_text is not None
    assert "[email], [phone]" in record.exc_text and "hanako" not in record.exc_text


def test_every_shown_slot_is_a_slot_of_the_domain() -> None:
    slots = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["slots"]
    assert SHOWN_SLOTS <= set(slots) | {"requested_slot"}


def test_install_masks_stdlib_logging_structlog_and_warnings() -> None:
    """In a process of its own, as the servers do it (logging state is process-wide)."""
    script = """
import logging, sys, warnings, structlog
from bot.logging_privacy import install, mask_event_dict
logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format="%(message)s")
install(); install()
assert structlog.get_config()["processors"].count(mask_event_dict) == 1
logging.getLogger("rasa.x").debug("Received %s", "hanako@example.jp")
structlog.get_logger().info("processor.message.parse", parse_data_text="多摩 花子")
warnings.warn("tel 090-1234-5678")
logging.getLogger("engineio.server").info("packet 多摩 花子")
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Received [email]" in output and "[phone]" in output and "processor.message.parse" in output
    assert "hanako" not in output and "多摩" not in output and "1234" not in output


# --- the whole bot at DEBUG ----------------------------------------------------------------


# Each as typed and as normalized; json.dumps adds the \u escapes of structlog's JSON lines.
SPELLINGS = {
    "name": [NAME, "多摩 花子", "多摩花子", "花子"],  # not 多摩 alone: it is in the company's name
    "phone": [PHONE, "090-1234-5678", "09012345678", "090 1234 5678", "1234-5678"],
    "email": [EMAIL, "hanako", "ｈａｎａｋｏ"],
    "customer number": [CUSTOMER_NUMBER, "TCN482177", "4821-77"],
}


@pytest.fixture(scope="module")
def debug_bot(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    workdir = tmp_path_factory.mktemp("debug-bot")
    with start_bot(workdir, f"sqlite:///{workdir / 'cases.db'}", run_args=["--debug"],
                   env={"LOG_LEVEL_LIBRARIES": "DEBUG"}) as bot:
        yield bot


def test_a_whole_request_at_debug_level_leaves_no_personal_data_in_the_logs(debug_bot: RunningBot) -> None:
    bot = debug_bot
    sender = new_sender()
    answer_until_summary(bot, sender, "開示", contact=f"{PHONE}、{EMAIL}", customer_number=CUSTOMER_NUMBER)
    receipt = confirm(bot, sender)
    assert receipt is not None
    assert "確認コード" in bot.reply_text(sender, f"{receipt.reference}の状況を教えて")
    assert "「受付」" in bot.reply_text(sender, receipt.code)
    # The same data over socket.io, and a staff console URL with the reference in it.
    with socket_chat(bot, new_sender()) as chat:
        chat.say(f"{NAME}です。連絡先は{EMAIL}、{PHONE}")
        assert chat.reply()
    with urllib.request.urlopen(f"{bot.console_url}tickets/{receipt.reference}", timeout=30) as page:
        assert page.url.startswith(f"{bot.console_url}login")
    # A message that starts with "/" (Rasa would parse it as an intent and warn with its text).
    assert bot.reply_text(new_sender(), f"/{NAME} {PHONE}")

    # Every process's output (bot.log), and any log file a process may have written.
    everything = "\n".join(path.read_text(encoding="utf-8", errors="replace")
                           for path in bot.log.parent.rglob("*.log"))
    # The logs really are at DEBUG, from every process, and masked rather than empty.
    for line in ("DEBUG    rasa.core.processor", "rasa_sdk.executor", "werkzeug", "bot.webchat.server",
                 "processor.message.parse", MASK):
        assert line in everything, line
    for what, spellings in SPELLINGS.items():
        for form in {*spellings, *(json.dumps(spelling)[1:-1] for spelling in spellings)}:
            assert form not in everything, f"{what} as {form!r} in the logs"
    for what, value in {"code": receipt.code, "reference's code": receipt.reference[-6:]}.items():
        assert not re.search(rf"(?<![0-9A-Za-z]){value}(?![0-9A-Za-z])", everything), f"{what} in the logs"
