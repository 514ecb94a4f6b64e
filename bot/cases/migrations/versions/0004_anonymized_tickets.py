"""Tickets whose retention period is over keep their record without personal data.

`anonymized_at` says when retention erased the personal fields; an anonymized ticket needs
no contact and no name, and may hold none of its personal fields.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_REQUEST_FIELDS = (
    "category <> 'request' OR (kind IS NOT NULL AND requester IS NOT NULL"
    " AND id_presentation IS NOT NULL AND {name} AND handoff_reason IS NULL)"
)
_CONTACT = "COALESCE(phone, '') <> '' OR COALESCE(email, '') <> ''"


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("anonymized_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_tickets_request_fields"), type_="check")
        batch.drop_constraint(op.f("ck_tickets_contact"), type_="check")
        batch.create_check_constraint(
            op.f("ck_tickets_request_fields"),
            _REQUEST_FIELDS.format(name="(name IS NOT NULL OR anonymized_at IS NOT NULL)"),
        )
        batch.create_check_constraint(op.f("ck_tickets_contact"),
                                      f"anonymized_at IS NOT NULL OR {_CONTACT}")
        batch.create_check_constraint(
            op.f("ck_tickets_anonymized"),
            "anonymized_at IS NULL OR (name IS NULL AND phone IS NULL"
            " AND email IS NULL AND customer_number IS NULL AND details IS NULL)",
        )


def downgrade() -> None:
    anonymized = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM tickets WHERE anonymized_at IS NOT NULL")).scalar_one()
    if anonymized:
        raise RuntimeError(f"{anonymized} ticket(s) are anonymized: 0003 has no place for "
                           "tickets without a name and contact")
    with op.batch_alter_table("tickets") as batch:
        for name in ("anonymized", "contact", "request_fields"):
            batch.drop_constraint(op.f(f"ck_tickets_{name}"), type_="check")
        batch.create_check_constraint(op.f("ck_tickets_request_fields"),
                                      _REQUEST_FIELDS.format(name="name IS NOT NULL"))
        batch.create_check_constraint(op.f("ck_tickets_contact"), _CONTACT)
        batch.drop_column("anonymized_at")
