"""The evaluation report (bot/tools/report.py, bot/tools/evaluate.py) on tiny
fixtures: scores, the four files, the change against the previous report and
the exit code at the thresholds. The real model's report is written by
tests/test_nlu.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.tools import evaluate
from bot.tools.project import Project
from bot.tools.report import MIN_ACCURACY, MIN_MACRO_F1, Prediction, score, write_report
from tests.project_copy import copy_project, write_nlu

PREDICTIONS = [
    Prediction("a1", "ask_fee", "ask_fee", 0.9, "f.yml:1", "ask_fee", 0.9),
    Prediction("a2", "ask_fee", "ask_fee", 0.8, "f.yml:2", "ask_fee", 0.8),
    Prediction("a3", "ask_fee", "nlu_fallback", 0.4, "f.yml:3", "ask_refusal", 0.31),
    Prediction("b1", "ask_refusal", "ask_refusal", 0.7, "f.yml:4", "ask_refusal", 0.7),
    Prediction("b2", "ask_refusal", "ask_fee", 0.55, "f.yml:5", "ask_fee", 0.55),
]


def test_scores() -> None:
    scores = score(PREDICTIONS)
    assert scores.accuracy == pytest.approx(3 / 5)
    assert scores.fallback_rate == pytest.approx(1 / 5)
    fee, refusal = scores.per_intent["ask_fee"], scores.per_intent["ask_refusal"]
    assert (fee["precision"], fee["recall"], fee["support"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3), 3)
    assert (refusal["precision"], refusal["recall"]) == (1.0, 0.5)
    # nlu_fallback is no label of its own: the macro F1 averages the two intents.
    assert scores.macro_f1 == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert scores.failures() == [f"accuracy 0.600 < {MIN_ACCURACY}", f"macro F1 0.667 < {MIN_MACRO_F1}"]


def test_report_files_and_change_against_the_previous_report(tmp_path: Path) -> None:
    previous = {"accuracy": 0.5, "macro_f1": 0.6, "fallback_rate": 0.0, "examples": 4,
                "per_intent": {"ask_fee": {"f1": 0.5}, "ask_laws": {"f1": 1.0}}}
    write_report(tmp_path, PREDICTIONS, score(PREDICTIONS), previous,
                 {"model": "m.tar.gz", "trained": "today", "heldout": "h/", "previous": "p"})
    report = (tmp_path / "nlu_report.md").read_text(encoding="utf-8")
    assert "| 正解率 accuracy | 0.600 | 0.500 | +0.100 |" in report
    assert "| フォールバック率 | 0.200 | 0.000 | +0.200 |" in report
    assert "| ask_fee | 0.667 | 0.667 | 0.667 | 3 | +0.167 |" in report
    assert "| ask_refusal | 1.000 | 0.500 | 0.667 | 2 | new |" in report
    assert "前回あって今回ないインテント: ask_laws" in report
    assert "不合格" in report
    data = json.loads((tmp_path / "nlu_report.json").read_text(encoding="utf-8"))
    assert data["accuracy"] == pytest.approx(0.6) and data["per_intent"]["ask_fee"]["support"] == 3
    errors = yaml.safe_load((tmp_path / "errors.yml").read_text(encoding="utf-8"))
    assert errors == [
        {"text": "a3", "expected": "ask_fee", "predicted": "nlu_fallback", "confidence": 0.4, "where": "f.yml:3",
         "best_intent": {"name": "ask_refusal", "confidence": 0.31}},
        {"text": "b2", "expected": "ask_refusal", "predicted": "ask_fee", "confidence": 0.55, "where": "f.yml:5"},
    ]
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_exit_code_and_previous_report(tmp_path: Path) -> None:
    """A stub model on a two-intent held-out set: perfect, then one mistake."""
    root = copy_project(tmp_path / "project")
    for path in (root / "tests" / "nlu_heldout").glob("*.yml"):
        path.unlink()
    write_nlu(root / "tests" / "nlu_heldout" / "h.yml", {"ask_fee": ["有料？", "お金は"], "ask_laws": ["法律は"]})
    project, out = Project(root), tmp_path / "reports"
    answers = {"有料？": "ask_fee", "お金は": "ask_fee", "法律は": "ask_laws"}

    def parse(text: str) -> dict:
        intent = {"name": answers[text], "confidence": 0.9}
        return {"intent": intent, "intent_ranking": [intent]}

    meta = {"model": "stub", "trained": "now"}
    assert evaluate.evaluate(parse, project, out, meta) == 0
    answers["お金は"] = "ask_laws"
    assert evaluate.evaluate(parse, project, out, meta) == 1
    report = (out / "nlu_report.md").read_text(encoding="utf-8")
    assert "前回: `nlu_report.json` before this run" in report
    assert "| 正解率 accuracy | 0.667 | 1.000 | -0.333 |" in report
    assert "tests/nlu_heldout/h.yml:6" in (out / "errors.yml").read_text(encoding="utf-8")
