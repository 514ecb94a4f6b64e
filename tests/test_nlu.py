"""The trained NLU model on the held-out set and on the questions that matter most."""

from __future__ import annotations

import json

import pytest
from sklearn.metrics import classification_report, f1_score

from tests.conftest import ARTIFACTS, heldout_examples

MIN_ACCURACY = 0.95
MIN_MACRO_F1 = 0.93


@pytest.fixture(scope="module")
def heldout_predictions(parse) -> list[tuple[str, str, str, float]]:
    rows = []
    for text, expected in heldout_examples():
        intent = parse(text)["intent"]
        rows.append((text, expected, intent["name"], intent["confidence"]))
    return rows


def test_heldout_set_covers_every_intent_ten_times() -> None:
    import yaml
    from collections import Counter

    from tests.conftest import ROOT

    intents = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]
    counts = Counter(expected for _, expected in heldout_examples())
    assert set(counts) == set(intents)
    assert min(counts.values()) >= 10


def test_heldout_accuracy_and_macro_f1(heldout_predictions) -> None:
    expected = [row[1] for row in heldout_predictions]
    predicted = [row[2] for row in heldout_predictions]
    accuracy = sum(e == p for e, p in zip(expected, predicted)) / len(expected)
    macro_f1 = f1_score(expected, predicted, average="macro", labels=sorted(set(expected)))
    errors = [row for row in heldout_predictions if row[1] != row[2]]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "heldout_nlu.json").write_text(json.dumps({
        "accuracy": accuracy, "macro_f1": macro_f1, "examples": len(expected),
        "errors": [dict(zip(("text", "expected", "predicted", "confidence"), e)) for e in errors],
        "report": classification_report(expected, predicted, zero_division=0, output_dict=True),
    }, ensure_ascii=False, indent=1))
    listing = "\n".join(f"{e[1]} -> {e[2]} ({e[3]:.2f}): {e[0]}" for e in errors)
    assert accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.3f}\n{listing}"
    assert macro_f1 >= MIN_MACRO_F1, f"macro F1 {macro_f1:.3f}\n{listing}"


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
