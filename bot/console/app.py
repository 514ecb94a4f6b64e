"""The Flask application of the staff console."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from bot.cases.db import CaseStore, make_engine
from bot.cases.handoffs import REASON_LABELS
from bot.cases.statuses import Status, refusal_ground_text
from bot.console import admin, auth, headers, views
from bot.console.config import ConsoleConfig
from bot.console.forms import ActionForm
from bot.console.labels import (
    ACTION_LABELS,
    CATEGORY_LABELS,
    ERASED_TEXT,
    FIELD_LABELS,
    ROLE_LABELS,
    STAFF_TEXT_LABELS,
    jst,
    kind_label,
    value_label,
)
from bot.console.state import KEY, ConsoleState
from bot.console.transcript import TranscriptReader

ERROR_TEXTS = {
    400: "送信された内容を受け付けられませんでした。",
    403: "この操作を行う権限がありません。",
    404: "ページが見つかりません。",
    405: "この方法では利用できません。",
}


def create_app(config: ConsoleConfig) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME="tcn_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.extensions[KEY] = ConsoleState(config, CaseStore(make_engine(config.cases_url)),
                                       TranscriptReader(config.tracker_url))
    # The login guard first, so that it sees requests before the CSRF check does.
    auth.install(app)
    CSRFProtect(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.jinja_env.globals.update(
        Status=Status, CATEGORY_LABELS=CATEGORY_LABELS, REASON_LABELS=REASON_LABELS,
        ROLE_LABELS=ROLE_LABELS, ACTION_LABELS=ACTION_LABELS, FIELD_LABELS=FIELD_LABELS,
        kind_label=kind_label, value_label=value_label, ground_text=refusal_ground_text,
        STAFF_TEXT_LABELS=STAFF_TEXT_LABELS, ERASED_TEXT=ERASED_TEXT,
    )
    app.jinja_env.filters["jst"] = jst
    app.context_processor(lambda: {"action_form": ActionForm})
    headers.install(app)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("error.html", code=400, text=(
        "フォームの有効期限が切れたか、正しくない送信です。ページを開き直してからやり直してください。"
    )), 400


def _http_error(error: HTTPException) -> Any:
    if error.code not in ERROR_TEXTS:
        return error
    return render_template("error.html", code=error.code, text=ERROR_TEXTS[error.code]), error.code
