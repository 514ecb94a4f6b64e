"""`make bench` at a tiny size, so that the script cannot rot (the full run is not
part of the suite): every stage runs against a bot it starts itself, and the report
holds every table with figures from this run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_tiny_benchmark_writes_every_table(model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    result = subprocess.run([sys.executable, "-m", "bench.run", "--tiny", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = out.read_text(encoding="utf-8")
    for heading in ("## NLU parse time per message", "## End to end on the REST channel",
                    "## Long conversations, start-up and memory", "## Where the time of a message goes",
                    "## Targets"):
        assert heading in report
    # Every conversation of the load runs answered as scripted, without errors.
    rows = re.findall(r"^\| embedded \| (\d+) \| (\d+) \| (\d+) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ "
                      r"\| (\d+) \| (\d+) \|$", report, re.MULTILINE)
    assert [(int(c), int(n), int(m), int(e), int(u)) for c, n, m, e, u in rows] == [
        (1, 1, 15, 0, 0), (2, 2, 30, 0, 0)]
    assert re.search(r"\| Rasa server \d+, action server \d+, chat page \d+, staff console \d+ \|", report)
    # The phases of a message, Rasa as shipped beside the bot, in the same run.
    assert re.search(r"\| custom actions \(action server round trip\) \| \d+\.\d\d \| \d+\.\d\d \|", report)
    assert re.search(r"\| load the tracker( \| \d+\.\d\d){4} \|", report)  # turn 5 and the last turn
