"""Personal data of tickets encrypted at rest: the column type the models use, and the
rewriting of stored values that migrations and key rotation do.

Encrypted: the customer's fields of `tickets` (models.PERSONAL_FIELDS) and staff's own
words, which quote the customer (`tickets.status_note`, `ticket_events.staff_text`,
`ticket_notes.body`); every column of type EncryptedText (bot.cases.keys lists them).

Fernet (AES-128-CBC with HMAC-SHA256, a random IV per value) with the keys of
bot.cases.keyring. The ORM reads and writes plain text; the database holds tokens.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, Union

from cryptography.fernet import InvalidToken
from sqlalchemy import Integer, Text, column, select, table, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from bot.cases.keyring import DataKeyError, keyring


def encrypt(text: str) -> str:
    return keyring().fernet.encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    keys = keyring()
    try:
        return keys.fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise DataKeyError(
            f"stored personal data cannot be decrypted with the keys of {keys.source}: the key "
            "that encrypted it is missing or wrong (docs/privacy.md, 保存データの暗号化)") from None


def rotate(token: str) -> str:
    """The token encrypted again with the first key (its timestamp kept)."""
    keys = keyring()
    try:
        return keys.fernet.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DataKeyError(f"a stored value cannot be decrypted with any key of {keys.source}; "
                           "nothing after it was rotated") from None


class EncryptedText(TypeDecorator):
    """Text stored as a Fernet token. None and "" are stored as they are, so that CHECK
    constraints on emptiness still hold; `max_chars` keeps the length limit the plain
    column had, since the token column itself is unbounded TEXT."""

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator, Text.Comparator):
        # Every token has its own IV, so `email = :x` or ORDER BY could never match or
        # sort: refuse them, so that nobody writes a query that silently finds nothing.
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if op in (operators.is_, operators.is_not):
                return super().operate(op, *other, **kwargs)
            raise TypeError("an encrypted column cannot be compared or sorted in SQL; "
                            "select by reference, status or dates instead")

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
            return self.operate(op, other, **kwargs)

    def __init__(self, max_chars: int | None = None) -> None:
        super().__init__()
        self.max_chars = max_chars

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if not value:
            return value
        if self.max_chars is not None and len(value) > self.max_chars:
            raise ValueError(f"longer than {self.max_chars} characters")
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return decrypt(value) if value else value


Database = Union[Session, Connection]


def rewrite_batch(db: Database, table_name: str, columns: Sequence[str],
                  change: Callable[[str], str], after_id: int, size: int) -> list[int]:
    """Pass every non-empty value of `columns` of the next `size` rows of `table_name` (a
    table with an integer `id`) with an id above `after_id` through `change`, as raw text;
    the ids of those rows (none: all done)."""
    rows_of = table(table_name, column("id", Integer), *(column(name, Text) for name in columns))
    # FOR UPDATE: a value changed meanwhile by someone else is not overwritten with its old one.
    rows = db.execute(
        select(rows_of).where(rows_of.c.id > after_id).order_by(rows_of.c.id).limit(size)
        .with_for_update()
    ).all()
    for row in rows:
        values = {name: change(getattr(row, name)) for name in columns if getattr(row, name)}
        if values:
            db.execute(update(rows_of).where(rows_of.c.id == row.id).values(**values))
    return [row.id for row in rows]


def rewrite_all(db: Database, table_name: str, columns: Sequence[str],
                change: Callable[[str], str], size: int = 500) -> None:
    """rewrite_batch over every row, in the caller's one transaction (migrations)."""
    after = 0
    while done := rewrite_batch(db, table_name, columns, change, after, size):
        after = done[-1]
