"""Tickets, their event history and failed status look-ups.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("requester", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("customer_number", sa.String(length=30), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("id_presentation", sa.String(length=20), nullable=False),
        sa.Column("fee_applies", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="received", nullable=False),
        sa.Column("refusal_ground", sa.String(length=1), nullable=True),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('開示', '利用目的の通知', '訂正', '追加', '削除', '利用停止', '消去', '第三者提供の停止')",
            name=op.f("ck_tickets_kind"),
        ),
        sa.CheckConstraint(
            "requester IN ('本人', '任意代理人', '法定代理人')", name=op.f("ck_tickets_requester")
        ),
        sa.CheckConstraint(
            "id_presentation IN ('窓口で提示', '郵送でコピー提出')",
            name=op.f("ck_tickets_id_presentation"),
        ),
        sa.CheckConstraint(
            "status IN ('received', 'awaiting_id', 'in_progress', 'done', 'refused', 'withdrawn')",
            name=op.f("ck_tickets_status"),
        ),
        sa.CheckConstraint(
            "refusal_ground IN ('①', '②', '③', '④', '⑤', '⑥', '⑦')",
            name=op.f("ck_tickets_refusal_ground"),
        ),
        sa.CheckConstraint(
            "COALESCE(phone, '') <> '' OR COALESCE(email, '') <> ''",
            name=op.f("ck_tickets_contact"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("reference", name=op.f("uq_tickets_reference")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_tickets_submission_key")),
    )
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"])
    op.create_table(
        "lookup_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_failures")),
    )
    op.create_index(op.f("ix_lookup_failures_reference"), "lookup_failures", ["reference"])
    op.create_index(op.f("ix_lookup_failures_at"), "lookup_failures", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_lookup_failures_at"), table_name="lookup_failures")
    op.drop_index(op.f("ix_lookup_failures_reference"), table_name="lookup_failures")
    op.drop_table("lookup_failures")
    op.drop_index(op.f("ix_ticket_events_ticket_id"), table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_table("tickets")
