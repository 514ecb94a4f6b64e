"""Data keys of the case database (docs/privacy.md, 保存データの暗号化).

    python -m bot.cases.keys generate               print a new key (nothing is stored)
    python -m bot.cases.keys rotate [--batch-size]  re-encrypt every encrypted value (the
                                                    tickets' personal data, staff's notes and
                                                    reasons) with the first key of TCN_DATA_KEYS,
                                                    then every row of the tracker store
                                                    (TRACKER_DATABASE_URL): rows written before
                                                    they were sealed get sealed

Rotation works in batches, each its own unit of work: stopped halfway, it is simply run
again (values already under the first key are re-encrypted once more, harmlessly).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence, TextIO

from sqlalchemy import func, select, table

from bot.cases.blind_index import reindex_batch
from bot.cases.db import CaseStore, OutdatedDatabase, require_latest
from bot.cases.encryption import EncryptedText, rewrite_batch, rotate
from bot.cases.keyring import DataKeyError, keyring, new_key
from bot.cases.models import Base
from bot.tracker_events import TrackerEvents, tracker_url

DEFAULT_BATCH = 200


def encrypted_columns() -> dict[str, tuple[str, ...]]:
    """{table: its EncryptedText columns} of the models, tables in dependency order: a
    column added to the models is rotated without being listed anywhere."""
    found = {t.name: tuple(c.name for c in t.columns if isinstance(c.type, EncryptedText))
             for t in Base.metadata.sorted_tables}
    return {name: columns for name, columns in found.items() if columns}


def rotate_all(store: CaseStore, batch_size: int = DEFAULT_BATCH,
               out: TextIO = sys.stdout) -> dict[str, int]:
    """Re-encrypt every encrypted column with the first key, and index the tickets again
    under it (bot.cases.blind_index); {table: rows gone through}."""
    keys = keyring()  # no key: fail before any work
    require_latest(store.engine)
    columns = encrypted_columns()
    with store.unit_of_work() as session:
        totals = {name: session.execute(select(func.count()).select_from(table(name))).scalar_one()
                  for name in columns}
    counted = ", ".join(f"{total} row(s) of {name}" for name, total in totals.items())
    print(f"re-encrypting {counted} with the first of {keys.size} key(s) in {keys.source}",
          file=out, flush=True)
    done = dict.fromkeys(columns, 0)
    for name, names in columns.items():
        after = 0
        while True:
            with store.unit_of_work() as session:
                ids = rewrite_batch(session, name, names, rotate, after, batch_size)
                if name == "tickets":  # the search's indexes follow the first key too
                    reindex_batch(session, after, batch_size)
            if not ids:
                break
            done[name], after = done[name] + len(ids), ids[-1]
            print(f"  {name}: {done[name]}/{totals[name]}", file=out, flush=True)
    print(f"done: {', '.join(f'{count} row(s) of {name}' for name, count in done.items())} "
          f"under the first key; the other keys can leave {keys.source} once no backup "
          "needs them", file=out, flush=True)
    return done


def rotate_tracker(tracker: TrackerEvents, batch_size: int = DEFAULT_BATCH,
                   out: TextIO = sys.stdout) -> int:
    """Seal every row of the tracker store with the first key (bot/tracker_rows.py);
    the number of rows."""
    keys = keyring()
    total = tracker.count()
    print(f"sealing {total} conversation event(s) with the first of {keys.size} key(s) in "
          f"{keys.source}", file=out, flush=True)
    done, after = 0, 0
    while ids := tracker.seal_batch(after, batch_size):
        done, after = done + len(ids), ids[-1]
        print(f"  {done}/{total}", file=out, flush=True)
    print(f"done: {done} event(s) sealed", file=out, flush=True)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cases.keys",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="print a new Fernet key")
    rotation = commands.add_parser("rotate", help="re-encrypt everything with the first key")
    rotation.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                          help=f"tickets per transaction (default {DEFAULT_BATCH})")
    args = parser.parse_args(argv)
    if args.command == "generate":
        print(new_key())
        return 0
    store = CaseStore.from_env()
    tracker = TrackerEvents(tracker_url())
    try:
        rotate_all(store, max(1, args.batch_size))
        rotate_tracker(tracker, max(1, args.batch_size))
    except (DataKeyError, OutdatedDatabase) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        tracker.dispose()
        store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
