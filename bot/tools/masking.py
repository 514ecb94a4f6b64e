"""Masks personal data in customers' messages before anyone reviews them.

Patterns first (bot/personal_data.py): e-mail addresses, ticket references
and phone numbers as the bot's NLU finds them (data/nlu/regexes.yml), then
6-digit confirmation codes, longer numbers (customer numbers) and names in
Latin letters or introduced by 「…と申します」. Then names by the NER of the
full ja_ginza model, which finds kanji and kana names but also takes e-mail
addresses for persons; hence the order. Each kind becomes a placeholder such
as 〈電話番号〉; `fill()` puts a harmless sample value in its place when a
reviewed line becomes training data, so that the model still sees the shape
of a phone number.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import spacy

from bot import personal_data
from bot.text import normalize

REGEXES = personal_data.NLU_REGEXES
NAME = "〈氏名〉"
# placeholder -> sample value used by fill(); the samples are docs/intents.md's.
SAMPLES = {
    "〈メールアドレス〉": "taro@example.com",
    "〈受付番号〉": "PR-20261128-ABC234",
    "〈電話番号〉": "090-1234-5678",
    "〈確認コード〉": "123456",
    "〈番号〉": "12345678",
    NAME: "多摩太郎",
}
# GiNZA's (Extended Named Entity) label for people's names.
PERSON = "Person"
NER_MODEL = "ja_ginza"
_PLACEHOLDER = re.compile("(〈[^〉]+〉)")


def patterns(path: Path = REGEXES) -> list[tuple[re.Pattern[str], str]]:
    """(pattern, placeholder) in the order they must be applied; `path` holds the
    NLU's regexes (data/nlu/regexes.yml)."""
    nlu = personal_data.nlu_regexes(path)
    return [
        (personal_data.EMAIL, "〈メールアドレス〉"),
        (nlu["ticket_ref"], "〈受付番号〉"),
        (nlu["phone_number"], "〈電話番号〉"),
        (personal_data.CODE, "〈確認コード〉"),
        (personal_data.LONG_NUMBER, "〈番号〉"),
        # The NER misses romanized names (「John Smith」) and most names in
        # hiragana; 「…と申します」 introduces a name however it is written.
        (personal_data.LATIN_NAME, NAME),
        (personal_data.INTRODUCED_NAME, NAME),
    ]


@lru_cache(maxsize=None)
def load_ner() -> spacy.language.Language:
    """ja_ginza with only the NER and what it reads (the parser and the rest are not needed)."""
    return spacy.load(NER_MODEL, exclude=["parser", "morphologizer", "compound_splitter", "bunsetu_recognizer"])


class Masker:
    def __init__(self, regexes: Path = REGEXES) -> None:
        self.patterns = patterns(regexes)
        self.nlp = load_ner()

    def mask(self, text: str) -> str:
        """The normalized text with every personal datum replaced by a placeholder."""
        text = normalize(text)
        for pattern, placeholder in self.patterns:
            text = pattern.sub(placeholder, text)
        for entity in reversed(self.nlp(text).ents):
            if entity.label_ == PERSON:
                text = text[:entity.start_char] + _name_masked(entity.text) + text[entity.end_char:]
        return text


def _name_masked(span: str) -> str:
    """A person span as 〈氏名〉, keeping any placeholder the NER took into it."""
    return "".join(
        part if _PLACEHOLDER.fullmatch(part) else NAME
        for part in _PLACEHOLDER.split(span) if part.strip()
    )


def fill(text: str) -> str:
    """Placeholders replaced by their sample values."""
    for placeholder, sample in SAMPLES.items():
        text = text.replace(placeholder, sample)
    return text
