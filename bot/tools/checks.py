"""The project's own checks of the training data, run by `make validate`
after `rasa data validate --fail-on-warnings`.

Each check returns problems as "file:line: what is wrong: what to do", so
that someone who is not a Rasa expert can fix them. `make validate` runs all;
`tests/test_training_data.py` runs them on the live data.

    python -m bot.tools.checks [--root DIR] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, Optional

import spacy
import yaml
from rasa.shared.core.constants import DEFAULT_ACTION_NAMES

from bot.nlu.lean_ginza import DEFAULT_PATH, build
from bot.policy.document import Policy
from bot.text import normalize, normalize_span
from bot.tools.project import ROOT, Example, Project, compose, items, pairs

MIN_TRAINING = 30
MIN_HELDOUT = 10

# Intents that only answer a form's question. The forms read them through
# their validation actions, so they need no rule of their own (a rule may
# still give them an answer outside the form).
FORM_ONLY_INTENTS = frozenset({
    "inform",  # an answer to the form's current question
    "cancel",  # quitting the form in progress
})

# Responses Rasa's default actions utter when the domain defines them.
RASA_DEFAULT_RESPONSES = {"utter_default", "utter_ask_rephrase", "utter_restart", "utter_back"}

_UTTER_IN_CODE = re.compile(r"""["'](utter_\w+)["']""")


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


Check = Callable[[Project], list[Problem]]


def _first_example_of(examples: list[Example], intent: str) -> str:
    return next((e.where for e in examples if e.intent == intent), "")


def check_example_counts(project: Project) -> list[Problem]:
    """Every domain intent has ≥30 distinct training and ≥10 held-out lines."""
    problems = []
    domain = project.domain.intents
    for name, examples, minimum, directory, advice in (
        ("training", project.training, MIN_TRAINING, project.nlu_dir,
         "add varied lines (polite, casual, hiragana-only, typos) under this intent"),
        ("held-out", project.heldout, MIN_HELDOUT, project.heldout_dir,
         "add lines written independently of the training data (not copied or edited from it)"),
    ):
        distinct: dict[str, set[str]] = defaultdict(set)
        for example in examples:
            distinct[example.intent].add(normalize(example.text))
        for intent in domain:
            count = len(distinct.get(intent, ()))
            if count < minimum:
                place = _first_example_of(examples, intent) or f"{project.where(directory)}/"
                problems.append(Problem(
                    place, f"intent '{intent}' has {count} distinct {name} examples, at least "
                    f"{minimum} are needed: {advice} (add {minimum - count} or more)"))
        for intent in sorted(set(distinct) - set(domain)):
            problems.append(Problem(
                _first_example_of(examples, intent),
                f"intent '{intent}' has {name} examples but is not in {project.where(project.domain_path)}: "
                "add it to `intents:` there or fix the spelling"))
    return problems


def check_no_text_in_two_intents(project: Project) -> list[Problem]:
    """The same text (after normalization) must not train two intents."""
    seen: dict[str, dict[str, Example]] = defaultdict(dict)
    for example in project.training:
        seen[normalize(example.text)].setdefault(example.intent, example)
    problems = []
    for text, by_intent in seen.items():
        if len(by_intent) > 1:
            places = " and ".join(f"'{e.intent}' ({e.where})" for e in by_intent.values())
            first = next(iter(by_intent.values()))
            problems.append(Problem(
                first.where, f"「{text}」 is an example of {places}: keep it in the one intent it means "
                "(see docs/intents.md) and delete or reword the other"))
    return problems


def check_heldout_not_trained(project: Project) -> list[Problem]:
    """No held-out line may also be a training line (after normalization)."""
    trained = {normalize(e.text): e for e in project.training}
    problems = []
    for example in project.heldout:
        twin = trained.get(normalize(example.text))
        if twin:
            problems.append(Problem(
                example.where, f"held-out line 「{example.text}」 is also a training example "
                f"({twin.where}): the held-out set measures unseen questions, so replace this line "
                "with a new one, written without looking at the training data"))
    return problems


def check_intents_have_rules(project: Project) -> list[Problem]:
    """Every intent is used by a rule or story (form-only intents excepted)."""
    used = {step.name for step in project.steps if step.kind == "intent"}
    return [
        Problem(where, f"intent '{intent}' is in no rule or story, so the bot would not know what "
                "to do with it: add a rule to data/stories/ (a policy question: "
                "data/stories/policy_rules.yml, answered by action_answer_question)")
        for intent, where in project.domain.intents.items()
        if intent not in used and intent not in FORM_ONLY_INTENTS
    ]


def _form_asks(project: Project) -> Iterator[tuple[str, str, list[str]]]:
    """(form, slot, names that can ask for it) by Rasa's naming convention."""
    for form, (slots, _) in project.domain.forms.items():
        for slot in slots:
            yield form, slot, [f"{prefix}_ask_{name}" for prefix in ("action", "utter")
                               for name in (slot, f"{form}_{slot}")]


def _responses_named_in_code(project: Project) -> set[str]:
    return {
        name
        for path in project.actions_dir.rglob("*.py")
        for name in _UTTER_IN_CODE.findall(path.read_text(encoding="utf-8"))
    }


def check_responses_and_actions(project: Project) -> list[Problem]:
    """Every response is used; every action a rule, story or form needs exists."""
    domain = project.domain
    known = {*domain.actions, *domain.responses, *domain.forms, *DEFAULT_ACTION_NAMES}
    problems = [
        Problem(step.where, f"{step.kind} '{step.name}' does not exist: declare it in "
                f"{project.where(project.domain_path)} (`actions:`, `responses:` or `forms:`) "
                "or fix the spelling")
        for step in project.steps
        if step.kind in ("action", "active_loop") and step.name not in known
    ]
    used = {step.name for step in project.steps if step.kind == "action"}
    used |= {name for name in domain.actions if name.startswith("utter_")}
    used |= RASA_DEFAULT_RESPONSES | _responses_named_in_code(project)
    for form, slot, askers in _form_asks(project):
        used.update(askers)
        if not any(name in domain.actions or name in domain.responses for name in askers):
            problems.append(Problem(
                domain.forms[form][1], f"form '{form}' needs a question for slot '{slot}': add a "
                f"response utter_ask_{slot} or an action action_ask_{slot}"))
    problems.extend(
        Problem(where, f"response '{name}' is never used: say it in a rule or story, or delete it")
        for name, where in domain.responses.items() if name not in used
    )
    return problems


def _citations(project: Project, path: Path) -> Iterator[tuple[str, str]]:
    """(section number, where) of every `quote:`/`cite:` list in a YAML file, in file order."""
    def walk(node: Optional[yaml.Node]) -> Iterator[tuple[str, str]]:
        for key, value in pairs(node):
            if key.value in ("quote", "cite"):
                yield from ((ref.value, project.at(path, ref)) for ref in items(value))
            else:
                yield from walk(value)
        for item in items(node):
            yield from walk(item)

    return walk(compose(path))


def check_policy_citations(project: Project) -> list[Problem]:
    """Every citation in answers.yml and intake.yml names a real section."""
    policy_path = project.policy_dir / "policy.yml"
    policy = Policy(yaml.safe_load(policy_path.read_text(encoding="utf-8")))
    refs = [node.ref for node in policy.walk()]
    problems = []
    for name in ("answers.yml", "intake.yml"):
        for ref, where in _citations(project, project.policy_dir / name):
            if ref not in policy:
                close = difflib.get_close_matches(ref, refs, n=3, cutoff=0.5)
                hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                problems.append(Problem(
                    where, f"cites {ref}, which is not a section of {project.where(policy_path)}{hint}: "
                    "write the number as printed there, e.g. 5.(2) or 2.(3)①"))
    return problems


def spacy_model(project: Project) -> str:
    """What config.yml's SpacyNLP loads: the lean GiNZA copy (built if missing),
    another path inside the project, or a package name."""
    config = yaml.safe_load(project.config_path.read_text(encoding="utf-8"))
    model = next(c["model"] for c in config["pipeline"] if c["name"] == "SpacyNLP")
    if Path(model) == DEFAULT_PATH:
        return str(build(project.root / DEFAULT_PATH))
    path = project.root / model
    return str(path) if path.exists() else model


@lru_cache(maxsize=None)
def load_tokenizer(model: str) -> spacy.language.Language:
    return spacy.load(model)


def check_entities_on_token_boundaries(project: Project) -> list[Problem]:
    """Entity annotations start and end on GiNZA's token boundaries."""
    # DIET tags whole tokens: half a word can never be extracted.
    tokenizer = load_tokenizer(spacy_model(project))
    problems = []
    for example in project.training:
        if not example.entities:
            continue
        doc = tokenizer(normalize(example.text))
        starts, ends = {t.idx for t in doc}, {t.idx + len(t) for t in doc}
        for entity in example.entities:
            start, end = normalize_span(example.text, entity["start"], entity["end"])
            if start not in starts or end not in ends:
                words = " | ".join(t.text for t in doc)
                problems.append(Problem(
                    example.where, f"entity [{example.text[entity['start']:entity['end']]}]"
                    f"({entity['entity']}) does not line up with GiNZA's words ({words}): "
                    "widen or narrow the brackets to whole words"))
    return problems


CHECKS: dict[str, Check] = {
    "counts": check_example_counts,
    "conflicts": check_no_text_in_two_intents,
    "heldout-leak": check_heldout_not_trained,
    "rules": check_intents_have_rules,
    "responses": check_responses_and_actions,
    "citations": check_policy_citations,
    "entities": check_entities_on_token_boundaries,
}


def run_checks(project: Project, names: list[str] | None = None) -> list[Problem]:
    """Run the named checks (all by default), printing progress; return every problem."""
    problems = []
    for name in names or list(CHECKS):
        found = CHECKS[name](project)
        mark = "ok" if not found else f"{len(found)} problem(s)"
        summary = (CHECKS[name].__doc__ or "").rstrip(".")
        print(f"  {name:<13} {summary} … {mark}", flush=True)
        problems.extend(found)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory (default: this repository)")
    parser.add_argument("--only", nargs="+", choices=list(CHECKS), help="run only these checks")
    args = parser.parse_args(argv)
    print("project checks:", flush=True)
    problems = run_checks(Project(args.root), args.only)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "all checks passed", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
