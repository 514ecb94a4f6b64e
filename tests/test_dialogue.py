"""Rasa's own checks of the data, and the conversation tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_rasa


def test_rasa_data_validate_is_clean() -> None:
    result = run_rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_conversations(model_path: Path, tmp_path: Path) -> None:
    result = run_rasa(
        "test", "core", "--model", str(model_path), "--stories", "tests/conversations",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, details + result.stdout[-3000:] + result.stderr[-3000:]
