"""The team's graded conversations (tests/answers/) against the running bot:
right topic, right clause, short answers, follow-ups that keep context.

Written from customers' point of view without the training data; the figures
and every turn answered wrongly go to tests/artifacts/answers.md.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.tools.grade_answers import rest_chat, topic_of_turn
from bot.tools.grading import Expected, Turn, below_thresholds, grade, judge, load_cases, report, summary
from tests.conftest import ARTIFACTS

CASES = load_cases()


def test_the_graded_set_is_large_enough() -> None:
    single = [case for case in CASES if len(case.turns) == 1]
    multi = [case for case in CASES if len(case.turns) > 1]
    assert len(single) >= 200 and len(multi) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


def test_the_judge_fails_a_wrong_answer() -> None:
    expected = Expected("警察に渡すの？", "ask_third_party", ("3.(5)",), ("通信の秘密",), ("円",), 100)
    wrong = Turn(("手数料は1,000円です。\n（出典：セキュリティポリシー 5.(3)）",), "ask_fee")
    graded = judge("x", 0, expected, wrong)
    assert not graded.right_topic and graded.right_clause is False and not graded.answered
    right = Turn(("通信の秘密は提供しません。\n（出典：セキュリティポリシー 3.(5)）",), "ask_third_party")
    assert judge("x", 0, expected, right).answered


def test_the_topic_of_a_turn_comes_from_the_answer_or_the_action() -> None:
    answered: list[tuple[str, dict[str, Any]]] = [("action", {"name": "action_answer_question"}),
                                                  ("slot", {"name": "answer_topic", "value": "ask_fee"})]
    assert topic_of_turn(answered) == "ask_fee"
    assert topic_of_turn([("action", {"name": "action_start_intake"})]) == "request_privacy_action"
    assert topic_of_turn([("action", {"name": "action_listen"})]) is None


@pytest.fixture(scope="module")
def graded(running_bot) -> list:
    return grade(CASES, rest_chat(running_bot.rasa_url, f"sqlite:///{running_bot.tracker_db}"))


def test_graded_answers_meet_the_targets(graded: list) -> None:
    figures = summary(graded)
    ARTIFACTS.mkdir(exist_ok=True)
    text = report(graded, figures)
    (ARTIFACTS / "answers.md").write_text(text, encoding="utf-8")
    assert not below_thresholds(figures), text[:4000]


# The must_not entries that are facts the policy does not state.
INVENTED = re.compile(r"円|日以内|営業日|年間|か月|ヶ月|週間|http|URL")


def test_no_graded_answer_invents_a_fact(graded: list) -> None:
    """No reply states an amount, a number of days or years, or a URL that a case forbids."""
    invented = [(g.case, g.expected.says, item) for g in graded for item in g.expected.must_not
                if INVENTED.search(item) and any(option in g.turn.text for option in item.split("|"))]
    assert not invented
