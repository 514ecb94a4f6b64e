"""Due dates of tickets: internal, for staff (customers are never told a number of days).

- A request of policy 5.(1) is due TCN_DUE_DAYS calendar days (default 14) after the
  Japanese date it was filed on.
- A handoff, where a customer waits for a person to call or write back, is due
  TCN_HANDOFF_DUE_BUSINESS_DAYS business days (default 1: the next business day) after
  the day it was filed on. Business days are Monday to Friday except the dates of the
  closed-days file (TCN_CLOSED_DAYS_FILE, default deploy/closed_days.txt): public
  holidays and the office's own days off, one ISO date (2026-12-31) a line, `#` starting
  a comment.

Both are settings, read at each filing, so a change needs no restart.
"""

from __future__ import annotations

import logging
import os
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from bot.cases.db import ROOT

DEFAULT_DUE_DAYS = 14
DEFAULT_HANDOFF_BUSINESS_DAYS = 1
DEFAULT_CLOSED_DAYS_FILE = ROOT / "deploy" / "closed_days.txt"
SATURDAY = 5  # date.weekday(): Saturday and Sunday are never business days

log = logging.getLogger(__name__)


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    try:
        number = int(environ.get(name, ""))
    except ValueError:
        return default
    return number if number > 0 else default


def due_days(environ: Mapping[str, str] = os.environ) -> int:
    """Days staff have for a request: TCN_DUE_DAYS if a positive integer, else 14."""
    return _positive(environ, "TCN_DUE_DAYS", DEFAULT_DUE_DAYS)


def handoff_business_days(environ: Mapping[str, str] = os.environ) -> int:
    """Business days staff have for a handoff: TCN_HANDOFF_DUE_BUSINESS_DAYS, else 1."""
    return _positive(environ, "TCN_HANDOFF_DUE_BUSINESS_DAYS", DEFAULT_HANDOFF_BUSINESS_DAYS)


def closed_days_file(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get("TCN_CLOSED_DAYS_FILE") or DEFAULT_CLOSED_DAYS_FILE)


@lru_cache(maxsize=4)
def _parse_closed_days(path: Path, modified: int) -> frozenset[date]:
    days = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            days.add(date.fromisoformat(text))
        except ValueError:
            # Skipped, not fatal: a typo in the calendar must not stop a customer's handoff.
            log.warning("%s line %d is not a date (YYYY-MM-DD); ignored", path, number)
    return frozenset(days)


def closed_days(environ: Mapping[str, str] = os.environ) -> frozenset[date]:
    """The dates of the closed-days file (none when there is no such file); parsed again
    only when the file changes."""
    path = closed_days_file(environ)
    try:
        modified = path.stat().st_mtime_ns
    except FileNotFoundError:
        return frozenset()
    return _parse_closed_days(path, modified)


def is_business_day(day: date, closed: frozenset[date]) -> bool:
    return day.weekday() < SATURDAY and day not in closed


def add_business_days(start: date, days: int, closed: frozenset[date]) -> date:
    """The `days`-th business day after `start` (`start` itself never counts)."""
    day = start
    for _ in range(days):
        day += timedelta(days=1)
        while not is_business_day(day, closed):
            day += timedelta(days=1)
    return day


def due_date(category: str, filed_on: date, environ: Mapping[str, str] = os.environ) -> date:
    """When a ticket of `category` ("request" or "handoff") filed on the Japanese date
    `filed_on` is due."""
    if category == "handoff":
        return add_business_days(filed_on, handoff_business_days(environ), closed_days(environ))
    return filed_on + timedelta(days=due_days(environ))
