"""Reference numbers customers quote, and the one-time codes that guard status look-ups."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Capitals and digits without I, O, 0 and 1, which are misread when copied by hand.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_PATTERN = re.compile(rf"\APR-[0-9]{{8}}-[{ALPHABET}]{{6}}\Z")

# Separators customers type instead of "-": the Unicode dashes (Pd) plus the minus sign,
# the hyphen bullet and the long-vowel marks Japanese keyboards produce next to the hyphen.
_DASH_LIKE = {"\u2212", "\u2043", "\u30fc", "\uff70"}
# ASCII-only case folding, so that e.g. the Kelvin sign does not pass for a K.
_LOOSE = re.compile(rf"PR-?([0-9]{{8}})-?([{ALPHABET}]{{6}})", re.IGNORECASE | re.ASCII)
_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9]){_LOOSE.pattern}(?![A-Za-z0-9])", re.IGNORECASE | re.ASCII)

# Argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane): a 6-digit code has only
# 10**6 values, so no cost setting would stop an offline search of a stolen hash; the
# lock-out and database access control protect it. The hash keeps the code out of
# backups and staff screens, and this cost keeps each verify around tens of milliseconds.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def new_reference(today: date) -> str:
    suffix = "".join(secrets.choice(ALPHABET) for _ in range(6))
    return f"PR-{today:%Y%m%d}-{suffix}"


def _is_dash(char: str) -> bool:
    return char in _DASH_LIKE or unicodedata.category(char) == "Pd"


def _dashes_unified(text: str) -> str:
    return "".join("-" if _is_dash(char) else char for char in text)


def _canonical(match: re.Match[str] | None) -> str | None:
    return None if match is None else f"PR-{match[1]}-{match[2].upper()}"


def normalize_reference(text: str) -> str | None:
    """The canonical form of a reference as typed (any case, spaces, any dash), or None."""
    compact = "".join(char for char in _dashes_unified(text) if not char.isspace())
    return _canonical(_LOOSE.fullmatch(compact))


def find_reference(text: str) -> str | None:
    """The first reference written anywhere in a sentence, in canonical form, or None."""
    return _canonical(_IN_TEXT.search(_dashes_unified(text)))


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def hash_code(code: str) -> str:
    return _HASHER.hash(code)


def code_matches(code_hash: str, code: str) -> bool:
    try:
        return _HASHER.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False
