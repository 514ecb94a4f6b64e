"""Running the staff console's command line as a real process, as staff would."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.cases.db import ROOT


def cli(cases_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`python -m bot.console.cli ARGS` on the case database at `cases_url`. A new session
    has no terminal, so getpass reads what it asks from stdin."""
    return subprocess.run(
        [sys.executable, "-m", "bot.console.cli", *args], input=stdin, cwd=ROOT,
        capture_output=True, text=True, timeout=120, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CASES_DATABASE_URL": cases_url},
    )
