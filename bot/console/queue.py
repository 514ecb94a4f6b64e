"""The queue of tickets: filters, sort orders, pages, counts per status, what is overdue.

Every sort key is a plain column (or the assignee's display name): personal data is
encrypted (bot/cases/encryption.py) and cannot be sorted in SQL, so the name column
has no sort.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import ColumnElement, Select

from bot.cases.models import CATEGORIES, HANDOFF_REASONS, KINDS, StaffUser, Ticket
from bot.cases.statuses import FINAL, Status
from bot.cases.tickets import JST
from bot.console.search import Search

OPEN = "open"  # the status filter for every status that is not final
MINE = "me"
UNASSIGNED = "none"
# Sort keys, as the column headers name them in the query string.
SORTS = ("reference", "category", "kind", "status", "received", "due", "assignee")
ORDERS = ("asc", "desc")


def _rank(column: Any, values: Iterable[Any], start: int = 0) -> list[tuple[ColumnElement, int]]:
    return [(column == value, start + number) for number, value in enumerate(values)]


# Coded values sort in the order staff know them (the Status enum, the eight kinds of
# 5.(1) and then the handoff reasons), not by their stored spelling.
_SORT_COLUMNS: dict[str, tuple[ColumnElement, ...]] = {
    "reference": (Ticket.reference,),
    "category": (case(*_rank(Ticket.category, CATEGORIES)),),
    "kind": (case(*_rank(Ticket.kind, KINDS),
                  *_rank(Ticket.handoff_reason, HANDOFF_REASONS, len(KINDS))),),
    "status": (case(*_rank(Ticket.status, [s.value for s in Status])),),
    "received": (Ticket.created_at,),
    "due": (Ticket.due_date, Ticket.created_at),
    # Unassigned after every name, whichever the direction.
    "assignee": (StaffUser.display_name.is_(None), StaffUser.display_name),
}


@dataclass(frozen=True)
class QueueFilter:
    # A Status value, OPEN, or None for all.
    status: str | None = OPEN
    kind: str | None = None
    category: str | None = None
    overdue: bool = False
    # MINE, UNASSIGNED, a staff user id, or None for anyone.
    assignee: str | None = None
    sort: str = "due"  # one of SORTS
    order: str = "asc"  # one of ORDERS
    page: int = 1  # 1-based; past the last page means the last page
    # The search box's text (bot.console.search); None or "" for no search.
    q: str | None = None

    def as_details(self) -> dict[str, Any]:
        """For the audit log: only the filters that were set (and the page after the first);
        of a search, what it looked for, never the text (it is personal data)."""
        details = {key: value for key, value in asdict(self).items()
                   if value not in (None, False, "") and key != "q" and (key, value) != ("page", 1)}
        if self.q:
            details["search"] = Search.of(self.q).kinds
        return details


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: `tickets` are rows `first` to `last` (1-based) of `total`."""

    tickets: list[Ticket]
    total: int
    page: int
    pages: int
    size: int

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1 if self.tickets else 0

    @property
    def last(self) -> int:
        return self.first + len(self.tickets) - 1 if self.tickets else 0

    def numbers(self, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and `around` either side of this
        one; None where numbers are left out."""
        shown = sorted({1, self.pages, *range(max(1, self.page - around),
                                               min(self.pages, self.page + around) + 1)})
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def today(now: datetime | None = None) -> date:
    """Due dates are Japanese dates."""
    return (now or datetime.now(timezone.utc)).astimezone(JST).date()


def is_overdue(ticket: Ticket, on: date) -> bool:
    return ticket.status not in FINAL and ticket.due_date < on


def _matching(wanted: QueueFilter, my_id: int | None, on: date) -> Select:
    query = select(Ticket)
    if wanted.q:
        query = query.where(Search.of(wanted.q).condition())
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
    return query


def _ordered(query: Select, wanted: QueueFilter) -> Select:
    columns = _SORT_COLUMNS.get(wanted.sort, _SORT_COLUMNS["due"])
    if wanted.sort == "assignee":
        query = query.outerjoin(StaffUser, Ticket.assignee_id == StaffUser.id)
    if wanted.order == "desc":
        columns = tuple(column.desc() for column in columns)
    if wanted.sort == "assignee":  # unassigned stay last when the names are reversed
        columns = (_SORT_COLUMNS["assignee"][0], *columns[1:])
    # The id last: equal keys keep one order from page to page.
    return query.options(selectinload(Ticket.assignee)).order_by(*columns, Ticket.id)


def page_of(session: Session, wanted: QueueFilter, my_id: int | None, on: date,
            size: int | None) -> QueuePage:
    """The wanted page of `size` matching tickets (the last page if `wanted.page` is past
    it); with `size` None, every matching ticket on one page."""
    query = _matching(wanted, my_id, on)
    if size is None:
        tickets = list(session.scalars(_ordered(query, wanted)))
        return QueuePage(tickets, len(tickets), 1, 1, max(1, len(tickets)))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, -(-total // size))
    page = min(max(1, wanted.page), pages)
    rows = session.scalars(_ordered(query, wanted).limit(size).offset((page - 1) * size))
    return QueuePage(list(rows), total, page, pages, size)


def status_counts(session: Session) -> dict[Status, int]:
    rows = session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    counts = dict.fromkeys(Status, 0)
    counts.update({status: number for status, number in rows})
    return counts
