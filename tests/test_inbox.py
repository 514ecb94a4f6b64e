"""The review inbox (bot/tools/inbox.py, bot/tools/masking.py): masking,
export from a real Rasa SQL tracker store (SQLite and PostgreSQL), merge."""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.tools import inbox
from bot.tools.masking import Masker, fill
from bot.tools.project import Project
from tests.cases_fixtures import fresh_postgres_database
from tests.project_copy import copy_project

# Personal data of the fixtures: none of it may reach the review file.
PERSONAL = ["山田", "太郎", "やまだ", "鈴木", "一郎", "John", "Smith", "田中", "花子",
            "090", "1234", "5678", "taro", "example", "ABC234", "20261128", "482913", "12345678", "03-"]


@pytest.fixture(scope="module")
def masker() -> Masker:
    return Masker()


@pytest.mark.parametrize(("text", "masked"), [
    ("山田太郎です。電話は０９０－１２３４－５６７８、メールはｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍです",
     "〈氏名〉です。電話は〈電話番号〉、メールは〈メールアドレス〉です"),
    ("やまだ たろう と申します、03-1234-5678 までお願いします", "〈氏名〉 と申します、〈電話番号〉 までお願いします"),
    ("PR-20261128-ABC234 の確認コードは 482913 です", "〈受付番号〉 の確認コードは 〈確認コード〉 です"),
    ("私はJohn Smithです。お客様番号は12345678", "私は〈氏名〉です。お客様番号は〈番号〉"),
    ("母の田中花子の代理で、taro.yamada@example.co.jp に返事をください",
     "母の〈氏名〉の代理で、〈メールアドレス〉 に返事をください"),
    ("口座番号は何に使うの", "口座番号は何に使うの"),
])
def test_masking(masker: Masker, text: str, masked: str) -> None:
    assert masker.mask(text) == masked
    assert not [word for word in PERSONAL if word in masked]


def test_fill_puts_harmless_samples_in_place_of_masks() -> None:
    assert fill("〈氏名〉です。〈電話番号〉、〈メールアドレス〉") == "多摩太郎です。090-1234-5678、taro@example.com"


def _fallback(text: str, best: str, timestamp: float | None = None) -> UserUttered:
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": best, "confidence": 0.31}]
    return UserUttered(text, {"name": "nlu_fallback", "confidence": 0.4},
                       parse_data={"intent": ranking[0], "intent_ranking": ranking, "entities": []},
                       timestamp=timestamp)


def _sure(text: str, intent: str, confidence: float) -> UserUttered:
    top = {"name": intent, "confidence": confidence}
    return UserUttered(text, top, parse_data={"intent": top, "intent_ranking": [top], "entities": []})


def conversations(trained_line: str) -> dict[str, list[Event]]:
    month_ago = time.time() - 30 * 86400
    return {
        "c1": [SessionStarted(),
               _fallback("山田太郎です。０９０－１２３４－５６７８に電話ください", "inform"),
               _sure("私のメアド taro.yamada@example.co.jp は何に使うの", "ask_purpose", 0.45),
               _sure("手数料はかかりますか", "ask_fee", 0.98),
               _sure("/greet", "greet", 1.0),
               _fallback(trained_line, "ask_laws")],
        "c2": [_fallback("山田花子です。090-9999-8888に電話ください", "inform")],
        "c3": [ActiveLoop("intake_form"), _fallback("鈴木一郎", "inform"),
               _fallback("東京都青梅市新町1-2-3に引っ越しました", "inform"), ActiveLoop(None),
               _fallback("John Smithですが、PR-20261128-ABC234 の件で 482913", "check_status")],
        "old": [_fallback("ずっと前の質問です", "greet", timestamp=month_ago)],
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A real Rasa SQL tracker store holding the fixture conversations."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'tracker.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database())
        parts = make_url(url)
        store = SQLTrackerStore(Domain.empty(), dialect=parts.drivername, host=parts.host, port=parts.port,
                                db=parts.database, username=parts.username, password=parts.password)
        trained = next(e.text for e in Project().training if e.intent == "ask_laws")
        for sender, events in conversations(trained).items():
            asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
        store.engine.dispose()
        yield url


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def test_export_masks_deduplicates_and_skips_form_answers(tracker_url: str, root: Path, tmp_path: Path) -> None:
    out = tmp_path / "inbox" / "review.yml"
    assert inbox.main(["--root", str(root), "export", "--tracker-url", tracker_url, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert not [word for word in PERSONAL if word in text]
    assert re.search(r"^  intent:$", text, re.MULTILINE)  # empty, for the labeler
    entries = yaml.safe_load(text)
    assert entries == [
        {"text": "〈氏名〉です。〈電話番号〉に電話ください", "predicted": "inform", "confidence": 0.31, "count": 2,
         "intent": None, "heldout": False},
        {"text": "〈氏名〉ですが、〈受付番号〉 の件で 〈確認コード〉", "predicted": "check_status", "confidence": 0.31,
         "count": 1, "intent": None, "heldout": False},
        {"text": "ずっと前の質問です", "predicted": "greet", "confidence": 0.31, "count": 1,
         "intent": None, "heldout": False},
        {"text": "私のメアド 〈メールアドレス〉 は何に使うの", "predicted": "ask_purpose", "confidence": 0.45,
         "count": 1, "intent": None, "heldout": False},
    ]
    # Labels survive a second export; --since leaves out older messages.
    entries[0]["intent"] = "inform"
    out.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    recent = tmp_path / "recent.yml"
    assert inbox.main(["--root", str(root), "export", "--tracker-url", tracker_url, "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == entries
    inbox.main(["--root", str(root), "export", "--tracker-url", tracker_url, "--out", str(recent), "--since", "7"])
    assert "ずっと前" not in recent.read_text(encoding="utf-8")


def test_merge_appends_labeled_lines_and_runs_the_checks(root: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    trained = next(e for e in Project(root).training if e.intent == "ask_laws")
    review = tmp_path / "review.yml"
    review.write_text(yaml.safe_dump([
        {"text": "〈氏名〉です。〈電話番号〉に電話ください", "intent": "inform"},
        {"text": "私のメアド 〈メールアドレス〉 は何に使うの", "intent": "ask_purpose", "heldout": True},
        {"text": "[口座番号](data_item)って結局なにに使われるんですか", "intent": "ask_purpose"},
        {"text": "まだ誰も見ていない行", "intent": None},
        {"text": trained.text, "intent": "ask_laws"},
        {"text": trained.text + "　", "intent": "ask_fee"},
        {"text": "存在しない意図", "intent": "ask_weather"},
    ], allow_unicode=True), encoding="utf-8")
    assert inbox.main(["--root", str(root), "merge", str(review)]) == 1
    output = capsys.readouterr().out
    assert "2 training, 1 held-out, 1 unlabeled, 2 duplicate" in output
    assert f"{review}:12: already an example of 'ask_laws' ({trained.where}), not added as 'ask_fee'" in output
    assert f"{review}:14: intent 'ask_weather' is not in domain.yml" in output
    assert re.search(r"entities .* … ok", output)  # the checks ran on the merged data
    merged = Project(root)
    added = [(e.text, e.intent) for e in merged.training if e.where.startswith("data/nlu/reviewed.yml")]
    assert added == [("口座番号って結局なにに使われるんですか", "ask_purpose"),
                     ("多摩太郎です。090-1234-5678に電話ください", "inform")]
    assert [e.entities[0]["value"] for e in merged.training if e.where == "data/nlu/reviewed.yml:7"] == ["口座番号"]
    assert [(e.text, e.intent) for e in merged.heldout if e.where.startswith("tests/nlu_heldout/reviewed.yml")] \
        == [("私のメアド taro@example.com は何に使うの", "ask_purpose")]
    # Merging again adds nothing.
    before = (root / "data" / "nlu" / "reviewed.yml").read_text(encoding="utf-8")
    inbox.main(["--root", str(root), "merge", str(review)])
    assert "0 training, 0 held-out, 1 unlabeled, 5 duplicate" in capsys.readouterr().out
    assert (root / "data" / "nlu" / "reviewed.yml").read_text(encoding="utf-8") == before


def test_export_says_when_there_is_no_tracker_store(root: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    with pytest.raises(SystemExit, match="no Rasa tracker store at sqlite:///.*nothing.db"):
        inbox.main(["--root", str(root), "export", "--tracker-url", f"sqlite:///{missing}",
                    "--out", str(tmp_path / "review.yml")])
    assert not missing.exists()
