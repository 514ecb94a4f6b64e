"""The lean GiNZA model and the normalizer component of the NLU pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy
import yaml

from bot.nlu.lean_ginza import DEFAULT_PATH, build
from bot.nlu.normalizer import JapaneseTextNormalizer

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = [
    "口座番号は何に使うの？",
    "パスポートで本人確認できますか",
    "かいじせいきゅうのほうほうをおしえて",
    "個人情報が漏洩したらどうなりますか。とても心配です。",
]


@pytest.fixture(scope="module")
def lean() -> spacy.language.Language:
    return spacy.load(build(ROOT / DEFAULT_PATH))


@pytest.fixture(scope="module")
def stock() -> spacy.language.Language:
    return spacy.load("ja_ginza")


def test_lean_model_runs_no_component(lean: spacy.language.Language, stock) -> None:
    assert lean.pipe_names == []
    assert "parser" in stock.pipe_names  # the stock model is the full one


@pytest.mark.parametrize("text", SENTENCES)
def test_lean_model_gives_what_the_features_read(lean, stock, text: str) -> None:
    lean_doc, stock_doc = lean(text), stock(text)
    assert [t.text for t in lean_doc] == [t.text for t in stock_doc]
    assert [t.lemma_ for t in lean_doc] == [t.lemma_ for t in stock_doc]
    assert [t.tag_ for t in lean_doc] == [t.tag_ for t in stock_doc]
    assert all(t.pos_ for t in lean_doc)
    assert lean_doc.vector.shape == (300,)
    assert np.allclose(lean_doc.vector, stock_doc.vector)


def test_default_config_loads_the_lean_model_and_stock_config_the_full_one() -> None:
    def spacy_model(config: str) -> str:
        pipeline = yaml.safe_load((ROOT / config).read_text())["pipeline"]
        return next(c["model"] for c in pipeline if c["name"] == "SpacyNLP")

    assert spacy_model("config.yml") == str(DEFAULT_PATH)
    assert spacy_model("config-stock.yml") == "ja_ginza"


def test_stock_config_differs_from_default_only_in_the_spacy_model() -> None:
    default = yaml.safe_load((ROOT / "config.yml").read_text())
    stock = yaml.safe_load((ROOT / "config-stock.yml").read_text())
    for config in (default, stock):
        next(c for c in config["pipeline"] if c["name"] == "SpacyNLP").pop("model")
    assert default == stock


def test_normalizer_component_normalizes_text_and_moves_entities() -> None:
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    raw = "　ﾊﾟｽﾎﾟｰﾄで　本人確認できますか？"
    start = raw.index("ﾊﾟｽﾎﾟｰﾄ")
    example = Message(data={"text": raw, "intent": "ask_documents", "entities": [
        {"entity": "id_document", "value": "パスポート", "start": start, "end": start + len("ﾊﾟｽﾎﾟｰﾄ")}]})
    live = Message(data={"text": "ＰＲ－２０２６１１２８－ＡＢＣ２３４の状況"})
    component = JapaneseTextNormalizer()

    component.process_training_data(TrainingData([example]))
    component.process([live])

    assert example.get("text") == "パスポートで 本人確認できますか?"
    entity = example.get("entities")[0]
    assert example.get("text")[entity["start"]:entity["end"]] == "パスポート"
    assert live.get("text") == "PR-20261128-ABC234の状況"
