"""The audit log: who saw or did what, when, from which address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.cases.models import AuditEntry, Ticket

SYSTEM = "system"
ANONYMOUS = "anonymous"
PAGE_SIZE = 200


@dataclass(frozen=True)
class Actor:
    """Who acts: `name` goes into the audit log, `login` names the staff account."""

    name: str
    login: str | None
    ip: str | None

    @classmethod
    def web(cls, login: str, ip: str | None) -> Actor:
        return cls(login, login, ip)

    @classmethod
    def cli(cls, login: str) -> Actor:
        return cls(f"cli:{login}", login, None)

    @property
    def event_actor(self) -> str:
        """The actor of ticket events: the person, whichever way they came in."""
        if self.login is None:
            raise ValueError(f"{self.name} is no staff account and cannot change tickets")
        return f"staff:{self.login}"


def record(session: Session, actor: Actor, action: str, ticket: Ticket | None = None,
           details: Mapping[str, Any] | None = None, now: datetime | None = None) -> AuditEntry:
    """Append one entry. `details` must never carry passwords or verification codes."""
    entry = AuditEntry(at=now or datetime.now(timezone.utc), actor=actor.name, ip=actor.ip,
                       action=action, ticket=ticket, details=dict(details or {}))
    session.add(entry)
    session.flush()
    return entry


def recent(session: Session, actor: str | None = None, action: str | None = None,
           limit: int = PAGE_SIZE) -> list[AuditEntry]:
    query = select(AuditEntry).options(selectinload(AuditEntry.ticket))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
