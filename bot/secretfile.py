"""Secrets kept in a file only its owner can read, made once on first use (under var/):
the console's session key and the data key of a local run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable


def create_once(path: Path, make: Callable[[], str]) -> bool:
    """Write `make()` to `path` with mode 0600 unless the file exists; True if this call
    wrote it."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(make())
    # link() is atomic and never replaces: of two processes starting at once,
    # both end up reading the one secret that got there first.
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True
