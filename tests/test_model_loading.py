"""The trained model loaded without Rasa's training step (bot/nlu/model_loading.py)
parses every held-out message exactly as the model loaded Rasa's way: the same
intent, confidence and entities."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bench.breakdown import component
from bot.nlu import model_loading
from tests.conftest import heldout_examples


def _parses(agent: Any) -> list[tuple[str, float, list[tuple[str, str]]]]:
    results = []
    for text, _ in heldout_examples():
        parsed = asyncio.run(agent.parse_message(text))
        results.append((parsed["intent"]["name"], round(parsed["intent"]["confidence"], 5),
                        [(entity["entity"], entity["value"]) for entity in parsed["entities"]]))
    return results


def _diet(agent: Any) -> Any:
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    return component(agent, DIETClassifier)


def test_same_parses_as_rasas_load(agent: Any, model_path: Path) -> None:
    from rasa.core.agent import Agent

    model_loading.install()
    try:
        fast = Agent.load(str(model_path))
    finally:
        model_loading.uninstall()
    # Loaded our way (no optimizer: no training step ran), not Rasa's.
    assert _diet(fast).model.optimizer is None and _diet(agent).model.optimizer is not None
    ours, rasas = _parses(fast), _parses(agent)
    assert len(ours) > 600
    assert ours == rasas
    assert sum(bool(entities) for _, _, entities in ours) > 50  # DIET's entities compared too
