"""The project's training files, read with the file and line of every item.

Rasa's own loaders drop positions, but a support-team member fixing a
mistake needs "data/nlu/requests.yml:57", so the YAML is composed (nodes keep
their marks) and only the entity markup is left to Rasa's parser.

`Project(root)` reads a project laid out like this repository; the tests
point it at copies in temporary directories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml
from rasa.shared.nlu.training_data import entities_parser

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Example:
    """One line of NLU data: plain text (markup removed), its intent and the
    annotated entities (offsets into `text`)."""

    text: str
    intent: str
    where: str
    entities: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Step:
    """An `intent:`, `action:` or `active_loop:` step of a rule or story."""

    kind: str
    name: str
    where: str


@dataclass
class Domain:
    """Names declared in the domain, each with where it is declared."""

    intents: dict[str, str] = field(default_factory=dict)
    responses: dict[str, str] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    # form name -> (required slots, where)
    forms: dict[str, tuple[list[str], str]] = field(default_factory=dict)


def compose(path: Path) -> Optional[yaml.Node]:
    return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)


def get(node: Optional[yaml.Node], key: str) -> Optional[yaml.Node]:
    """The value node of `key` in a mapping node (None if absent or not a mapping)."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if key_node.value == key:
                return value
    return None


def items(node: Optional[yaml.Node]) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def pairs(node: Optional[yaml.Node]) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def parse_example(line: str, intent: str, where: str) -> Example:
    """An example line (without "- "), its entity markup resolved by Rasa."""
    entities = tuple(entities_parser.find_entities_in_training_example(line))
    return Example(entities_parser.replace_entities(line), intent, where, entities)


class Project:
    def __init__(self, root: Path = ROOT) -> None:
        self.root = root.resolve()
        self.nlu_dir = self.root / "data" / "nlu"
        self.heldout_dir = self.root / "tests" / "nlu_heldout"
        self.stories_dir = self.root / "data" / "stories"
        self.policy_dir = self.root / "data" / "policy"
        self.domain_path = self.root / "domain.yml"
        self.config_path = self.root / "config.yml"
        self.actions_dir = self.root / "actions"

    def where(self, path: Path, line: Optional[int] = None) -> str:
        """`path` relative to the project, with a 1-based line if known."""
        relative = path.resolve().relative_to(self.root) if path.is_absolute() else path
        return f"{relative}:{line}" if line else str(relative)

    def at(self, path: Path, node: yaml.Node) -> str:
        return self.where(path, node.start_mark.line + 1)

    # -- NLU examples -----------------------------------------------------

    @cached_property
    def training(self) -> list[Example]:
        return self.examples_in(self.nlu_dir)

    @cached_property
    def heldout(self) -> list[Example]:
        return self.examples_in(self.heldout_dir)

    def examples_in(self, directory: Path) -> list[Example]:
        return [example for path in sorted(directory.glob("*.yml")) for example in self._examples(path)]

    def _examples(self, path: Path) -> Iterator[Example]:
        for block in items(get(compose(path), "nlu")):
            intent, examples = get(block, "intent"), get(block, "examples")
            if intent is None or not isinstance(examples, yaml.ScalarNode):
                continue  # synonyms, regexes, lookup tables
            # A literal block starts on the line after its `|`; other styles
            # are one-liners, so their start line is the best there is.
            first = examples.start_mark.line + (2 if examples.style == "|" else 1)
            for offset, line in enumerate(examples.value.splitlines()):
                if line.startswith("- "):
                    yield parse_example(line[2:].strip(), intent.value, self.where(path, first + offset))

    # -- domain, rules and stories ----------------------------------------

    @cached_property
    def domain(self) -> Domain:
        domain = Domain()
        path = self.domain_path
        root = compose(path)
        for node in items(get(root, "intents")):
            name = node.value if isinstance(node, yaml.ScalarNode) else node.value[0][0].value
            domain.intents[name] = self.at(path, node)
        for key, _ in pairs(get(root, "responses")):
            domain.responses[key.value] = self.at(path, key)
        for node in items(get(root, "actions")):
            name = node.value if isinstance(node, yaml.ScalarNode) else node.value[0][0].value
            domain.actions[name] = self.at(path, node)
        for key, spec in pairs(get(root, "forms")):
            slots = [slot.value for slot in items(get(spec, "required_slots"))]
            domain.forms[key.value] = (slots, self.at(path, key))
        return domain

    @cached_property
    def steps(self) -> list[Step]:
        """Every intent, action and active loop named in data/stories/."""
        found: list[Step] = []
        for path in sorted(self.stories_dir.glob("*.yml")):
            root = compose(path)
            for section in ("rules", "stories"):
                for story in items(get(root, section)):
                    found.extend(self._steps(path, get(story, "steps")))
        return found

    def _steps(self, path: Path, steps: Optional[yaml.Node]) -> Iterator[Step]:
        for step in items(steps):
            for key, value in pairs(step):
                if key.value == "or":
                    yield from self._steps(path, value)
                elif key.value in ("intent", "action", "active_loop") and value.value not in ("", "null", None):
                    yield Step(key.value, value.value, self.at(path, value))
