"""NLU parse time of the lean and the stock GiNZA pipelines, side by side.

Trains an NLU-only model for each config when none matches (Rasa's
fingerprint), then parses every held-out message with both models in turn,
in one process, so that machine noise hits both alike.

    python -m bench.nlu_speed [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import logging
import platform
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"lean": "config.yml", "stock": "config-stock.yml"}


def train(name: str, config: str) -> tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", config,
         "--fixed-model-name", f"nlu-{name}", "--out", "models/bench"],
        cwd=ROOT, check=True, capture_output=True,
    )
    return ROOT / "models" / "bench" / f"nlu-{name}.tar.gz", time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    import rasa
    import spacy
    from rasa.core.agent import Agent

    from tests.conftest import heldout_examples

    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else Rasa logs every parse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = [text for text, _ in heldout_examples()]
    loop = asyncio.new_event_loop()
    agents = {}
    for name, config in CONFIGS.items():
        path, seconds = train(name, config)
        print(f"{name}: model ready in {seconds:.0f} s ({config})", flush=True)
        agents[name] = Agent.load(str(path))
        loop.run_until_complete(agents[name].parse_message("ウォームアップ"))
    timings: dict[str, list[float]] = {name: [] for name in agents}
    for _ in range(args.rounds):
        for text in texts:
            for name, agent in agents.items():  # interleaved: same moment, same noise
                started = time.perf_counter()
                loop.run_until_complete(agent.parse_message(text))
                timings[name].append((time.perf_counter() - started) * 1000)
    print(f"\n{datetime.date.today()} · {platform.machine()}, {os.cpu_count()} cores · "
          f"Python {platform.python_version()}, rasa {rasa.__version__}, spaCy {spacy.__version__}, "
          f"ja_ginza {spacy.util.get_package_version('ja_ginza')} · "
          f"{len(texts)} held-out messages × {args.rounds} rounds, the two pipelines interleaved\n")
    print("| pipeline | p50 ms | p95 ms | p99 ms | mean ms |\n|---|---|---|---|---|")
    for name, values in timings.items():
        print(f"| {name} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} | "
              f"{percentile(values, 99):.1f} | {statistics.mean(values):.1f} |")
    ratio = percentile(timings["stock"], 50) / percentile(timings["lean"], 50)
    print(f"\nstock / lean p50 ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
