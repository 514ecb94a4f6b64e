"""The keys that encrypt personal data of tickets at rest (docs/privacy.md).

TCN_DATA_KEYS holds comma-separated Fernet keys: the first encrypts, every one decrypts,
so a new key goes in front and an old one leaves after `python -m bot.cases.keys rotate`.
Without it, the key file (TCN_DATA_KEY_FILE, default var/data_key, same format) is used;
`make run` creates that file on a machine that has no key yet.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, TextIO

from cryptography.fernet import Fernet, MultiFernet

from bot.cases.db import ROOT
from bot.secretfile import create_once

KEYS_VARIABLE = "TCN_DATA_KEYS"
FILE_VARIABLE = "TCN_DATA_KEY_FILE"
DEFAULT_KEY_FILE = ROOT / "var" / "data_key"


class DataKeyError(RuntimeError):
    """No usable key, or stored data the keys cannot decrypt; the message says what to do
    and never quotes a key or a stored value."""


@dataclass(frozen=True)
class Keyring:
    fernet: MultiFernet
    # Where the keys came from, for error messages: the variable's name or the file's path.
    source: str
    size: int
    # The keys themselves, first first, for the blind indexes' own keys (bot.cases.blind_index).
    keys: tuple[str, ...] = field(default=(), repr=False)


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def key_file(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get(FILE_VARIABLE) or DEFAULT_KEY_FILE)


@lru_cache(maxsize=8)
def parse_keys(text: str, source: str) -> Keyring:
    keys = [part.strip() for part in text.split(",") if part.strip()]
    if not keys:
        raise DataKeyError(f"{source} holds no key")
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise DataKeyError(
                f"key {number} of {source} is not a Fernet key (32 url-safe base64-encoded "
                "bytes); make one with `python -m bot.cases.keys generate`") from None
    return Keyring(MultiFernet(fernets), source, len(fernets), tuple(keys))


def keyring(environ: Mapping[str, str] = os.environ) -> Keyring:
    """The configured keys; read on every call (the file is tiny), parsed once per text."""
    text = environ.get(KEYS_VARIABLE, "").strip()
    if text:
        return parse_keys(text, KEYS_VARIABLE)
    path = key_file(environ)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise DataKeyError(f"no data key: set {KEYS_VARIABLE}, or run `make run` once, which "
                           f"creates {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not a key file"
        raise DataKeyError(f"the data key file {path} cannot be read ({reason})") from None
    return parse_keys(text, str(path))


_NEW_KEY_NOTICE = """\
!!! ------------------------------------------------------------------------------
!!! NEW DATA KEY: {variable} is not set, so a new key was written to
!!!   {path} (readable by its owner only).
!!! Names and contact details of tickets are encrypted with it: back it up apart
!!! from the database. Without it they cannot be read. In production set
!!! {variable} instead (docs/privacy.md).
!!! ------------------------------------------------------------------------------"""


def prepare_local_key(environ: Mapping[str, str] = os.environ, log: TextIO = sys.stderr) -> Keyring:
    """For `make run`: without TCN_DATA_KEYS, make the key file once (saying so loudly);
    then the keys, or DataKeyError so that nothing starts on keys that cannot be used."""
    if not environ.get(KEYS_VARIABLE, "").strip():
        path = key_file(environ)
        if create_once(path, new_key):
            print(_NEW_KEY_NOTICE.format(variable=KEYS_VARIABLE, path=path), file=log, flush=True)
    return keyring(environ)
