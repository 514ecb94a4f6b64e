"""What is new in the queue: open tickets nobody on staff has opened yet, and customer
messages in open handoffs that came after the ticket was last opened, and open handoffs
no one has answered in the chat in time (escalated: bot/console/live.py).

"Opened" is read from the audit log (each look at a ticket page, or `cli show`, is a
`view_ticket` entry), so the marks are the team's: once anyone has opened a ticket it is
no longer new for anyone. Customer messages count only in open handoffs: there the bot
is silent and they wait for a person, while in a request's conversation the bot answers.

The queue page shows the marks; its script polls `stamp` (bot/console/static/console.js)
and reloads the list when it changes, which it does when a ticket is filed or changed or
when a mark appears or goes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.cases.models import AuditEntry, Ticket
from bot.cases.statuses import FINAL
from bot.console import live
from bot.console.transcript import TranscriptReader

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Activity:
    # Ids of open tickets no one has opened.
    new: frozenset[int]
    # Open handoff's id -> customer messages since it was last opened (only those with some).
    unread: Mapping[int, int]
    # Ids of open handoffs no one has answered in the chat in time (bot/console/live.py).
    escalated: frozenset[int]
    # Changes whenever the queue would look different; holds no personal data.
    stamp: str


def last_opened(session: Session, ticket_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of these tickets was last opened by anyone (tickets never opened are absent)."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(AuditEntry.ticket_id, func.max(AuditEntry.at))
        .where(AuditEntry.action == "view_ticket", AuditEntry.ticket_id.in_(ids))
        .group_by(AuditEntry.ticket_id))
    return {ticket_id: at for ticket_id, at in rows}


def _unread(transcripts: TranscriptReader, conversation_id: str, since: datetime) -> int:
    try:
        said = transcripts.read(conversation_id) or []
    except SQLAlchemyError:
        # The queue still works while the tracker store cannot be read; marks come back with it.
        log.warning("tracker store unreadable: no unread marks for now")
        return 0
    return sum(1 for message in said if message.speaker == "user" and message.at > since)


def current(session: Session, transcripts: TranscriptReader) -> Activity:
    """The marks of every open ticket and the stamp of the whole queue."""
    open_tickets = session.execute(
        select(Ticket.id, Ticket.category, Ticket.conversation_id, Ticket.created_at)
        .where(Ticket.status.not_in(list(FINAL)))).all()
    opened = last_opened(session, (row.id for row in open_tickets))
    new = frozenset(row.id for row in open_tickets if row.id not in opened)
    unread = {}
    for row in open_tickets:
        if row.category == "handoff":
            count = _unread(transcripts, row.conversation_id, max(row.created_at, opened.get(row.id, row.created_at)))
            if count:
                unread[row.id] = count
    latest = session.execute(
        select(func.count(), func.max(Ticket.id), func.max(Ticket.updated_at))).one()
    late = live.escalated(session)
    shape = [latest[0], latest[1], str(latest[2]), sorted(new), sorted(unread.items()), sorted(late)]
    stamp = hashlib.sha256(json.dumps(shape).encode("utf-8")).hexdigest()[:32]
    return Activity(new, unread, late, stamp)
