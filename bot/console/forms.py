"""The console's forms. Every form that changes something carries Flask-WTF's CSRF token;
the queue filter is a GET form and changes nothing."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from bot.cases.models import CATEGORIES, CONTACT_CHANNELS, CONTACT_DIRECTIONS, KINDS, ROLES
from bot.cases.statuses import REFUSAL_GROUNDS, Status, refusal_ground_text
from bot.console.accounts import MAX_PASSWORD, MIN_PASSWORD
from bot.console.labels import CATEGORY_LABELS, ROLE_LABELS
from bot.console.live import MAX_MESSAGE
from bot.console.queue import MINE, OPEN, UNASSIGNED
from bot.console.service import MAX_TEXT

_REQUIRED = "入力してください。"


def _password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField("パスワード（12文字以上）", validators=[
            InputRequired(_REQUIRED),
            Length(MIN_PASSWORD, MAX_PASSWORD, f"{MIN_PASSWORD}文字以上にしてください。")]),
        PasswordField("パスワード（確認）", validators=[
            EqualTo("password", "確認のパスワードが一致しません。")]),
    )


class LoginForm(FlaskForm):
    login = StringField("ログイン名", validators=[DataRequired(_REQUIRED), Length(max=100)])
    password = PasswordField("パスワード", validators=[DataRequired(_REQUIRED)])


class ActionForm(FlaskForm):
    """A button that changes something and has no fields of its own (logout, deactivate)."""


class StatusForm(FlaskForm):
    status = SelectField("変更先の状態", choices=[])
    ground = SelectField("不実施の理由（不実施のときだけ）", choices=[
        ("", "—"), *((g, f"{g} {refusal_ground_text(g)}") for g in REFUSAL_GROUNDS)])
    note = TextAreaField("メモ（完了: 対応した内容、不実施: 理由の説明）",
                         validators=[Length(max=MAX_TEXT)])

    def offer(self, statuses: list[Status]) -> None:
        """Offer these statuses; without 不実施 (a handoff's), no ground to choose."""
        self.status.choices = [(status.value, status.label) for status in statuses]
        self.offers_refusal = Status.REFUSED in statuses
        if not self.offers_refusal:
            self.note.label.text = "メモ（完了のときは対応した内容）"


class AssignForm(FlaskForm):
    assignee = SelectField("担当者", choices=[])


class NoteForm(FlaskForm):
    body = TextAreaField("社内メモ", validators=[DataRequired(_REQUIRED), Length(max=MAX_TEXT)])


class ChatForm(FlaskForm):
    body = TextAreaField("お客様へのメッセージ", validators=[DataRequired(_REQUIRED), Length(max=MAX_MESSAGE)])


class GiveBackForm(FlaskForm):
    note = TextAreaField("対応した内容（社内用。お客様には送られません）",
                         validators=[DataRequired(_REQUIRED), Length(max=MAX_TEXT)])


class ContactForm(FlaskForm):
    channel = SelectField("方法", choices=list(CONTACT_CHANNELS))
    direction = SelectField("発信・着信", choices=list(CONTACT_DIRECTIONS))
    body = TextAreaField("内容", validators=[DataRequired(_REQUIRED), Length(max=MAX_TEXT)])


class ExtendDueForm(FlaskForm):
    due_date = DateField("新しい期限", validators=[InputRequired(_REQUIRED)])
    reason = TextAreaField("延長の理由", validators=[DataRequired(_REQUIRED),
                                                  Length(max=MAX_TEXT)])


class NewUserForm(FlaskForm):
    login = StringField("ログイン名", validators=[DataRequired(_REQUIRED), Length(max=32)])
    display_name = StringField("表示名", validators=[DataRequired(_REQUIRED), Length(max=100)])
    role = SelectField("役割", choices=[(role, ROLE_LABELS[role]) for role in ROLES])
    password, confirm = _password_fields()


class PasswordForm(FlaskForm):
    password, confirm = _password_fields()


class QueueForm(FlaskForm):
    """The queue's filters, read from the query string."""

    class Meta:
        csrf = False  # a GET that changes nothing

    status = SelectField("状態", choices=[
        (OPEN, "未完了"), ("", "すべて"), *((s.value, s.label) for s in Status)], default=OPEN)
    category = SelectField("区分", choices=[
        ("", "すべて"), *((c, CATEGORY_LABELS[c]) for c in CATEGORIES)], default="")
    kind = SelectField("種類", choices=[("", "すべて"), *((k, k) for k in KINDS)], default="")
    assignee = SelectField("担当者", choices=[], default="")
    overdue = BooleanField("期限超過のみ")
    # The search box (in the page header), kept through a change of filters.
    q = HiddenField()
    # Set by the column headers; kept through a change of filters.
    sort = HiddenField(default="due")
    order = HiddenField(default="asc")

    def offer_assignees(self, users: list[tuple[int, str]]) -> None:
        self.assignee.choices = [("", "すべて"), (MINE, "自分"), (UNASSIGNED, "未割当"),
                                 *((str(user_id), name) for user_id, name in users)]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField("操作者", validators=[Optional(), Length(max=100)])
    action = StringField("操作", validators=[Optional(), Length(max=30)])
