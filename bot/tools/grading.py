"""The graded conversations of tests/answers/: cases, what the bot did, scores.

Each case is a customer's message (or a conversation of several) written
without the training data, with what a good answer does: the topic, the
clauses it must cite (any one of them), strings it must and must not contain,
a length limit (tests/answers/README.md). `grade(cases, chat)` plays every
case against `chat` and returns one `Graded` per customer turn; `summary`
turns them into the figures that `make evaluate` reports and `make test`
asserts.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

import yaml

ANSWERS_DIR = Path(__file__).resolve().parents[2] / "tests" / "answers"
# 「（出典：セキュリティポリシー 5.(2)、5.(3)）」
_CITATION = re.compile(r"出典：セキュリティポリシー ([^）]+)）")


@dataclass(frozen=True)
class Expected:
    """What a good answer to one customer message does."""

    says: str
    topic: str
    clauses: tuple[str, ...] = ()
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    max_chars: int = 300
    follow_up: bool = False
    second: Optional["Expected"] = None

    @classmethod
    def of(cls, raw: dict[str, Any], says: str = "") -> "Expected":
        second = raw.get("second")
        return cls(
            says=raw.get("says", says), topic=raw["topic"], clauses=tuple(raw.get("clauses") or ()),
            must=tuple(raw.get("must") or ()), must_not=tuple(raw.get("must_not") or ()),
            max_chars=int(raw.get("max_chars", 300)), follow_up=bool(raw.get("follow_up")),
            second=cls.of(second, raw.get("says", "")) if second else None,
        )


@dataclass(frozen=True)
class Case:
    """A conversation: one turn for a single-turn case."""

    id: str
    turns: tuple[Expected, ...]
    source: str


@dataclass(frozen=True)
class Turn:
    """What the bot did with one message: its texts, the topic it answered
    (None when it could not tell), the clauses its texts cite."""

    texts: tuple[str, ...]
    topic: Optional[str]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def cited(self) -> tuple[str, ...]:
        refs: list[str] = []
        for match in _CITATION.finditer(self.text):
            refs.extend(ref.strip() for ref in match.group(1).split("、"))
        return tuple(refs)


Chat = Callable[[str, str], Turn]


@dataclass(frozen=True)
class Graded:
    case: str
    number: int
    expected: Expected
    turn: Turn
    right_topic: bool
    right_clause: Optional[bool]  # None when no clause is expected
    answered: bool
    problems: tuple[str, ...] = field(default=())

    @property
    def length(self) -> int:
        return len(self.turn.text)


def load_cases(directory: Path = ANSWERS_DIR) -> list[Case]:
    """Every case of every YAML file in `directory` (single_*.yml: `cases`;
    multi*.yml: `conversations`)."""
    cases = []
    for path in sorted(directory.glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in raw.get("cases", []):
            cases.append(Case(case["id"], (Expected.of(case),), path.name))
        for conversation in raw.get("conversations", []):
            turns = tuple(Expected.of(turn) for turn in conversation["turns"])
            cases.append(Case(conversation["id"], turns, path.name))
    return cases


def _contains(text: str, wanted: str) -> bool:
    return any(option in text for option in wanted.split("|"))


def judge(case: str, number: int, expected: Expected, turn: Turn) -> Graded:
    problems = []
    topics = {expected.topic} | ({expected.second.topic} if expected.second else set())
    right_topic = turn.topic == expected.topic
    if not right_topic:
        problems.append(f"topic {turn.topic} (expected {expected.topic})")
    right_clause: Optional[bool] = None
    wanted = [expected.clauses] + ([expected.second.clauses] if expected.second and expected.second.clauses else [])
    if expected.clauses:
        cited = set(turn.cited)
        right_clause = all(set(refs) & cited for refs in wanted)
        if not right_clause:
            problems.append(f"cited {sorted(cited)} (expected one of {list(expected.clauses)})")
    must = [*expected.must, *(expected.second.must if expected.second else ())]
    missing = [item for item in must if not _contains(turn.text, item)]
    present = [item for item in expected.must_not if _contains(turn.text, item)]
    too_long = len(turn.text) > expected.max_chars
    if missing:
        problems.append(f"missing {missing}")
    if present:
        problems.append(f"must not say {present}")
    if too_long:
        problems.append(f"{len(turn.text)} characters (limit {expected.max_chars})")
    answered = not missing and not present and not too_long and right_clause is not False and (
        right_topic or turn.topic in topics)
    return Graded(case, number, expected, turn, right_topic, right_clause, answered, tuple(problems))


def grade(cases: Iterable[Case], chat: Chat, progress: Callable[[str], None] = lambda _: None) -> list[Graded]:
    """Play every case against `chat` (a new conversation each) and judge every turn."""
    graded = []
    cases = list(cases)
    for position, case in enumerate(cases, 1):
        sender = f"graded-{case.id}"
        for number, expected in enumerate(case.turns):
            graded.append(judge(case.id, number, expected, chat(sender, expected.says)))
        if position % 25 == 0 or position == len(cases):
            progress(f"  graded {position}/{len(cases)} conversations")
    return graded


def _percent(hits: Sequence[bool]) -> float:
    return round(100 * sum(hits) / len(hits), 1) if hits else 100.0


def _p95(values: Sequence[int]) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] if ordered else 0


def figures(graded: Sequence[Graded]) -> dict[str, Any]:
    """Right topic, right clause, answered (percentages), median and p95 reply
    length (characters) of `graded`."""
    lengths = [g.length for g in graded]
    clauses = [g.right_clause for g in graded if g.right_clause is not None]
    single_point = [g.length for g in graded if g.expected.max_chars <= 300]
    return {
        "turns": len(graded),
        "right_topic": _percent([g.right_topic for g in graded]),
        "right_clause": _percent(clauses),
        "answered": _percent([g.answered for g in graded]),
        "median_chars": int(statistics.median(lengths)) if lengths else 0,
        "p95_chars": _p95(lengths),
        "p95_chars_single_point": _p95(single_point),
    }


def summary(graded: Sequence[Graded]) -> dict[str, Any]:
    """The overall figures, those of follow-ups (turns that need the previous
    answer), and the figures per expected topic."""
    follow_ups = [g for g in graded if g.expected.follow_up]
    by_topic: dict[str, list[Graded]] = {}
    for g in graded:
        by_topic.setdefault(g.expected.topic, []).append(g)
    return {
        "overall": figures(graded),
        "single_turn": figures([g for g in graded if g.number == 0]),
        "follow_ups": {"turns": len(follow_ups),
                       "kept_context": _percent([g.answered for g in follow_ups])},
        "topics": {topic: figures(items) for topic, items in sorted(by_topic.items())},
    }


def report(graded: Sequence[Graded], figures_: dict[str, Any]) -> str:
    """The Markdown report: the figures, per topic, then every turn that was not answered."""
    overall, follow = figures_["overall"], figures_["follow_ups"]
    lines = [
        "# Graded answers (tests/answers/)", "",
        f"{overall['turns']} customer turns. Right topic {overall['right_topic']}%, right clause "
        f"{overall['right_clause']}%, answered {overall['answered']}%, reply length median "
        f"{overall['median_chars']} / p95 {overall['p95_chars']} characters (p95 of single-point questions "
        f"{overall['p95_chars_single_point']}). Follow-ups that kept context: {follow['kept_context']}% of "
        f"{follow['turns']}.", "",
        "| topic | turns | right topic % | right clause % | answered % | median chars | p95 chars |",
        "|---|---|---|---|---|---|---|",
    ]
    for topic, f in figures_["topics"].items():
        lines.append(f"| {topic} | {f['turns']} | {f['right_topic']} | {f['right_clause']} | {f['answered']} "
                     f"| {f['median_chars']} | {f['p95_chars']} |")
    failures = [g for g in graded if not g.answered or not g.right_topic]
    lines += ["", f"## Turns not answered as expected ({len(failures)})", ""]
    for g in failures:
        lines.append(f"- `{g.case}` turn {g.number + 1}: 「{g.expected.says}」: {'; '.join(g.problems)}")
    return "\n".join(lines) + "\n"


# Issue 13's targets, reported by `make evaluate` next to the figures.
TARGETS = {
    "right_topic": 97.0,
    "right_clause": 90.0,
    "p95_chars_single_point": 300,
    "kept_context": 90.0,
}
# What `make test` asserts and `make evaluate` fails under: the figures this
# bot reached (reports/answers.md: 94.3 / 91.4 / 272 / 90.9 on 2026-12-08), less a little
# for the noise of retraining. They only ever go up, towards TARGETS.
THRESHOLDS = {
    "right_topic": 92.0,
    "right_clause": 89.0,
    "p95_chars_single_point": 300,
    "kept_context": 88.0,
}


def below(figures_: dict[str, Any], limits: dict[str, float]) -> list[str]:
    """Each figure of `summary()` (single-turn cases; follow-ups for context)
    that misses its limit in `limits`, as a readable line."""
    single = figures_["single_turn"]
    measured = {**single, "kept_context": figures_["follow_ups"]["kept_context"]}
    failed = []
    for name, limit in limits.items():
        value = measured[name]
        if (value > limit) if name.startswith("p95") else (value < limit):
            failed.append(f"{name.replace('_', ' ')} {value} (limit {limit})")
    return failed


def below_thresholds(figures_: dict[str, Any]) -> list[str]:
    return below(figures_, THRESHOLDS)
