"""The `data` of a row of Rasa's `events` table, sealed (docs/privacy.md, 会話履歴の暗号化).

Rasa's SQL tracker store writes one row per event, and the row's `data` is the whole
event as JSON (`Event.as_dict()`): what the customer typed (names, phone numbers,
e-mail addresses, request details), the slots holding them, and what the bot said.
The project's tracker store (bot.dialogue.tracker_store) writes it as a Fernet token
of that JSON instead, with the keys that encrypt tickets (bot.cases.keyring: same
rotation), and everything that reads rows (the store itself, bot.tracker_events)
opens it here.

Two more rules, for what is stored:

- The verification code of a receipt (「確認コード：123456」 in the bot's message) is
  replaced by RECEIPT_CODE_MASK before sealing: the case database keeps only its hash,
  so the conversation must not keep it either, even encrypted. The customer saw it
  when it was sent; no part of the bot reads it back.
- Rows written before sealing existed are JSON text (they start with "{"): read as
  they are, and sealed by `python -m bot.cases.keys rotate` (TrackerEvents.seal_all).
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from bot.cases.encryption import decrypt, encrypt

# 「確認コード：123456」 as data/policy/intake.yml words a receipt; group 1 is kept.
RECEIPT_CODE = re.compile(r"(確認コード[：:]\s*)\d{6}(?!\d)")
RECEIPT_CODE_MASK = "（お客様の画面にのみ表示）"


def without_receipt_code(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a serialised event (`Event.as_dict()`) whose bot text (type "bot")
    no longer holds a receipt's verification code; other events are copied as they are."""
    copy = dict(data)
    text = copy.get("text")
    if copy.get("event") == "bot" and isinstance(text, str):
        copy["text"] = RECEIPT_CODE.sub(lambda match: match.group(1) + RECEIPT_CODE_MASK, text)
    return copy


def seal(data: Mapping[str, Any]) -> str:
    """The row text of a serialised event: a Fernet token (ASCII) of its JSON, the
    receipt's code masked first. Raises bot.cases.keyring.DataKeyError without a key."""
    return encrypt(json.dumps(without_receipt_code(data)))


def is_sealed(text: str) -> bool:
    """Whether a row's text is a token (not the JSON of a row written before sealing)."""
    return not text.lstrip().startswith("{")


def unseal(text: str | None) -> dict[str, Any]:
    """The serialised event a row's text holds (sealed or not; {} for an empty row).
    Raises DataKeyError when no configured key opens it."""
    if not text:
        return {}
    return json.loads(decrypt(text) if is_sealed(text) else text)
