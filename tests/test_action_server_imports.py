"""The action server stays small: the custom actions import no Rasa (only rasa-sdk).

Importing `rasa` loads TensorFlow: the action server's memory went from 127 MB
to 705 MB when actions/ imported the noise check through the NLU component's
module (bench/RESULTS.md, 2026-11-30). bot/noise.py holds it without Rasa.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_custom_actions_import_neither_rasa_nor_tensorflow() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, actions.actions, actions.intake; "
                               "print(sorted(m for m in ('rasa', 'tensorflow') if m in sys.modules))"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr[-2000:]
