"""The first component of the NLU pipeline: normalizes every message's text.

Because the same component runs on training examples and on live messages,
both are normalized identically (see `bot.text.normalize`). Entity
annotations of training examples are moved to the normalized text.
"""

from __future__ import annotations

from typing import List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.component import PlainComponent
from bot.text import LITERAL_SLASH, normalize, normalize_span


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class JapaneseTextNormalizer(PlainComponent):
    """Normalizes `text` in place, before any tokenizer sees it."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """The same training data, every example's `text` normalized in place and
        its entities' `start`/`end` (character offsets) moved to the normalized
        text, so that `text[start:end]` is still the annotated span."""
        for message in training_data.training_examples:
            _normalize_message(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """The same messages, `text` normalized in place (bot.text.normalize); a
        text that starts with bot.text.LITERAL_SLASH (a typed command the channel
        made literal) keeps that first character."""
        for message in messages:
            _normalize_message(message)
        return messages


def _normalize_message(message: Message) -> None:
    text: Optional[str] = message.get(TEXT)
    if not text:
        return
    for entity in message.get(ENTITIES) or []:
        entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END] = normalize_span(
            text, entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
        )
    if text.startswith(LITERAL_SLASH):  # a typed command, to stay text (bot/text.py)
        message.set(TEXT, LITERAL_SLASH + normalize(text[1:]))
    else:
        message.set(TEXT, normalize(text))
