"""No personal data in any log line, at any level (docs/privacy.md).

`install()` masks everything a process logs, once, before any handler sees it:

- Rasa logs user text, slot values and events at DEBUG through structlog, as
  keyword arguments. A structlog processor masks them by key: the text of
  messages as a whole, slot values by slot name (except the few listed in
  SHOWN_SLOTS, which hold only fixed choices), and the values inside event
  reprs such as `SlotSet(key: intake_name, value: …)`. A name can only be
  found this way: no pattern tells it apart from other words.
- Every stdlib log record (Rasa, rasa-sdk, Sanic, Werkzeug, and structlog's
  rendered lines) passes a record factory that masks what patterns can find
  (bot/personal_data.py): e-mail addresses, phone numbers, 6-digit verification
  codes and the code part of PR- references, also when typed in full-width characters.

Each process installs it from code it always runs: the input channels of
credentials.yml (Rasa server), the `actions` package (action server) and
`configure()` (chat page and staff console).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Any, Callable, MutableMapping

import structlog

from bot import personal_data

LOG_LEVELS = ("DEBUG", "INFO", "WARNING")
MASK = "[masked]"
# Slots whose values are fixed choices or counters, shown to help debugging;
# every other slot (name, contact, customer number, details, codes…) is masked.
SHOWN_SLOTS = frozenset({
    "requested_slot", "request_kind", "intake_kind", "intake_requester", "intake_consent",
    "intake_presentation", "intake_fix_field", "intake_confirmed", "intake_failures",
    "intake_correcting", "intake_outcome", "handoff_confirm", "handoff_reason",
    "handoff_outcome", "handoff_active", "status_outcome",
})
# structlog keys of Rasa 3.6 whose values are what a customer or the bot said
# (rasa/utils/log_utils.py lists them for Rasa Pro's anonymizer), an entity's
# value, and the local variables structlog adds to tracebacks.
TEXT_KEYS = frozenset({
    "text", "response_text", "user_text", "parse_data_text", "message", "response",
    "user_message", "json_message", "token_text", "tracker_latest_message",
    "current_entity", "next_entity", "successes", "value", "locals",
})
SLOT_KEYS = frozenset({"slot_values", "slot_candidates", "prefilled_slots"})

# Full-width ASCII and the dashes a Japanese keyboard gives, folded one character
# for one (positions hold), so that the patterns also find 「０９０－１２３４－５６７８」.
_FOLD = {**{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)},
         0x3000: " ", 0x30FC: "-", 0xFF70: "-", 0x2212: "-", **{c: "-" for c in range(0x2010, 0x2016)}}
# The patterns (bot/personal_data.py) in the order they are applied, and what replaces a match.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (personal_data.EMAIL, "[email]"),
    (personal_data.REFERENCE_CODE_PART, r"\1******"),
    (personal_data.PHONE, "[phone]"),
    (personal_data.CODE, "[code]"),
]
# Values inside the reprs of Rasa's events and in the policies' state dumps.
_SLOT_SET = re.compile(r"SlotSet\(key: (\w+), value: (.*)\)", re.DOTALL)
_UTTERED = re.compile(r"(BotUttered|UserUttered)\(.*\)", re.DOTALL)
_USER_TEXT = re.compile(r"(user text: ).*?(?= \| |\n|$)")
_SLOT_LINE = re.compile(r"^(\s*)(\w+): (.*)$", re.MULTILINE)


def mask_text(text: str) -> str:
    """`text` with what the patterns find replaced; they search a folded copy, and
    the rest of the text stays as it was."""
    folded = text.translate(_FOLD)
    for pattern, replacement in _PATTERNS:
        kept, kept_folded, end = [], [], 0
        for match in pattern.finditer(folded):
            masked_part = match.expand(replacement)
            kept += [text[end:match.start()], masked_part]
            kept_folded += [folded[end:match.start()], masked_part]
            end = match.end()
        text, folded = "".join(kept) + text[end:], "".join(kept_folded) + folded[end:]
    return text


def _slot_value(name: str, value: Any) -> Any:
    return value if name in SHOWN_SLOTS or value in (None, "None") else MASK


def _masked_string(text: str) -> str:
    slot_set = _SLOT_SET.fullmatch(text)
    if slot_set:
        text = f"SlotSet(key: {slot_set[1]}, value: {_slot_value(slot_set[1], slot_set[2])})"
    elif _UTTERED.fullmatch(text):
        text = _UTTERED.sub(rf"\1({MASK})", text)
    return mask_text(_USER_TEXT.sub(rf"\1{MASK}", text))


def _masked_slots(slots: Any) -> Any:
    if isinstance(slots, dict):
        return {name: _slot_value(name, value) for name, value in slots.items()}
    # Rasa's listing: "\tname: value" per line.
    return _SLOT_LINE.sub(lambda m: f"{m[1]}{m[2]}: {_slot_value(m[2], m[3])}", str(slots))


def masked(key: str | None, value: Any) -> Any:
    """`value` (logged under `key`) with personal data masked, at any depth."""
    if key in TEXT_KEYS:
        return MASK if value else value
    if key in SLOT_KEYS:
        return _masked_slots(value)
    if isinstance(value, dict):
        return {k: masked(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [masked(None, item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    # Strings, and objects (events, trackers) as their repr would show them.
    return _masked_string(value if isinstance(value, str) else repr(value))


def mask_event_dict(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor; placed just before the renderer."""
    if event_dict.get("exc_info"):
        # A console renderer would print the traceback itself, unmasked.
        event_dict = structlog.processors.format_exc_info(None, "", event_dict)
    return {key: masked(key, value) for key, value in event_dict.items()}


def _masking_record_factory(base: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging would print msg and args as they are
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = mask_text(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return record

    factory.masks_personal_data = True  # type: ignore[attr-defined]
    return factory


def install() -> None:
    """Mask personal data in everything this process logs from now on (idempotent)."""
    base = logging.getLogRecordFactory()
    if not getattr(base, "masks_personal_data", False):
        logging.setLogRecordFactory(_masking_record_factory(base))
    # Warnings go through logging, so they are masked too.
    logging.captureWarnings(True)
    # In place: loggers Rasa already bound keep this very list.
    processors = structlog.get_config()["processors"]
    if mask_event_dict not in processors:
        processors.insert(max(len(processors) - 1, 0), mask_event_dict)
    # Their INFO and DEBUG lines are raw socket.io packets, the customer's words included.
    for name in ("engineio.server", "socketio.server"):
        library = logging.getLogger(name)
        library.setLevel(max(library.getEffectiveLevel(), logging.WARNING))


def configure(level: str) -> None:
    """Logging of the chat page and the staff console: `level` to stderr, masked."""
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-8s %(name)s - %(message)s")
    install()
