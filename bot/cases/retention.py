"""Erasing the personal data of tickets whose retention period is over (policy 12).

A ticket qualifies when it is in a final status and its last change is older than the
cut-off. It keeps its record (reference, category, kind, requester, status, dates, the
history: who did what and when) while its personal fields and its status note become NULL,
the words staff wrote in its history (`ticket_events.staff_text`) NULL and its notes' text
"" (the rows stay), and an "anonymized" event is appended. Personal values are never
loaded and nothing is encrypted (NULL and "" are stored as they are), so this needs no
data key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, load_only

from bot.cases.models import PERSONAL_FIELDS, Ticket, TicketEvent, TicketNote
from bot.cases.statuses import FINAL

RETENTION_ACTOR = "system:retention"


def _expired(cutoff: datetime) -> tuple[Any, ...]:
    return (Ticket.status.in_(list(FINAL)), Ticket.updated_at < cutoff,
            Ticket.anonymized_at.is_(None))


def count_expired(session: Session, cutoff: datetime) -> int:
    query = select(func.count()).select_from(Ticket).where(*_expired(cutoff))
    return session.execute(query).scalar_one()


def next_expired(session: Session, cutoff: datetime, size: int) -> list[Ticket]:
    """Up to `size` tickets to anonymize, locked against concurrent changes, with only
    their id and reference loaded."""
    query = (select(Ticket).options(load_only(Ticket.id, Ticket.reference))
             .where(*_expired(cutoff)).order_by(Ticket.id).limit(size).with_for_update())
    return list(session.scalars(query))


def open_conversations(session: Session) -> set[str]:
    """Conversations of tickets staff are still working on: their transcript is in use."""
    query = select(Ticket.conversation_id).where(Ticket.status.not_in(list(FINAL)))
    return set(session.scalars(query))


def anonymize(session: Session, ticket: Ticket, now: datetime) -> TicketEvent:
    """Erase the ticket's personal data and staff's words on it (status note, the texts
    of its history, its notes) and record that, without any personal value."""
    for field in PERSONAL_FIELDS:
        setattr(ticket, field, None)
    ticket.status_note = None
    ticket.anonymized_at = now
    ticket.updated_at = now
    # Notes by staff may quote the customer (「…様宛に開示書面を郵送」); the rows stay as a
    # record that a note or a contact took place.
    erase_notes = (update(TicketNote).where(TicketNote.ticket_id == ticket.id)
                   .values(body="").execution_options(synchronize_session=False))
    notes = session.execute(erase_notes).rowcount
    # In SQL: the ORM refuses to change an event. Who did what and when stays.
    erase_texts = (update(TicketEvent)
                   .where(TicketEvent.ticket_id == ticket.id, TicketEvent.staff_text.is_not(None))
                   .values(staff_text=None).execution_options(synchronize_session=False))
    texts = session.execute(erase_texts).rowcount
    event = TicketEvent(ticket=ticket, at=now, actor=RETENTION_ACTOR, action="anonymized",
                        changes={"anonymized_at": [None, now.isoformat()],
                                 "notes_erased": [None, notes], "texts_erased": [None, texts]})
    session.add(event)
    session.flush()
    return event
