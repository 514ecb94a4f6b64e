"""Where the time of a message goes, measured inside one Rasa agent.

Loads the trained model in this process with the action server of a running bot,
plays the benchmark's conversations through `Agent.handle_message`, and times each
phase of Rasa's message processing by wrapping the processor's methods
(measurement only: nothing here is used by the bot). NLU and policies are split
further by component of Rasa's graph. Two set-ups take turns message by message,
each with a SQLite tracker store of its own: Rasa as shipped (its SQL tracker
store and trackers, its check of action-server responses, every event and the
domain in every action-server call, RulePolicy's states of the whole conversation)
and as the bot runs (bot/dialogue/: tracker_store and tracker, action_response,
action_call with the selective domain, rule_policy). Each plays the same
conversations, then one long conversation whose early and late turns are compared.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bench.load import Step, full_conversation, heard, long_conversation
from bot.dialogue import action_call, action_response
from bot.dialogue.endpoints import action_endpoint, authorization

# Shared with the tests that compare the bot's Rasa parts with Rasa's.
from tests.agent_parts import rule_policy, use_rasas_rule_states

ACTIONS = "custom actions (action server round trip)"
# (phase, class path, method name); the phases do not overlap.
PHASES = [
    ("load the tracker", "rasa.core.processor.MessageProcessor", "fetch_tracker_and_update_session"),
    ("NLU", "rasa.core.processor.MessageProcessor", "_parse_message_with_graph"),
    ("slot extraction", "rasa.core.processor.MessageProcessor", "run_action_extract_slots"),
    ("policies", "rasa.core.processor.MessageProcessor", "_predict_next_with_tracker"),
    (ACTIONS, "rasa.core.actions.action.RemoteAction", "run"),
    ("save the tracker", "rasa.core.processor.MessageProcessor", "save_tracker"),
]
TOTAL = ("rasa.core.processor.MessageProcessor", "handle_message")


def _class(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


# The Counters here add up seconds (floats); typeshed types a Counter's counts as int,
# hence the ignores where one is added to.
def _timed(totals: collections.Counter, key: str, method: Callable) -> Callable:
    if asyncio.iscoroutinefunction(method):
        @functools.wraps(method)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                totals[key] += time.perf_counter() - started  # type: ignore[assignment]
        return timed_async

    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started  # type: ignore[assignment]
    return timed


def _instrument() -> tuple[collections.Counter, collections.Counter]:
    """Seconds spent per phase and per graph component, counting from now on."""
    from rasa.engine.graph import GraphNode

    phases: collections.Counter = collections.Counter()
    components: collections.Counter = collections.Counter()
    for phase, path, name in [*PHASES, ("total", *TOTAL)]:
        owner = _class(path)
        setattr(owner, name, _timed(phases, phase, getattr(owner, name)))
    run_node = GraphNode.__call__

    def timed_node(self: GraphNode, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return run_node(self, *args, **kwargs)
        finally:
            components[self._component_class.__name__] += time.perf_counter() - started  # type: ignore[assignment]

    GraphNode.__call__ = timed_node
    return phases, components


def _ms_per_message(seconds: collections.Counter, messages: int) -> dict[str, float]:
    return {key: total / messages * 1000 for key, total in seconds.most_common()}


@dataclass
class _Setup:
    store: Any
    endpoint: Any
    rasas_methods: bool  # Rasa's own RemoteAction and RulePolicy methods instead of bot/dialogue's

    def apply(self, agent: Any) -> None:
        from rasa.core.actions.action import RemoteAction

        agent.tracker_store = agent.processor.tracker_store = self.store
        agent.action_endpoint = agent.processor.action_endpoint = self.endpoint
        source = _RASAS_METHODS if self.rasas_methods else _BOTS_METHODS
        for name, method in source.items():
            setattr(RemoteAction, name, method)
        use_rasas_rule_states(rule_policy(agent), self.rasas_methods)


_RASAS_METHODS: dict[str, Any] = {}
_BOTS_METHODS = {"_validate_action_result": action_response.validate_action_result,
                 "_action_call_format": action_call.action_call_format}
SETUPS = {"rasa": "Rasa as shipped", "bot": "as the bot runs"}


def measure(model: Path, actions_url: str, workdir: Path, conversations: int = 10,
            turns: int = 200) -> dict[str, Any]:
    """Per set-up: ms per message for each phase and graph component over the
    benchmark's conversations, and for the early and the late turns of one
    conversation of `turns` questions."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.actions_token import prepare_local_token
    from bot.dialogue.tracker_store import TunedSQLTrackerStore

    _RASAS_METHODS.update({name: getattr(RemoteAction, name) for name in _BOTS_METHODS})
    phases, components = _instrument()
    # The running bot's action server answers only calls with its secret (made by bot.tools.run).
    secret = authorization(prepare_local_token())
    agent = Agent.load(str(model), action_endpoint=EndpointConfig(url=actions_url, headers=secret))
    setups = {
        "rasa": _Setup(SQLTrackerStore(db=str(workdir / "breakdown-rasa.db")),
                       EndpointConfig(url=actions_url, headers=secret), rasas_methods=True),
        "bot": _Setup(TunedSQLTrackerStore(db=str(workdir / "breakdown-bot.db")),
                      EndpointConfig(**{**action_endpoint(actions_url), "headers": secret}), rasas_methods=False),
    }
    for setup in setups.values():
        setup.store.domain = agent.domain

    async def play(scripts: list[list[Step]], prefix: str) -> dict[str, list[collections.Counter]]:
        """Per set-up, each message's seconds per phase and component (one Counter)."""
        spent: dict[str, list[collections.Counter]] = {name: [] for name in setups}
        for index, steps in enumerate(scripts):
            memory: dict[str, dict[str, str]] = {name: {} for name in setups}
            for step in steps:
                for name, setup in setups.items():
                    setup.apply(agent)
                    before = phases + components
                    output = CollectingOutputChannel()
                    text = step.text(memory[name])
                    await agent.handle_message(UserMessage(text, output, f"{prefix}-{name}-{index}"))
                    heard(step, output.messages, memory[name])
                    spent[name].append((phases + components) - before)
        return spent

    asyncio.run(play([full_conversation(0)], "warm-up"))
    played = asyncio.run(play([full_conversation(i) for i in range(1, 1 + conversations)], "mix"))
    long = asyncio.run(play([long_conversation(turns)], "long"))
    result: dict[str, Any] = {"messages": len(played["bot"]), "turns": turns}
    for name, messages in played.items():
        total = sum(messages, collections.Counter())
        result[name] = {
            "phases_ms": {phase: total[phase] / len(messages) * 1000 for phase, *_ in [*PHASES, ("total",)]},
            "components_ms": {key: ms for key, ms in _ms_per_message(total, len(messages)).items()
                              if key in components},
            "early_ms": _ms_per_message(sum(long[name][3:6], collections.Counter()), 3),
            "late_ms": _ms_per_message(sum(long[name][-3:], collections.Counter()), 3),
        }
    return result
