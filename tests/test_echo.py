"""Contacts shown back masked (bot/intake/echo.py): enough for the customer to recognise,
too little for whoever else sends on the conversation id to use (issue 15, item 3)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.intake import fields
from bot.intake.echo import MASK, masked_contact, masked_email, masked_phone


@pytest.mark.parametrize("phone, shown", [
    ("090-1234-5678", "090-＊＊＊＊-5678"),  # mobile
    ("03-5555-6666", "03-＊＊＊＊-6666"),  # Tokyo
    ("0428-32-1351", "0428-＊＊-1351"),  # Ome, a four-digit area code
    ("0120-123-456", "0120-＊＊＊-456"),  # toll-free: its last group has three digits
    ("050-3333-4444", "050-＊＊＊＊-4444"),  # IP phone
    ("09012345678", "090-＊＊＊＊-5678"),  # ungrouped: grouped as phonenumbers formats it
    ("+81 90 1234 5678", "090-＊＊＊＊-5678"),
])
def test_a_phone_keeps_its_first_and_last_groups(phone: str, shown: str) -> None:
    assert masked_phone(phone) == shown


@pytest.mark.parametrize("phone, shown", [
    ("内線 123456", "＊＊3456"), ("+1 650 253 0000", "＊＊＊＊＊＊0000"), ("abc", ""), ("", "")])
def test_what_is_no_phone_number_keeps_at_most_its_last_four_digits(phone: str, shown: str) -> None:
    assert masked_phone(phone) == shown


@pytest.mark.parametrize("email, shown", [
    ("hanako@example.jp", "h＊＊＊@example.jp"),
    ("t@example.jp", "＊＊＊@example.jp"),  # one character: none of it
    ("taro.yamada+tcn@mail.example.co.jp", "t＊＊＊@mail.example.co.jp"),
    ("__taro__@example.jp", "＿＊＊＊@example.jp"),  # shown as plain text, no markup
])
def test_an_email_keeps_a_first_character_and_its_domain(email: str, shown: str) -> None:
    assert masked_email(email) == shown


def test_a_contact_shows_what_it_has_masked() -> None:
    assert masked_contact("090-1234-5678", "hanako@example.jp") == "090-＊＊＊＊-5678 / h＊＊＊@example.jp"
    assert masked_contact(None, "hanako@example.jp") == "h＊＊＊@example.jp"
    assert masked_contact("090-1234-5678", None) == "090-＊＊＊＊-5678"
    assert fields.Contact("090-1234-5678", "hanako@example.jp").masked() == masked_contact(
        "090-1234-5678", "hanako@example.jp")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["090", "080", "070", "03", "06", "0428", "0120"]),
       st.text(alphabet="0123456789", min_size=6, max_size=8))
def test_no_valid_number_comes_back_whole(prefix: str, rest: str) -> None:
    """Of any number the intake form would store, only the first and last groups show."""
    number = phonenumbers.parse(prefix + rest, "JP")
    assume(phonenumbers.is_valid_number(number))
    stored = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    first, *middle, last = stored.split("-")
    assert middle and masked_phone(stored) == "-".join([first, *(MASK * len(g) for g in middle), last])
