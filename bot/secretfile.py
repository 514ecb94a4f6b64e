"""Files only their owner can read: the secrets made once on first use under var/ (the
console's session key, the data key and the action server's secret of a local run), and
every file a local run writes there (databases, logs)."""

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


def keep_private(folder: Path) -> None:
    """Make `folder` (created if missing) and what it holds readable by the owner only
    (folders 0700, files 0600), and every file this process and its children create
    from now on 0600 (umask 077): SQLite creates the tracker store, the case database
    and their -wal/-shm files with the mode of a new file, 0644 under the usual umask."""
    os.umask(0o077)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in (folder, *folder.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)
