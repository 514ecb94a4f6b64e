"""Each project check catches its mistake in a broken copy of the project and
says what to fix and where (bot/tools/checks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.tools import checks
from bot.tools.project import Project
from tests.project_copy import copy_project, replace_in, write_nlu


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def messages(check: checks.Check, root: Path) -> list[str]:
    return [str(problem) for problem in check(Project(root))]


def a_training_line(intent: str) -> str:
    return next(e.text for e in Project().training if e.intent == intent and not e.entities)


def test_the_copy_is_clean(root: Path) -> None:
    assert checks.run_checks(Project(root)) == []


def test_too_few_training_and_heldout_examples(root: Path) -> None:
    replace_in(root / "domain.yml", "\nintents:\n", "\nintents:\n  - ask_fixture\n")
    write_nlu(root / "data" / "nlu" / "fixture.yml", {"ask_fixture": ["テスト一", "テスト二", "ＴＥＳＴ", "TEST"]})
    write_nlu(root / "data" / "nlu" / "stray.yml", {"ask_unknown": ["未知の質問"]})
    found = messages(checks.check_example_counts, root)
    assert ("data/nlu/fixture.yml:5: intent 'ask_fixture' has 3 distinct training examples, "
            "at least 30 are needed") in found[0]  # ＴＥＳＴ and TEST are one after normalization
    assert any("intent 'ask_fixture' has 0 distinct held-out examples, at least 10" in m
               and m.startswith("tests/nlu_heldout/") for m in found)
    assert any(m.startswith("data/nlu/stray.yml:5: intent 'ask_unknown' has training examples but is not "
                            "in domain.yml") for m in found)


def test_a_text_in_two_intents(root: Path) -> None:
    line = a_training_line("ask_fee")
    write_nlu(root / "data" / "nlu" / "fixture.yml", {"ask_refusal": [f"　{line} "]})
    [found] = messages(checks.check_no_text_in_two_intents, root)
    assert f"「{line}」 is an example of " in found
    assert "'ask_refusal' (data/nlu/fixture.yml:5)" in found and "'ask_fee' (data/nlu/" in found
    assert found.endswith("keep it in the one intent it means (see docs/intents.md) and delete or reword the other")


def test_a_heldout_line_that_is_trained_on(root: Path) -> None:
    line = a_training_line("ask_laws")
    write_nlu(root / "tests" / "nlu_heldout" / "fixture.yml", {"ask_laws": [f"{line}\u200b"]})
    [found] = messages(checks.check_heldout_not_trained, root)
    assert found.startswith(f"tests/nlu_heldout/fixture.yml:5: held-out line 「{line}\u200b」 is also a "
                            "training example (data/nlu/")


def test_an_intent_without_rule_and_the_form_only_exemption(root: Path) -> None:
    project = Project(root)
    for path in (root / "data" / "stories").glob("*.yml"):
        path.unlink()
    ruled = [i for i in project.domain.intents if i not in {"ask_laws", *checks.FORM_ONLY_INTENTS}]
    rules = "\n".join(f"  - rule: {i}\n    steps:\n      - intent: {i}\n      - action: action_answer_question"
                      for i in ruled)
    (root / "data" / "stories" / "rules.yml").write_text(f'version: "3.1"\nrules:\n{rules}\n', encoding="utf-8")
    found = messages(checks.check_intents_have_rules, root)
    assert found == [f"{project.domain.intents['ask_laws']}: intent 'ask_laws' is in no rule or story, so the "
                     "bot would not know what to do with it: add a rule to data/stories/ (a policy question: "
                     "data/stories/policy_rules.yml, answered by action_answer_question)"]
    assert set(checks.FORM_ONLY_INTENTS) == {"inform", "cancel"}


def test_unused_response_missing_action_and_form_question(root: Path) -> None:
    replace_in(root / "domain.yml", "\nresponses:\n", "\nresponses:\n  utter_unused:\n    - text: 未使用\n")
    replace_in(root / "domain.yml", "\nforms:\n", "\nforms:\n  fixture_form:\n    required_slots: [fixture_slot]\n")
    (root / "data" / "stories" / "fixture.yml").write_text(
        'version: "3.1"\nrules:\n  - rule: fixture\n    steps:\n      - intent: greet\n'
        "      - action: action_missing\n      - active_loop: missing_form\n", encoding="utf-8")
    found = messages(checks.check_responses_and_actions, root)
    domain = Project(root).domain
    assert found == [
        "data/stories/fixture.yml:6: action 'action_missing' does not exist: declare it in domain.yml "
        "(`actions:`, `responses:` or `forms:`) or fix the spelling",
        "data/stories/fixture.yml:7: active_loop 'missing_form' does not exist: declare it in domain.yml "
        "(`actions:`, `responses:` or `forms:`) or fix the spelling",
        f"{domain.forms['fixture_form'][1]}: form 'fixture_form' needs a question for slot 'fixture_slot': "
        "add a response utter_ask_fixture_slot or an action action_ask_fixture_slot",
        f"{domain.responses['utter_unused']}: response 'utter_unused' is never used: say it in a rule or "
        "story, or delete it",
    ]


def test_a_citation_of_no_section(root: Path) -> None:
    replace_in(root / "data" / "policy" / "answers.yml", "\ntopics:\n",
               '\ntopics:\n  ask_fixture:\n    label: x\n    intro: x\n    quote: ["5.(2)", "5.(9)"]\n')
    replace_in(root / "data" / "policy" / "intake.yml", "\nask:\n", '\nask:\n  fixture:\n    cite: ["13"]\n')
    found = messages(checks.check_policy_citations, root)
    assert found[0].startswith("data/policy/answers.yml:")
    assert ": cites 5.(9), which is not a section of data/policy/policy.yml (did you mean 5.(" in found[0]
    assert found[0].endswith("write the number as printed there, e.g. 5.(2) or 2.(3)①")
    assert found[1].startswith("data/policy/intake.yml:")
    assert ": cites 13, which is not a section" in found[1]
    assert len(found) == 2


def test_an_entity_on_half_a_word(root: Path) -> None:
    write_nlu(root / "data" / "nlu" / "fixture.yml", {"ask_purpose": [
        "[口座](data_item)番号は何に使うの", "[口座番号](data_item)は何に使うの"]})
    [found] = messages(checks.check_entities_on_token_boundaries, root)
    assert found.startswith("data/nlu/fixture.yml:5: entity [口座](data_item) does not line up with "
                            "GiNZA's words (口座番号 | は | 何 | に | 使う | の)")
    assert found.endswith("widen or narrow the brackets to whole words")


def test_the_command_exits_non_zero_and_prints_where(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_nlu(root / "tests" / "nlu_heldout" / "fixture.yml", {"ask_laws": [a_training_line("ask_laws")]})
    assert checks.main(["--root", str(root), "--only", "heldout-leak", "conflicts"]) == 1
    output = capsys.readouterr().out
    assert "heldout-leak" in output and "1 problem(s)" in output
    assert "tests/nlu_heldout/fixture.yml:5: held-out line" in output
    assert checks.main(["--root", str(root), "--only", "conflicts"]) == 0
