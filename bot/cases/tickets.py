"""Filing requests, changing their status, and the customer's guarded status look-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases import due
from bot.cases.models import ID_PRESENTATIONS, KINDS, REQUESTERS, LookupFailure, Ticket, TicketEvent
from bot.cases.references import (
    code_matches,
    hash_code,
    new_code,
    new_reference,
    normalize_reference,
)
from bot.cases.statuses import Status, check_transition
from bot.policy.document import load_policy

# Kinds for which 5.(3) charges a fee; the policy YAML stays the one source.
FEE_KINDS = frozenset(load_policy()["5.(3)"].facts["fee_applies_to"])
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(hours=1)
# Dates customers and staff see (reference, due date) are Japanese dates; Japan has no DST.
JST = timezone(timedelta(hours=9), "JST")
# A reference collision needs two requests on one day drawing the same of 32**6 suffixes.
_REFERENCE_ATTEMPTS = 5
CUSTOMER_ACTOR = "customer:chat"


@dataclass(frozen=True)
class NewRequest:
    kind: str
    requester: str
    name: str
    phone: str | None
    email: str | None
    customer_number: str | None
    details: str | None
    id_presentation: str
    channel: str
    conversation_id: str
    submission_key: str


class InvalidRequest(ValueError):
    """A request the database would refuse; the message names fields, never their values."""


@dataclass(frozen=True)
class Filed:
    ticket: Ticket
    # The plain code, to show the customer once; None when the form had been filed before.
    code: str | None


@dataclass(frozen=True)
class StatusAnswer:
    # None both for an unknown reference and a wrong code, so the two cannot be told apart.
    status: Status | None
    locked: bool
    ticket: Ticket | None


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware one")
    return now


def _check(new: NewRequest) -> None:
    """Refuse what the CHECK constraints would: PostgreSQL's own error quotes the whole row."""
    for field, allowed in (("kind", KINDS), ("requester", REQUESTERS),
                           ("id_presentation", ID_PRESENTATIONS)):
        if getattr(new, field) not in allowed:
            raise InvalidRequest(f"{field} must be one of {'、'.join(allowed)}")
    if not new.name:
        raise InvalidRequest("name is needed")


def _violated(error: IntegrityError) -> str:
    """The constraint or column an IntegrityError is about, without the row's values."""
    diag = getattr(error.orig, "diag", None)  # psycopg2; SQLite's messages quote no values
    if diag is None:
        return str(error.orig)
    return diag.constraint_name or diag.column_name or "a constraint"


def _plain(value: Any) -> Any:
    """JSON-ready: statuses as their stored value, dates in ISO form."""
    if isinstance(value, Status):
        return value.value
    return value.isoformat() if isinstance(value, date) else value


def _by_submission_key(session: Session, key: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.submission_key == key)).one_or_none()


def _request_fields(new: NewRequest) -> dict[str, Any]:
    """The columns a request sets itself (file_ticket adds reference, code, dates, status)."""
    return dict(
        category="request",
        kind=new.kind,
        requester=new.requester,
        name=new.name,
        phone=new.phone,
        email=new.email,
        customer_number=new.customer_number,
        details=new.details,
        id_presentation=new.id_presentation,
        fee_applies=new.kind in FEE_KINDS,
        channel=new.channel,
        conversation_id=new.conversation_id,
        submission_key=new.submission_key,
    )


# What the "created" event records: no personal data, since the history is append-only
# and an erasure must not leave copies.
_CREATED_FIELDS = ("reference", "category", "handoff_reason", "kind", "requester",
                   "id_presentation", "fee_applies", "channel", "status", "due_date")


def _created_changes(ticket: Ticket) -> dict[str, list[Any]]:
    return {
        field: [None, _plain(getattr(ticket, field))]
        for field in _CREATED_FIELDS
        if getattr(ticket, field) is not None
    }


def file_ticket(session: Session, fields: dict[str, Any], now: datetime | None = None) -> Filed:
    """File a ticket with these columns once per `fields["submission_key"]`, with a new
    reference and code, status 受付 and the due date of its category (bot.cases.due).

    A repeated submission, even a concurrent one, gets the existing ticket and no code:
    the unique submission key decides, inside a SAVEPOINT so the caller's transaction lives on.
    """
    if not (fields.get("phone") or fields.get("email")):
        raise InvalidRequest("a phone number or an e-mail address is needed")
    existing = _by_submission_key(session, fields["submission_key"])
    if existing is not None:
        return Filed(existing, None)
    now = _now(now)
    code = new_code()
    code_hash = hash_code(code)
    today = now.astimezone(JST).date()
    for _ in range(_REFERENCE_ATTEMPTS):
        ticket = Ticket(reference=new_reference(today), code_hash=code_hash,
                        status=Status.RECEIVED, due_date=due.due_date(fields["category"], today),
                        created_at=now, updated_at=now, **fields)
        try:
            with session.begin_nested():
                session.add(ticket)
                session.add(TicketEvent(ticket=ticket, at=now, actor=CUSTOMER_ACTOR,
                                        action="created", changes=_created_changes(ticket)))
                session.flush()
        except IntegrityError as error:
            existing = _by_submission_key(session, fields["submission_key"])
            if existing is not None:
                return Filed(existing, None)
            if find_by_reference(session, ticket.reference) is None:
                raise InvalidRequest(f"the request breaks {_violated(error)}") from None
            continue
        return Filed(ticket, code)
    raise RuntimeError(f"no free reference after {_REFERENCE_ATTEMPTS} attempts")


def open_request(session: Session, new: NewRequest, now: datetime | None = None) -> Filed:
    """File the request once per submission key, with a new reference and code."""
    _check(new)
    return file_ticket(session, _request_fields(new), now)


def reissue_code(session: Session, ticket: Ticket, now: datetime | None = None) -> str:
    """A new verification code for `ticket`, returned in plain to show the customer once;
    only its hash is stored, the old code stops working, and a "code_reissued" event
    (no code, no hash) records when. For a filing whose receipt the customer never saw."""
    now = _now(now)
    code = new_code()
    ticket.code_hash = hash_code(code)
    ticket.updated_at = now
    session.add(TicketEvent(ticket=ticket, at=now, actor=CUSTOMER_ACTOR, action="code_reissued", changes={}))
    session.flush()
    return code


def change_status(
    session: Session,
    ticket: Ticket,
    new: Status,
    actor: str,
    note: str | None = None,
    ground: str | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Move the ticket to `new` if the rules allow it, recording who did it and what changed.

    The note becomes the ticket's `status_note` and the event's `staff_text` (both
    encrypted), never part of the event's `changes`."""
    new = Status(new)
    check_transition(ticket.status, new, note, ground, ticket.category)
    now = _now(now)
    after = {"status": new, "refusal_ground": ground}
    changes = {
        field: [_plain(getattr(ticket, field)), _plain(value)]
        for field, value in after.items()
        if getattr(ticket, field) != value
    }
    for field, value in after.items():
        setattr(ticket, field, value)
    ticket.status_note = note
    ticket.updated_at = now
    event = TicketEvent(ticket=ticket, at=now, actor=actor, action="status_changed",
                        changes=changes, staff_text=note)
    session.add(event)
    session.flush()
    return event


def find_by_reference(session: Session, reference: str) -> Ticket | None:
    normalized = normalize_reference(reference)
    if normalized is None:
        return None
    return session.scalars(select(Ticket).where(Ticket.reference == normalized)).one_or_none()


@lru_cache(maxsize=None)
def _dummy_hash() -> str:
    """Verified against for unknown references, so they take as long as known ones."""
    return hash_code(new_code())


def _recent_failures(session: Session, reference: str, now: datetime) -> int:
    query = select(func.count()).select_from(LookupFailure).where(
        LookupFailure.reference == reference, LookupFailure.at > now - LOCKOUT_WINDOW
    )
    return session.execute(query).scalar_one()


def lookup_status(
    session: Session, reference: str, code: str, now: datetime | None = None
) -> StatusAnswer:
    """The status for a reference and its code, with a lock-out after repeated failures.

    Unknown references and wrong codes answer alike and count alike. Text that is not a
    reference at all answers alike but is not recorded (it cannot be counted per reference).
    """
    now = _now(now)
    normalized = normalize_reference(reference)
    if normalized is None:
        code_matches(_dummy_hash(), code)
        return StatusAnswer(None, False, None)
    failures = _recent_failures(session, normalized, now)
    if failures >= LOCKOUT_FAILURES:
        return StatusAnswer(None, True, None)
    ticket = find_by_reference(session, normalized)
    matched = code_matches(ticket.code_hash if ticket else _dummy_hash(), code)
    if ticket is not None and matched:
        return StatusAnswer(ticket.status, False, ticket)
    session.add(LookupFailure(reference=normalized, at=now))
    session.flush()
    return StatusAnswer(None, failures + 1 >= LOCKOUT_FAILURES, None)
