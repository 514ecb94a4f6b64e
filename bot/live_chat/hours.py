"""When staff answer in the chat: the business hours of deploy/live_chat.yml.

The file (TCN_LIVE_CHAT_CONFIG names another) is read again whenever it changes, so an
edit needs no restart. Days are Japanese weekday names; a date of the closed-days file
(bot/cases/due.py) is closed whatever its weekday. Times are Japan time (JST, UTC+9,
no daylight saving).

A file that cannot be used is an error at the first handoff (LiveChatConfigError), not a
guess: the customer would be told hours that are not true.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping, Optional, overload

import yaml

from bot.cases.db import ROOT
from bot.cases.due import closed_days

JST = timezone(timedelta(hours=9), "JST")
DEFAULT_CONFIG = ROOT / "deploy" / "live_chat.yml"
CONFIG_VARIABLE = "TCN_LIVE_CHAT_CONFIG"
WEEKDAYS = "月火水木金土日"  # date.weekday(): Monday is 0
# A year and a little: an opening further off means none is configured (no days, or all closed).
SEARCH_DAYS = 400


class LiveChatConfigError(ValueError):
    """deploy/live_chat.yml (or TCN_LIVE_CHAT_CONFIG) is missing or malformed; the
    message names the file and the setting."""


@dataclass(frozen=True)
class LiveChatSettings:
    days: frozenset[int]  # date.weekday() numbers
    opens: time
    closes: time
    # Told to the customer only when set (minutes).
    expected_wait_minutes: Optional[int]
    # An open handoff no staff member has answered for this long is escalated (minutes).
    escalate_after_minutes: int

    def hours_text(self) -> str:
        """「月～金 9:00～17:00」, as the customer reads the hours."""
        days = "".join(WEEKDAYS[day] for day in sorted(self.days))
        if days == "月火水木金":
            days = "平日"
        elif len(days) > 2 and days in WEEKDAYS:  # a run of days: 「月～土」
            days = f"{days[0]}～{days[-1]}"
        else:
            days = "・".join(days)
        return f"{days} {_clock(self.opens)}～{_clock(self.closes)}"

    def is_open_day(self, day: date, environ: Mapping[str, str] = os.environ) -> bool:
        return day.weekday() in self.days and day not in closed_days(environ)

    def is_open(self, at: datetime, environ: Mapping[str, str] = os.environ) -> bool:
        """Whether staff answer in the chat at the aware datetime `at`."""
        local = at.astimezone(JST)
        return self.is_open_day(local.date(), environ) and self.opens <= local.time() < self.closes

    def next_opening(self, at: datetime, environ: Mapping[str, str] = os.environ) -> datetime:
        """The first opening (JST) after the aware `at` (today's, if not yet open).
        Raises LiveChatConfigError when no day within SEARCH_DAYS is open."""
        local = at.astimezone(JST)
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            opening = datetime.combine(day, self.opens, JST)
            if opening > local and self.is_open_day(day, environ):
                return opening
        raise LiveChatConfigError("no business day in the next year: check business_hours.days "
                                  "and the closed-days file")


def _clock(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def opening_text(opening: datetime) -> str:
    """「12月8日（火）9:00」."""
    local = opening.astimezone(JST)
    return f"{local.month}月{local.day}日（{WEEKDAYS[local.weekday()]}）{_clock(local.time())}"


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get(CONFIG_VARIABLE) or DEFAULT_CONFIG)


def settings(environ: Mapping[str, str] = os.environ) -> LiveChatSettings:
    """The settings of the configured file, parsed again only when it changes.
    Raises LiveChatConfigError."""
    path = config_path(environ)
    try:
        modified = path.stat().st_mtime_ns
    except OSError as error:
        raise LiveChatConfigError(f"{path}: {error.strerror}") from None
    return _parse(path, modified)


@lru_cache(maxsize=4)
def _parse(path: Path, modified: int) -> LiveChatSettings:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise LiveChatConfigError(f"{path}: {error}") from None
    data = _mapping(data, path, "the file")
    hours = _mapping(data.get("business_hours"), path, "business_hours")
    days = hours.get("days")
    # One weekday a item: "月火" is a substring of WEEKDAYS, not a day.
    if not isinstance(days, list) or not days or any(len(d) != 1 or d not in WEEKDAYS for d in map(str, days)):
        raise LiveChatConfigError(f"{path}: business_hours.days must list weekdays of {WEEKDAYS}")
    opens, closes = _time(hours.get("opens"), path, "opens"), _time(hours.get("closes"), path, "closes")
    if closes <= opens:
        raise LiveChatConfigError(f"{path}: business_hours.closes must be after opens")
    return LiveChatSettings(
        days=frozenset(WEEKDAYS.index(str(day)) for day in days), opens=opens, closes=closes,
        expected_wait_minutes=_minutes(data.get("expected_wait_minutes"), path, "expected_wait_minutes",
                                       optional=True),
        escalate_after_minutes=_minutes(data.get("escalate_after_minutes"), path, "escalate_after_minutes"),
    )


def _mapping(value: Any, path: Path, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise LiveChatConfigError(f"{path}: {name} must be a mapping")
    return value


def _time(value: Any, path: Path, name: str) -> time:
    text = str(value or "")
    if text == "24:00":
        return time.max
    try:
        parsed = time.fromisoformat(text if len(text) != 4 else f"0{text}")
    except ValueError:
        parsed = None
    # A zone ("09:00+09:00") would make it incomparable with the Japan time of is_open.
    if parsed is None or parsed.tzinfo is not None:
        raise LiveChatConfigError(f"{path}: business_hours.{name} must be a time like \"09:00\"")
    return parsed


@overload
def _minutes(value: Any, path: Path, name: str) -> int: ...
@overload
def _minutes(value: Any, path: Path, name: str, optional: Literal[True]) -> Optional[int]: ...
def _minutes(value: Any, path: Path, name: str, optional: bool = False) -> Optional[int]:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LiveChatConfigError(f"{path}: {name} must be a positive number of minutes"
                                  + (" or empty" if optional else ""))
    return value
