"""Scores of the NLU model on the held-out set, and the files of reports/.

`score()` computes what CI gates on (accuracy and macro F1, the thresholds
below, shared with tests/test_nlu.py); `write_report()` writes
nlu_report.md/.json, confusion_matrix.png and errors.yml, comparing each
intent with the previous report.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

import yaml
from sklearn.metrics import precision_recall_fscore_support

# The held-out set grew on 2026-11-29 by 172 lines in customers' own styles
# (elderly, rough, hiragana with spaces, typos): on the 630 lines before, the
# model scores 0.956 (0.954 before the new training data); on the new ones 0.843;
# on all 0.932. The thresholds guard the whole set as it is now.
MIN_ACCURACY = 0.92
MIN_MACRO_F1 = 0.93
FALLBACK = "nlu_fallback"

REPORT_JSON = "nlu_report.json"
REPORT_MD = "nlu_report.md"
CONFUSION_PNG = "confusion_matrix.png"
ERRORS_YML = "errors.yml"


@dataclass(frozen=True)
class Prediction:
    text: str
    expected: str
    predicted: str
    confidence: float
    where: str
    # The best real intent; differs from `predicted` when that is nlu_fallback.
    top_intent: str = ""
    top_confidence: float = 0.0

    @property
    def correct(self) -> bool:
        return self.expected == self.predicted


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float
    fallback_rate: float
    examples: int
    # intent -> precision, recall, f1, support
    per_intent: dict[str, dict[str, float]]

    def failures(self) -> list[str]:
        """What is under the thresholds, in words (empty when CI passes)."""
        failed = []
        if self.accuracy < MIN_ACCURACY:
            failed.append(f"accuracy {self.accuracy:.3f} < {MIN_ACCURACY}")
        if self.macro_f1 < MIN_MACRO_F1:
            failed.append(f"macro F1 {self.macro_f1:.3f} < {MIN_MACRO_F1}")
        return failed


def score(predictions: list[Prediction]) -> Scores:
    """Macro F1 over the expected intents only: nlu_fallback is never a right answer."""
    expected = [p.expected for p in predictions]
    predicted = [p.predicted for p in predictions]
    labels = sorted(set(expected))
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=labels, zero_division=0)
    per_intent = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    return Scores(
        accuracy=sum(p.correct for p in predictions) / len(predictions),
        macro_f1=float(f1.mean()),
        fallback_rate=predicted.count(FALLBACK) / len(predictions),
        examples=len(predictions),
        per_intent=per_intent,
    )


def _delta(now: float, before: Optional[float]) -> str:
    if before is None:
        return "new"
    change = now - before
    return "±0" if abs(change) < 0.0005 else f"{change:+.3f}"


def _markdown(scores: Scores, predictions: list[Prediction], previous: Optional[dict[str, Any]],
              meta: dict[str, str]) -> str:
    before = previous or {}
    before_intents = before.get("per_intent", {})
    status = "合格" if not scores.failures() else "不合格: " + "; ".join(scores.failures())
    lines = [
        "# NLU 評価レポート（評価用データ）",
        "",
        f"- モデル: `{meta['model']}`（{meta['trained']}）",
        f"- 評価用データ: `{meta['heldout']}`（{scores.examples} 文）",
        f"- 前回: {meta['previous']}",
        f"- 判定: **{status}**（正解率 ≥ {MIN_ACCURACY}、マクロ F1 ≥ {MIN_MACRO_F1}）",
        "",
        "| 指標 | 今回 | 前回 | 変化 |",
        "|---|---|---|---|",
    ]
    for label, key in (("正解率 accuracy", "accuracy"), ("マクロ F1", "macro_f1"),
                       ("フォールバック率", "fallback_rate")):
        now, then = getattr(scores, key), before.get(key)
        lines.append(f"| {label} | {now:.3f} | {'' if then is None else f'{then:.3f}'} | {_delta(now, then)} |")
    lines.append(f"| 文数 examples | {scores.examples} | {before.get('examples', '')} | |")
    lines += [
        "",
        "## インテントごと",
        "",
        "ΔF1 は前回のレポートとの差。F1 の低い順。",
        "",
        "| intent | precision | recall | F1 | support | ΔF1 |",
        "|---|---|---|---|---|---|",
    ]
    for intent, row in sorted(scores.per_intent.items(), key=lambda item: (item[1]["f1"], item[0])):
        then = before_intents.get(intent, {}).get("f1")
        lines.append(f"| {intent} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} "
                     f"| {row['support']} | {_delta(row['f1'], then)} |")
    removed = sorted(set(before_intents) - set(scores.per_intent))
    if removed:
        lines += ["", f"前回あって今回ないインテント: {', '.join(removed)}"]
    confusions = Counter((p.expected, p.predicted) for p in predictions if not p.correct)
    lines += ["", "## よくある取り違え", "", "| 正解 | 予測 | 件数 |", "|---|---|---|"]
    lines += [f"| {e} | {p} | {n} |" for (e, p), n in confusions.most_common(10)]
    lines += ["", f"誤分類の全文と確信度: [`{ERRORS_YML}`]({ERRORS_YML})。"
              f"混同行列: [`{CONFUSION_PNG}`]({CONFUSION_PNG})。", ""]
    return "\n".join(lines)


def _confusion_png(predictions: list[Prediction], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in CI
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted({p.expected for p in predictions} | {p.predicted for p in predictions})
    matrix = confusion_matrix([p.expected for p in predictions], [p.predicted for p in predictions],
                              labels=labels)
    # Colour by share of the row (recall), so a small intent's errors show too.
    shares = matrix / matrix.sum(axis=1, keepdims=True).clip(min=1)
    size = 4 + 0.32 * len(labels)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("expected")
    for row, col in zip(*matrix.nonzero()):
        axes.text(col, row, str(matrix[row, col]), ha="center", va="center", fontsize=6,
                  color="white" if shares[row, col] > 0.5 else "black")
    axes.set_title(f"held-out confusion matrix ({len(predictions)} examples)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _errors(predictions: list[Prediction]) -> list[dict[str, Any]]:
    rows = []
    for p in predictions:
        if p.correct:
            continue
        row: dict[str, Any] = {"text": p.text, "expected": p.expected, "predicted": p.predicted,
                               "confidence": round(p.confidence, 3), "where": p.where}
        if p.predicted == FALLBACK:
            row["best_intent"] = {"name": p.top_intent, "confidence": round(p.top_confidence, 3)}
        rows.append(row)
    return sorted(rows, key=lambda r: (r["expected"], r["where"]))


def write_report(out_dir: Path, predictions: list[Prediction], scores: Scores,
                 previous: Optional[dict[str, Any]], meta: dict[str, str]) -> None:
    """Write the four report files; `meta` names the model, held-out set and previous report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {**asdict(scores), "meta": meta, "thresholds": {"accuracy": MIN_ACCURACY, "macro_f1": MIN_MACRO_F1}}
    (out_dir / REPORT_JSON).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out_dir / REPORT_MD).write_text(_markdown(scores, predictions, previous, meta), encoding="utf-8")
    errors = _errors(predictions)
    (out_dir / ERRORS_YML).write_text(
        f"# 評価用データで誤分類された {len(errors)} 文（python -m bot.tools.evaluate）\n"
        + yaml.safe_dump(errors, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    _confusion_png(predictions, out_dir / CONFUSION_PNG)
