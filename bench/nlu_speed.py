"""NLU parse time of the lean and the stock GiNZA pipelines, side by side.

Trains an NLU-only model for each config when none matches (Rasa's
fingerprint), then parses every held-out message with both models in turn,
in one process, so that machine noise hits both alike.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from bench.stats import Summary

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"lean": "config.yml", "stock": "config-stock.yml"}


def train(name: str, config: str) -> Path:
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", config,
         "--fixed-model-name", f"nlu-{name}", "--out", "models/bench"],
        cwd=ROOT, check=True, capture_output=True,
    )
    return ROOT / "models" / "bench" / f"nlu-{name}.tar.gz"


def measure(models: dict[str, Path], texts: list[str], rounds: int) -> dict[str, Summary]:
    """Parse time per message of each model, the models interleaved message by message."""
    from rasa.core.agent import Agent

    loop = asyncio.new_event_loop()
    agents = {name: Agent.load(str(path)) for name, path in models.items()}
    for agent in agents.values():
        for text in texts[:20]:  # warm-up: TensorFlow traces its graph on first use
            loop.run_until_complete(agent.parse_message(text))
    timings: dict[str, list[float]] = {name: [] for name in agents}
    for _ in range(rounds):
        for text in texts:
            for name, agent in agents.items():  # same moment, same noise
                started = time.perf_counter()
                loop.run_until_complete(agent.parse_message(text))
                timings[name].append((time.perf_counter() - started) * 1000)
    loop.close()
    return {name: Summary.of(values) for name, values in timings.items()}
