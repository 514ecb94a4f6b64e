"""A dialogue policy that stands the bot aside while staff have the conversation.

Rules match one intent at a time, so "whatever the customer says, send the
handoff notice" cannot be a rule. This policy predicts `action_handoff_notice`
for every user message while the `handoff_active` slot is set, and listens
after it; its priority is above RulePolicy's, so no rule or form starts
meanwhile. The notice action clears the slot once staff close the handoff.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class HandoffPolicy(Policy):
    """While the slot `handoff_active` is set: the notice action after every user
    message, then `action_listen`; otherwise no prediction (all zeros, so the
    other policies decide).

    Configuration (config.yml): `priority` (7: above RulePolicy's 6), `slot` and
    `action` (both must be in the domain, else `domain.index_for_action` raises).
    Nothing is trained or stored."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """priority 7, slot `handoff_active`, action `action_handoff_notice`."""
        # RulePolicy's default priority is 6.
        return {"priority": 7, "slot": "handoff_active", "action": "action_handoff_notice"}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Returns the policy's resource untouched: there is nothing to learn."""
        # Nothing to learn: the behaviour is fixed by the slot.
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """A PolicyPrediction over `domain.action_names_or_texts`: 1.0 for the
        notice right after a user message while the slot is set, 1.0 for
        `action_listen` right after the notice, all zeros otherwise."""
        probabilities = self._default_predictions(domain)
        latest = tracker.latest_action_name
        if latest == self.config["action"]:
            # Also right after the notice cleared the slot: it has answered already.
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        elif latest == ACTION_LISTEN_NAME and tracker.get_slot(self.config["slot"]):
            probabilities[domain.index_for_action(self.config["action"])] = 1.0
        return self._prediction(probabilities)
