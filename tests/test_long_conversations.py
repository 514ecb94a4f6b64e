"""What keeps long conversations as fast as short ones decides exactly what Rasa
decides, at every step of real conversations with the running bot (questions, a
whole request, a status lookup, misunderstood messages, a cancelled form and a
handoff): the rule policy that builds only the states its rules can see
(bot/dialogue/rule_policy.py) and the tracker that folds and copies incrementally
(bot/dialogue/tracker.py)."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.dialogue.rule_policy import WindowedRulePolicy, recent_states
from bot.dialogue.tracker import IncrementalTracker
from bot.dialogue.tracker_store import TunedSQLTrackerStore
from tests.agent_parts import rule_policy, use_rasas_rule_states
from tests.conftest import ROOT, RunningBot
from tests.intake_chat import NOT_UNDERSTOOD, answer_until_summary, confirm


class Click(str):
    """The title of a button of the bot's latest reply, clicked (its payload is sent)."""


QUESTIONS = ["個人情報の利用目的を教えてください", "第三者に提供することはありますか"]
MIXED = ["こんにちは", Click("請求を申し込む"), "訂正", "やめます", "ほげほげ", NOT_UNDERSTOOD, Click("いいえ"),
         "問い合わせ窓口はどこですか", "担当者と話したい", "はい", "ありがとう"]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def recorded(running_bot: RunningBot) -> Iterator[dict[str, list[Event]]]:
    """The events of two real conversations, as Rasa's own store reads them."""
    for question in QUESTIONS:
        running_bot.say("long-request", question)
    answer_until_summary(running_bot, "long-request", "開示")
    receipt = confirm(running_bot, "long-request")
    assert receipt, "no receipt"
    assert "受付番号" in running_bot.reply_text("long-request", "受付状況を確認したいです")
    assert "確認コード" in running_bot.reply_text("long-request", receipt.reference)
    assert "受付" in running_bot.reply_text("long-request", receipt.code)
    for said in MIXED:
        if isinstance(said, Click):
            running_bot.click("long-mixed", said)
        else:
            running_bot.say("long-mixed", said)
    store = TunedSQLTrackerStore(domain=DOMAIN, db=str(running_bot.tracker_db))
    trackers = {sender: asyncio.run(store.retrieve(sender)) for sender in ("long-request", "long-mixed")}
    store.engine.dispose()
    assert all(trackers.values())
    yield {sender: list(tracker.events) for sender, tracker in trackers.items() if tracker is not None}


def _as_rasa(policy: WindowedRulePolicy, tracker: DialogueStateTracker, domain: Domain) -> Any:
    use_rasas_rule_states(policy, True)
    try:
        return policy.predict_action_probabilities(tracker, domain)
    finally:
        use_rasas_rule_states(policy, False)


def test_same_states_and_predictions_as_rasas_rule_policy(agent: Any, recorded: dict[str, list[Event]]) -> None:
    domain, policy = agent.domain, rule_policy(agent)
    window, compared, longer = policy._longest_rule(), 0, 0
    for sender, events in recorded.items():
        for index, event in enumerate(events):
            if not isinstance(event, ActionExecuted):
                continue
            before = DialogueStateTracker.from_events(sender, events[:index], domain.slots)
            everything = before.past_states(domain)
            assert recent_states(before, domain, window) == everything[-window:]
            longer += len(everything) > window
            ours, rasas = policy.predict_action_probabilities(before, domain), _as_rasa(policy, before, domain)
            assert (ours.probabilities, ours.events, ours.action_metadata) == \
                   (rasas.probabilities, rasas.events, rasas.action_metadata)
            compared += 1
    # Most steps saw a longer history than the window.
    assert compared > 50 and longer > compared // 2, (compared, longer, window)


def _same_after_every_event(events: list[Event], every: int = 1, max_event_history: Any = None) -> None:
    """Rasa's tracker and ours, fed the same events, asked every `every` events."""
    rasas = DialogueStateTracker("x", DOMAIN.slots, max_event_history)
    ours = IncrementalTracker("x", DOMAIN.slots, max_event_history)
    for number, event in enumerate(events, start=1):
        rasas.update(event)
        ours.update(event)
        if number % every and number != len(events):
            continue
        applied = ours.applied_events()
        assert len(applied) == len(rasas.applied_events())
        assert all(a is b for a, b in zip(applied, rasas.applied_events()))
        copied, rasas_copy = ours.copy(), rasas.copy()
        assert copied.current_state(EventVerbosity.ALL) == rasas_copy.current_state(EventVerbosity.ALL)
        assert copied.past_states(DOMAIN) == rasas_copy.past_states(DOMAIN)
        copied.update(SlotSet("intake_name", "別の値"))  # a copy changes apart from its original
        assert ours.get_slot("intake_name") == rasas.get_slot("intake_name")
        assert len(ours.events) == len(rasas.events)


@pytest.mark.parametrize("every", [1, 7])
def test_the_incremental_tracker_applies_what_rasas_applies(recorded: dict[str, list[Event]], every: int) -> None:
    for events in recorded.values():
        _same_after_every_event(events, every)


def test_reverts_restarts_sessions_and_a_form_named_late() -> None:
    listen = ActionExecuted("action_listen")
    events: list[Event] = [
        listen, UserUttered("a", {"name": "greet"}), ActionExecuted("utter_greet"), listen,
        ActionExecuted("intake_form"), ActionExecuted("intake_form"),  # executions before the form is named
        ActiveLoop("intake_form"), ActionExecuted("intake_form"), listen,
        UserUttered("b", {"name": "inform"}), UserUtteranceReverted(), listen,
        UserUttered("c", {"name": "inform"}), ActionExecuted("intake_form"), ActionReverted(),
        ActiveLoop(None), Restarted(), listen, UserUttered("d", {"name": "greet"}),
        ActionExecuted("action_session_start"), SessionStarted(), listen,
        UserUttered("e", {"name": "ask_contact"}), ActionExecuted("action_answer_question"), listen,
    ]
    for every in (1, 2, 5, len(events)):
        _same_after_every_event(events, every)
    _same_after_every_event(events * 3, every=4, max_event_history=10)  # the oldest events drop out
