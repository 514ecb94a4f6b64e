"""The trained model's DIET, loaded without Rasa's training step
(bot/nlu/model_loading.py, named in config.yml), parses every held-out message
exactly as the same component loaded Rasa's way: the same intent, confidence and
entities."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from pathlib import Path
from typing import Any, Callable

import yaml

from bot.nlu.model_loading import FastLoadingDIETClassifier
from tests.agent_parts import component
from tests.conftest import ROOT, heldout_examples

TENSORFLOW_COMPONENTS = {"DIETClassifier", "ResponseSelector", "TEDPolicy", "UnexpecTEDIntentPolicy"}


def _parses(agent: Any) -> list[tuple[str, float, list[tuple[str, str]]]]:
    results = []
    for text, _ in heldout_examples():
        parsed = asyncio.run(agent.parse_message(text))
        results.append((parsed["intent"]["name"], round(parsed["intent"]["confidence"], 5),
                        [(entity["entity"], entity["value"]) for entity in parsed["entities"]]))
    return results


def with_diet_loaded_by(model_path: Path, make_class: Callable[[type], type]) -> Any:
    """The model in a new agent whose DIET node is loaded by `make_class(its class)`
    (which keeps the class's name: the model's files are named after it). Every
    node is loaded again from the archive, as Rasa loads it."""
    from rasa.core.agent import Agent
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    agent = Agent.load(str(model_path))
    with tempfile.TemporaryDirectory() as directory:
        storage, metadata = LocalModelStorage.from_model_archive(Path(directory), model_path)
        schema = GraphSchema({
            name: dataclasses.replace(node, uses=make_class(node.uses)) if issubclass(node.uses, DIETClassifier)
            else node for name, node in metadata.predict_schema.nodes.items()})
        # The components load while the archive is unpacked (Rasa's nodes are eager).
        agent.processor.graph_runner = DaskGraphRunner.create(
            schema, storage, ExecutionContext(schema, metadata.model_id))
    return agent


def rasas_way(stored: type) -> type:
    """The stored DIET class, loading its model through Rasa's own `DIET.load`."""
    from rasa.nlu.classifiers.diet_classifier import DIET

    return type(stored.__name__, (stored,), {"model_class": staticmethod(lambda: DIET)})


def test_config_names_the_fast_loading_diet_and_no_other_tensorflow_model() -> None:
    for config in ("config.yml", "config-stock.yml"):
        parsed = yaml.safe_load((ROOT / config).read_text(encoding="utf-8"))
        names = [entry["name"] for entry in parsed["pipeline"] + parsed["policies"]]
        assert "bot.nlu.model_loading.FastLoadingDIETClassifier" in names
        assert not TENSORFLOW_COMPONENTS & set(names), "a TensorFlow model loaded Rasa's slow way"


def test_same_parses_as_rasas_load(agent: Any, model_path: Path) -> None:
    fast = component(agent, FastLoadingDIETClassifier)
    rasas = with_diet_loaded_by(model_path, rasas_way)
    # Loaded our way (no optimizer: no training step ran), and the other Rasa's way.
    assert fast.model.optimizer is None
    assert component(rasas, FastLoadingDIETClassifier).model.optimizer is not None
    ours, theirs = _parses(agent), _parses(rasas)
    assert len(ours) > 600
    assert ours == theirs
    assert sum(bool(entities) for _, _, entities in ours) > 50  # DIET's entities compared too
