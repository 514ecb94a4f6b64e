"""Blind indexes of the name, phone number and e-mail address, for the console's search.

`tickets` gets `name_index`, `phone_index` and `email_index` (HMAC-SHA256 of the
normalised value under a key derived from the first data key; bot.cases.blind_index), each
with a database index, and every existing ticket is indexed (this needs the data key when
there are tickets). An anonymized ticket may hold none of them. The downgrade drops them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.cases.blind_index import reindex_all

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = ("name_index", "phone_index", "email_index")
# Written out, not taken from the models, so that this revision always does the same.
_ANONYMIZED = ("anonymized_at IS NULL OR (name IS NULL AND phone IS NULL AND email IS NULL"
               " AND customer_number IS NULL AND details IS NULL{})")


def _anonymized(with_indexes: bool) -> str:
    return _ANONYMIZED.format("".join(f" AND {name} IS NULL" for name in _COLUMNS) if with_indexes else "")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=64), nullable=True))
            batch.create_index(op.f(f"ix_tickets_{name}"), [name])
        batch.drop_constraint(op.f("ck_tickets_anonymized"), type_="check")
        batch.create_check_constraint(op.f("ck_tickets_anonymized"), _anonymized(True))
    reindex_all(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(op.f("ck_tickets_anonymized"), type_="check")
        batch.create_check_constraint(op.f("ck_tickets_anonymized"), _anonymized(False))
        for name in _COLUMNS:
            batch.drop_index(op.f(f"ix_tickets_{name}"))
            batch.drop_column(name)
