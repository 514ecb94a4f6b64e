"""Staff's words encrypted like the customer's data, and erased with it.

Staff write the customer's name and circumstances into the status note (「…様宛に開示書面を
郵送」), the reason for a later due date and their notes; until now these were stored in
clear, the first two also inside the append-only history (`ticket_events.changes`), where
retention left them. Upgrade:

- `ticket_events` gets `staff_text`: what staff wrote with that change. The "status_note"
  and "reason" entries leave every event's `changes`; their text, encrypted, goes there
  (for a status change that kept the note, the note that was kept);
- `tickets.status_note`, the new `ticket_events.staff_text` and `ticket_notes.body` hold
  Fernet tokens (bot.cases.encryption, the key of TCN_DATA_KEYS or var/data_key);
- on tickets anonymized already (0004), these words are erased instead, as
  bot.cases.retention now does: status note and staff_text NULL, note bodies "" (they held
  the placeholder 「（保存期間の経過により消去しました）」).

The downgrade decrypts, puts the words back into `changes` as 0005's code wrote them and
the placeholder back into erased notes; the words retention erased stay erased. Both need
the key only when there are rows to convert.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from bot.cases.encryption import decrypt, encrypt, rewrite_all

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Listed here, not taken from the models or bot.cases.retention, so that this revision
# always converts the same things.
_TICKETS = sa.table("tickets", sa.column("id", sa.Integer), sa.column("status_note", sa.Text),
                    sa.column("anonymized_at", sa.DateTime))
_EVENTS = sa.table("ticket_events", sa.column("id", sa.Integer), sa.column("ticket_id", sa.Integer),
                   sa.column("action", sa.String), sa.column("changes", sa.JSON),
                   sa.column("staff_text", sa.Text))
_NOTES = sa.table("ticket_notes", sa.column("ticket_id", sa.Integer), sa.column("body", sa.Text))
# The action whose `changes` held staff's words, and under which field.
_STATUS, _DUE = "status_changed", "extend_due"
_WORDS = {_STATUS: "status_note", _DUE: "reason"}
_PLACEHOLDER = "（保存期間の経過により消去しました）"


def upgrade() -> None:
    op.add_column("ticket_events", sa.Column("staff_text", sa.Text(), nullable=True))
    bind = op.get_bind()
    erased = _anonymized(bind)
    bind.execute(sa.update(_TICKETS).where(_TICKETS.c.id.in_(erased)).values(status_note=None))
    bind.execute(sa.update(_NOTES).where(_NOTES.c.ticket_id.in_(erased)).values(body=""))
    note: dict[int, Optional[str]] = {}  # each ticket's status note as its history goes
    for event in _events(bind):
        changes = dict(event.changes)
        field = _WORDS[event.action]
        if field in changes:
            words = changes.pop(field)[1]
        else:  # no "reason" is no reason; no "status_note" is the note unchanged
            words = note.get(event.ticket_id) if event.action == _STATUS else None
        if event.action == _STATUS:
            note[event.ticket_id] = words
        kept = words if words and event.ticket_id not in erased else None
        _update_event(bind, event.id, changes=changes, staff_text=encrypt(kept) if kept else None)
    rewrite_all(bind, "tickets", ("status_note",), encrypt)
    rewrite_all(bind, "ticket_notes", ("body",), encrypt)


def downgrade() -> None:
    bind = op.get_bind()
    rewrite_all(bind, "tickets", ("status_note",), decrypt)
    rewrite_all(bind, "ticket_notes", ("body",), decrypt)
    erased = _anonymized(bind)
    bind.execute(sa.update(_NOTES).where(_NOTES.c.ticket_id.in_(erased), _NOTES.c.body == "")
                 .values(body=_PLACEHOLDER))
    note: dict[int, Optional[str]] = {}
    for event in _events(bind):
        changes = dict(event.changes)
        words = decrypt(event.staff_text) if event.staff_text else None
        if event.action == _STATUS:
            # 0005's change_status recorded the note only when it changed.
            before = note.get(event.ticket_id)
            if before != words:
                changes["status_note"] = [before, words]
            note[event.ticket_id] = words
        elif words is not None:
            changes["reason"] = [None, words]
        _update_event(bind, event.id, changes=changes)
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_column("staff_text")


def _anonymized(bind: Connection) -> set[int]:
    return set(bind.execute(sa.select(_TICKETS.c.id).where(_TICKETS.c.anonymized_at.is_not(None)))
               .scalars())


def _events(bind: Connection) -> list[Any]:
    """The events that hold or held staff's words, each ticket's in the order they happened."""
    query = (sa.select(_EVENTS).where(_EVENTS.c.action.in_(list(_WORDS)))
             .order_by(_EVENTS.c.ticket_id, _EVENTS.c.id))
    return list(bind.execute(query).all())


def _update_event(bind: Connection, event_id: int, **values: Any) -> None:
    # In SQL: the ORM's append-only guard does not apply to a migration.
    bind.execute(sa.update(_EVENTS).where(_EVENTS.c.id == event_id).values(**values))
