"""The queue as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Iterable

from bot.cases.models import Ticket
from bot.console.labels import CATEGORY_LABELS, jst, kind_label
from bot.console.queue import is_overdue

HEADER = ("受付番号", "区分", "種類・理由", "状態", "受付日時", "対応期限", "期限超過", "担当者",
          "氏名", "電話番号", "メールアドレス", "内容")
# A cell starting with one of these is run as a formula by spreadsheets (OWASP's list:
# = + - @ and the tab and carriage return that some of them skip first).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def queue_csv(tickets: Iterable[Ticket], on: date) -> str:
    """UTF-8 text with a byte-order mark, which spreadsheets need to read Japanese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for ticket in tickets:
        writer.writerow([safe_cell(value) for value in (
            ticket.reference,
            CATEGORY_LABELS[ticket.category],
            kind_label(ticket),
            ticket.status.label,
            jst(ticket.created_at),
            ticket.due_date.isoformat(),
            "期限超過" if is_overdue(ticket, on) else "",
            ticket.assignee.display_name if ticket.assignee else "",
            ticket.name,
            ticket.phone,
            ticket.email,
            ticket.details,
        )])
    return "\ufeff" + buffer.getvalue()
