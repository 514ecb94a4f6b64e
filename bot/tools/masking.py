"""Masks personal data in customers' messages before anyone reviews them.

Patterns first: e-mail addresses, ticket references and phone numbers with
the bot's own regular expressions (data/nlu/regexes.yml), then 6-digit
confirmation codes, longer numbers (customer numbers) and names in Latin
letters. Then names by the NER of the full ja_ginza model, which finds
kanji and kana names but also takes e-mail addresses for persons; hence the
order. Each kind becomes a placeholder such as 〈電話番号〉; `fill()` puts a
harmless sample value in its place when a reviewed line becomes training data,
so that the model still sees the shape of a phone number.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import spacy
import yaml

from bot.text import normalize
from bot.tools.project import ROOT

REGEXES = ROOT / "data" / "nlu" / "regexes.yml"
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


def _regexes(path: Path) -> dict[str, str]:
    blocks = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
    return {b["regex"]: b["examples"].strip()[2:] for b in blocks if "regex" in b}


def patterns(path: Path = REGEXES) -> list[tuple[re.Pattern[str], str]]:
    """(pattern, placeholder) in the order they must be applied."""
    bot = _regexes(path)
    return [
        (re.compile(bot["email"]), "〈メールアドレス〉"),
        (re.compile(bot["ticket_ref"]), "〈受付番号〉"),
        (re.compile(bot["phone_number"]), "〈電話番号〉"),
        (re.compile(r"(?<!\d)\d{6}(?!\d)"), "〈確認コード〉"),
        (re.compile(r"\d{7,}"), "〈番号〉"),
        # The NER misses romanized names (「John Smith」) and most names in
        # hiragana; 「…と申します」 introduces a name however it is written.
        (re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?: [A-Z][a-z]+)+(?![A-Za-z])"), NAME),
        (re.compile(r"[^\s、。,.!?！？]{1,10}(?: [^\s、。,.!?！？]{1,10})?(?= ?(?:と申します|ともうします|といいます|と言います))"),
         NAME),
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
