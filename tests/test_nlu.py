"""The trained NLU model on the held-out set and on the questions that matter most."""

from __future__ import annotations

import pytest

from bot.tools.evaluate import predict
from bot.tools.project import Project
from bot.tools.report import Prediction, Scores, score, write_report
from tests.conftest import ARTIFACTS


@pytest.fixture(scope="module")
def heldout_scores(parse) -> tuple[list[Prediction], Scores]:
    predictions = predict(parse, Project().heldout)
    return predictions, score(predictions)


def test_heldout_accuracy_and_macro_f1(heldout_scores) -> None:
    """The thresholds `make evaluate` and CI share (bot/tools/report.py); the
    full report of this run is written to tests/artifacts/nlu_report/."""
    predictions, scores = heldout_scores
    write_report(ARTIFACTS / "nlu_report", predictions, scores, None,
                 {"model": "models/tcn-privacy-desk.tar.gz", "trained": "test run",
                  "heldout": "tests/nlu_heldout", "previous": "none"})
    listing = "\n".join(f"{p.expected} -> {p.predicted} ({p.confidence:.2f}): {p.text}"
                        for p in predictions if not p.correct)
    assert not scores.failures(), "\n".join([*scores.failures(), listing])


@pytest.mark.parametrize(
    ("text", "intent", "entities"),
    [
        ("口座番号は何に使うの？", "ask_purpose", {"data_item": "口座番号"}),
        ("パスポートで本人確認できますか", "ask_documents", {"id_document": "パスポート"}),
        ("本人確認書類は何が必要ですか", "ask_documents", {}),
        ("開示請求の方法を教えてください", "ask_request_procedure", {"request_kind": "開示"}),
        ("それは有料ですか", "ask_fee", {}),
        ("住所を訂正したい", "request_privacy_action", {"request_kind": "訂正"}),
        ("ＰＲ－２０２６１１２８－ＡＢＣ２３４の状況を教えて", "check_status", {"ticket_ref": "PR-20261128-ABC234"}),
        ("こじんじょうほうってなんですか", "ask_definition", {}),
        ("テレビが映らないんだけど", "out_of_scope", {}),
        ("メアドは何に使うんですか", "ask_purpose", {"data_item": "電子メールアドレス"}),
        ("代理人が請求するときは何がいりますか", "ask_documents", {"requester": "代理人"}),
    ],
)
def test_key_questions(parse, text: str, intent: str, entities: dict[str, str]) -> None:
    result = parse(text)
    assert result["intent"]["name"] == intent
    found = {e["entity"]: e["value"] for e in result["entities"]}
    for entity, value in entities.items():
        assert found.get(entity) == value, result["entities"]


def test_phone_and_email_are_found_by_regex_in_any_width(parse) -> None:
    result = parse("連絡先は０９０－１２３４－５６７８、ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍです")
    found = {e["entity"]: e["value"] for e in result["entities"]}
    assert found["phone_number"] == "090-1234-5678"
    assert found["email"] == "taro@example.com"
