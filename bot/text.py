"""Normalization of Japanese input, applied once where text enters the bot.

Width is folded with jaconv: full-width ASCII and digits become half-width,
half-width katakana becomes full-width. Full NFKC would also flatten circled
numbers (①→1), which customers use to point at items of the policy, so only NFC
composition is applied on top (it joins a separately typed dakuten).
"""

from __future__ import annotations

import re
import unicodedata

import jaconv

_WHITESPACE = re.compile(r"\s+")
# Control and format characters (C*), except the whitespace handled above.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


def _fold(text: str) -> str:
    text = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    text = jaconv.z2h(text, kana=False, ascii=True, digit=True)
    text = unicodedata.normalize("NFC", text)
    return "".join(
        ch for ch in text if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE
    )


# Put by the channels (bot/channels/guard.py) in front of a typed 「/command」 that
# is not the bot's own button, so that Rasa reads it as text: kept as it is by
# the NLU's normalizer, since Rasa's RegexMessageHandler runs after it.
LITERAL_SLASH = "／"


def normalize(text: str) -> str:
    """Return `text` with width folded, composed, invisible characters removed
    and whitespace collapsed to single spaces."""
    return _WHITESPACE.sub(" ", _fold(text)).strip()


def normalize_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Map the span `text[start:end]` (an entity annotation) onto `normalize(text)`.

    Folding is local to characters; only whitespace is collapsed and trimmed, so
    the new start is the length of the normalized prefix, trimmed on the left only.
    """
    new_start = len(_WHITESPACE.sub(" ", _fold(text[:start])).lstrip())
    return new_start, new_start + len(normalize(text[start:end]))
