"""Loads `data/policy/policy.yml` into numbered nodes that answers can quote and cite."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml

POLICY_FILE = Path(__file__).resolve().parents[2] / "data" / "policy" / "policy.yml"


@dataclass(frozen=True)
class Node:
    """A section, item or sub-item of the policy.

    `ref` is its citation number ("5", "5.(2)", "5.(2)③"); `text` the
    published wording (errata applied); `summary` a plain-language restatement
    of this node only, in the bot's register (empty where none is written);
    `words` what customers call it (for the clause ranker); `facts` holds the
    other structured keys of the YAML node (data items, fee kinds, contact...).
    """

    ref: str
    number: str
    text: str
    title: str = ""
    children: tuple["Node", ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    words: tuple[str, ...] = ()


_STRUCTURE_KEYS = {"number", "title", "text", "items", "summary", "words"}


def _build(raw: dict[str, Any], parent_ref: str) -> Node:
    number = str(raw["number"])
    if not parent_ref:
        ref = number
    elif number.startswith("("):
        ref = f"{parent_ref}.{number}"
    else:
        ref = f"{parent_ref}{number}"
    children = tuple(_build(child, ref) for child in raw.get("items", []))
    facts = {key: value for key, value in raw.items() if key not in _STRUCTURE_KEYS}
    return Node(ref, number, (raw.get("text") or "").strip(), raw.get("title", ""), children, facts,
                (raw.get("summary") or "").strip(), tuple(raw.get("words") or ()))


class Policy:
    """The whole policy, addressable by citation number."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.title: str = raw["title"]
        self.short_title: str = raw["short_title"]
        self.company: str = raw["company"]
        self.sections: tuple[Node, ...] = tuple(_build(s, "") for s in raw["sections"])
        self._by_ref = {node.ref: node for node in self.walk()}
        self._parent = {child.ref: node for node in self.walk() for child in node.children}

    def walk(self) -> Iterator[Node]:
        """Every node, in document order."""
        stack = list(reversed(self.sections))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def parent(self, ref: str) -> Optional[Node]:
        """The node that holds `ref` (「5.(2)」 for 「5.(2)④」); None for a section."""
        return self._parent.get(ref)

    def __getitem__(self, ref: str) -> Node:
        try:
            return self._by_ref[ref]
        except KeyError:
            raise KeyError(f"the policy has no section {ref!r}") from None

    def __contains__(self, ref: str) -> bool:
        return ref in self._by_ref

    def cite(self, refs: list[str]) -> str:
        """「セキュリティポリシー 5.(2)、5.(3)」 for the given citation numbers."""
        for ref in refs:
            self[ref]  # an unknown number is a bug in answers.yml; fail loudly
        return f"{self.short_title} {'、'.join(refs)}"

    def fact(self, ref: str, key: str) -> Any:
        return self[ref].facts[key]


@lru_cache(maxsize=None)
def load_policy(path: Path = POLICY_FILE) -> Policy:
    with path.open(encoding="utf-8") as handle:
        return Policy(yaml.safe_load(handle))
