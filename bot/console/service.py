"""Everything staff do to tickets and accounts, audited: the one code path behind the web
pages and the command line.

Each function works in the caller's unit of work, appends a TicketEvent for every change
to a ticket (actor "staff:<login>") and an audit entry for every view and change.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.models import (
    CONTACT_CHANNELS,
    CONTACT_DIRECTIONS,
    StaffUser,
    Ticket,
    TicketEvent,
    TicketNote,
)
from bot.cases.statuses import Status, TransitionError, transitions_for
from bot.cases.tickets import change_status, find_by_reference
from bot.console import accounts
from bot.console.audit import Actor, record
from bot.console.queue import QueueFilter, QueuePage, page_of, today

MAX_TEXT = 5000


class ConsoleError(ValueError):
    """A request staff must correct; the message is shown to them as it is (Japanese)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def required_text(value: str | None, what: str, limit: int = MAX_TEXT) -> str:
    """`value` stripped; ConsoleError naming `what` when it is empty or longer than `limit`."""
    text = (value or "").strip()
    if not text:
        raise ConsoleError(f"{what}を入力してください。")
    if len(text) > limit:
        raise ConsoleError(f"{what}は{limit}文字以内にしてください。")
    return text


def _event(session: Session, actor: Actor, ticket: Ticket, action: str,
           changes: dict[str, list[Any]], now: datetime, staff_text: str | None = None) -> None:
    ticket.updated_at = now
    session.add(TicketEvent(ticket=ticket, at=now, actor=actor.event_actor, action=action,
                            changes=changes, staff_text=staff_text))


# --- reading -------------------------------------------------------------------------------


def ticket_by_reference(session: Session, reference: str) -> Ticket:
    ticket = find_by_reference(session, reference)
    if ticket is None:
        raise ConsoleError("その受付番号の案件はありません。")
    return ticket


def view_ticket(session: Session, actor: Actor, reference: str) -> Ticket:
    """The ticket with its personal data: every look at it is in the audit log."""
    ticket = ticket_by_reference(session, reference)
    record(session, actor, "view_ticket", ticket)
    return ticket


def view_queue(session: Session, actor: Actor, wanted: QueueFilter, my_id: int | None,
               size: int | None = None) -> QueuePage:
    """The wanted page of `size` tickets (all of them on one page when None)."""
    page = page_of(session, wanted, my_id, today(), size)
    record(session, actor, "view_queue", details=wanted.as_details())
    return page


def export_queue(session: Session, actor: Actor, wanted: QueueFilter,
                 my_id: int | None) -> list[Ticket]:
    tickets = page_of(session, wanted, my_id, today(), None).tickets
    record(session, actor, "export_csv", details={**wanted.as_details(), "rows": len(tickets)})
    return tickets


def next_statuses(ticket: Ticket) -> list[Status]:
    """The statuses the ticket may move to (a handoff's are its own), in the order of the
    Status enum."""
    return [status for status in Status if status in transitions_for(ticket.category)[ticket.status]]


# --- changing tickets ----------------------------------------------------------------------


def _explain(error: TransitionError, ticket: Ticket, new: Status) -> str:
    if error.reason == "needs_ground":
        return f"{new.label}にするには、不実施の理由（①〜⑦）を選んでください。"
    if error.reason == "needs_note":
        what = "理由の説明" if new is Status.REFUSED else "対応した内容"
        return f"{new.label}にするには、メモに{what}を書いてください。"
    if error.reason == "ground_not_allowed":
        return f"不実施の理由は、{Status.REFUSED.label}にするときだけ選べます。"
    return f"{ticket.status.label}から{new.label}には変更できません。"


def set_status(session: Session, actor: Actor, ticket: Ticket, new: str,
               note: str | None = None, ground: str | None = None) -> None:
    try:
        status = Status(new)
    except ValueError:
        raise ConsoleError("変更先の状態を選んでください。") from None
    note = (note or "").strip() or None
    if note and len(note) > MAX_TEXT:
        raise ConsoleError(f"メモは{MAX_TEXT}文字以内にしてください。")
    old = ticket.status
    try:
        change_status(session, ticket, status, actor.event_actor, note=note,
                      ground=ground or None)
    except TransitionError as error:
        raise ConsoleError(_explain(error, ticket, status)) from None
    details = {"from": old.value, "to": status.value}
    if ground:
        details["ground"] = ground
    record(session, actor, "change_status", ticket, details)


def assign(session: Session, actor: Actor, ticket: Ticket, login: str | None) -> None:
    """Give the ticket to an active account, or to nobody (login None)."""
    assignee = accounts.find_user(session, login) if login else None
    if login and (assignee is None or not assignee.active):
        raise ConsoleError("有効なアカウントを選んでください。")
    old = ticket.assignee.login if ticket.assignee else None
    if old == login:
        return
    now = _now()
    ticket.assignee = assignee
    _event(session, actor, ticket, "assign", {"assignee": [old, login]}, now)
    record(session, actor, "assign", ticket, {"from": old, "to": login}, now)


def add_note(session: Session, actor: Actor, ticket: Ticket, body: str) -> TicketNote:
    return _note(session, actor, ticket, "internal", body, None, None)


def log_contact(session: Session, actor: Actor, ticket: Ticket, channel: str, direction: str,
                body: str) -> TicketNote:
    """A contact with the customer (policy 5.(4), 6.(4): they are told of the outcome)."""
    if channel not in CONTACT_CHANNELS or direction not in CONTACT_DIRECTIONS:
        raise ConsoleError("連絡の方法と発信・着信を選んでください。")
    return _note(session, actor, ticket, "contact", body, channel, direction)


def _note(session: Session, actor: Actor, ticket: Ticket, kind: str, body: str,
          channel: str | None, direction: str | None) -> TicketNote:
    body = required_text(body, "内容")
    now = _now()
    note = TicketNote(ticket=ticket, at=now, author=actor.login, kind=kind, body=body,
                      channel=channel, direction=direction)
    session.add(note)
    session.flush()
    # The body stays in ticket_notes: it may hold personal data, the history may not.
    action = "add_note" if kind == "internal" else "log_contact"
    changes: dict[str, list[Any]] = {"note_id": [None, note.id]}
    if kind == "contact":
        changes.update(channel=[None, channel], direction=[None, direction])
    _event(session, actor, ticket, action, changes, now)
    record(session, actor, action, ticket, {"note_id": note.id}, now)
    return note


def extend_due(session: Session, actor: Actor, ticket: Ticket, new_due: date | None,
               reason: str) -> None:
    reason = required_text(reason, "延長の理由")
    if new_due is None or new_due <= ticket.due_date:
        raise ConsoleError("新しい期限は今の期限より後の日付にしてください。")
    now = _now()
    old = ticket.due_date
    ticket.due_date = new_due
    # The reason in the event's encrypted staff_text: it may quote the customer.
    _event(session, actor, ticket, "extend_due",
           {"due_date": [old.isoformat(), new_due.isoformat()]}, now, staff_text=reason)
    record(session, actor, "extend_due", ticket,
           {"from": old.isoformat(), "to": new_due.isoformat()}, now)


# --- accounts ------------------------------------------------------------------------------


def staff_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.login)))


def create_user(session: Session, actor: Actor, login: str, display_name: str, role: str,
                password: str) -> StaffUser:
    now = _now()
    try:
        user = accounts.create_user(session, login, display_name, role, password, now)
    except accounts.AccountError as error:
        raise ConsoleError(str(error)) from None
    record(session, actor, "create_user", details={"login": login, "role": role}, now=now)
    return user


def deactivate_user(session: Session, actor: Actor, user: StaffUser) -> None:
    if user.login == actor.login:
        raise ConsoleError("自分のアカウントは無効にできません。")
    accounts.deactivate(user)
    record(session, actor, "deactivate_user", details={"login": user.login})


def reset_password(session: Session, actor: Actor, user: StaffUser, password: str) -> None:
    try:
        accounts.set_password(user, password)
    except accounts.AccountError as error:
        raise ConsoleError(str(error)) from None
    record(session, actor, "reset_password", details={"login": user.login})
