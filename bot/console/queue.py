"""The queue of tickets: filters, sort orders, counts per status, what is overdue."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.cases.models import Ticket
from bot.cases.statuses import FINAL, Status
from bot.cases.tickets import JST

OPEN = "open"  # the status filter for every status that is not final
MINE = "me"
UNASSIGNED = "none"
SORTS = ("due", "received")


@dataclass(frozen=True)
class QueueFilter:
    # A Status value, OPEN, or None for all.
    status: str | None = OPEN
    kind: str | None = None
    category: str | None = None
    overdue: bool = False
    # MINE, UNASSIGNED, a staff user id, or None for anyone.
    assignee: str | None = None
    sort: str = "due"

    def as_details(self) -> dict[str, Any]:
        """For the audit log: only the filters that were set."""
        return {key: value for key, value in asdict(self).items() if value not in (None, False)}


def today(now: datetime | None = None) -> date:
    """Due dates are Japanese dates."""
    return (now or datetime.now(timezone.utc)).astimezone(JST).date()


def is_overdue(ticket: Ticket, on: date) -> bool:
    return ticket.status not in FINAL and ticket.due_date < on


def find_tickets(session: Session, wanted: QueueFilter, my_id: int | None,
                 on: date) -> list[Ticket]:
    query = select(Ticket).options(selectinload(Ticket.assignee))
    if wanted.status == OPEN:
        query = query.where(Ticket.status.not_in(list(FINAL)))
    elif wanted.status:
        query = query.where(Ticket.status == Status(wanted.status))
    if wanted.kind:
        query = query.where(Ticket.kind == wanted.kind)
    if wanted.category:
        query = query.where(Ticket.category == wanted.category)
    if wanted.overdue:
        query = query.where(Ticket.status.not_in(list(FINAL)), Ticket.due_date < on)
    if wanted.assignee == MINE:
        query = query.where(Ticket.assignee_id == my_id)
    elif wanted.assignee == UNASSIGNED:
        query = query.where(Ticket.assignee_id.is_(None))
    elif wanted.assignee:
        query = query.where(Ticket.assignee_id == int(wanted.assignee))
    # Oldest first either way: the queue is worked from the top.
    order = (Ticket.due_date, Ticket.created_at) if wanted.sort == "due" else (Ticket.created_at,)
    return list(session.scalars(query.order_by(*order, Ticket.id)))


def status_counts(session: Session) -> dict[Status, int]:
    rows = session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    counts = dict.fromkeys(Status, 0)
    counts.update({status: number for status, number in rows})
    return counts
