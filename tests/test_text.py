"""Normalization of Japanese input (bot.text)."""

import pytest

from bot.text import normalize, normalize_span


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＰＲ－２０２６１１２８－ＡＢＣ２３４", "PR-20261128-ABC234"),  # full-width ASCII and digits
        ("ｶｲｼﾞ請求", "カイジ請求"),  # half-width katakana, dakuten joined
        ("ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ", "test@example.com"),  # full-width ＠
        ("　開示\u3000 の\t方法\n ", "開示 の 方法"),  # ideographic spaces, runs of whitespace
        ("か\u3099いじ", "がいじ"),  # a separately typed dakuten is composed
        ("開示\u200bの\x07方法", "開示の方法"),  # zero-width and control characters dropped
        ("⑤の手続き", "⑤の手続き"),  # circled numbers point at policy items: kept
        ("本人確認書類は何が必要ですか", "本人確認書類は何が必要ですか"),  # already normal
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_is_idempotent() -> None:
    text = "ＰＲ－２０２６　ｶﾞｰﾄﾞ　口座番号"
    assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize(
    ("raw", "entity"),
    [
        ("　ｶﾞｰﾄﾞの　口座番号は？", "口座番号"),
        ("ＰＲ－２０２６１１２８－ＡＢＣ２３４  の状況", "ＰＲ－２０２６１１２８－ＡＢＣ２３４"),
        ("ﾊﾟｽﾎﾟｰﾄで本人確認", "ﾊﾟｽﾎﾟｰﾄ"),
    ],
)
def test_entity_span_follows_normalization(raw: str, entity: str) -> None:
    start = raw.index(entity)
    new_start, new_end = normalize_span(raw, start, start + len(entity))
    assert normalize(raw)[new_start:new_end] == normalize(entity)
