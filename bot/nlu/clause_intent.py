"""A second opinion for unsure intents: the clause of the policy the message matches.

When DIET is unsure (FallbackClassifier set `nlu_fallback`), `ClauseIntentClassifier`
asks the clause ranker (bot/policy/ranker.py) which clauses the message's words
point to. If one of the best clauses belongs to a topic that DIET also ranked
among its first few intents, the two independent signals agree and that topic
is taken, with DIET's own confidence for it. Otherwise the message stays
`nlu_fallback`, and the two-stage fallback offers the topics of the best
clauses as buttons.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import PlainComponent
from bot.noise import FALLBACK_INTENT
from bot.policy.answers import Answerer, default_answerer

# How many of DIET's intents and of the ranker's clauses are compared.
DIET_CANDIDATES = 3
CLAUSE_CANDIDATES = 3
# A clause below this BM25 score has too little in common with the message.
MIN_CLAUSE_SCORE = 2.0


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ClauseIntentClassifier(PlainComponent):
    """Replaces `nlu_fallback` by a topic that DIET and the clause ranker agree on
    (list it after FallbackClassifier in config.yml)."""

    def __init__(self, answerer: Answerer | None = None) -> None:
        """`answerer`: the policy's answerer (its clause ranker and topics); by
        default a new one from data/policy/ and the company settings of the
        environment (bot.policy.answers.default_answerer)."""
        self.answerer = answerer or default_answerer()

    def process(self, messages: List[Message]) -> List[Message]:
        """The same messages, changed in place: where the intent is `nlu_fallback`
        and `agreed_topic` finds one, `intent` becomes `{name, confidence}` of that
        topic and `intent_ranking` (a list of `{name, confidence}`) starts with it,
        the rest in DIET's order. Other messages are untouched."""
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) != FALLBACK_INTENT:
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            agreed = self.agreed_topic(message.get(TEXT) or "", ranking)
            if agreed is not None:
                message.data[INTENT] = agreed
                # The ranking tells the same: the agreed topic first (actions read it).
                message.data[INTENT_RANKING_KEY] = [agreed] + [
                    entry for entry in ranking if entry[INTENT_NAME_KEY] != agreed[INTENT_NAME_KEY]]
        return messages

    def agreed_topic(self, text: str, ranking: List[Dict[str, Any]]) -> Dict[str, Any] | None:
        """The first of DIET's best intents that is the topic of one of the best
        clauses, as an intent {name, confidence}; None when they do not agree.

        `ranking`: DIET's intent ranking, best first, `[{"name": str, "confidence":
        float in 0..1}, …]` (`nlu_fallback` skipped); the first DIET_CANDIDATES
        count. Clauses: the ranker's CLAUSE_CANDIDATES best for `text` with a BM25
        score of at least MIN_CLAUSE_SCORE. The confidence returned is DIET's for
        that intent, not a new one."""
        candidates = {
            entry[INTENT_NAME_KEY]: entry[PREDICTED_CONFIDENCE_KEY]
            for entry in ranking if entry[INTENT_NAME_KEY] != FALLBACK_INTENT
        }
        # DIET's order decides among the topics the clauses confirm.
        topic = self.answerer.agreed_topic(text, list(candidates)[:DIET_CANDIDATES], CLAUSE_CANDIDATES,
                                           MIN_CLAUSE_SCORE)
        return None if topic is None else {INTENT_NAME_KEY: topic, PREDICTED_CONFIDENCE_KEY: candidates[topic]}
