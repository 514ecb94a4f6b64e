"""The patterns of personal data (bot/personal_data.py): one copy, used by log masking,
review masking, the intake's parsers and the console's transcript."""

from __future__ import annotations

import pytest

from bot import logging_privacy, personal_data
from bot.tools import masking


def test_the_nlu_finds_e_mail_addresses_with_the_same_pattern() -> None:
    """Rasa reads its regexes from data/nlu/regexes.yml only: that copy stays equal."""
    assert personal_data.nlu_regexes()["email"].pattern == personal_data.EMAIL.pattern


def test_log_and_review_masking_use_the_shared_patterns() -> None:
    logged = [pattern for pattern, _ in logging_privacy._PATTERNS]
    reviewed = [pattern for pattern, _ in masking.patterns()]
    for pattern in (personal_data.EMAIL, personal_data.CODE):
        assert pattern in logged and pattern in reviewed


@pytest.mark.parametrize(("text", "codes"), [
    ("確認コードは482913です", ["482913"]),
    ("確認コードは４８２９１３です", ["４８２９１３"]),  # full width, as the transcript sees it
    ("お客様番号 1234567、電話 0428321351", []),  # part of a longer number
    ("PR-20261128-ABC234", []),  # the eight digits of a reference
])
def test_a_code_is_six_digits_on_their_own(text: str, codes: list[str]) -> None:
    assert personal_data.CODE.findall(text) == codes


def test_a_code_as_typed_may_be_split_in_two() -> None:
    for typed in ("968851", "968 851", "968-851"):
        found = personal_data.CODE_AS_TYPED.search(f"コードは{typed}です")
        assert found and found.groups() == ("968", "851")
