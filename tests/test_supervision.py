"""Supervision in `make run` (bot/tools/processes.py, Fleet.keep_running): the action
server killed in the middle of a request is started again; meanwhile the customer
gets the apology, and afterwards the same answer continues the form to a ticket."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Iterator

import psutil
import pytest

from bot.channels.guard import ACTION_FAILED_REPLY
from bot.tools.processes import answers
from tests.conftest import RunningBot, start_bot
from tests.intake_chat import begin_request, new_sender, receipt_of, tickets_of

RESTART_TIMEOUT_S = 180


@pytest.fixture(scope="module")
def bot(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """`make run`'s processes of this module's own: one of them is killed."""
    workdir = tmp_path_factory.mktemp("supervised")
    with start_bot(workdir, f"sqlite:///{workdir / 'cases.db'}") as running:
        yield running


def _actions_port(bot: RunningBot) -> int:
    """The action server's port, as bot.tools.run prints it when ready."""
    match = re.search(r"action server\s+http://127\.0\.0\.1:(\d+)/webhook", bot.log.read_text())
    assert match, "bot.tools.run did not print the action server's URL"
    return int(match.group(1))


def _action_server(port: int) -> psutil.Process:
    """The action server process of this test's bot (a child of bot.tools.run)."""
    [server] = [process for process in psutil.Process().children(recursive=True)
                if "bot.actions_server" in process.cmdline() and str(port) in process.cmdline()]
    return server


def test_a_killed_action_server_is_restarted_and_the_form_goes_on(bot: RunningBot) -> None:
    port = _actions_port(bot)
    sender = new_sender()
    begin_request(bot, sender, "削除")
    assert "お名前" in bot.click(sender, "はい")
    assert "電話番号" in bot.reply_text(sender, "多摩　花子")

    killed = _action_server(port)
    killed.kill()  # SIGKILL, as a crash
    killed.wait(timeout=30)
    # Sent while the action server is down (the restart waits 5 s, then takes seconds):
    # an apology, not an error or silence, and the answer is not taken.
    assert bot.reply_text(sender, "090-1234-5678、hanako@example.jp") == ACTION_FAILED_REPLY

    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while not answers(f"http://127.0.0.1:{port}/health"):
        assert time.monotonic() < deadline, "the action server was not started again"
        time.sleep(1)
    log = bot.log.read_text()
    assert "actions exited with code -9; starting it again in 5 s" in log
    assert re.search(r"actions started again \(pid \d+\)", log)
    assert _action_server(port).pid != killed.pid

    # The same answer again: the form goes on from the question it was at.
    assert "お客様番号" in bot.reply_text(sender, "090-1234-5678、hanako@example.jp")
    assert "具体的" in bot.reply_text(sender, "なし")
    assert "本人確認書類" in bot.reply_text(sender, "登録されている住所")
    assert "よろしいですか" in bot.reply_text(sender, "郵送でコピーを提出します")
    receipt = receipt_of(bot.click(sender, "この内容で申し込む"))
    assert receipt is not None
    (ticket,) = tickets_of(bot, sender)
    assert (ticket.kind, ticket.reference) == ("削除", receipt.reference)
