"""Builds the lean copy of ja_ginza that the default NLU pipeline loads.

Rasa's `SpacyNLP` runs every component of the model it loads, but the
features of this bot read only what the Sudachi tokenizer and the vectors
give (lemmas, POS tags, 300-dimension word vectors). The lean copy keeps the
tokenizer and vocabulary and drops tok2vec, parser, ner, morphologizer and
the bunsetu components, and is saved to disk so that `SpacyNLP` can be
pointed at it by path (`config.yml`).

    python -m bot.nlu.lean_ginza var/spacy/ja_ginza_lean
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import spacy

SOURCE_MODEL = "ja_ginza"
DEFAULT_PATH = Path("var/spacy/ja_ginza_lean")


def build(path: Path = DEFAULT_PATH) -> Path:
    """Save the tokenizer-and-vectors copy of ja_ginza to `path` (a directory,
    created with its parents) and return it.

    Does nothing when `path` already holds a copy of the installed version (its
    meta.json names it). Raises OSError when ja_ginza is not installed (spaCy's
    error) or `path` cannot be written."""
    installed = spacy.util.get_package_version(SOURCE_MODEL)
    meta_file = path / "meta.json"
    if meta_file.exists() and json.loads(meta_file.read_text())["version"] == installed:
        return path
    nlp = spacy.load(SOURCE_MODEL)
    for name in list(nlp.pipe_names):
        nlp.remove_pipe(name)
    nlp.meta["name"] = f"{nlp.meta['name']}_lean"
    path.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    return path


def main() -> None:
    """`python -m bot.nlu.lean_ginza [path]`: build the copy and print where it is."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    path = build(parser.parse_args().path)
    print(f"lean GiNZA model: {path}")


if __name__ == "__main__":
    main()
