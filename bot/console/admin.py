"""Administrators' pages: accounts and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from bot.cases.models import StaffUser
from bot.console import service
from bot.console.audit import recent, record
from bot.console.auth import admin_required
from bot.console.forms import AuditFilterForm, NewUserForm, PasswordForm
from bot.console.service import ConsoleError
from bot.console.state import state

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> Response | str:
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            with state().store.unit_of_work() as db:
                service.create_user(db, g.actor, form.login.data.strip(),
                                    form.display_name.data, form.role.data, form.password.data)
        except ConsoleError as error:
            flash(str(error), "error")
        else:
            flash(f"アカウント「{form.login.data.strip()}」を作成しました。")
            return redirect(url_for("admin.users"))
    with state().store.unit_of_work() as db:
        return render_template("users.html", form=form, users=service.staff_users(db))


def _user(db: Session, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def deactivate(user_id: int) -> Response:
    try:
        with state().store.unit_of_work() as db:
            user = _user(db, user_id)
            service.deactivate_user(db, g.actor, user)
    except ConsoleError as error:
        flash(str(error), "error")
    else:
        flash(f"アカウント「{user.login}」を無効にしました。")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_required
def password(user_id: int) -> Response | str:
    form = PasswordForm()
    with state().store.unit_of_work() as db:
        user = _user(db, user_id)
        if form.validate_on_submit():
            try:
                service.reset_password(db, g.actor, user, form.password.data)
            except ConsoleError as error:
                flash(str(error), "error")
            else:
                flash(f"「{user.login}」のパスワードを再設定しました。")
                return redirect(url_for("admin.users"))
        return render_template("password.html", form=form, user=user)


@bp.route("/audit")
@admin_required
def audit() -> str:
    form = AuditFilterForm(request.args)
    actor, action = (form.actor.data or "").strip(), (form.action.data or "").strip()
    with state().store.unit_of_work() as db:
        wanted = {"actor": actor, "action": action}
        record(db, g.actor, "view_audit", details={k: v for k, v in wanted.items() if v})
        return render_template("audit.html", form=form, entries=recent(db, actor, action))
