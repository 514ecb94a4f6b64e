"""When staff answer in the chat (bot/live_chat/hours.py): the business hours of
deploy/live_chat.yml or TCN_LIVE_CHAT_CONFIG, in Japan time, less the dates of the
closed-days file; what the customer is told of them; and files that cannot be used."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from bot.live_chat import hours
from bot.live_chat.hours import CONFIG_VARIABLE, JST, LiveChatConfigError, opening_text

UTC = timezone.utc
# The shipped file's hours: 平日 9:00～17:00 (deploy/live_chat.yml).
WEEKDAYS_9_TO_5 = """\
business_hours:
  days: [月, 火, 水, 木, 金]
  opens: "09:00"
  closes: "17:00"
expected_wait_minutes:
escalate_after_minutes: 10
"""
TUESDAY = date(2026, 12, 1)
FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
MONDAY = date(2026, 12, 7)


def jst(day: date, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second, micro), JST)


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """The shipped hours, and a closed-days file of the test's own (empty)."""
    config = tmp_path / "live_chat.yml"
    config.write_text(WEEKDAYS_9_TO_5, encoding="utf-8")
    closed = tmp_path / "closed_days.txt"
    closed.write_text("# none\n", encoding="utf-8")
    return {CONFIG_VARIABLE: str(config), "TCN_CLOSED_DAYS_FILE": str(closed)}


def settings_of(text: str, tmp_path: Path, name: str = "hours.yml") -> hours.LiveChatSettings:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return hours.settings({CONFIG_VARIABLE: str(path)})


def test_the_shipped_file_is_weekdays_nine_to_five() -> None:
    shipped = hours.settings({})
    assert hours.config_path({}) == hours.DEFAULT_CONFIG
    assert (shipped.days, shipped.opens, shipped.closes) == (frozenset(range(5)), time(9), time(17))
    assert shipped.hours_text() == "平日 9:00～17:00"
    assert shipped.expected_wait_minutes is None and shipped.escalate_after_minutes == 10


def test_open_from_nine_up_to_but_not_at_five_japan_time(environ: dict[str, str]) -> None:
    live = hours.settings(environ)
    assert not live.is_open(jst(TUESDAY, 8, 59, 59, 999999), environ)
    assert live.is_open(jst(TUESDAY, 9), environ)
    assert live.is_open(jst(TUESDAY, 16, 59, 59), environ)
    assert not live.is_open(jst(TUESDAY, 17), environ)
    assert not live.is_open(jst(TUESDAY, 23, 30), environ)


def test_the_hours_are_japan_time_whatever_the_zone_of_the_moment(environ: dict[str, str]) -> None:
    live = hours.settings(environ)
    # 00:00 UTC is 09:00 JST the same day; 08:00 UTC is 17:00 JST.
    assert live.is_open(datetime(2026, 12, 1, 0, 0, tzinfo=UTC), environ)
    assert not live.is_open(datetime(2026, 11, 30, 23, 59, tzinfo=UTC), environ)  # Tue 08:59 JST
    assert live.is_open(datetime(2026, 12, 1, 7, 59, tzinfo=UTC), environ)
    assert not live.is_open(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), environ)
    # Monday 10:00 in New York (UTC-5) is Tuesday 00:00 JST: closed, although a weekday
    # mid-morning where the server might be.
    new_york = timezone(timedelta(hours=-5))
    assert not live.is_open(datetime(2026, 11, 30, 10, 0, tzinfo=new_york), environ)
    # Sunday 20:00 in New York is Monday 10:00 JST: open.
    assert live.is_open(datetime(2026, 12, 6, 20, 0, tzinfo=new_york), environ)


def test_weekends_are_closed_in_japan(environ: dict[str, str]) -> None:
    live = hours.settings(environ)
    assert live.is_open(jst(FRIDAY, 16), environ)
    assert not live.is_open(jst(SATURDAY, 10), environ)
    assert not live.is_open(jst(SATURDAY + timedelta(days=1), 10), environ)
    # Friday 16:00 UTC is Saturday 01:00 JST; Sunday 23:30 UTC is Monday 08:30 JST.
    assert not live.is_open(datetime(2026, 12, 4, 16, 0, tzinfo=UTC), environ)
    assert not live.is_open(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), environ)
    assert live.is_open(datetime(2026, 12, 7, 0, 30, tzinfo=UTC), environ)


def test_a_date_of_the_closed_days_file_is_closed_whatever_its_weekday(
        environ: dict[str, str]) -> None:
    Path(environ["TCN_CLOSED_DAYS_FILE"]).write_text("2026-12-01  # 創立記念日\n", encoding="utf-8")
    live = hours.settings(environ)
    assert not live.is_open(jst(TUESDAY, 10), environ)
    assert not live.is_open_day(TUESDAY, environ)
    assert live.is_open(jst(TUESDAY - timedelta(days=1), 10), environ)
    assert live.is_open(jst(TUESDAY + timedelta(days=1), 10), environ)
    # Without the file's date the same moment is open: the file, not the weekday, closed it.
    assert live.is_open(jst(TUESDAY, 10), {**environ, "TCN_CLOSED_DAYS_FILE": str(Path(
        environ["TCN_CLOSED_DAYS_FILE"]).with_name("none.txt"))})


def test_the_next_opening_skips_the_weekend_and_closed_days(environ: dict[str, str]) -> None:
    live = hours.settings(environ)
    assert live.next_opening(jst(FRIDAY, 17), environ) == jst(MONDAY, 9)
    assert live.next_opening(jst(SATURDAY, 12), environ) == jst(MONDAY, 9)
    assert live.next_opening(jst(FRIDAY, 7, 30), environ) == jst(FRIDAY, 9)  # today's, not yet open
    assert live.next_opening(jst(FRIDAY, 9), environ) == jst(MONDAY, 9)  # open now: the next one
    # From UTC: Friday 08:00 UTC is Friday 17:00 JST.
    assert live.next_opening(datetime(2026, 12, 4, 8, 0, tzinfo=UTC), environ) == jst(MONDAY, 9)
    # Monday a holiday: Tuesday.
    Path(environ["TCN_CLOSED_DAYS_FILE"]).write_text("2026-12-07\n", encoding="utf-8")
    assert live.next_opening(jst(FRIDAY, 17), environ) == jst(MONDAY + timedelta(days=1), 9)
    # The year-end break of the shipped closed-days file: from Monday 28 December, 17:00,
    # to Monday 4 January.
    shipped = {CONFIG_VARIABLE: environ[CONFIG_VARIABLE]}
    opening = live.next_opening(jst(date(2026, 12, 28), 17), shipped)
    assert opening == jst(date(2027, 1, 4), 9)
    assert opening_text(opening) == "1月4日（月）9:00"
    assert opening_text(datetime(2027, 1, 4, 0, 0, tzinfo=UTC)) == "1月4日（月）9:00"


def test_no_opening_within_a_year_is_an_error(environ: dict[str, str], tmp_path: Path) -> None:
    live = settings_of(WEEKDAYS_9_TO_5.replace("[月, 火, 水, 木, 金]", "[月]"), tmp_path)
    mondays = [MONDAY + timedelta(weeks=week) for week in range(60)]
    Path(environ["TCN_CLOSED_DAYS_FILE"]).write_text(
        "".join(f"{day.isoformat()}\n" for day in mondays), encoding="utf-8")
    with pytest.raises(LiveChatConfigError, match="no business day"):
        live.next_opening(jst(FRIDAY, 17), environ)
    none = str(tmp_path / "no_closed_days.txt")
    assert live.next_opening(jst(FRIDAY, 17), {**environ, "TCN_CLOSED_DAYS_FILE": none}) == jst(MONDAY, 9)


@pytest.mark.parametrize(("days", "opens", "closes", "shown"), [
    ("[月, 火, 水, 木, 金]", '"09:00"', '"17:00"', "平日 9:00～17:00"),
    ("[金, 木, 水, 火, 月]", '"09:00"', '"17:00"', "平日 9:00～17:00"),
    ("[火, 水, 木]", '"08:30"', '"18:45"', "火～木 8:30～18:45"),
    ("[月, 水, 金]", '"10:00"', '"16:00"', "月・水・金 10:00～16:00"),
    ("[土]", '"9:00"', '"12:00"', "土 9:00～12:00"),
    ("[土, 日]", '"10:00"', '"15:00"', "土・日 10:00～15:00"),
    ("[月, 火, 水, 木, 金, 土]", '"09:00"', '"17:00"', "月～土 9:00～17:00"),
])
def test_the_hours_as_the_customer_reads_them(tmp_path: Path, days: str, opens: str, closes: str,
                                              shown: str) -> None:
    text = WEEKDAYS_9_TO_5.replace("[月, 火, 水, 木, 金]", days).replace(
        '"09:00"', opens).replace('"17:00"', closes)
    assert settings_of(text, tmp_path).hours_text() == shown


def test_open_until_midnight_with_24_00(tmp_path: Path) -> None:
    live = settings_of(WEEKDAYS_9_TO_5.replace('"17:00"', '"24:00"'), tmp_path)
    none = {"TCN_CLOSED_DAYS_FILE": str(tmp_path / "no_closed_days.txt")}
    assert live.is_open(jst(TUESDAY, 23, 59, 59), none) and not live.is_open(jst(TUESDAY, 8), none)


def test_the_file_is_read_again_when_it_changes(environ: dict[str, str]) -> None:
    path = Path(environ[CONFIG_VARIABLE])
    assert hours.settings(environ).closes == time(17)
    path.write_text(WEEKDAYS_9_TO_5.replace('"17:00"', '"18:30"'), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later edit
    changed = hours.settings(environ)
    assert changed.closes == time(18, 30) and changed.is_open(jst(TUESDAY, 18), environ)


@pytest.mark.parametrize(("text", "complaint"), [
    ("business_hours: [09:00, 17:00]\nescalate_after_minutes: 10\n", "business_hours must be a mapping"),
    ("escalate_after_minutes: 10\n", "business_hours must be a mapping"),
    (WEEKDAYS_9_TO_5.replace("[月, 火, 水, 木, 金]", "[]"), "business_hours.days"),
    (WEEKDAYS_9_TO_5.replace("[月, 火, 水, 木, 金]", "[Mon, Tue]"), "business_hours.days"),
    (WEEKDAYS_9_TO_5.replace("[月, 火, 水, 木, 金]", "月～金"), "business_hours.days"),
    # Two days in one item would otherwise be read as the first only.
    (WEEKDAYS_9_TO_5.replace("[月, 火, 水, 木, 金]", "[月火, 水木金]"), "business_hours.days"),
    (WEEKDAYS_9_TO_5.replace('"09:00"', '"9時"'), "business_hours.opens"),
    # Unquoted, YAML reads 17:00 as the number 1020 (base 60): refused, not guessed.
    (WEEKDAYS_9_TO_5.replace('"17:00"', "17:00"), "business_hours.closes"),
    (WEEKDAYS_9_TO_5.replace('  closes: "17:00"\n', ""), "business_hours.closes"),
    # A time with a zone cannot be compared with Japan's local time.
    (WEEKDAYS_9_TO_5.replace('"09:00"', '"09:00+09:00"'), "business_hours.opens"),
    (WEEKDAYS_9_TO_5.replace('"17:00"', '"08:00"'), "closes must be after opens"),
    (WEEKDAYS_9_TO_5.replace('"17:00"', '"09:00"'), "closes must be after opens"),
    (WEEKDAYS_9_TO_5.replace("escalate_after_minutes: 10", "escalate_after_minutes:"),
     "escalate_after_minutes must be a positive number"),
    (WEEKDAYS_9_TO_5.replace("escalate_after_minutes: 10", "escalate_after_minutes: 0"),
     "escalate_after_minutes must be a positive number"),
    (WEEKDAYS_9_TO_5.replace("escalate_after_minutes: 10", 'escalate_after_minutes: "10"'),
     "escalate_after_minutes must be a positive number"),
    (WEEKDAYS_9_TO_5.replace("expected_wait_minutes:", "expected_wait_minutes: -5"),
     "expected_wait_minutes must be a positive number of minutes or empty"),
    (WEEKDAYS_9_TO_5.replace("expected_wait_minutes:", "expected_wait_minutes: true"),
     "expected_wait_minutes"),
    ("business_hours: {days: [月\n", ""),  # not YAML
    ("- 月\n- 火\n", ""),  # YAML, not a mapping
], ids=["hours-a-list", "no-hours", "no-days", "english-days", "days-a-string", "days-run-together",
        "opens-not-a-time", "closes-unquoted", "no-closes", "opens-with-zone", "closes-before-opens",
        "closes-at-opens", "no-escalation", "escalation-zero", "escalation-a-string", "wait-negative",
        "wait-a-boolean", "not-yaml", "not-a-mapping"])
def test_a_file_that_cannot_be_used_is_an_error_naming_it(tmp_path: Path, text: str,
                                                            complaint: str) -> None:
    path = tmp_path / "broken_live_chat.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LiveChatConfigError) as refused:
        hours.settings({CONFIG_VARIABLE: str(path)})
    assert str(refused.value).startswith(f"{path}:") and complaint in str(refused.value)


def test_a_missing_or_unreadable_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yml"
    with pytest.raises(LiveChatConfigError, match=f"^{re.escape(str(missing))}: No such file"):
        hours.settings({CONFIG_VARIABLE: str(missing)})
    not_utf8 = tmp_path / "shift_jis.yml"
    not_utf8.write_bytes(WEEKDAYS_9_TO_5.encode("shift_jis"))
    with pytest.raises(LiveChatConfigError) as refused:
        hours.settings({CONFIG_VARIABLE: str(not_utf8)})
    assert str(refused.value).startswith(f"{not_utf8}:")
