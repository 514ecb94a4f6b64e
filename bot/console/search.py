"""The queue's search box: one text, looked for as a reference, a name, a phone number and
an e-mail address at once (exact matches; bot.cases.blind_index for the encrypted ones).

- a whole reference (「PR-20261128-ABC234」, any case, spaces, dashes, full-width) or its
  last six characters (「ABC234」);
- the name, phone and e-mail through their blind indexes: no ticket is decrypted to search.

The text itself is personal data: the audit log records only what it was looked for as
(`kinds`), never the text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import false, or_
from sqlalchemy.sql import ColumnElement

from bot.cases.blind_index import NORMALISERS, search_indexes
from bot.cases.models import Ticket
from bot.cases.references import ALPHABET, normalize_reference

MAX_QUERY = 200
_SUFFIX = re.compile(rf"\A[{ALPHABET}]{{6}}\Z")


@dataclass(frozen=True)
class Search:
    # What the text could be: ("reference", "PR-…"), ("suffix", "ABC234"), or
    # (field, [index, …]) for the indexed fields.
    reference: str | None
    suffix: str | None
    indexes: dict[str, list[str]]

    @classmethod
    def of(cls, text: str) -> Search:
        plain = unicodedata.normalize("NFKC", text[:MAX_QUERY]).strip()
        suffix = plain.upper()
        return cls(reference=normalize_reference(plain),
                   suffix=suffix if _SUFFIX.match(suffix) else None,
                   indexes={field: found for field in NORMALISERS
                            if (found := search_indexes(field, plain))})

    @property
    def kinds(self) -> list[str]:
        """What the text was looked for as, for the audit log (never the text)."""
        return [kind for kind, wanted in (("reference", self.reference), ("reference_suffix", self.suffix))
                if wanted] + list(self.indexes)

    def condition(self) -> ColumnElement:
        """Tickets matching the text any way it could be meant (none if no way at all)."""
        found: list[ColumnElement] = []
        if self.reference:
            found.append(Ticket.reference == self.reference)
        if self.suffix:
            found.append(Ticket.reference.like(f"PR-%-{self.suffix}"))
        found.extend(getattr(Ticket, f"{field}_index").in_(indexes)
                     for field, indexes in self.indexes.items())
        return or_(*found) if found else false()
