"""Blind indexes of a ticket's name, phone number and e-mail address: staff find tickets by
them (exact match) without any row being decrypted (docs/privacy.md, 検索用の索引).

A ticket stores, next to each encrypted value, `<field>_index` =
HMAC-SHA256(index key, "<field>:" + the normalised value), 43 characters of base64url
(not hex, whose runs of digits can look like a phone number's); a search computes the same
from what staff typed and compares. Equal values give equal indexes, so the index says
which tickets share a value, nothing more; without the key it cannot be tested against
guesses.

Index keys are not stored: each is derived (HKDF-SHA256) from a data key of the keyring
(TCN_DATA_KEYS or var/data_key, bot.cases.keyring), so they are kept, backed up and
rotated with the data keys. Writing uses the first key's; searching tries every key's,
so tickets indexed before a new key was put first are found until
`python -m bot.cases.keys rotate` has indexed them again under it.

Normalisation (equal to the eye, equal in the index):
- name: NFKC (full-width letters, half-width kana), case-folded, katakana as hiragana,
  without spaces and middle dots: 「ﾀﾏ ﾊﾅｺ」, 「たま　はなこ」 and 「タマハナコ」 are one;
- phone: E.164 by phonenumbers, region JP (「090-1234-5678」, 「０９０１２３４５６７８」 and
  「+81 90 1234 5678」 are one); text that is no possible number has no index;
- e-mail: NFKC, without surrounding spaces, lower-cased.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from functools import lru_cache
from typing import Callable, Mapping

import phonenumbers
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Integer, Text, column, select, table, update

from bot.cases.encryption import Database, decrypt
from bot.cases.keyring import keyring

# Changing the derivation or a normalisation changes every index: a migration must then
# index all tickets again (as 0007 did first).
INFO = b"tcn-privacy-desk blind index v1"
_KATAKANA = range(ord("ァ"), ord("ヶ") + 1)
_LEFT_OUT = {"・", "･"}


def name_key(text: str) -> str | None:
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(chr(ord(c) - 0x60) if ord(c) in _KATAKANA else c for c in folded
                   if not c.isspace() and c not in _LEFT_OUT)
    return kept or None


def phone_key(text: str) -> str | None:
    try:
        number = phonenumbers.parse(unicodedata.normalize("NFKC", text), "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_key(text: str) -> str | None:
    address = unicodedata.normalize("NFKC", text).strip().lower()
    return address if "@" in address else None


# field -> its normaliser; the ticket's column is f"{field}_index".
NORMALISERS: Mapping[str, Callable[[str], str | None]] = {
    "name": name_key, "phone": phone_key, "email": email_key}


@lru_cache(maxsize=16)
def _index_key(data_key: str) -> bytes:
    secret = base64.urlsafe_b64decode(data_key.encode("ascii"))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret)


def _digest(data_key: str, field: str, normalised: str) -> str:
    message = f"{field}:{normalised}".encode("utf-8")
    digest = hmac.new(_index_key(data_key), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def blind_index(field: str, value: str | None) -> str | None:
    """The index to store for `value` of `field` ("name", "phone", "email") under the first
    key; None for no value or one that does not normalise. DataKeyError without a key."""
    normalised = NORMALISERS[field](value) if value else None
    return _digest(keyring().keys[0], field, normalised) if normalised else None


def search_indexes(field: str, text: str) -> list[str]:
    """What `text` typed as a `field` would be indexed as, under every key of the keyring
    ([] when it does not normalise)."""
    normalised = NORMALISERS[field](text)
    return [_digest(key, field, normalised) for key in keyring().keys] if normalised else []


def index_values(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """{"<field>_index": index} for the plain values {field: value} of the indexed fields."""
    return {f"{field}_index": blind_index(field, values.get(field)) for field in NORMALISERS}


def reindex_batch(db: Database, after_id: int, size: int) -> list[int]:
    """Index again, under the first key, the next `size` tickets with an id above
    `after_id`, decrypting their values; the ids of those tickets (none: all done)."""
    tickets = table("tickets", column("id", Integer),
                    *(column(name, Text) for field in NORMALISERS for name in (field, f"{field}_index")))
    rows = db.execute(select(tickets).where(tickets.c.id > after_id).order_by(tickets.c.id)
                      .limit(size).with_for_update()).all()
    for row in rows:
        values = index_values({field: decrypt(getattr(row, field)) if getattr(row, field) else None
                               for field in NORMALISERS})
        if any(getattr(row, name) != value for name, value in values.items()):
            db.execute(update(tickets).where(tickets.c.id == row.id).values(**values))
    return [row.id for row in rows]


def reindex_all(db: Database, size: int = 500) -> int:
    """reindex_batch over every ticket, in the caller's one transaction (migrations); how many."""
    done, after = 0, 0
    while batch := reindex_batch(db, after, size):
        done, after = done + len(batch), batch[-1]
    return done
