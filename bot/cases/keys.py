"""Data keys of the case database (docs/privacy.md, 保存データの暗号化).

    python -m bot.cases.keys generate               print a new key (nothing is stored)
    python -m bot.cases.keys rotate [--batch-size]  re-encrypt every ticket's personal data
                                                    with the first key of TCN_DATA_KEYS

Rotation works in batches, each its own unit of work: stopped halfway, it is simply run
again (values already under the first key are re-encrypted once more, harmlessly).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence, TextIO

from sqlalchemy import func, select

from bot.cases.db import CaseStore, OutdatedDatabase, require_latest
from bot.cases.encryption import rewrite_batch, rotate
from bot.cases.keyring import DataKeyError, keyring, new_key
from bot.cases.models import PERSONAL_FIELDS, Ticket

DEFAULT_BATCH = 200


def rotate_all(store: CaseStore, batch_size: int = DEFAULT_BATCH, out: TextIO = sys.stdout) -> int:
    """Re-encrypt every ticket with the first key; the number of tickets."""
    keys = keyring()  # no key: fail before any work
    require_latest(store.engine)
    with store.unit_of_work() as session:
        total = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
    print(f"re-encrypting the personal data of {total} ticket(s) with the first of "
          f"{keys.size} key(s) in {keys.source}", file=out, flush=True)
    done, after = 0, 0
    while True:
        with store.unit_of_work() as session:
            ids = rewrite_batch(session, PERSONAL_FIELDS, rotate, after, batch_size)
        if not ids:
            break
        done, after = done + len(ids), ids[-1]
        print(f"  {done}/{total}", file=out, flush=True)
    print(f"done: {done} ticket(s) under the first key; the other keys can leave "
          f"{keys.source} once no backup needs them", file=out, flush=True)
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
    try:
        rotate_all(store, max(1, args.batch_size))
    except (DataKeyError, OutdatedDatabase) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
