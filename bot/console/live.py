"""Staff answer a customer in the chat (README, 「担当者の方へ」): take a handoff, write to
the customer, give the conversation back to the bot.

Each step changes the handoff ticket and sends to the conversation through Rasa's HTTP
API (bot/live_chat/rasa_api.py) in the caller's unit of work: when Rasa does not take
the message, ConsoleError is raised and the ticket is left as it was. What staff write
goes to the customer, into the conversation (the tracker store, sealed) and into the
ticket's history as an event's encrypted `staff_text`; the audit log records who sent a
message when, and its length, not its words.

The customer sees the wording of data/policy/intake.yml (`handoff.claimed`,
`handoff.staff_says`, `handoff.given_back`), never a staff member's login.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.models import StaffUser, Ticket, TicketEvent
from bot.cases.statuses import FINAL, Status
from bot.cases.tickets import change_status
from bot.console import accounts
from bot.console.audit import Actor, record
from bot.console.service import ConsoleError, required_text
from bot.intake.form import load_intake_wording
from bot.live_chat import hours
from bot.live_chat.rasa_api import RasaApi, RasaApiError
from bot.live_chat.staff_events import hand_back, staff_message

# Short enough to read in a chat bubble; a longer answer belongs in a letter or a call.
MAX_MESSAGE = 1000
NOT_CONNECTED = ("このコンソールはチャットに接続されていないため、お客様に送れません"
                 "（make run または make run-production で起動してください）。")
NOT_DELIVERED = ("チャットに送れませんでした（ボットのサーバーが応答しません）。"
                 "少し待ってからもう一度お試しください。案件は変更していません。")


def wording() -> Mapping[str, Any]:
    return load_intake_wording()["handoff"]


def is_live(ticket: Ticket) -> bool:
    """Whether staff can write in this ticket's chat: an open handoff."""
    return ticket.category == "handoff" and ticket.status not in FINAL


def holder(ticket: Ticket) -> Optional[StaffUser]:
    """Who has taken the conversation: the assignee of a handoff in progress."""
    return ticket.assignee if ticket.status is Status.IN_PROGRESS else None


def _me(session: Session, actor: Actor) -> StaffUser:
    user = accounts.find_user(session, actor.login) if actor.login else None
    if user is None or not user.active:
        raise ConsoleError("有効なアカウントでログインし直してください。")
    return user


def _live(ticket: Ticket, api: Optional[RasaApi]) -> RasaApi:
    if not is_live(ticket):
        raise ConsoleError("この案件のチャットは終了しています。")
    if api is None:
        raise ConsoleError(NOT_CONNECTED)
    return api


def _send(api: RasaApi, ticket: Ticket, events: Sequence[dict[str, Any]]) -> None:
    try:
        api.append(ticket.conversation_id, events)
    except RasaApiError:
        raise ConsoleError(NOT_DELIVERED) from None


def _event(session: Session, actor: Actor, ticket: Ticket, action: str, now: datetime,
           staff_text: Optional[str] = None) -> None:
    ticket.updated_at = now
    session.add(TicketEvent(ticket=ticket, at=now, actor=actor.event_actor, action=action,
                            changes={}, staff_text=staff_text))


def claim(session: Session, actor: Actor, ticket: Ticket, api: Optional[RasaApi]) -> None:
    """Take the conversation: the ticket is assigned to `actor` and 対応中, and the
    customer is told a person is there. Taking it from a colleague is allowed (they may
    have left) and recorded like any change of assignee."""
    api = _live(ticket, api)
    me = _me(session, actor)
    if holder(ticket) is me:
        return
    now = datetime.now(timezone.utc)
    previous = ticket.assignee.login if ticket.assignee else None
    ticket.assignee = me
    if ticket.status is not Status.IN_PROGRESS:
        change_status(session, ticket, Status.IN_PROGRESS, actor.event_actor, now=now)
    _event(session, actor, ticket, "chat_claimed", now)
    record(session, actor, "chat_claimed", ticket, {"from": previous}, now)
    _send(api, ticket, [staff_message(wording()["claimed"], me.login, now.timestamp())])


def send_message(session: Session, actor: Actor, ticket: Ticket, text: str | None,
                 api: Optional[RasaApi]) -> None:
    """Send `text` to the customer's chat as the staff member who has the conversation."""
    api = _live(ticket, api)
    me = _me(session, actor)
    if holder(ticket) is not me:
        someone = holder(ticket)
        raise ConsoleError(f"{someone.display_name}さんが対応中です。引き継ぐ場合は「担当する」を押してください。"
                           if someone else "先に「担当する」を押して、この会話を担当してください。")
    body = required_text(text, "お客様へのメッセージ", MAX_MESSAGE)
    now = datetime.now(timezone.utc)
    _event(session, actor, ticket, "chat_message", now, staff_text=body)
    record(session, actor, "chat_message", ticket, {"chars": len(body)}, now)
    _send(api, ticket, [staff_message(wording()["staff_says"].format(text=body), me.login, now.timestamp())])


def give_back(session: Session, actor: Actor, ticket: Ticket, note: str | None,
              api: Optional[RasaApi]) -> None:
    """End the chat: the ticket is 完了 with `note` (what was done, required), the
    customer is told the bot answers again, and it does from their next message. Only
    the staff member who has the conversation ends it, or anyone while no one has."""
    api = _live(ticket, api)
    me = _me(session, actor)
    someone = holder(ticket)
    if someone is not None and someone is not me:
        raise ConsoleError(f"{someone.display_name}さんが対応中です。"
                           "終える場合は、先に「引き継いで担当する」を押してください。")
    note = required_text(note, "対応した内容（社内用のメモ）")
    now = datetime.now(timezone.utc)
    old = ticket.status
    change_status(session, ticket, Status.DONE, actor.event_actor, note=note, now=now)
    _event(session, actor, ticket, "chat_given_back", now)
    record(session, actor, "chat_given_back", ticket, {"from": old.value, "to": Status.DONE.value}, now)
    _send(api, ticket, hand_back(wording()["given_back"], me.login, now.timestamp()))


def escalated(session: Session, now: Optional[datetime] = None) -> frozenset[int]:
    """Ids of the open handoffs no one has answered in the chat for
    `escalate_after_minutes` of today's business hours (deploy/live_chat.yml): counted
    from the filing, or from today's opening when it was filed before (the evening
    before, over a weekend). None outside the hours (nobody is there to answer), nor
    when the settings are unusable."""
    now = now or datetime.now(timezone.utc)
    try:
        live = hours.settings()
        if not live.is_open(now):
            return frozenset()
        answered = select(TicketEvent.ticket_id).where(TicketEvent.action == "chat_message")
        waiting = session.execute(
            select(Ticket.id, Ticket.created_at)
            .where(Ticket.category == "handoff", Ticket.status.not_in(list(FINAL)),
                   Ticket.id.not_in(answered))).all()
        late = timedelta(minutes=live.escalate_after_minutes)
        opened = datetime.combine(now.astimezone(hours.JST).date(), live.opens, hours.JST)
        return frozenset(row.id for row in waiting if now - max(row.created_at, opened) >= late)
    except hours.LiveChatConfigError:
        return frozenset()
