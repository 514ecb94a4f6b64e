"""Logging in and out, and the guard in front of every page.

The guard runs before anything else (before the CSRF check too), so every route,
including one added later, needs a live login unless it is listed in PUBLIC.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import wraps
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from bot.cases.models import StaffUser
from bot.console import accounts
from bot.console.addresses import client_address
from bot.console.audit import ANONYMOUS, Actor, record
from bot.console.forms import LoginForm
from bot.console.state import state

bp = Blueprint("auth", __name__)
PUBLIC = frozenset({"auth.login", "static"})
# One message for an unknown login, a wrong password and an inactive account, so that the
# form tells nobody which logins exist.
LOGIN_REFUSED = "ログイン名またはパスワードが正しくありません。入力を確かめて、もう一度お試しください。"
# A try refused by the throttling (bot/console/accounts.py): unknown logins are throttled
# alike, so saying so tells nothing either. Only after several failures in a row.
LOGIN_THROTTLED = ("ログインに続けて失敗したため、しばらくの間ログインできません。"
                   "少し時間をおいてから、もう一度お試しください。")
# Sent by the queue page's own refresh (bot/console/static/console.js): such a request is
# not the user at work, so it neither keeps the session from timing out nor, once it has,
# goes to the login page (it gets 401 and the page reloads itself).
REFRESH_HEADER = "X-Console-Refresh"

View = TypeVar("View", bound=Callable[..., object])


def remote_address() -> str | None:
    return client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                          state().config.trusted_proxies)


def install(app: Flask) -> None:
    """Register the guard; call before CSRFProtect, so anonymous requests go to the login
    page whatever they carry."""
    app.before_request(_guard)
    app.register_blueprint(bp)


def _guard() -> Response | None:
    if request.endpoint in PUBLIC:
        return None
    user = _session_user()
    refresh = request.headers.get(REFRESH_HEADER) == "1"
    if user is None:
        if refresh:
            abort(401)
        # Only a page the login can go back to; never a form post.
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=back))
    g.user = user
    g.actor = Actor.web(user.login, remote_address())
    if not refresh:
        session["seen"] = time.time()
    return None


def _session_user() -> StaffUser | None:
    user_id, seen = session.get("uid"), session.get("seen", 0)
    if user_id is None:
        return None
    with state().store.unit_of_work() as db:
        user = db.get(StaffUser, user_id)
        if not accounts.session_is_current(user, session.get("nonce")):
            session.clear()
            return None
        if time.time() - seen > state().config.idle_minutes * 60:
            accounts.end_sessions(user)
            record(db, Actor.web(user.login, remote_address()), "logout", details={"reason": "idle"})
            session.clear()
            flash("一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。")
            return None
    return user


def admin_required(view: View) -> View:
    @wraps(view)
    def checked(*args: object, **kwargs: object) -> object:
        if g.user.role != "admin":
            with state().store.unit_of_work() as db:
                record(db, g.actor, "denied", details={"path": request.path})
            abort(403)
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def _safe_next(target: str | None) -> str:
    """Back to a page of this console only: a path, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("tickets.queue")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    form = LoginForm()
    if form.validate_on_submit():
        address = remote_address()
        with state().store.unit_of_work() as db:
            attempt = accounts.authenticate(db, form.login.data.strip(), form.password.data, address,
                                            datetime.now(timezone.utc))
            user = attempt.user
            if user is None:
                # An unknown login is not recorded: it may be a password typed in the wrong box.
                # Nor is a throttled one, which may be unknown too (nothing was looked at).
                known = attempt.outcome in ("wrong_password", "inactive")
                actor = Actor.web(form.login.data.strip(), address) if known \
                    else Actor(ANONYMOUS, None, address)
                record(db, actor, "login_failed", details={"reason": attempt.outcome})
            else:
                record(db, Actor.web(user.login, address), "login")
        if user is None:
            flash(LOGIN_THROTTLED if attempt.outcome == "throttled" else LOGIN_REFUSED, "error")
            return render_template("login.html", form=form)
        # A new session for the new login: nothing from before it (fixation) survives.
        session.clear()
        session.update(uid=user.id, nonce=user.session_nonce, seen=time.time())
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    # CSRFProtect has checked the token of the logout button's form (ActionForm).
    with state().store.unit_of_work() as db:
        accounts.end_sessions(db.get(StaffUser, g.user.id))
        record(db, g.actor, "logout")
    session.clear()
    flash("ログアウトしました。")
    return redirect(url_for("auth.login"))
