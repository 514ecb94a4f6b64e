"""Personal data of tickets encrypted at rest (bot.cases.encryption).

The columns become TEXT, since a Fernet token is some 4/3 of the UTF-8 text plus 100
characters (a 254-character e-mail address takes 420, a name of 100 kanji 484), and every
stored value is encrypted with the first key of TCN_DATA_KEYS (or var/data_key); the
downgrade decrypts them and restores the lengths of 0001. Both need the key only when
there are rows to convert.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.cases.encryption import decrypt, encrypt, rewrite_all

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The plain lengths of 0001; details was TEXT already. Listed here, not taken from the
# models, so that this revision always converts the same columns.
_LENGTHS = {"name": 100, "phone": 20, "email": 254, "customer_number": 30}
_ENCRYPTED = (*_LENGTHS, "details")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name, length in _LENGTHS.items():
            batch.alter_column(name, existing_type=sa.String(length=length), type_=sa.Text())
    rewrite_all(op.get_bind(), "tickets", _ENCRYPTED, encrypt)


def downgrade() -> None:
    rewrite_all(op.get_bind(), "tickets", _ENCRYPTED, decrypt)
    with op.batch_alter_table("tickets") as batch:
        for name, length in _LENGTHS.items():
            batch.alter_column(name, existing_type=sa.Text(), type_=sa.String(length=length))
