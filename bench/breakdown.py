"""Where the time of a message goes, measured inside one Rasa agent.

Loads the trained model in this process with a SQLite tracker store of its own and
the action server of a running bot, plays the benchmark's conversations through
`Agent.handle_message`, and times each phase of Rasa's message processing by
wrapping the processor's methods (measurement only: nothing here is used by the
bot). NLU and policies are split further by component of Rasa's graph.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import time
from pathlib import Path
from typing import Any, Callable

from bench.load import Step, full_conversation
from bot.dialogue import action_response

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


def _timed(totals: collections.Counter, key: str, method: Callable) -> Callable:
    if asyncio.iscoroutinefunction(method):
        @functools.wraps(method)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                totals[key] += time.perf_counter() - started
        return timed_async

    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - started
    return timed


def measure(model: Path, actions_url: str, workdir: Path, conversations: int = 10) -> dict[str, Any]:
    """ms per message for each phase and each graph component, and the message count."""
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.engine.graph import GraphNode
    from rasa.utils.endpoints import EndpointConfig

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
            components[self._component_class.__name__] += time.perf_counter() - started

    GraphNode.__call__ = timed_node
    agent = Agent.load(str(model), tracker_store=SQLTrackerStore(db=str(workdir / "breakdown.db")),
                       action_endpoint=EndpointConfig(url=actions_url))

    async def play(conversations: int, first: int) -> int:
        count = 0
        for index in range(first, first + conversations):
            memory: dict[str, str] = {}
            for step in full_conversation(index):
                output = CollectingOutputChannel()
                await agent.handle_message(UserMessage(step.text(memory), output, f"breakdown-{index}"))
                _remember(step, output, memory)
                count += 1
        return count

    def clear() -> None:
        phases.clear()
        components.clear()

    # Rasa's own check of action-server responses first, for comparison; then as the
    # bot's Rasa server runs (bot/dialogue/action_response.py).
    asyncio.run(play(1, 0))  # warm-up
    clear()
    messages = asyncio.run(play(2, 1))
    rasas_check_ms = phases[ACTIONS] / messages * 1000
    action_response.install()
    clear()
    messages = asyncio.run(play(conversations, 3))
    return {
        "messages": messages,
        "actions_ms_with_rasas_check": rasas_check_ms,
        "phases_ms": {phase: phases[phase] / messages * 1000 for phase, *_ in [*PHASES, ("total",)]},
        "components_ms": {name: seconds / messages * 1000 for name, seconds in components.most_common()},
    }


def _remember(step: Step, output: Any, memory: dict[str, str]) -> None:
    if step.remember:
        step.remember("\n".join(message.get("text", "") for message in output.messages), memory)

