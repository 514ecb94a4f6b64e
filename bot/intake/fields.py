"""Parsers for the answers of the request intake form.

Each parser takes what the customer typed (already normalized by
`bot.text.normalize`: half-width digits and ASCII, full-width kana) and returns
the canonical value, or None when the answer is not usable. They know nothing
of Rasa, so they can be tested on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

import phonenumbers
import regex
from email_validator import EmailNotValidError, validate_email

from bot.text import normalize

REQUESTERS = ("本人", "任意代理人", "法定代理人")
PRESENTATIONS = ("窓口で提示", "郵送でコピー提出")
# The customer has no customer number, or does not know it.
NO_CUSTOMER_NUMBER = "なし"

# Polite wrappers around an answer: 「名前は山田太郎です」 → 「山田太郎」.
_LEAD = re.compile(r"^(?:私の|わたしの)?(?:お?名前|氏名|なまえ|お客様番号|顧客番号|お客さま番号)(?:は|:|：)?\s*")
_TAIL = re.compile(r"\s*(?:と申します|ともうします|といいます|でございます|です|だよ|です。|。)+$")
_NAME = regex.compile(r"^[\p{Han}\p{Hiragana}\p{Katakana}\p{Latin}々〆ヶー・･'’.\- ]{1,50}$")
_LETTER = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Latin}]")
# Same shape as the `email` regex of data/nlu/regexes.yml; validate_email decides.
_EMAIL_CANDIDATE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CUSTOMER_NUMBER = re.compile(r"\b[A-Za-z0-9][A-Za-z0-9-]{2,19}\b")
_NO_ANSWER = ("なし", "ない", "無し", "ありません", "わかりません", "分かりません", "わからない",
              "分からない", "不明", "知らない", "しらない", "スキップ", "skip")
_MIN_DETAILS, MAX_DETAILS = 2, 500


@dataclass(frozen=True)
class Contact:
    phone: Optional[str] = None
    email: Optional[str] = None

    def __str__(self) -> str:
        return " / ".join(value for value in (self.phone, self.email) if value)


def _unwrap(text: str) -> str:
    return _TAIL.sub("", _LEAD.sub("", normalize(text))).strip()


def parse_name(text: str) -> Optional[str]:
    """A personal name in kanji, kana or Latin letters (spaces allowed)."""
    name = _unwrap(text)
    if not _NAME.match(name) or not _LETTER.search(name):
        return None
    return name


def parse_phone(text: str) -> Optional[str]:
    """The first valid Japanese phone number in `text`, in national format
    (「090-1234-5678」), whatever hyphens or spaces the customer used."""
    for match in phonenumbers.PhoneNumberMatcher(normalize(text), "JP"):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return None


def parse_email(text: str) -> Optional[str]:
    """The first syntactically valid e-mail address in `text` (no DNS lookup)."""
    for candidate in _EMAIL_CANDIDATE.findall(normalize(text)):
        try:
            return validate_email(candidate, check_deliverability=False, allow_smtputf8=False).normalized
        except EmailNotValidError:
            continue
    return None


def parse_contact(text: str) -> Optional[Contact]:
    """A phone number, an e-mail address, or both, from one answer."""
    contact = Contact(parse_phone(text), parse_email(text))
    return contact if contact.phone or contact.email else None


def parse_customer_number(text: str) -> Optional[str]:
    """A customer number, or NO_CUSTOMER_NUMBER when the customer has none."""
    answer = _unwrap(text)
    if any(word in answer.lower() for word in _NO_ANSWER):
        return NO_CUSTOMER_NUMBER
    match = _CUSTOMER_NUMBER.search(answer)
    return match.group(0).upper() if match else None


def parse_details(text: str) -> Optional[str]:
    details = normalize(text)
    return details if _MIN_DETAILS <= len(details) <= MAX_DETAILS else None


def _first_mentioned(text: str, choices: dict[str, Sequence[str]]) -> Optional[str]:
    """The choice whose keyword appears in `text`, the longest keyword winning
    (「法定代理人」 before 「代理人」)."""
    keywords = sorted(
        ((keyword, value) for value, words in choices.items() for keyword in words),
        key=lambda pair: -len(pair[0]),
    )
    answer = normalize(text)
    return next((value for keyword, value in keywords if keyword in answer), None)


def parse_kind(text: str, kinds: Sequence[str], entity_values: Sequence[str] = ()) -> Optional[str]:
    """One of the request kinds of 5.(1): from the NLU entity when there is one,
    else from the kind named in the text."""
    for value in entity_values:
        if value in kinds:
            return value
    return _first_mentioned(text, {kind: (kind,) for kind in kinds})


_REQUESTER_WORDS = {
    "法定代理人": ("法定代理人", "ほうていだいりにん", "親権者", "後見人", "保佐人", "補助人"),
    "任意代理人": ("任意代理人", "代理人", "代理", "だいり", "委任"),
    "本人": ("本人", "ほんにん", "自分", "じぶん", "私です", "わたしです"),
}
# Values of the NLU entity `requester` (data/nlu) mapped to the form's values.
_REQUESTER_ENTITY = {"本人": "本人", "代理人": "任意代理人", "法定代理人": "法定代理人"}


def parse_requester(text: str, entity_values: Sequence[str] = ()) -> Optional[str]:
    """Who is asking: 本人, 任意代理人 or 法定代理人."""
    for value in entity_values:
        if value in _REQUESTER_ENTITY:
            return _REQUESTER_ENTITY[value]
    return _first_mentioned(text, _REQUESTER_WORDS)


_PRESENTATION_WORDS = {
    "郵送でコピー提出": ("郵送", "ゆうそう", "郵便", "コピー", "こぴー", "写し", "送"),
    "窓口で提示": ("窓口", "まどぐち", "持参", "提示", "見せ", "みせ", "持って"),
}


def parse_presentation(text: str) -> Optional[str]:
    """How the identity document will be presented (5.(2))."""
    return _first_mentioned(text, _PRESENTATION_WORDS)
