"""The training data and the held-out set, checked before any model is trained."""

from __future__ import annotations

from collections import defaultdict

import pytest
import spacy
from rasa.shared.nlu.training_data.loading import load_data

from bot.nlu.lean_ginza import DEFAULT_PATH, build
from bot.text import normalize, normalize_span
from tests.conftest import HELDOUT, ROOT, heldout_examples

MIN_TRAINING = 30
TRAINING = load_data(str(ROOT / "data" / "nlu"))
EXAMPLES = [m for m in TRAINING.intent_examples]


def test_every_intent_has_enough_distinct_training_examples() -> None:
    per_intent: dict[str, set[str]] = defaultdict(set)
    for message in EXAMPLES:
        per_intent[message.get("intent")].add(normalize(message.get("text")))
    short = {intent: len(texts) for intent, texts in per_intent.items() if len(texts) < MIN_TRAINING}
    assert not short


def test_no_text_is_in_two_intents() -> None:
    intents: dict[str, set[str]] = defaultdict(set)
    for message in EXAMPLES:
        intents[normalize(message.get("text"))].add(message.get("intent"))
    assert {text: i for text, i in intents.items() if len(i) > 1} == {}


def test_no_heldout_line_is_trained_on() -> None:
    trained = {normalize(m.get("text")) for m in EXAMPLES}
    leaked = [text for text, _ in heldout_examples() if normalize(text) in trained]
    assert leaked == []
    assert HELDOUT.is_dir()


@pytest.fixture(scope="module")
def tokenizer() -> spacy.language.Language:
    return spacy.load(build(ROOT / DEFAULT_PATH))


def test_entity_annotations_line_up_with_ginza_tokens(tokenizer) -> None:
    misaligned = []
    for message in EXAMPLES:
        text = message.get("text")
        doc = tokenizer(normalize(text))
        starts, ends = {t.idx for t in doc}, {t.idx + len(t) for t in doc}
        for entity in message.get("entities") or []:
            start, end = normalize_span(text, entity["start"], entity["end"])
            if start not in starts or end not in ends:
                misaligned.append((text, text[entity["start"]:entity["end"]], [t.text for t in doc]))
    assert misaligned == []
