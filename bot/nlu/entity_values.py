"""Entities whose value can only be one of a known list keep only such values.

DIET sometimes tags a stray character as an entity (「…できますか？」 gave
request_kind 「か」 beside 「開示」). A request kind that is none of the eight
kinds of 5.(1) is no request kind: it would fill the `request_kind` slot with
「か」, and a 「はい」 after the procedure answer could no longer start the
request it offered. `KnownEntityValues` runs after EntitySynonymMapper (which
turns 「見せて」 into 開示) and drops such entities.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE
from rasa.shared.nlu.training_data.message import Message

from bot.cases.models import KINDS
from bot.nlu.component import PlainComponent

# entity → the values it may take (bot/cases/models.py). Not `requester`: the
# forms read 「代理人」 and ask which kind of proxy.
KNOWN_VALUES = {"request_kind": set(KINDS)}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class KnownEntityValues(PlainComponent):
    """Drops entities of KNOWN_VALUES whose value is not in their list (list it
    after EntitySynonymMapper in config.yml)."""

    def process(self, messages: List[Message]) -> List[Message]:
        """The same messages, their `entities` filtered in place; other entities untouched."""
        for message in messages:
            entities = message.get(ENTITIES) or []
            kept = [entity for entity in entities if _known(entity)]
            if len(kept) != len(entities):
                message.set(ENTITIES, kept, add_to_output=True)
        return messages


def _known(entity: dict) -> bool:
    allowed = KNOWN_VALUES.get(entity.get(ENTITY_ATTRIBUTE_TYPE, ""))
    return allowed is None or entity.get(ENTITY_ATTRIBUTE_VALUE) in allowed
