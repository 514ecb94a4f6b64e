"""Copies of the project for tests that need broken or extended data: never the live files."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import ROOT

# What training and the checks read; the GiNZA copy is linked, not copied (500 MB).
_COPIED = ("data", "tests/nlu_heldout", "actions", "domain.yml", "config.yml")


def copy_project(dest: Path) -> Path:
    for name in _COPIED:
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (dest / "var").mkdir()
    (dest / "var" / "spacy").symlink_to(ROOT / "var" / "spacy")
    return dest


def write_nlu(path: Path, blocks: dict[str, list[str]]) -> Path:
    """An NLU file with one block per intent (lines as written, markup allowed)."""
    lines = ['version: "3.1"', "nlu:"]
    for intent, examples in blocks.items():
        lines += [f"- intent: {intent}", "  examples: |", *(f"    - {e}" for e in examples)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replace_in(path: Path, old: str, new: str) -> None:
    """Edit a copied file in place; `old` must be there exactly once."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
