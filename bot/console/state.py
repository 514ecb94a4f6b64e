"""What the running app holds: its settings, the case store and the transcript reader."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from bot.cases.db import CaseStore
from bot.console.config import ConsoleConfig
from bot.console.transcript import TranscriptReader

KEY = "tcn_console"


@dataclass(frozen=True)
class ConsoleState:
    config: ConsoleConfig
    store: CaseStore
    transcripts: TranscriptReader


def state() -> ConsoleState:
    return current_app.extensions[KEY]
