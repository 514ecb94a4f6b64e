"""Bounded fuzzing with hypothesis: the normalizer, the intake form's validators and the
REST channel of the running bot (random bodies and texts: never a 5xx, and the bot still
answers afterwards)."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cases.models import ID_PRESENTATIONS, KINDS, REQUESTERS
from bot.intake import fields
from bot.text import normalize
from tests.channel_client import post, post_json
from tests.conftest import RunningBot
from tests.intake_chat import new_sender

# Japanese, full-width forms, emoji, controls, surrogates, unassigned code points: everything.
TEXT = st.text(st.characters(exclude_categories=()), max_size=400)
LIMITED = settings(max_examples=40, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow])


@given(TEXT)
@settings(max_examples=1000, deadline=None)
def test_normalize_is_idempotent_and_leaves_no_invisible_characters(text: str) -> None:
    normal = normalize(text)
    assert normalize(normal) == normal
    assert all(unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"} for char in normal)
    assert all(not char.isspace() or char == " " for char in normal)
    assert normal == normal.strip() and "  " not in normal


@given(TEXT)
@settings(max_examples=500, deadline=None)
def test_the_validators_never_raise_and_return_clean_values(text: str) -> None:
    name = fields.parse_name(text)
    assert name is None or (0 < len(name) <= 50 and name == name.strip())
    phone = fields.parse_phone(text)
    assert phone is None or (phone.startswith("0") and set(phone) <= set("0123456789-"))
    email = fields.parse_email(text)
    assert email is None or ("@" in email and email.isascii())
    contact = fields.parse_contact(text)
    assert contact is None or (contact.phone, contact.email) == (phone, email)
    number = fields.parse_customer_number(text)
    assert number in (None, fields.NO_CUSTOMER_NUMBER) or (number.isascii() and number == number.upper())
    details = fields.parse_details(text)
    assert details is None or len(details) <= fields.MAX_DETAILS
    assert fields.parse_kind(text, KINDS) in (None, *KINDS)
    assert fields.parse_requester(text) in (None, *REQUESTERS)
    assert fields.parse_presentation(text) in (None, *ID_PRESENTATIONS)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries({"sender": st.sampled_from(["", "x", "a b", 3, None]), "message": JSON})
    .map(lambda value: json.dumps(value).encode()),
)


@given(BODIES)
@LIMITED
def test_random_bodies_never_get_a_server_error(running_bot: RunningBot, body: bytes) -> None:
    status, reply = post(running_bot, body)
    assert status < 500, (status, reply)


@given(TEXT)
@LIMITED
def test_random_texts_never_get_a_server_error(running_bot: RunningBot, text: str) -> None:
    status, reply = post_json(running_bot, {"sender": new_sender(), "message": text})
    assert status == 200 and isinstance(reply, list), (status, reply)


def test_the_bot_answers_normally_after_the_fuzzing(running_bot: RunningBot) -> None:
    assert "運転免許証" in running_bot.reply_text(new_sender(), "本人確認書類は何が必要ですか")
