"""Entity extraction by the regular expressions of data/nlu/regexes.yml.

Rasa's RegexEntityExtractor keeps only the patterns named after an entity
that is annotated somewhere in the examples. Phone numbers, e-mail addresses
and ticket references are deliberately never annotated (DIET would learn to
extract them too, and twice is once too many), so this extractor keeps every
pattern.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.nlu.utils import pattern_utils
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class PatternEntityExtractor(RegexEntityExtractor):
    """Rasa's RegexEntityExtractor (same configuration, same entities, extractor
    name `PatternEntityExtractor`) trained on every regex of the training data,
    named after an annotated entity or not."""

    def train(self, training_data: TrainingData) -> Resource:
        """Keep every regex pattern of `training_data` (lookup tables not used,
        no word boundaries added: Japanese has no spaces) and persist them."""
        self.patterns = pattern_utils.extract_patterns(
            training_data,
            use_lookup_tables=False,
            use_regexes=True,
            use_only_entities=False,
            use_word_boundaries=False,
        )
        self.persist()
        return self._resource
