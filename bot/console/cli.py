"""The staff console from a shell: accounts, and tickets through the same audited code
paths as the web pages (actor "cli:<login>", no address).

    python -m bot.console.cli create-user yamada --role admin --name 山田太郎
    python -m bot.console.cli list --status received
    python -m bot.console.cli show PR-20261128-ABC234
    python -m bot.console.cli set-status PR-20261128-ABC234 対応中 --as yamada --note 確認開始
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Callable, Sequence

from sqlalchemy.orm import Session

from bot.cases.db import CaseStore, database_url, make_engine, migrate
from bot.cases.models import Ticket
from bot.cases.statuses import REFUSAL_GROUNDS, Status
from bot.console import accounts, service
from bot.console.audit import Actor
from bot.console.labels import (
    CATEGORY_LABELS,
    ERASED_TEXT,
    STAFF_TEXT_LABELS,
    jst,
    kind_label,
    value_label,
)
from bot.console.queue import OPEN, QueueFilter
from bot.console.service import ConsoleError

_STATUS_BY_WORD = {word: status for status in Status for word in (status.value, status.label)}


def _status(word: str) -> str:
    if word == OPEN:
        return OPEN
    if word not in _STATUS_BY_WORD:
        raise argparse.ArgumentTypeError(
            f"状態は {'、'.join(s.label for s in Status)}（または {'、'.join(s.value for s in Status)}）")
    return _STATUS_BY_WORD[word].value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.console.cli",
                                     description="個人情報お問い合わせ 対応コンソールのコマンド")
    commands = parser.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create-user", help="アカウントを作成する")
    create.add_argument("login")
    create.add_argument("--role", choices=("staff", "admin"), required=True)
    create.add_argument("--name", help="表示名（省略時はログイン名）")
    create.add_argument("--password-stdin", action="store_true",
                        help="パスワードを標準入力の 1 行目から読む（省略時は 2 回入力）")

    listing = commands.add_parser("list", help="案件の一覧")
    listing.add_argument("--status", type=_status, default=None,
                         help=f"状態（省略時はすべて、{OPEN} で未完了）")
    listing.add_argument("--as", dest="login", help="操作するアカウント（監査ログの操作者）")

    show = commands.add_parser("show", help="案件の詳細（個人情報を含む）")
    show.add_argument("reference")
    show.add_argument("--as", dest="login", help="操作するアカウント（監査ログの操作者）")

    change = commands.add_parser("set-status", help="案件の状態を変える")
    change.add_argument("reference")
    change.add_argument("status", type=_status)
    change.add_argument("--as", dest="login", required=True, help="操作するアカウント")
    change.add_argument("--note", help="メモ（完了と不実施では必須）")
    change.add_argument("--ground", choices=REFUSAL_GROUNDS, help="不実施の理由 ①〜⑦")
    return parser


def _actor(db: Session, login: str | None) -> Actor:
    """An active account named with --as; without it, the shell's user (for reading only)."""
    if login is None:
        return Actor(f"cli:{getpass.getuser()}", None, None)
    user = accounts.find_user(db, login)
    if user is None or not user.active:
        raise ConsoleError(f"有効なアカウント「{login}」がありません。")
    return Actor.cli(user.login)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("パスワード（12文字以上）: ")
    if getpass.getpass("パスワード（確認）: ") != password:
        raise ConsoleError("確認のパスワードが一致しません。")
    return password


def _create_user(db: Session, args: argparse.Namespace) -> None:
    service.create_user(db, Actor(f"cli:{getpass.getuser()}", None, None), args.login,
                        args.name or args.login, args.role, args.password)
    print(f"アカウント「{args.login}」（{args.role}）を作成しました。")


def _list(db: Session, args: argparse.Namespace) -> None:
    tickets = service.view_queue(db, _actor(db, args.login), QueueFilter(status=args.status),
                                 None).tickets
    for ticket in tickets:
        print("\t".join((ticket.reference, ticket.status.label, CATEGORY_LABELS[ticket.category],
                         kind_label(ticket), f"期限 {ticket.due_date.isoformat()}",
                         ticket.assignee.login if ticket.assignee else "未割当")))
    print(f"{len(tickets)} 件")


def _show(db: Session, args: argparse.Namespace) -> None:
    ticket = service.view_ticket(db, _actor(db, args.login), args.reference)
    print(_describe(ticket))


def _describe(ticket: Ticket) -> str:
    lines = [f"{name}: {value if value not in (None, '') else '—'}" for name, value in (
        ("受付番号", ticket.reference), ("状態", ticket.status.label),
        ("区分", CATEGORY_LABELS[ticket.category]), ("種類・理由", kind_label(ticket)),
        ("請求者", ticket.requester), ("氏名", ticket.name), ("電話番号", ticket.phone),
        ("メールアドレス", ticket.email), ("お客様番号", ticket.customer_number),
        ("内容", ticket.details), ("本人確認書類の提示", ticket.id_presentation),
        ("受付日時", jst(ticket.created_at)), ("対応期限", ticket.due_date.isoformat()),
        ("担当者", ticket.assignee.login if ticket.assignee else "未割当"),
        ("状態のメモ", ticket.status_note), ("不実施の理由", ticket.refusal_ground),
    )]
    lines.append("履歴:")
    for event in ticket.events:
        changes = "、".join([f"{field} {value_label(field, old)}→{value_label(field, new)}"
                            for field, (old, new) in event.changes.items()]
                           + ([f"{STAFF_TEXT_LABELS[event.action]}：{event.staff_text}"]
                              if event.staff_text else []))
        lines.append(f"  {jst(event.at)} {event.actor} {event.action} {changes}")
    lines.append("メモ・連絡:")
    for note in ticket.notes:
        how = f"{note.channel}/{note.direction} " if note.kind == "contact" else ""
        lines.append(f"  {jst(note.at)} {note.author} {how}{note.body or ERASED_TEXT}")
    return "\n".join(lines)


def _set_status(db: Session, args: argparse.Namespace) -> None:
    actor = _actor(db, args.login)
    ticket = service.ticket_by_reference(db, args.reference)
    service.set_status(db, actor, ticket, args.status, args.note, args.ground)
    print(f"{ticket.reference} を「{ticket.status.label}」にしました。")


COMMANDS: dict[str, Callable[[Session, argparse.Namespace], None]] = {
    "create-user": _create_user, "list": _list, "show": _show, "set-status": _set_status,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = database_url()
    migrate(url)
    store = CaseStore(make_engine(url))
    try:
        if args.command == "create-user":
            # Before the transaction: no database lock is held while someone types.
            args.password = _read_password(args.password_stdin)
        with store.unit_of_work() as db:
            COMMANDS[args.command](db, args)
    except ConsoleError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    finally:
        store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
