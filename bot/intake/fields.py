"""Parsers for the answers of the request intake form.

Each parser takes what the customer typed (already normalized by
`bot.text.normalize`: half-width digits and ASCII, full-width kana) and returns
the canonical value, or None when the answer is not usable. They know nothing
of Rasa, so they can be tested on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import phonenumbers
import regex
from email_validator import EmailNotValidError, validate_email

from bot.intake.echo import masked_contact
from bot.intake.hearing import INTENT_CONFIDENCE, REQUEST_INTENT, Act, compact, hear, is_filler, is_question
from bot.personal_data import EMAIL
from bot.policy.lemmas import lemmas
from bot.sudachi import morphemes
from bot.text import normalize

# The customer has no customer number, or does not know it.
NO_CUSTOMER_NUMBER = "なし"

# Polite wrappers around an answer: 「名前は山田太郎です」 → 「山田太郎」.
_LEAD = re.compile(r"^(?:(?:私の|わたしの)?(?:お?名前|氏名|なまえ|お客様番号|顧客番号|お客さま番号)(?:は|:|：)?"
                   r"|(?:私|わたし|僕|ぼく)は)\s*")
_TAIL = re.compile(r"\s*(?:と申します|ともうします|といいます|でございます|です|だよ|です。|。)+$")
_NAME = regex.compile(r"^[\p{Han}\p{Hiragana}\p{Katakana}\p{Latin}々〆ヶー・･'’.\- ]{1,50}$")
_LETTER = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Latin}]")
_JAPANESE_LETTER = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}々〆ヶ]")
_LATIN_LETTER = regex.compile(r"[A-Za-z]")
_KANJI = regex.compile(r"\p{Han}")
# Morphemes a sentence has and a name does not: the polite and wishing endings,
# the particles that join a verb to its object, sentence-final particles.
_SENTENCE_AUXILIARIES = {"です", "でし", "ます", "ませ", "まし", "たい", "たく", "ない", "なかっ", "だ", "だっ",
                         "ん", "な"}
# Endings of kana surnames that Sudachi reads as an auxiliary (やま|だ, よし|だ).
_KANA_NAME_ENDINGS = {"だ", "な"}
_HIRAGANA_ONLY = regex.compile(r"^\p{Hiragana}+$")
_JOINING_PARTICLES = {"を", "が", "に", "へ", "で", "から", "まで", "より", "て"}
_SENTENCE_POS = {"代名詞", "感動詞", "連体詞", "接続詞"}
# 3–20 letters, digits and inner hyphens with at least one digit, not cut out of a longer token.
_CUSTOMER_NUMBER = re.compile(
    r"(?<![A-Za-z0-9-])(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9](?:[A-Za-z0-9-]{1,18}[A-Za-z0-9])(?![A-Za-z0-9-])")
# A customer number named as such inside a longer answer (「お客様番号は TCN-4821-77 です」).
_LABELLED_CUSTOMER_NUMBER = re.compile(
    r"(?:お客様番号|お客さま番号|顧客番号|会員番号)\s*(?:は|:|：)?\s*(?P<value>[A-Za-z0-9](?:[A-Za-z0-9-]{1,18}[A-Za-z0-9]))(?![A-Za-z0-9-])")
# An e-mail address as typed, valid or not: whatever surrounds an @. After the @
# a comma before a letter is a dot typed wrong (「taro@example,jp」), not the end.
_AT_WORD = re.compile(r"[^\s、。,;；/()（）「」]*@(?:[^\s、。,;；/()（）「」]|,(?=[A-Za-z]))*")
# A word with a digit in it (「TCN-4821-77」「1-2-3」): never part of a name.
_DIGIT_WORD = re.compile(r"[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*")
# Labels that introduce a value inside a sentence; removed before looking for the name.
_LABELS = re.compile(r"(?:私の|わたしの)?(?:電話番号|携帯番号|携帯電話|携帯|電話|連絡先|ご連絡先"
                     r"|メールアドレス|メアド|メール|e-?mail)(?:は|:|：|が)?", re.IGNORECASE)
# Where one part of a several-answers message ends (「山田太郎です。電話番号は…」).
_PARTS = re.compile(r"[。、,，；;!！\n/]+|\s(?:で|と)\s")
_NO_ANSWER = ("なし", "ない", "無し", "ありません", "わかりません", "分かりません", "わからない",
              "分からない", "不明", "知らない", "しらない", "スキップ", "skip")
_MIN_DETAILS, MAX_DETAILS = 2, 500


@dataclass(frozen=True)
class Contact:
    """How to reach the customer: a phone number in national format
    (「090-1234-5678」) and/or an e-mail address; either may be None."""

    phone: Optional[str] = None
    email: Optional[str] = None

    def __str__(self) -> str:
        return " / ".join(value for value in (self.phone, self.email) if value)

    def masked(self) -> str:
        """The contact as the bot shows it back (「090-＊＊＊＊-5678 / t＊＊＊@example.jp」,
        bot.intake.echo.masked_contact)."""
        return masked_contact(self.phone, self.email)


def _unwrap(text: str) -> str:
    return _TAIL.sub("", _LEAD.sub("", normalize(text))).strip()


def parse_name(text: str) -> Optional[str]:
    """A personal name in kanji, kana or Latin letters (spaces allowed), or None.

    Not a name: a question, filler, a word that mixes Latin letters with kana
    (「あsdfghjk」), or a sentence (Sudachi finds a verb written in kanji, a polite
    or wishing ending, a particle joining words, a pronoun or an interjection).
    """
    name = _unwrap(text)
    if not _NAME.match(name) or not _LETTER.search(name) or _LEAD.match(name) is not None:
        return None  # nothing left, or still a field's label (「お客様番号お客様番号」)
    if any(_JAPANESE_LETTER.search(word) and _LATIN_LETTER.search(word) for word in name.split()):
        return None
    if is_question(name) or is_filler(name) or name.lower() in _NO_ANSWER:
        return None  # 「なし」「不明」: no name given
    if _is_sentence(name) and not all(map(_reads_as_name, _at_script_change(name))):
        return None
    return name


def _at_script_change(name: str) -> list[str]:
    """A name written without a space, cut where kanji turn to kana (「翔けんた」→
    翔, けんた): Sudachi read 翔け as a verb across the two parts."""
    match = _KANJI_THEN_KANA.search(name)
    return [name[:match.start() + 1], name[match.start() + 1:]] if match and " " not in name else [name]


def _reads_as_name(part: str) -> bool:
    """A kanji part that is no sentence, or a kana part Sudachi reads as nouns
    only (「けんた」) or as one word of three kana or more (「たろう」), never
    an ending such as 「って」「せて」「ってください」."""
    if _KANJI.search(part):
        return not _is_sentence(part)
    tokens = [m for m in morphemes(part) if m.part_of_speech()[0] not in ("空白", "補助記号")]
    return all(t.part_of_speech()[0] == "名詞" for t in tokens) or (len(tokens) == 1 and len(part) >= 3)


_KANJI_THEN_KANA = re.compile(r"[\u4e00-\u9fff](?=[\u3041-\u309f\u30a0-\u30ff]{2,}$)")


def _is_sentence(text: str) -> bool:
    """Whether Sudachi's parts of speech show a sentence rather than a name.

    Kana-only names come out as odd morphemes (「たろう」 as an auxiliary), so
    only endings and particles that a sentence needs count, not every verb."""
    tokens = [m for m in morphemes(text) if m.part_of_speech()[0] not in ("空白", "補助記号")]
    for index, token in enumerate(tokens):
        pos, surface = token.part_of_speech(), token.surface()
        if pos[0] in _SENTENCE_POS or (pos[0] == "助詞" and pos[1] == "終助詞"):
            return True
        # 「待っ」「見せ」: a verb or adjective written with kanji and its ending. A
        # lone kanji that Sudachi tags so (「太」 of 太橋) is a name's character.
        if pos[0] in ("動詞", "形容詞") and _KANJI.search(surface) and _HIRAGANA_ONLY.search(surface[-1]):
            return True
        if pos[0] == "助動詞" and surface in _SENTENCE_AUXILIARIES:
            # 「やまだ」「よしだ」 read as やま + だ: a kana name, not a copula.
            if not (surface in _KANA_NAME_ENDINGS and index > 0 and _HIRAGANA_ONLY.match(tokens[index - 1].surface())):
                return True
        if pos[0] == "助詞" and surface in _JOINING_PARTICLES and 0 < index < len(tokens) - 1:
            return True
    return False


def parse_phone(text: str) -> Optional[str]:
    """The first valid Japanese phone number in `text`, in national format
    (「090-1234-5678」), whatever hyphens or spaces the customer used."""
    for match in phonenumbers.PhoneNumberMatcher(normalize(text), "JP"):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return None


# What may touch an address as typed: a label's colon, quotes, brackets and
# separators, the end of a sentence. Any other ASCII character there belongs to
# what was typed (「taro*x@example.jp」): the address is malformed, not 「x@example.jp」.
_BEFORE_ADDRESS = set(':="\'(<[,;/')
_AFTER_ADDRESS = set('.!?:"\')>],;/')


def parse_email(text: str) -> Optional[str]:
    """The first syntactically valid e-mail address in `text` (no DNS lookup),
    taken whole: never the tail of a longer word (「taro*x@example.jp」 has none)."""
    normalized = normalize(text)
    for match in EMAIL.finditer(normalized):  # candidates: validate_email decides
        before, after = normalized[match.start() - 1:match.start()], normalized[match.end():match.end() + 1]
        if _glued(before, _BEFORE_ADDRESS) or _glued(after, _AFTER_ADDRESS):
            continue
        try:
            return validate_email(match.group(0), check_deliverability=False, allow_smtputf8=False).normalized
        except EmailNotValidError:
            continue
    return None


def _glued(char: str, allowed: set[str]) -> bool:
    """Whether `char`, next to an address, is an ASCII character that belongs to it."""
    return bool(char) and char.isascii() and not char.isspace() and char not in allowed


def parse_contact(text: str) -> Optional[Contact]:
    """A phone number, an e-mail address, or both, from one answer."""
    contact = Contact(parse_phone(text), parse_email(text))
    return contact if contact.phone or contact.email else None


@dataclass(frozen=True)
class Rejected:
    """A value the customer gave that is not kept: `why` is a key of the
    wording's `rejected` (phone_invalid, phone_second, email_invalid, email_second)."""

    value: str
    why: str


@dataclass(frozen=True)
class Reading:
    """Every field one message gives (「山田太郎です。電話番号は090-1234-5678です」),
    and the values recognised but not kept, with why."""

    name: Optional[str] = None
    phone: Optional[str] = None
    email: Optional[str] = None
    customer_number: Optional[str] = None
    rejected: tuple[Rejected, ...] = ()
    # The message without the phone numbers, e-mail addresses and labelled
    # customer number found in it (where an unlabelled customer number may be).
    rest: str = ""

    @property
    def contact(self) -> Optional[Contact]:
        """The phone and e-mail read from the message, or None when it held neither."""
        return Contact(self.phone, self.email) if self.phone or self.email else None


def _emails(text: str) -> tuple[Optional[str], list[Rejected], str]:
    """The first valid address, the others said with why, and the text without any of them."""
    kept: Optional[str] = None
    rejected: list[Rejected] = []
    for typed in _AT_WORD.findall(text):
        address = parse_email(typed)
        if address is None:
            rejected.append(Rejected(typed, "email_invalid"))
        elif kept is None:
            kept = address
        elif address != kept:
            rejected.append(Rejected(address, "email_second"))
    return kept, rejected, _AT_WORD.sub(" ", text)


def _phones(text: str) -> tuple[Optional[str], list[Rejected], str]:
    """The first valid number, the others said with why (「090-0000-0000」 is no
    number in use), and the text without any of them."""
    kept: Optional[str] = None
    rejected: list[Rejected] = []
    rest = text
    for match in phonenumbers.PhoneNumberMatcher(text, "JP", leniency=phonenumbers.Leniency.POSSIBLE):
        rest = rest.replace(match.raw_string, " ")
        if not phonenumbers.is_valid_number(match.number):
            rejected.append(Rejected(match.raw_string, "phone_invalid"))
            continue
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.NATIONAL)
        if kept is None:
            kept = number
        elif number != kept:
            rejected.append(Rejected(number, "phone_second"))
    return kept, rejected, rest


def _name_in(text: str) -> Optional[str]:
    """The first part of `text` that is a name, once the values and their labels are gone."""
    for part in _PARTS.split(_LABELS.sub(" ", text)):
        name = parse_name(_DIGIT_WORD.sub(" ", part))
        if name is not None:
            return name
    return None


def read_several(text: str) -> Reading:
    """Every field in one answer: name, phone, e-mail and a labelled customer number."""
    normalized = normalize(text)
    email, bad_emails, rest = _emails(normalized)
    # Before the phones: 「お客様番号は12345678」 is a customer number, not a wrong phone.
    labelled = _LABELLED_CUSTOMER_NUMBER.search(rest)
    customer_number = labelled.group("value").upper() if labelled else None
    if labelled:
        rest = rest.replace(labelled.group(0), " ")
    phone, bad_phones, rest = _phones(rest)
    # A name is looked for among the parts only beside another value (「山田太郎です。電話番号は…」):
    # alone, the whole answer must be the name (「'; DROP TABLE …」 has no name in it).
    beside_a_value = bool(email or phone or customer_number or bad_phones or bad_emails)
    name = _name_in(rest) if beside_a_value else parse_name(rest)
    return Reading(name, phone, email, customer_number, tuple(bad_phones + bad_emails), rest.strip())


def parse_customer_number(text: str) -> Optional[str]:
    """A customer number, or NO_CUSTOMER_NUMBER when the customer has none."""
    answer = _unwrap(text)
    if any(word in answer.lower() for word in _NO_ANSWER):
        return NO_CUSTOMER_NUMBER
    match = _CUSTOMER_NUMBER.search(answer)
    return match.group(0).upper() if match else None


def parse_details(text: str) -> Optional[str]:
    """What the request is about, or None when the text says nothing: too short or
    too long, no content word, filler (「まだ？」) or a question."""
    details = normalize(text)
    if not _MIN_DETAILS <= len(details) <= MAX_DETAILS:
        return None
    if not lemmas(details) or is_filler(details) or is_question(details):
        return None
    return details


def _first_mentioned(text: str, choices: Mapping[str, Sequence[str]]) -> Optional[str]:
    """The choice whose keyword appears in `text`, the longest keyword winning
    (「法定代理人」 before 「代理人」)."""
    keywords = sorted(
        ((keyword, value) for value, words in choices.items() for keyword in words),
        key=lambda pair: -len(pair[0]),
    )
    answer = normalize(text)
    return next((value for keyword, value in keywords if keyword in answer), None)


# 「開示じゃなくて削除」「開示ではなく訂正」: the kind named first is the one not wanted.
_NOT_THIS = r"\s*(?:じゃなくて|じゃなく|ではなくて|ではなく|でなくて|でなく|じゃない|ではない)"


def parse_kind(text: str, kinds: Sequence[str], entity_values: Sequence[str] = ()) -> Optional[str]:
    """One of the request kinds of 5.(1): from the NLU entity when there is one,
    else from the kind named in the text; a kind the text says it does not want
    (「開示じゃなくて削除」) is never the one."""
    unwanted = {kind for kind in kinds if re.search(re.escape(kind) + _NOT_THIS, text)}
    for value in entity_values:
        if value in kinds and value not in unwanted:
            return value
    return _first_mentioned(text, {kind: (kind,) for kind in kinds if kind not in unwanted})


# Wishing to file (「開示を請求したい」「削除してほしい」), and words about a request filed before.
_WISH = re.compile(r"したい|して(ほし|欲し)い|してください|希望|お願い|申し?込|手続|請求(します|する)")
_EARLIER = re.compile(r"した(?!い)|しました|んだ|済み|状況|進捗|進み具合|どうなっ|まだ|届い|返事|返信|結果")


def wants_new_request(text: str, kinds: Sequence[str], entity_kinds: Sequence[str] = (),
                      intent: Optional[str] = None, confidence: float = 0.0) -> bool:
    """「開示を請求したい」「削除してほしい」「請求を申し込みたい」 while another form is
    asked: a request to file (one of `kinds`, from the text or the NLU's
    `entity_kinds`; or the request intent, `confidence` 0..1, with a wish), not an
    answer. A question, or words about one filed before (「開示を請求したのですが」
    「削除の進捗」), are not."""
    said = compact(text)
    if is_question(text) or _EARLIER.search(said):
        return False
    kind = parse_kind(text, kinds, entity_kinds)
    if kind is not None:
        return hear(text, intent, confidence, named_kind=kind).act == Act.KIND
    return intent == REQUEST_INTENT and confidence >= INTENT_CONFIDENCE and bool(_WISH.search(said))


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
