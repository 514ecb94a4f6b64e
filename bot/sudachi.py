"""Sudachi's morphemes of a text, for the parts of the bot that read words
(the clause ranker's lemmas, the forms' hearing of what a message is).

SudachiPy tokenizers are not thread-safe: each thread gets its own (the
dictionary is memory-mapped and shared). Split mode C, as GiNZA uses.
"""

from __future__ import annotations

import threading

from sudachipy import Dictionary, Morpheme, SplitMode, Tokenizer

from bot.text import normalize

_local = threading.local()


def tokenizer() -> Tokenizer:
    """This thread's tokenizer (made on first use)."""
    made = getattr(_local, "tokenizer", None)
    if made is None:
        made = _local.tokenizer = Dictionary(dict="core").create(SplitMode.C)
    return made


def morphemes(text: str) -> list[Morpheme]:
    """The morphemes of `normalize(text)`, as a list (the tokenizer reuses its result buffer)."""
    return list(tokenizer().tokenize(normalize(text)))
