"""The recorder of failed custom actions (bot/channels/action_failures.py), fed by
the logger and message Rasa's processor uses; end to end in tests/test_production.py."""

from __future__ import annotations

import asyncio
import logging

from bot.channels import action_failures

PROCESSOR = logging.getLogger(action_failures.PROCESSOR_LOGGER)


def _log_failure(action: str) -> None:
    try:
        raise ConnectionError("action server unreachable")
    except ConnectionError:
        # As rasa/core/processor.py logs it.
        PROCESSOR.exception(f"Encountered an exception while running action '{action}'."
                            "Bot will continue, but the actions events are lost.")


def test_failures_are_recorded_only_inside_the_block() -> None:
    action_failures.install()
    action_failures.install()  # twice: still one handler
    assert PROCESSOR.handlers.count(action_failures._RECORDER) == 1
    _log_failure("outside")
    with action_failures.recording() as failures:
        PROCESSOR.error("Some other error")
        _log_failure("request_privacy_action_form")
    assert len(failures) == 1 and "request_privacy_action_form" in failures[0]


def test_conversations_handled_at_the_same_time_do_not_mix() -> None:
    action_failures.install()

    async def handle(fails: bool) -> list[str]:
        with action_failures.recording() as failures:
            await asyncio.sleep(0.01)
            if fails:
                _log_failure("action_ask_name")
            await asyncio.sleep(0.01)
        return failures

    async def both() -> list[list[str]]:
        return list(await asyncio.gather(handle(True), handle(False)))

    failing, fine = asyncio.run(both())
    assert len(failing) == 1 and fine == []
