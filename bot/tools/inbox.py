"""The review inbox: what customers said that the bot did not understand well.

`export` reads the tracker store (Rasa's SQL `events` table, SQLite or
PostgreSQL, through bot/tracker_events.py) and writes, for labeling, the
messages that ended in nlu_fallback or whose intent confidence was low,
deduplicated after normalization and with personal data masked
(bot/tools/masking.py).
Messages typed while a form was active are never exported: they are answers
(names, addresses, request details), not questions. An existing review file
keeps its labels; only new messages are added.

`merge` appends the labeled lines to data/nlu/reviewed.yml, or with
`heldout: true` to tests/nlu_heldout/reviewed.yml, grouped by intent, skips
unlabeled lines and lines already in the data, then runs the project checks.

    python -m bot.tools.inbox export [--tracker-url sqlite:///var/tracker.db] [--out inbox/review.yml]
                                     [--since DAYS] [--min-confidence 0.6]
    python -m bot.tools.inbox merge inbox/review.yml
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import sqlalchemy as sa
import yaml

from bot.text import normalize
from bot.tools.checks import run_checks
from bot.tools.masking import Masker, fill
from bot.tools.project import ROOT, Project, compose, items, parse_example
from bot.tools.report import FALLBACK
from bot.tracker_events import TrackerEvents

DEFAULT_TRACKER = "sqlite:///var/tracker.db"
DEFAULT_REVIEW = Path("inbox/review.yml")
REVIEWED = "reviewed.yml"
# Events after which no form is active any more.
_RESETS = ("session_started", "restart")
_HEADER = """\
# Review inbox (python -m bot.tools.inbox export). Personal data is masked as 〈…〉.
# For each line you can: write the intent it means under `intent:` (see docs/intents.md);
# set `heldout: true` to put it in the test set instead of the training data; correct the text
# (keep the 〈…〉 placeholders; entity markup such as [口座番号](data_item) is allowed).
# Lines left without an intent are skipped. Then: make inbox-merge
"""


@dataclass
class Candidate:
    text: str
    predicted: str
    confidence: float
    count: int = 1


def _messages(url: str, since_days: Optional[float], forms: set[str]) -> Iterator[dict[str, Any]]:
    """The data of user events said outside `forms` (in the last `since_days`), oldest
    first per conversation. (The two-stage fallback is an active loop too: what is said
    in it is wanted.)"""
    cutoff = time.time() - since_days * 86400 if since_days else 0.0
    tracker = TrackerEvents(url)
    try:
        if not tracker.exists():
            shown = sa.engine.make_url(url).render_as_string(hide_password=True)
            raise SystemExit(f"no Rasa tracker store at {shown} (no `events` table): "
                             "is that where the bot keeps its conversations?")
        sender, in_form = None, False
        for event in tracker.events(types=("active_loop", *_RESETS, "user")):
            if event.sender_id != sender:
                sender, in_form = event.sender_id, False
            if event.type_name in _RESETS:
                in_form = False
            elif event.type_name == "active_loop":
                in_form = event.data.get("name") in forms
            elif not in_form and event.timestamp >= cutoff:
                yield event.data
    finally:
        tracker.dispose()


def candidates(events: Iterator[dict[str, Any]], min_confidence: float, masker: Masker,
               known: set[str]) -> list[Candidate]:
    """Fallbacks and low-confidence messages, masked, deduplicated, not in `known`."""
    found: dict[str, Candidate] = {}
    for event in events:
        text, parse = event.get("text") or "", event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        if not text or text.startswith("/"):  # button payloads name their intent
            continue
        if intent.get("name") != FALLBACK and intent.get("confidence", 0.0) >= min_confidence:
            continue
        best = next((r for r in parse.get("intent_ranking", []) if r["name"] != FALLBACK), intent)
        masked = masker.mask(text)  # normalized too: the key for duplicates
        if normalize(fill(masked)) in known:
            continue
        if masked in found:
            found[masked].count += 1
        else:
            found[masked] = Candidate(masked, best.get("name", ""), round(float(best.get("confidence", 0.0)), 3))
    return sorted(found.values(), key=lambda c: (-c.count, c.confidence))


class _Dumper(yaml.SafeDumper):
    """Writes None as nothing, so that the labeler sees an empty `intent:`."""


_Dumper.add_representer(type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", ""))


def export(url: str, out: Path, since_days: Optional[float], min_confidence: float, project: Project) -> int:
    previous = yaml.safe_load(out.read_text(encoding="utf-8")) if out.exists() else None
    entries = list(previous or [])
    known = {normalize(e.text) for e in [*project.training, *project.heldout]}
    known |= {normalize(fill(e["text"])) for e in entries}
    print("loading GiNZA's NER (ja_ginza) for masking names…", flush=True)
    masker = Masker()
    print(f"reading {sa.engine.make_url(url).render_as_string(hide_password=True)}…", flush=True)
    messages = _messages(url, since_days, set(project.domain.forms))
    new = candidates(messages, min_confidence, masker, known)
    entries += [{"text": c.text, "predicted": c.predicted, "confidence": c.confidence, "count": c.count,
                 "intent": None, "heldout": False} for c in new]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_HEADER + yaml.dump(entries, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                                       width=1000), encoding="utf-8")
    print(f"{len(new)} new message(s) to review, {len(entries)} in {out}")
    return 0


# -- merge -------------------------------------------------------------------


def _read_reviewed(path: Path) -> dict[str, list[str]]:
    """intent -> example lines (markup kept) of a reviewed.yml written by merge."""
    blocks = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"] if path.exists() else []
    return {b["intent"]: [line[2:] for line in b["examples"].splitlines() if line.startswith("- ")]
            for b in blocks}


def _write_reviewed(path: Path, lines: dict[str, list[str]], what: str) -> None:
    out = ['version: "3.1"', f"# {what} from real conversations, labeled in the review inbox",
           "# (python -m bot.tools.inbox merge). Rewritten by each merge: edit lines, not comments.", "nlu:"]
    for intent in sorted(lines):
        out += [f"- intent: {intent}", "  examples: |", *(f"    - {line}" for line in lines[intent])]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def merge(review: Path, project: Project) -> int:
    root = compose(review)
    entries = yaml.safe_load(review.read_text(encoding="utf-8")) or []
    domain = project.domain.intents
    existing = {normalize(e.text): e for e in [*project.training, *project.heldout]}
    targets = {False: project.nlu_dir / REVIEWED, True: project.heldout_dir / REVIEWED}
    added = {flag: _read_reviewed(path) for flag, path in targets.items()}
    counts = {"training": 0, "held-out": 0, "unlabeled": 0, "duplicate": 0}
    problems = []
    for entry, node in zip(entries, items(root)):
        where = f"{review}:{node.start_mark.line + 1}"
        intent = str(entry.get("intent") or "").strip()
        if not intent:
            counts["unlabeled"] += 1
            continue
        if intent not in domain:
            problems.append(f"{where}: intent '{intent}' is not in domain.yml: use one of docs/intents.md")
            continue
        line = fill(normalize(str(entry["text"])))
        example = parse_example(line, intent, where)
        key = normalize(example.text)
        twin = existing.get(key)
        if twin:
            counts["duplicate"] += 1
            if twin.intent != intent:
                problems.append(f"{where}: already an example of '{twin.intent}' ({twin.where}), "
                                f"not added as '{intent}': decide which intent it means and fix one of them")
            continue
        heldout = bool(entry.get("heldout"))
        added[heldout].setdefault(intent, []).append(line)
        existing[key] = example
        counts["held-out" if heldout else "training"] += 1
    for heldout, path in targets.items():
        if added[heldout]:
            _write_reviewed(path, added[heldout], "Held-out lines" if heldout else "Training lines")
    print("merged: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    for problem in problems:
        print(problem)
    print("running the project checks on the merged data…", flush=True)
    checked = run_checks(Project(project.root))
    for found in checked:
        print(found)
    return 1 if problems or checked else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory (default: this repository)")
    commands = parser.add_subparsers(dest="command", required=True)
    out = commands.add_parser("export", help="write messages to review, masked")
    out.add_argument("--tracker-url", default=DEFAULT_TRACKER, help="SQLAlchemy URL of the tracker store")
    out.add_argument("--out", type=Path, default=DEFAULT_REVIEW)
    out.add_argument("--since", type=float, metavar="DAYS", help="only messages of the last DAYS days")
    out.add_argument("--min-confidence", type=float, default=0.6)
    into = commands.add_parser("merge", help="add the labeled lines to the data and run the checks")
    into.add_argument("review", type=Path, nargs="?", default=DEFAULT_REVIEW)
    args = parser.parse_args(argv)
    project = Project(args.root)
    if args.command == "export":
        return export(args.tracker_url, args.out, args.since, args.min_confidence, project)
    return merge(args.review, project)


if __name__ == "__main__":
    sys.exit(main())
