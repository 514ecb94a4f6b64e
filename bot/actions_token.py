"""The secret Rasa shows the action server (bot/actions_server.py): where it comes from.

Kept apart from the action server, which imports rasa-sdk and Sanic, so that the
launchers (bot/tools/run.py, bot/tools/production.py) and the benchmark read the
secret without importing them. docs/privacy.md says where it lives and how to rotate it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Mapping

from bot.dialogue.endpoints import TOKEN_VARIABLE
from bot.secretfile import create_once

DEFAULT_TOKEN_FILE = Path(__file__).resolve().parents[1] / "var" / "actions_token"
# secrets.token_urlsafe(32) is 43 characters; anything much shorter could be guessed.
MIN_TOKEN_LENGTH = 32


class ActionsTokenError(RuntimeError):
    """No usable secret; the message says what to do and never quotes the secret."""


def check_token(token: str, source: str) -> str:
    """`token` stripped, or ActionsTokenError when it is too short to be a secret."""
    token = token.strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise ActionsTokenError(f"{source} is shorter than {MIN_TOKEN_LENGTH} characters; make one "
                                "with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
    return token


def prepare_local_token(environ: Mapping[str, str] = os.environ,
                        path: Path = DEFAULT_TOKEN_FILE, variable: str = TOKEN_VARIABLE) -> str:
    """The secret for this machine's Rasa and action servers: the environment's `variable`
    (TCN_ACTIONS_TOKEN), or else the file `path` (mode 0600), made once with a new random
    secret. The key of Rasa's HTTP API (bot/live_chat/rasa_api.py) is kept the same way.

    Raises ActionsTokenError when the configured secret is too short."""
    if environ.get(variable, "").strip():
        return check_token(environ[variable], variable)
    create_once(path, lambda: secrets.token_urlsafe(32))
    return check_token(path.read_text(encoding="ascii"), str(path))
