"""Issue 14, the status lookup: no trap (a limit, a way out, a person), lost
references and codes routed, references and codes read in every format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cases.db import CaseStore, make_engine
from bot.intake import form as f
from bot.intake import status as s
from bot.intake.form import Turn, load_intake_wording
from bot.intake.hearing import lost_credentials
from bot.policy.answers import default_answerer

WORDING = load_intake_wording()
LOOKUP = s.StatusLookup(CaseStore(make_engine(f"sqlite:///{Path('/nonexistent/unused.db')}")), default_answerer(),
                        WORDING)


def turn(slot: str, text: str, intent: str = "inform", confidence: float = 0.5, **slots: Any) -> Turn:
    return Turn(slot=slot, text=text, intent=intent, confidence=confidence, entities={}, slots=slots)


def test_the_trap_of_issue_14_has_a_limit_and_ways_out() -> None:
    failures = 0
    for text in ("あｓｄｆｇｈｊｋ", "えーと", "よくわからない"):
        step = LOOKUP.validate(turn(s.REFERENCE, text, intake_failures=failures))
        failures = step.updates[f.FAILURES]
    assert failures == 3 and "0428-32-1351" in step.replies[-1].text
    assert [b.payload for b in step.replies[-1].buttons] == ["/ask_human", "/cancel"]
    assert LOOKUP.validate(turn(s.REFERENCE, "いいえ")).updates[s.OUTCOME] == s.OUTCOME_CANCELLED
    assert LOOKUP.validate(turn(s.REFERENCE, "担当者と話したい")).updates[s.OUTCOME] == f.OUTCOME_HANDOFF
    assert LOOKUP.validate(turn(s.CODE, "やめる")).updates[s.OUTCOME] == s.OUTCOME_CANCELLED


@pytest.mark.parametrize("text", ["受付番号を忘れました", "確認コードをなくしました", "コードがわかりません",
                                  "受付番号を控えていない"])
def test_a_lost_reference_or_code_gets_the_contact_point_and_a_person(text: str) -> None:
    assert lost_credentials(text)
    step = LOOKUP.validate(turn(s.REFERENCE, text))
    assert step.updates == {f.REQUESTED_SLOT: None, s.OUTCOME: s.OUTCOME_LOST}
    lost = LOOKUP.lost()
    assert "0428-32-1351" in lost.text and [b.payload for b in lost.buttons] == ["/ask_human"]


def test_customer_and_phone_numbers_are_not_lost_credentials() -> None:
    assert not lost_credentials("お客様番号がわかりません")
    assert not lost_credentials("電話番号を忘れました")


def test_a_question_is_answered_and_the_step_asked_again() -> None:
    step = LOOKUP.validate(turn(s.REFERENCE, "受付番号ってどこに書いてありますか"))
    assert step.updates == {s.REFERENCE: None}
    assert step.replies[0].text == WORDING["status"]["help"][s.REFERENCE]


def test_every_question_has_a_button_to_stop() -> None:
    for slot in s.ASKED:
        assert [b.payload for b in LOOKUP.ask(slot).buttons] == ["/cancel"]


@pytest.mark.parametrize("typed", ["PR 20261130 UBNECZ", "pr-20261130-ubnecz", "ＰＲ　２０２６１１３０　ＵＢＮＥＣＺ",
                                   "PR20261130UBNECZ", "受付番号は PR-2026-1130-UBNECZ です", "PR－20261130－UBNECZ"])
def test_references_in_every_format(typed: str) -> None:
    assert s.parse_reference(typed, []) == "PR-20261130-UBNECZ"
    assert LOOKUP.validate(turn(s.REFERENCE, typed)).updates[s.REFERENCE] == "PR-20261130-UBNECZ"


@pytest.mark.parametrize("typed", ["968 851", "968-851", "９６８８５１", "９６８－８５１", "コードは968851です"])
def test_codes_in_every_format(typed: str) -> None:
    assert s.parse_code(typed) == "968851"
    assert LOOKUP.validate(turn(s.CODE, typed)).updates[s.CODE] == "968851"


def test_reference_and_code_typed_together_fill_both() -> None:
    step = LOOKUP.validate(turn(s.REFERENCE, "PR 20261130 UBNECZ 968 851"))
    assert step.updates[s.REFERENCE] == "PR-20261130-UBNECZ" and step.updates[s.CODE] == "968851"
    assert step.updates[s.OUTCOME] == s.OUTCOME_READY
