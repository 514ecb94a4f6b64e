"""The Japanese words the console shows for stored values."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import Any, Mapping

from bot.cases.handoffs import REASON_LABELS
from bot.cases.models import Ticket
from bot.cases.statuses import Status
from bot.cases.tickets import JST

CATEGORY_LABELS: Mapping[str, str] = MappingProxyType({"request": "請求", "handoff": "担当者対応"})
ROLE_LABELS: Mapping[str, str] = MappingProxyType({"staff": "担当者", "admin": "管理者"})

# Audit-log actions and ticket-event actions share one vocabulary.
ACTION_LABELS: Mapping[str, str] = MappingProxyType({
    "login": "ログイン",
    "login_failed": "ログイン失敗",
    "logout": "ログアウト",
    "denied": "権限のない操作",
    "view_queue": "一覧の閲覧",
    "view_ticket": "案件の閲覧",
    "change_status": "状態の変更",
    "assign": "担当者の割当",
    "add_note": "社内メモの追加",
    "log_contact": "連絡記録の追加",
    "extend_due": "期限の延長",
    "export_csv": "CSV 出力",
    "create_user": "アカウント作成",
    "deactivate_user": "アカウント無効化",
    "reset_password": "パスワード再設定",
    "view_audit": "監査ログの閲覧",
    "created": "受付",
    "status_changed": "状態の変更",
    "code_reissued": "確認コードの再発行",
    "anonymized": "保存期間経過による個人情報の消去",
    "delete_conversations": "保存期間経過による会話記録の削除",
    "chat_claimed": "チャットの担当",
    "chat_message": "チャットでの返信",
    "chat_given_back": "チャットの終了（ボットに戻す）",
})

FIELD_LABELS: Mapping[str, str] = MappingProxyType({
    "reference": "受付番号",
    "category": "区分",
    "handoff_reason": "引継ぎの理由",
    "kind": "請求の種類",
    "requester": "請求者",
    "id_presentation": "本人確認書類の提示",
    "fee_applies": "手数料",
    "channel": "連絡の方法",  # a contact's; the chat's channel of "created" is not shown
    "status": "状態",
    "refusal_ground": "不実施の理由",
    "due_date": "対応期限",
    "assignee": "担当者",
    "note_id": "メモ番号",
    "direction": "発信・着信",
    "anonymized_at": "個人情報の消去",
    "notes_erased": "本文を消去したメモ",
    "texts_erased": "消去した履歴のメモ・理由",
})

# What staff wrote with a change of the history (TicketEvent.staff_text), by its action.
STAFF_TEXT_LABELS: Mapping[str, str] = MappingProxyType({
    "status_changed": "状態のメモ",
    "extend_due": "延長の理由",
    "chat_message": "お客様へのメッセージ",
})
# In place of the text of a note that retention erased (its body is "").
ERASED_TEXT = "（保存期間の経過により消去しました）"


def jst(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def value_label(field: str, value: Any) -> str:
    """One stored value of an event's changes, in words."""
    if value is None or value == "":
        return "—"
    if field == "status":
        return Status(value).label
    if field == "category":
        return CATEGORY_LABELS.get(value, value)
    if field == "handoff_reason":
        return REASON_LABELS.get(value, value)
    if field == "anonymized_at":
        return jst(datetime.fromisoformat(value))
    if isinstance(value, bool):
        return "あり" if value else "なし"
    return str(value)


def kind_label(ticket: Ticket) -> str:
    """What the ticket is about: the kind of request, or why the chat handed it over."""
    if ticket.category == "handoff":
        return REASON_LABELS[ticket.handoff_reason]
    return ticket.kind
