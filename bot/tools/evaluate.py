"""Evaluates the trained model on the held-out set and writes reports/.

`make evaluate` trains first when data, config or domain changed (`make
model`, Rasa's fingerprint), then runs this. Exits 1 when accuracy or macro
F1 is under the thresholds of bot/tools/report.py (the ones CI enforces).

    python -m bot.tools.evaluate [--model models/tcn-privacy-desk.tar.gz] [--out reports]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Optional

from bot.tools.project import ROOT, Example, Project
from bot.tools.report import FALLBACK, REPORT_JSON, Prediction, score, write_report

Parse = Callable[[str], dict[str, Any]]
PROGRESS_EVERY = 100


def predict(parse: Parse, examples: list[Example]) -> list[Prediction]:
    predictions = []
    for number, example in enumerate(examples, 1):
        result = parse(example.text)
        intent = result["intent"]
        best = next((r for r in result.get("intent_ranking", []) if r["name"] != FALLBACK), intent)
        # str(): some classifiers (LogisticRegressionClassifier) name intents with numpy strings,
        # which the YAML report cannot hold.
        predictions.append(Prediction(
            example.text, example.intent, str(intent["name"]), float(intent["confidence"]), example.where,
            str(best["name"]), float(best["confidence"])))
        if number % PROGRESS_EVERY == 0 or number == len(examples):
            print(f"  parsed {number}/{len(examples)}", flush=True)
    return predictions


def previous_report(out_dir: Path) -> tuple[Optional[dict[str, Any]], str]:
    """The committed report (HEAD), else the one on disk, before it is overwritten."""
    path = out_dir.resolve() / REPORT_JSON
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=out_dir, check=True,
                             capture_output=True, text=True).stdout.strip()
        relative = path.relative_to(top)
        shown = subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=top, check=True,
                               capture_output=True, text=True)
        commit = subprocess.run(["git", "log", "-1", "--format=%h %cs", "--", str(relative)], cwd=top,
                                capture_output=True, text=True).stdout.strip()
        return json.loads(shown.stdout), f"`{relative}` committed in {commit}"
    except (subprocess.CalledProcessError, ValueError, OSError):
        pass
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8")), f"`{path.name}` before this run"
    return None, "none (first report)"


def agent_parser(model: Path) -> tuple[Parse, str]:
    """Parse in this process with the model; also returns when it was trained."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else Rasa logs every parse
    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    metadata = agent.processor.model_metadata
    trained = f"学習 {metadata.trained_at:%Y-%m-%d %H:%M}、model id {metadata.model_id}"
    return (lambda text: loop.run_until_complete(agent.parse_message(text))), trained


def evaluate(parse: Parse, project: Project, out_dir: Path, meta: dict[str, str]) -> int:
    """Parse every held-out line, write the report, return the exit code."""
    print(f"parsing {len(project.heldout)} held-out lines…", flush=True)
    predictions = predict(parse, project.heldout)
    scores = score(predictions)
    previous, source = previous_report(out_dir)
    write_report(out_dir, predictions, scores, previous, {
        **meta, "heldout": project.where(project.heldout_dir), "previous": source})
    print(f"accuracy {scores.accuracy:.3f} · macro F1 {scores.macro_f1:.3f} · "
          f"fallback rate {scores.fallback_rate:.3f} · {scores.examples} examples → {out_dir}/")
    for failure in scores.failures():
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if scores.failures() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "tcn-privacy-desk.tar.gz")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--root", type=Path, default=ROOT, help="project whose tests/nlu_heldout/ is used")
    args = parser.parse_args(argv)
    print(f"loading {args.model}…", flush=True)
    parse, trained = agent_parser(args.model)
    model = args.model.resolve()
    shown = model.relative_to(ROOT) if model.is_relative_to(ROOT) else model
    return evaluate(parse, Project(args.root), args.out, {"model": str(shown), "trained": trained})


if __name__ == "__main__":
    sys.exit(main())
