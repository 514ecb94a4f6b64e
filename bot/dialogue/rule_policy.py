"""Rasa's RulePolicy, featurizing only the part of the conversation its rules can see.

For every prediction RulePolicy turns the whole conversation into states (one per
action so far) and then compares only the last few with its rules: a rule of
length n is decided by the last n states (RulePolicy._is_rule_applicable accepts
every state further back). Building every state cost more than everything else a
message does by turn 200 (bench/RESULTS.md). This policy replays the conversation
(which cheaply brings slots, form and latest message up to each point) but builds
the states only for the last `longest rule` actions, and shares them between the
two or three rule look-ups of one prediction. The rules and their verdicts are
Rasa's own (tests/test_long_conversations.py compares both policies turn by turn).
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


def recent_states(tracker: DialogueStateTracker, domain: Domain, count: int) -> List[State]:
    """The last `count` of `tracker.past_states(domain)`, building only those.

    A State is Rasa's dict of sub-states (`{"user": {...}, "prev_action": {...},
    "slots": {...}, "active_loop": {...}}`), cleaned as `past_states` cleans them;
    the list is oldest first and has one state before each applied
    ActionExecuted plus one for the tracker as it is, so at most `count` (fewer
    when the conversation is shorter). `count` >= 1. Equal to
    `past_states(domain)[-count:]` for the same tracker (tests/test_long_conversations.py)."""
    applied = tracker.applied_events()
    # past_states has one state before each action and one for the tracker as it is.
    skip = sum(isinstance(event, ActionExecuted) for event in applied) + 1 - count
    states: List[State] = []
    replay = tracker.init_copy()
    for event in applied:
        if isinstance(event, ActionExecuted):
            if skip <= 0:
                states.append(domain.get_active_state(replay))
            skip -= 1
        replay.update(event)
    states.append(domain.get_active_state(replay))
    return [domain._clean_state(state) for state in states]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True
)
class WindowedRulePolicy(RulePolicy):
    """Rasa's RulePolicy (same configuration, training, rules and predictions)
    that, when predicting, builds only the last `longest rule` states of the
    conversation and shares them between the rule look-ups of one prediction.

    Training runs Rasa's code unchanged (`TrackerWithCachedStates`). Invariant: for
    every tracker, `predict_action_probabilities` returns what RulePolicy returns
    (tests/test_long_conversations.py, turn by turn). The shared states belong to
    one prediction only and are dropped when it ends, so the policy keeps no
    conversation between messages. Not safe for two predictions at the same time
    on one instance (Rasa's processor runs one at a time per graph)."""

    # The states of the tracker being predicted for: (tracker, number of its events, states).
    _last: Optional[tuple[DialogueStateTracker, int, List[State]]] = None

    def _longest_rule(self) -> int:
        """How many states the longest rule (or loop unhappy-path rule) compares, >= 1."""
        keys = [*self.lookup.get(RULES, {}), *self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        return max((len(self._rule_key_to_state(key)) for key in keys), default=1)

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[State]:
        if isinstance(tracker, TrackerWithCachedStates):  # training: Rasa's way
            return super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)
        # RulePolicy's featurizer adds nothing but the choice of text or intent for
        # the last message (it neither hides rule turns nor slices for rule data).
        last = self._last
        if last is None or last[0] is not tracker or last[1] != len(tracker.events):
            last = self._last = (tracker, len(tracker.events), recent_states(tracker, domain, self._longest_rule()))
        states = copy.deepcopy(last[2])
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     **kwargs: Any) -> Any:
        """RulePolicy's PolicyPrediction for the tracker (probabilities over
        `domain.action_names_or_texts`, in that order), computed from the recent
        states only."""
        try:
            return super().predict_action_probabilities(tracker, domain, **kwargs)
        finally:
            self._last = None  # keep no conversation after its prediction
