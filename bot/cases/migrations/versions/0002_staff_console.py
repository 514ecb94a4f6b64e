"""Staff console: accounts, audit log, ticket notes; handoff tickets and assignment.

Existing tickets become requests. A handoff ticket may lack the request's fields
(kind, requester, name, id_presentation) but has a reason; both keep the contact CHECK.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_REQUEST_FIELDS = ("kind", "requester", "name", "id_presentation")


def _string(column: str) -> sa.String:
    """The type of a request field, as 0001 created it."""
    return sa.String(length=100 if column == "name" else 20)


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_nonce", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('staff', 'admin')", name=op.f("ck_staff_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("login", name=op.f("uq_staff_users_login")),
    )
    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("direction", sa.String(length=5), nullable=True),
        sa.CheckConstraint("kind IN ('internal', 'contact')", name=op.f("ck_ticket_notes_kind")),
        sa.CheckConstraint(
            "channel IN ('電話', '電子メール', '郵送', '窓口')", name=op.f("ck_ticket_notes_channel")
        ),
        sa.CheckConstraint(
            "direction IN ('発信', '着信')", name=op.f("ck_ticket_notes_direction")
        ),
        sa.CheckConstraint(
            "(kind = 'contact' AND channel IS NOT NULL AND direction IS NOT NULL)"
            " OR (kind = 'internal' AND channel IS NULL AND direction IS NULL)",
            name=op.f("ck_ticket_notes_contact_fields"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_notes_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_notes")),
    )
    op.create_index(op.f("ix_ticket_notes_ticket_id"), "ticket_notes", ["ticket_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_audit_log_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_actor"), "audit_log", ["actor"])
    op.create_index(op.f("ix_audit_log_ticket_id"), "audit_log", ["ticket_id"])

    # batch: SQLite cannot relax NOT NULL or add a foreign key in place, so it rebuilds
    # the table; PostgreSQL gets plain ALTER TABLE statements.
    with op.batch_alter_table("tickets") as batch:
        # The server default turns every existing row into a request.
        batch.add_column(sa.Column("category", sa.String(length=10), server_default="request",
                                   nullable=False))
        batch.add_column(sa.Column("handoff_reason", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        for column in _REQUEST_FIELDS:
            batch.alter_column(column, existing_type=_string(column), nullable=True)
        batch.create_check_constraint(
            op.f("ck_tickets_category"), "category IN ('request', 'handoff')"
        )
        batch.create_check_constraint(
            op.f("ck_tickets_handoff_reason"),
            "handoff_reason IN ('ask_human', 'complaint', 'not_understood')",
        )
        batch.create_check_constraint(
            op.f("ck_tickets_request_fields"),
            "category <> 'request' OR (kind IS NOT NULL AND requester IS NOT NULL"
            " AND id_presentation IS NOT NULL AND name IS NOT NULL AND handoff_reason IS NULL)",
        )
        batch.create_check_constraint(
            op.f("ck_tickets_handoff_fields"),
            "category <> 'handoff' OR handoff_reason IS NOT NULL",
        )
        batch.create_foreign_key(
            op.f("fk_tickets_assignee_id_staff_users"), "staff_users", ["assignee_id"], ["id"]
        )
        batch.create_index(op.f("ix_tickets_assignee_id"), ["assignee_id"])


def downgrade() -> None:
    # Fails on purpose while handoff tickets exist: 0001 has no place for them.
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(op.f("ix_tickets_assignee_id"))
        batch.drop_constraint(op.f("fk_tickets_assignee_id_staff_users"), type_="foreignkey")
        for name in ("handoff_fields", "request_fields", "handoff_reason", "category"):
            batch.drop_constraint(op.f(f"ck_tickets_{name}"), type_="check")
        for column in _REQUEST_FIELDS:
            batch.alter_column(column, existing_type=_string(column), nullable=False)
        batch.drop_column("assignee_id")
        batch.drop_column("handoff_reason")
        batch.drop_column("category")
    op.drop_index(op.f("ix_audit_log_ticket_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_ticket_notes_ticket_id"), table_name="ticket_notes")
    op.drop_table("ticket_notes")
    op.drop_table("staff_users")
