"""The intake form's answer parsers, with generated input in every width and style."""

from __future__ import annotations

import jaconv
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.cases.models import ID_PRESENTATIONS, KINDS, REQUESTERS
from bot.intake import fields
from bot.intake.hearing import Act, asks_for_contact_details, declines_human, hear, is_question, wants_human
from bot.intake.status import parse_code, parse_reference

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=1)
# The separators customers type between the groups of a phone number.
SEPARATORS = st.sampled_from(["-", " ", "", "－", "ー", "−", "‐", "　"])


def _maybe_full_width(draw: st.DrawFn, text: str) -> str:
    return jaconv.h2z(text, kana=False, ascii=True, digit=True) if draw(st.booleans()) else text


@st.composite
def mobile_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(what the customer types, the canonical form) for a mobile number."""
    prefix = draw(st.sampled_from(["070", "080", "090"]))
    middle = draw(st.text(alphabet="0123456789", min_size=4, max_size=4).filter(lambda s: s[0] != "0"))
    last = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    first_sep, second_sep = draw(SEPARATORS), draw(SEPARATORS)
    typed = _maybe_full_width(draw, f"{prefix}{first_sep}{middle}{second_sep}{last}")
    framing = draw(st.sampled_from(["{}", "電話は{}です", "{} です", "携帯：{}"]))
    return framing.format(typed), f"{prefix}-{middle}-{last}"


@given(mobile_numbers())
@settings(max_examples=200, deadline=None)
def test_mobile_numbers_in_any_style(case: tuple[str, str]) -> None:
    typed, canonical = case
    assert fields.parse_phone(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("0428-32-1351", "0428-32-1351"),
        ("０４２８（３２）１３５１", "0428-32-1351"),
        ("03 1234 5678", "03-1234-5678"),
        ("0312345678", "03-1234-5678"),
        ("+81 90 1234 5678", "090-1234-5678"),
        ("0120-123-456", "0120-123-456"),
    ],
)
def test_landline_and_international_formats(typed: str, canonical: str) -> None:
    assert fields.parse_phone(typed) == canonical


@pytest.mark.parametrize("typed", ["12345", "090-1234", "0000-00-0000", "電話はありません", ""])
def test_not_a_phone_number(typed: str) -> None:
    assert fields.parse_phone(typed) is None


LOCAL = st.from_regex(r"[a-z0-9]([a-z0-9_+-]|\.(?=[a-z0-9])){0,15}", fullmatch=True)
DOMAIN = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,8})?\.(jp|com|net|co\.jp)", fullmatch=True)


@given(LOCAL, DOMAIN, st.booleans(), st.sampled_from(["{}", "メールは{}です", "{} にお願いします"]))
@settings(max_examples=200, deadline=None)
def test_email_in_any_width(local: str, domain: str, full_width: bool, framing: str) -> None:
    address = f"{local}@{domain}"
    typed = jaconv.h2z(address, kana=False, ascii=True, digit=True) if full_width else address
    assert fields.parse_email(framing.format(typed)) == address


@pytest.mark.parametrize("typed", ["taro@", "@example.com", "taro@example", "taro＠", "たろう@例.jp"])
def test_not_an_email(typed: str) -> None:
    assert fields.parse_email(typed) is None


def test_contact_with_both() -> None:
    contact = fields.parse_contact("０９０－１２３４－５６７８、ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐです")
    assert contact == fields.Contact("090-1234-5678", "taro@example.jp")


KANJI_CHARS = "山田太郎花子佐藤鈴木高橋渡辺伊藤一二三美咲翔"
KANJI = st.text(alphabet=KANJI_CHARS, min_size=1, max_size=4)
# Names written in kana (random kana strings are no names: Sudachi reads verbs and endings in them).
KANA_FAMILY = ["やまだ", "たなか", "さとう", "すずき", "たかはし", "わたなべ", "タナカ", "サトウ"]
KANA_GIVEN = ["たろう", "はなこ", "さくら", "いちろう", "じろう", "ゆうこ", "けんた", "しょうた", "あやか", "みさき",
              "ひろし", "たかし", "まさる", "つよし", "かおる", "ハナコ"]
KANA_NAMES = KANA_FAMILY + KANA_GIVEN
# Romanised names as people write them (random Latin words include 「Yo」「Oh」, which are no names).
LATIN = st.sampled_from(["Taro", "Hanako", "Yamada", "Sato", "Suzuki", "Tanaka", "Ichiro", "Kenta", "Misaki",
                         "Takahashi", "Watanabe", "Maria", "John", "Smith", "Nguyen", "Garcia"])


@given(st.one_of(KANJI, st.sampled_from(KANA_FAMILY), LATIN), st.one_of(KANJI, st.sampled_from(KANA_GIVEN), LATIN),
       st.sampled_from([" ", "　", ""]), st.sampled_from(["{}", "{}です", "{}と申します", "名前は{}です"]))
@settings(max_examples=200, deadline=None)
def test_names_in_kanji_kana_and_latin(family: str, given_name: str, space: str, framing: str) -> None:
    # A word mixing Latin letters with Japanese ones is no name (「あsdfghjk」); written
    # together, a kana family name before a kanji given name is no name people write.
    # A romanised name is written wholly in Latin letters.
    assume(family.isascii() == given_name.isascii())
    assume(space or not (family in KANA_NAMES and given_name[0] in KANJI_CHARS))
    name = f"{family}{space}{given_name}"
    expected = f"{family}{' ' if space else ''}{given_name}"
    assert fields.parse_name(framing.format(name)) == expected


@pytest.mark.parametrize("typed", ["翔けんた", "山田たろう", "佐藤はなこ"])
def test_kanji_and_kana_names_without_a_space(typed: str) -> None:
    # Sudachi reads 翔け as a verb; cut at the script change, both parts are names
    assert fields.parse_name(typed) == typed


@pytest.mark.parametrize("typed", ["待って", "見せて", "止めてください", "考えさせて"])
def test_a_kanji_verb_with_its_ending_is_no_name(typed: str) -> None:
    assert fields.parse_name(typed) is None


@pytest.mark.parametrize("typed", ["ﾀﾅｶ ｲﾁﾛｳ", "タナカ イチロウ"])
def test_half_width_katakana_names_are_folded(typed: str) -> None:
    assert fields.parse_name(typed) == "タナカ イチロウ"


@pytest.mark.parametrize("typed", ["12345", "山田123", "手数料はいくらですか？", "<script>", "", "。"])
def test_not_a_name(typed: str) -> None:
    assert fields.parse_name(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("なし", fields.NO_CUSTOMER_NUMBER), ("わかりません", fields.NO_CUSTOMER_NUMBER),
     ("お客様番号は１２３４５６７８です", "12345678"), ("顧客番号 a-00123", "A-00123"), ("？", None)],
)
def test_customer_number(typed: str, expected: str | None) -> None:
    assert fields.parse_customer_number(typed) == expected




@pytest.mark.parametrize(
    ("typed", "entities", "expected"),
    [("訂正", [], "訂正"), ("第三者提供の停止をお願いします", [], "第三者提供の停止"),
     ("利用停止です", [], "利用停止"), ("かいじ", ["開示"], "開示"), ("よくわからない", [], None)],
)
def test_kind(typed: str, entities: list[str], expected: str | None) -> None:
    assert fields.parse_kind(typed, KINDS, entities) == expected


@pytest.mark.parametrize(
    ("typed", "entities", "expected"),
    [("本人です", [], "本人"), ("自分です", [], "本人"), ("任意代理人です", [], "任意代理人"),
     ("母の代理です", [], "任意代理人"), ("法定代理人です", [], "法定代理人"), ("親権者です", [], "法定代理人"),
     ("娘です", ["代理人"], "任意代理人"), ("はい", [], None)],
)
def test_requester(typed: str, entities: list[str], expected: str | None) -> None:
    assert fields.parse_requester(typed, entities) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("窓口で提示します", "窓口で提示"), ("まどぐちでみせます", "窓口で提示"),
     ("郵送でコピーを提出します", "郵送でコピー提出"), ("コピーを送ります", "郵送でコピー提出"), ("はい", None)],
)
def test_presentation(typed: str, expected: str | None) -> None:
    assert fields.parse_presentation(typed) == expected


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_every_parser_returns_none_or_a_value_of_its_field(text: str) -> None:
    """Any text: no crash, and what comes back is None or a value the field allows,
    which reads back as itself."""
    name = fields.parse_name(text)
    assert name is None or fields.parse_name(name) == name
    contact = fields.parse_contact(text)
    assert contact is None or isinstance(contact, fields.Contact) and (contact.phone or contact.email)
    number = fields.parse_customer_number(text)
    assert number is None or number == fields.NO_CUSTOMER_NUMBER or fields.parse_customer_number(number) == number
    details = fields.parse_details(text)
    assert details is None or 0 < len(details) <= fields.MAX_DETAILS
    assert fields.parse_kind(text, KINDS) in (None, *KINDS)
    assert fields.parse_requester(text) in (None, *REQUESTERS)
    assert fields.parse_presentation(text) in (None, *ID_PRESENTATIONS)


@pytest.mark.parametrize(
    ("typed", "reference"),
    [("ＰＲ－２０２６１１２８－ａｂｃ２３４の状況を教えて", "PR-20261128-ABC234"),
     ("受付番号はpr-20261128-xyz789です", "PR-20261128-XYZ789"),
     ("PR−20261128−ABC234", "PR-20261128-ABC234"),
     ("PR-20261128-ABC2345", None), ("PR-2026112-ABC234", None), ("状況を知りたい", None)],
)
def test_reference_anywhere_in_a_message(typed: str, reference: str | None) -> None:
    assert parse_reference(typed, []) == reference


@pytest.mark.parametrize(
    ("typed", "code"),
    [("１２３４５６", "123456"), ("確認コードは 012345 です", "012345"),
     ("PR-20261128-ABC234 654321", "654321"), ("12345", None), ("1234567", None)],
)
def test_verification_code(typed: str, code: str | None) -> None:
    assert parse_code(typed) == code


@pytest.mark.parametrize(("text", "wanted"), [
    ("担当者と話したい", True), ("人間に代わってください", True),
    ("担当者じゃなくて削除の申し込みをしたい", False), ("オペレーターはいいです、自分でやります", False),
    ("人と話すのは結構です", False),
])
def test_a_person_declined_is_not_a_person_asked_for(text: str, wanted: bool) -> None:
    assert wants_human(text) is wanted and declines_human(text) is not wanted


@pytest.mark.parametrize(("text", "question"), [
    ("電話番号を使う理由を教えてください。", True), ("教えていただけますか", True), ("利用目的を知りたいです", True),
    ("メールアドレスを教えておきます", False), ("住所を教えます", False),
])
def test_asking_to_be_told_is_a_question(text: str, question: bool) -> None:
    assert is_question(text) is question


@pytest.mark.parametrize("text", ["やっぱりいいです", "もう大丈夫です", "取次ぎをやめます", "待つのやめます",
                                  "呼ばなくていいです", "やっぱり結構です"])
def test_never_mind_in_any_wording_is_a_cancel(text: str) -> None:
    assert hear(text).act == Act.CANCEL


@pytest.mark.parametrize("text", ["いいです", "確認いいです", "大丈夫です", "このままでいいです"])
def test_a_bare_fine_is_no_cancel(text: str) -> None:
    assert hear(text).act != Act.CANCEL


@pytest.mark.parametrize(("text", "asked"), [
    ("担当者と電話で話したいので、電話番号を教えてください", True), ("連絡先を知りたいです", True),
    ("オペレーターと話したいので番号おしえて", True), ("担当者と話したい", False), ("番号はわかりません", False),
])
def test_the_contact_points_details_asked_for(text: str, asked: bool) -> None:
    assert asks_for_contact_details(text) is asked
