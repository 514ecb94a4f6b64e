"""Parts of a loaded Rasa agent: a component of its graph, and the bot's rule policy
switched to Rasa's own states and back. Shared by the tests that compare the bot's
Rasa parts with Rasa's (test_long_conversations, test_model_loading) and by the
benchmark's breakdown of a message (bench/breakdown.py imports them from here)."""

from __future__ import annotations

import functools
from typing import Any

from bot.dialogue.rule_policy import WindowedRulePolicy


def component(agent: Any, kind: type) -> Any:
    """The one component of this class in a loaded agent's graph."""
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    [found] = [node._component for node in nodes if isinstance(node._component, kind)]
    return found


def rule_policy(agent: Any) -> WindowedRulePolicy:
    return component(agent, WindowedRulePolicy)


def use_rasas_rule_states(policy: WindowedRulePolicy, rasas: bool) -> None:
    """Make the policy build RulePolicy's states of the whole conversation, or its own again."""
    from rasa.core.policies.rule_policy import RulePolicy

    if rasas:
        # On this one policy object; use_rasas_rule_states(policy, False) removes it again.
        policy._prediction_states = functools.partial(  # type: ignore[method-assign]
            RulePolicy._prediction_states, policy)
    else:
        policy.__dict__.pop("_prediction_states", None)
