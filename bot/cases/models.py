"""Tables of the case database: tickets, their append-only history, failed look-ups,
and the staff console's accounts, notes and append-only audit log."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot.cases.blind_index import NORMALISERS, blind_index
from bot.cases.encryption import EncryptedText
from bot.cases.statuses import REFUSAL_GROUNDS, Status

# The eight kinds of policy 5.(1) (`request_kinds` in policy.yml; a test keeps them equal).
# Changing any of these tuples changes a CHECK constraint and so needs a migration. Code and
# tests take the kinds, requesters and ways of presenting an ID from here, and a request's
# statuses (values, labels, transitions) from bot.cases.statuses.
KINDS = ("開示", "利用目的の通知", "訂正", "追加", "削除", "利用停止", "消去", "第三者提供の停止")
REQUESTERS = ("本人", "任意代理人", "法定代理人")
ID_PRESENTATIONS = ("窓口で提示", "郵送でコピー提出")
# A request of 5.(1) filed through the form, or a conversation handed to a person.
CATEGORIES = ("request", "handoff")
# Why the chat handed a conversation over (labels in bot.cases.handoffs).
HANDOFF_REASONS = ("ask_human", "complaint", "not_understood")
ROLES = ("staff", "admin")
NOTE_KINDS = ("internal", "contact")
# How staff were in touch with the customer (the contact log of 5.(4) and 6.(4)).
CONTACT_CHANNELS = ("電話", "電子メール", "郵送", "窓口")
CONTACT_DIRECTIONS = ("発信", "着信")
# A ticket's personal data: encrypted at rest, erased when its retention period ends.
PERSONAL_FIELDS = ("name", "phone", "email", "customer_number", "details")
# Those staff search by, each with a blind index `<field>_index` (bot.cases.blind_index).
INDEXED_FIELDS = tuple(NORMALISERS)
INDEX_COLUMNS = tuple(f"{field}_index" for field in INDEXED_FIELDS)
ANONYMIZED_CHECK = ("anonymized_at IS NULL OR (name IS NULL AND phone IS NULL AND email IS NULL"
                    " AND customer_number IS NULL AND details IS NULL AND name_index IS NULL"
                    " AND phone_index IS NULL AND email_index IS NULL)")

# Fixed constraint names, so that migrations name constraints the same on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class AppendOnlyError(RuntimeError):
    """Raised on an attempt to change or remove a recorded ticket event or audit entry."""


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite stores no offset, so convert first)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class StatusType(TypeDecorator):
    """A Status stored as its value."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else Status(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Status | None:
        return None if value is None else Status(value)


def _one_of(column: str, values: Iterable[str]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_one_of("category", CATEGORIES), name="category"),
        CheckConstraint(_one_of("handoff_reason", HANDOFF_REASONS), name="handoff_reason"),
        # A request needs what the form asks (its name until it is anonymized); a handoff
        # may lack all of it, but has a reason.
        CheckConstraint(
            "category <> 'request' OR (kind IS NOT NULL AND requester IS NOT NULL"
            " AND id_presentation IS NOT NULL AND (name IS NOT NULL OR anonymized_at IS NOT NULL)"
            " AND handoff_reason IS NULL)",
            name="request_fields",
        ),
        CheckConstraint("category <> 'handoff' OR handoff_reason IS NOT NULL",
                        name="handoff_fields"),
        CheckConstraint(_one_of("kind", KINDS), name="kind"),
        CheckConstraint(_one_of("requester", REQUESTERS), name="requester"),
        CheckConstraint(_one_of("id_presentation", ID_PRESENTATIONS), name="id_presentation"),
        CheckConstraint(_one_of("status", (s.value for s in Status)), name="status"),
        CheckConstraint(_one_of("refusal_ground", REFUSAL_GROUNDS), name="refusal_ground"),
        # Staff must be able to reach the customer one way or the other, until the ticket's
        # retention period is over (ciphertext is never empty, so this holds on it too).
        CheckConstraint("anonymized_at IS NOT NULL OR COALESCE(phone, '') <> ''"
                        " OR COALESCE(email, '') <> ''", name="contact"),
        # An anonymized ticket keeps no personal data, nor the indexes that find it by them.
        CheckConstraint(ANONYMIZED_CHECK, name="anonymized"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(20), nullable=False, unique=True)
    code_hash = Column(String(255), nullable=False)
    category = Column(String(10), nullable=False, default="request", server_default="request")
    handoff_reason = Column(String(20))
    kind = Column(String(20))
    requester = Column(String(20))
    # PERSONAL_FIELDS, with the lengths the plain columns had.
    name = Column(EncryptedText(100))
    phone = Column(EncryptedText(20))
    email = Column(EncryptedText(254))
    customer_number = Column(EncryptedText(30))
    # What the customer asked for; for a handoff, their own words that led to it.
    details = Column(EncryptedText())
    # Blind indexes (base64url HMAC-SHA256), kept by the listener below whenever the value is set.
    name_index = Column(String(64), index=True)
    phone_index = Column(String(64), index=True)
    email_index = Column(String(64), index=True)
    id_presentation = Column(String(20))
    fee_applies = Column(Boolean, nullable=False)
    channel = Column(String(30), nullable=False)
    conversation_id = Column(String(100), nullable=False)
    # The idempotency key of one filled form: confirming it twice files one ticket.
    submission_key = Column(String(64), nullable=False, unique=True)
    status = Column(StatusType, nullable=False, default=Status.RECEIVED,
                    server_default=Status.RECEIVED.value)
    refusal_ground = Column(String(1))
    # Staff's words with the last status change (「…様宛に開示書面を郵送」): personal data too.
    status_note = Column(EncryptedText())
    # Internal, for staff: customers are never told a number of days.
    due_date = Column(Date, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)
    assignee_id = Column(Integer, ForeignKey("staff_users.id"), index=True)
    # When retention erased the personal data (bot.cases.retention); None until then.
    anonymized_at = Column(UTCDateTime)

    events = relationship("TicketEvent", back_populates="ticket", order_by="TicketEvent.id")
    notes = relationship("TicketNote", back_populates="ticket", order_by="TicketNote.id")
    assignee = relationship("StaffUser")


def _keep_index(field: str) -> None:
    @event.listens_for(getattr(Ticket, field), "set")
    def index(target: Ticket, value: str | None, old: Any, initiator: Any) -> None:
        setattr(target, f"{field}_index", blind_index(field, value))


# Every write of a name, phone or e-mail (filing, retention's erasure, any later edit)
# writes its index with it: no code path can leave a stale one.
for _field in INDEXED_FIELDS:
    _keep_index(_field)


class TicketEvent(Base):
    """One entry of a ticket's history: who (`actor`) did what (`action`) when (`at`).

    `changes` is {field: [old, new]} of the ticket's plain fields, never the code nor
    anyone's words; `staff_text` is what staff wrote with the change (the status note of
    "status_changed", the reason of "extend_due"), encrypted, None when nothing was
    written and once retention has erased it (the only change an event ever gets,
    made in SQL by bot.cases.retention, which the append-only guard below does not see).
    """

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    at = Column(UTCDateTime, nullable=False)
    actor = Column(String(100), nullable=False)
    action = Column(String(30), nullable=False)
    changes = Column(JSON, nullable=False)
    staff_text = Column(EncryptedText())

    ticket = relationship("Ticket", back_populates="events")


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _refuse_rewriting_history(mapper: Any, connection: Any, target: TicketEvent) -> None:
    raise AppendOnlyError("ticket events are append-only")


class TicketNote(Base):
    """A note of staff on a ticket: internal, or a contact with the customer. `body` is
    encrypted, and "" once retention has erased it (the row stays: a note or a contact
    took place)."""

    __tablename__ = "ticket_notes"
    __table_args__ = (
        CheckConstraint(_one_of("kind", NOTE_KINDS), name="kind"),
        CheckConstraint(_one_of("channel", CONTACT_CHANNELS), name="channel"),
        CheckConstraint(_one_of("direction", CONTACT_DIRECTIONS), name="direction"),
        # A contact says how and which way; an internal note says neither.
        CheckConstraint(
            "(kind = 'contact' AND channel IS NOT NULL AND direction IS NOT NULL)"
            " OR (kind = 'internal' AND channel IS NULL AND direction IS NULL)",
            name="contact_fields",
        ),
    )

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    at = Column(UTCDateTime, nullable=False)
    author = Column(String(100), nullable=False)
    kind = Column(String(10), nullable=False)
    body = Column(EncryptedText(), nullable=False)
    channel = Column(String(10))
    direction = Column(String(5))

    ticket = relationship("Ticket", back_populates="notes")


class StaffUser(Base):
    """An account of the staff console; only the argon2 hash of the password is kept."""

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id = Column(Integer, primary_key=True)
    login = Column(String(32), nullable=False, unique=True)
    display_name = Column(String(100), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(10), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime)
    # Random per login and checked on every request: logging out, a new login, a password
    # reset or deactivation ends the session even if someone kept a copy of the cookie.
    session_nonce = Column(String(64))
    created_at = Column(UTCDateTime, nullable=False)
    last_login_at = Column(UTCDateTime)


class AuditEntry(Base):
    """Who saw or did what, when, from where; `details` never holds passwords or codes."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    # A login, "cli:<login>", or "system".
    actor = Column(String(100), nullable=False, index=True)
    ip = Column(String(45))
    action = Column(String(30), nullable=False)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), index=True)
    details = Column(JSON, nullable=False)

    ticket = relationship("Ticket")


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_rewriting_the_audit_log(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AppendOnlyError("the audit log is append-only")


class LoginFailure(Base):
    """A failed login to the staff console, counted per (login, address) and per address
    for the throttling (bot/console/accounts.py); forgotten after a day."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_login_address", "login", "address"),
                      Index("ix_login_failures_address_at", "address", "at"))

    id = Column(Integer, primary_key=True)
    # As typed (cut to the column), whether or not such an account exists: unknown logins
    # are throttled alike, so the throttling tells nobody which logins exist.
    login = Column(String(100), nullable=False)
    # The client's address as the console sees it (bot/console/addresses.py); "" if none.
    address = Column(String(45), nullable=False)
    at = Column(UTCDateTime, nullable=False, index=True)


class LookupFailure(Base):
    """A failed status look-up, counted per reference for the lock-out."""

    __tablename__ = "lookup_failures"

    id = Column(Integer, primary_key=True)
    # As normalized from what the customer typed, whether or not such a ticket exists.
    reference = Column(String(20), nullable=False, index=True)
    at = Column(UTCDateTime, nullable=False, index=True)
