"""Conversations the chat hands to a person: a handoff ticket per conversation.

The chat opens one with `open_handoff` (same reference, code, idempotency and history
as a request) and stops answering automatically while `open_handoff_for` returns it;
staff close it in the console by moving it to a final status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.models import HANDOFF_REASONS, Ticket
from bot.cases.statuses import FINAL
from bot.cases.tickets import Filed, InvalidRequest, file_ticket

__all__ = ["HANDOFF_REASONS", "REASON_LABELS", "NewHandoff", "open_handoff", "open_handoff_for"]

REASON_LABELS: Mapping[str, str] = MappingProxyType({
    "ask_human": "担当者との対話を希望",
    "complaint": "苦情・異議の申出",
    "not_understood": "自動応答で解決できず",
})


@dataclass(frozen=True)
class NewHandoff:
    reason: str
    phone: str | None
    email: str | None
    name: str | None
    channel: str
    conversation_id: str
    submission_key: str
    # The customer's own words that led to the handoff, if any.
    summary: str | None


def _fields(new: NewHandoff) -> dict[str, Any]:
    if new.reason not in HANDOFF_REASONS:
        raise InvalidRequest(f"reason must be one of {'、'.join(HANDOFF_REASONS)}")
    return dict(
        category="handoff",
        handoff_reason=new.reason,
        name=new.name,
        phone=new.phone,
        email=new.email,
        details=new.summary,
        fee_applies=False,
        channel=new.channel,
        conversation_id=new.conversation_id,
        submission_key=new.submission_key,
    )


def open_handoff(session: Session, new: NewHandoff, now: datetime | None = None) -> Filed:
    """Open the handoff ticket once per submission key, status 受付, with a new reference
    and code (None when it had been opened before)."""
    return file_ticket(session, _fields(new), now)


def open_handoff_for(session: Session, conversation_id: str) -> Ticket | None:
    """The conversation's newest handoff ticket that staff have not closed, or None."""
    query = (
        select(Ticket)
        .where(Ticket.category == "handoff", Ticket.conversation_id == conversation_id,
               Ticket.status.not_in(list(FINAL)))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
