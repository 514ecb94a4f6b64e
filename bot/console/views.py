"""The queue, the ticket page and the changes made on it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as Redirect  # what flask.redirect() returns
from wtforms import SelectField

from bot.cases.models import Ticket
from bot.console import activity, live, service
from bot.console.auth import admin_required
from bot.console.export import queue_csv
from bot.console.forms import (
    AssignForm,
    ChatForm,
    ContactForm,
    ExtendDueForm,
    GiveBackForm,
    NoteForm,
    QueueForm,
    StatusForm,
)
from bot.console.queue import ORDERS, SORTS, QueueFilter, is_overdue, status_counts, today
from bot.console.service import ConsoleError
from bot.console.state import state
from bot.console.transcript import Message

bp = Blueprint("tickets", __name__)


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 7 else 1


def _queue_filter(form: QueueForm) -> QueueFilter:
    # Values outside the choices are ignored rather than refused: it is only a filter.
    valid = {field.name: field.data for field in form
             if isinstance(field, SelectField) and field.data in dict(field.choices)}
    query = (form.q.data or "").strip() or None
    if query and "status" not in request.args:
        # A search from the header's box looks at closed tickets too, and the filter says so.
        valid["status"] = form.status.data = ""
    return QueueFilter(q=query, status=valid.get("status") or None, kind=valid.get("kind") or None,
                       category=valid.get("category") or None, overdue=bool(form.overdue.data),
                       assignee=valid.get("assignee") or None,
                       sort=form.sort.data if form.sort.data in SORTS else "due",
                       order=form.order.data if form.order.data in ORDERS else "asc",
                       page=_page_number(request.args.get("page")))


def _queue_form(db: Session) -> QueueForm:
    form = QueueForm(request.args)  # a filter missing from the query keeps its default
    form.offer_assignees([(user.id, user.display_name) for user in service.staff_users(db)])
    return form


def queue_link(**changes: str | int | None) -> str:
    """The queue with the current query string changed (a value of None drops the key)."""
    args: dict[str, Any] = {**request.args.to_dict(), **changes}
    return url_for("tickets.queue", **{key: value for key, value in args.items() if value is not None})


@bp.route("/")
def queue() -> str:
    with state().store.unit_of_work() as db:
        form = _queue_form(db)
        wanted = _queue_filter(form)
        page = service.view_queue(db, g.actor, wanted, g.user.id, state().config.page_size)
        return render_template("queue.html", form=form, wanted=wanted, page=page,
                               counts=status_counts(db), on=today(), is_overdue=is_overdue,
                               activity=activity.current(db, state().transcripts),
                               export_args=request.args, queue_link=queue_link,
                               refresh_seconds=state().config.refresh_seconds)


@bp.route("/queue/activity")
def queue_activity() -> Response:
    """The queue's stamp and the number of marks, for the page's refresh: no personal
    data, so not audited, and not counted as activity of the user (bot/console/auth.py)."""
    with state().store.unit_of_work() as db:
        now = activity.current(db, state().transcripts)
    return jsonify(stamp=now.stamp, new=len(now.new), unread=sum(now.unread.values()),
                   escalated=len(now.escalated))


@bp.route("/export.csv")
@admin_required
def export() -> Response:
    with state().store.unit_of_work() as db:
        on = today()
        tickets = service.export_queue(db, g.actor, _queue_filter(_queue_form(db)), g.user.id)
        body = queue_csv(tickets, on)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=tickets-{on:%Y%m%d}.csv"})


def _transcript(ticket: Ticket) -> tuple[list[Message] | None, bool]:
    """The messages (None: no tracker events table) and whether reading failed."""
    try:
        return state().transcripts.read(ticket.conversation_id), False
    except SQLAlchemyError:
        return None, True


@bp.route("/tickets/<reference>")
def show(reference: str) -> str:
    with state().store.unit_of_work() as db:
        try:
            ticket = service.view_ticket(db, g.actor, reference)
        except ConsoleError:
            abort(404)
        status_form = StatusForm()
        status_form.offer(service.next_statuses(ticket))
        assign_form = AssignForm(assignee=ticket.assignee.login if ticket.assignee else "")
        assign_form.assignee.choices = [("", "未割当"), *(
            (user.login, user.display_name) for user in service.staff_users(db) if user.active)]
        messages, transcript_failed = _transcript(ticket)
        return render_template(
            "ticket.html", ticket=ticket, overdue=is_overdue(ticket, today()),
            status_form=status_form, assign_form=assign_form, note_form=NoteForm(),
            contact_form=ContactForm(), due_form=ExtendDueForm(),
            messages=messages, transcript_failed=transcript_failed,
            shown_at=datetime.now(timezone.utc),
            live=live.is_live(ticket), holder=live.holder(ticket), chat_form=ChatForm(),
            give_back_form=GiveBackForm(), connected=state().config.rasa_api is not None,
        )


@bp.route("/tickets/<reference>/conversation")
def conversation(reference: str) -> Response:
    """The ticket's conversation after its first `after` messages, for the live view of
    the ticket page (polled with the refresh header: not the user at work). Only after
    the page itself was opened, which the audit log records."""
    with state().store.unit_of_work() as db:
        try:
            ticket = service.ticket_by_reference(db, reference)
        except ConsoleError:
            abort(404)
        holder = live.holder(ticket)
        open_now = live.is_live(ticket)
    messages, failed = _transcript(ticket)
    if failed:
        abort(503)
    after_text = request.args.get("after", "")
    after = int(after_text) if after_text.isdigit() and len(after_text) < 7 else 0
    return jsonify(count=len(messages or []), messages=[m.as_json() for m in (messages or [])[after:]],
                   live=open_now, holder=holder.display_name if holder else None)


def _change(reference: str, apply: Callable[[Session, Ticket], object], done: str,
            anchor: str | None = None) -> Redirect:
    """Apply one change to the ticket in one unit of work; a refused change changes nothing.
    Back to the ticket page, at `anchor` (an element id) when given."""
    try:
        with state().store.unit_of_work() as db:
            apply(db, service.ticket_by_reference(db, reference))
    except ConsoleError as error:
        flash(str(error), "error")
    else:
        flash(done)
    return redirect(url_for("tickets.show", reference=reference, _anchor=anchor))


@bp.route("/tickets/<reference>/status", methods=["POST"])
def change_status(reference: str) -> Redirect:
    form = StatusForm()
    return _change(reference, lambda db, ticket: service.set_status(
        db, g.actor, ticket, form.status.data, form.note.data, form.ground.data),
        "状態を変更しました。")


@bp.route("/tickets/<reference>/assign", methods=["POST"])
def assign(reference: str) -> Redirect:
    form = AssignForm()
    return _change(reference, lambda db, ticket: service.assign(
        db, g.actor, ticket, form.assignee.data or None), "担当者を変更しました。")


@bp.route("/tickets/<reference>/notes", methods=["POST"])
def add_note(reference: str) -> Redirect:
    form = NoteForm()
    return _change(reference, lambda db, ticket: service.add_note(
        db, g.actor, ticket, form.body.data), "社内メモを追加しました。")


@bp.route("/tickets/<reference>/contacts", methods=["POST"])
def log_contact(reference: str) -> Redirect:
    form = ContactForm()
    return _change(reference, lambda db, ticket: service.log_contact(
        db, g.actor, ticket, form.channel.data, form.direction.data, form.body.data),
        "連絡の記録を追加しました。")


@bp.route("/tickets/<reference>/chat/claim", methods=["POST"])
def claim_chat(reference: str) -> Redirect:
    return _change(reference, lambda db, ticket: live.claim(db, g.actor, ticket, state().config.rasa_api),
                   "この会話を担当しました。お客様に、担当者が対応を始めたことをお知らせしました。", "chat")


@bp.route("/tickets/<reference>/chat/messages", methods=["POST"])
def send_chat_message(reference: str) -> Redirect:
    form = ChatForm()
    return _change(reference, lambda db, ticket: live.send_message(
        db, g.actor, ticket, form.body.data, state().config.rasa_api), "お客様に送信しました。", "chat")


@bp.route("/tickets/<reference>/chat/give-back", methods=["POST"])
def give_back_chat(reference: str) -> Redirect:
    form = GiveBackForm()
    return _change(reference, lambda db, ticket: live.give_back(
        db, g.actor, ticket, form.note.data, state().config.rasa_api),
        "対応を終了し、会話をボットに戻しました。", "chat")


@bp.route("/tickets/<reference>/due", methods=["POST"])
def extend_due(reference: str) -> Redirect:
    form = ExtendDueForm()  # a date that does not parse is None, which the service refuses
    return _change(reference, lambda db, ticket: service.extend_due(
        db, g.actor, ticket, form.due_date.data, form.reason.data), "期限を延長しました。")
