"""Deletes what has been kept for its period (policy 12; docs/privacy.md, 保存期間).

    python -m bot.tools.retention [--dry-run] [--batch-size 100]

- Conversations whose last event is older than TCN_RETENTION_CONVERSATION_DAYS (default 90)
  are deleted from the tracker store (TRACKER_DATABASE_URL, default var/tracker.db), except
  those of tickets still open.
- Tickets in a final status whose last change is older than TCN_RETENTION_TICKET_DAYS
  (default 365) lose their personal data (bot.cases.retention).

The periods are company settings for staff: the bot never tells customers a number of days
(policy 12 sends customers to the contact point of section 11). Each batch is one unit of
work with its audit entries; a run stopped halfway is completed by the next, and a second
run finds nothing to do. With --dry-run, it counts and changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping, Sequence, TextIO

from bot.cases import retention
from bot.cases.db import CaseStore, OutdatedDatabase, require_latest
from bot.console.audit import Actor, record
from bot.tracker_events import TrackerEvents, tracker_url

CONVERSATION_DAYS = "TCN_RETENTION_CONVERSATION_DAYS"
TICKET_DAYS = "TCN_RETENTION_TICKET_DAYS"
DEFAULT_BATCH = 100
ACTOR = Actor(retention.RETENTION_ACTOR, None, None)


class SettingsError(ValueError):
    pass


def _days(environ: Mapping[str, str], variable: str, default: int) -> int:
    # A typo must not fall back to a default, nor "0" erase everything on the next run.
    text = environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{variable} must be a whole number of days, 1 or more (not {text!r})")
    return int(text)


@dataclass(frozen=True)
class Periods:
    conversation_days: int = 90
    ticket_days: int = 365

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Periods:
        return cls(_days(environ, CONVERSATION_DAYS, cls.conversation_days),
                   _days(environ, TICKET_DAYS, cls.ticket_days))


@dataclass(frozen=True)
class Run:
    now: datetime
    dry_run: bool
    batch_size: int
    out: TextIO

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def _shown(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def delete_conversations(run: Run, tracker: TrackerEvents, store: CaseStore,
                         days: int) -> tuple[int, int]:
    """Conversations and events deleted (or, dry, to delete)."""
    cutoff = run.now - timedelta(days=days)
    with store.unit_of_work() as session:
        keep = retention.open_conversations(session)
    ended = tracker.ended_before(cutoff.timestamp())
    due = [conversation for conversation in ended if conversation.sender_id not in keep]
    total, events = len(due), sum(conversation.events for conversation in due)
    run.say(f"conversations: last event before {_shown(cutoff)} ({days} days): {total} to "
            f"delete ({events} events), {len(ended) - total} kept for open tickets")
    if run.dry_run:
        return total, events
    done = deleted = 0
    for start in range(0, total, run.batch_size):
        senders = [conversation.sender_id for conversation in due[start:start + run.batch_size]]
        events = tracker.delete(senders, cutoff.timestamp())
        with store.unit_of_work() as session:
            record(session, ACTOR, "delete_conversations", now=run.now,
                   details={"conversations": len(senders), "events": events, "days": days})
        done, deleted = done + len(senders), deleted + events
        run.say(f"  conversations: {done}/{total} deleted")
    return done, deleted


def anonymize_tickets(run: Run, store: CaseStore, days: int) -> int:
    """Tickets anonymized (or, dry, to anonymize)."""
    cutoff = run.now - timedelta(days=days)
    with store.unit_of_work() as session:
        total = retention.count_expired(session, cutoff)
    run.say(f"tickets: closed, last change before {_shown(cutoff)} ({days} days): "
            f"{total} to anonymize")
    if run.dry_run:
        return total
    done = 0
    while True:
        with store.unit_of_work() as session:
            tickets = retention.next_expired(session, cutoff, run.batch_size)
            for ticket in tickets:
                event = retention.anonymize(session, ticket, run.now)
                record(session, ACTOR, "anonymized", ticket, now=run.now,
                       details={"days": days, "notes_erased": event.changes["notes_erased"][1]})
        if not tickets:
            return done
        done += len(tickets)
        run.say(f"  tickets: {done}/{total} anonymized")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.retention",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                        help=f"conversations or tickets per transaction (default {DEFAULT_BATCH})")
    args = parser.parse_args(argv)
    try:
        periods = Periods.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    run = Run(datetime.now(timezone.utc), args.dry_run, max(1, args.batch_size), out)
    store = CaseStore.from_env()
    tracker = TrackerEvents(tracker_url())
    try:
        require_latest(store.engine)
        run.say(f"retention at {_shown(run.now)}"
                + (" (dry run: nothing is changed)" if run.dry_run else ""))
        conversations, events = delete_conversations(run, tracker, store,
                                                     periods.conversation_days)
        tickets = anonymize_tickets(run, store, periods.ticket_days)
    except OutdatedDatabase as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        tracker.dispose()
        store.engine.dispose()
    done = "would be" if run.dry_run else "were"
    run.say(f"summary: {conversations} conversation(s) ({events} events) {done} deleted, "
            f"{tickets} ticket(s) {done} anonymized")
    return 0


if __name__ == "__main__":
    sys.exit(main())
