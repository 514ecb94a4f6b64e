"""Notices when a custom action could not run while a message was processed.

When the action server is down or fails, Rasa's processor logs the exception,
drops the action's events and goes on, so the customer would get silence. Rasa
offers no hook there, so the record it logs is the signal: a handler on its
logger notes the failure in the context of the message being handled, and the
channel then apologizes (bot/channels/guard.py). The events that were dropped
are the failed action's only: the form stays where it was, and the customer's
next message is validated as if the failed one had not been sent.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, List, Optional

# Rasa 3.6, rasa/core/processor.py, MessageProcessor._run_action.
PROCESSOR_LOGGER = "rasa.core.processor"
FAILURE_MESSAGE = "Encountered an exception while running action"

_failures: ContextVar[Optional[List[str]]] = ContextVar("action_failures", default=None)


class _FailureRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        failures = _failures.get()
        if failures is not None and str(record.msg).startswith(FAILURE_MESSAGE):
            failures.append(record.getMessage())


_RECORDER = _FailureRecorder()


def install() -> None:
    """Idempotent: bot.rasa_extensions.install() calls it when Rasa builds the
    tracker store, before any message (the check there verifies Rasa still logs
    FAILURE_MESSAGE from its processor)."""
    logger = logging.getLogger(PROCESSOR_LOGGER)
    if _RECORDER not in logger.handlers:
        logger.addHandler(_RECORDER)


@contextmanager
def recording() -> Iterator[List[str]]:
    """The failures logged while the block runs, in this task only (a context
    variable: other conversations handled at the same time are not mixed in)."""
    failures: List[str] = []
    token = _failures.set(failures)
    try:
        yield failures
    finally:
        _failures.reset(token)
