"""Messages that say nothing the bot can understand, told apart before DIET's guess counts.

DIET always names some intent, often confidently: 「あｓｄｆｇｈｊｋ」 came out as
check_status (0.66). `NoiseClassifier` runs after the intent classifiers and the
FallbackClassifier and, for a keyboard mash, a run of one character, symbols or
emoji only, or a message in another language, replaces the intent with
`nlu_fallback` (confidence 1.0) and records why in the parse data as
`noise` ("mash", "repeat", "symbols", "foreign" or "waiting"). The two-stage
fallback then asks the customer to rephrase (in both languages for "foreign";
for "waiting" it says to take their time).
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import PlainComponent
from bot.noise import FALLBACK_INTENT, NOISE, noise_kind


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NoiseClassifier(PlainComponent):
    """Sets `nlu_fallback` for messages `noise_kind` recognises (list it after
    FallbackClassifier in config.yml)."""

    def process(self, messages: List[Message]) -> List[Message]:
        """The same messages, changed in place: for noise, `intent` becomes
        `{name: nlu_fallback, confidence: 1.0}` (the ranking is left as DIET gave
        it) and `noise` (in the parse output) the kind; other messages untouched."""
        for message in messages:
            kind = noise_kind(message.get(TEXT) or "")
            if kind is None:
                continue
            message.data[INTENT] = {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(NOISE, kind, add_to_output=True)
        return messages
