"""Which clause of the policy a message is about: BM25 over clause lemmas.

Each node of the policy that can answer a question (a section, an item such
as 3.(5), a sub-item such as 5.(2)⑤) is one document: the lemmas of its own
text, of its plain-language summary and of the words customers use for it
(`words` in data/policy/policy.yml, counted twice: they are what customers
actually type). A node's sub-items are documents of their own, so a question
about one item finds the item rather than its whole section.

BM25 itself is the `bm25s` library; this module only decides what a document
is and where a query may look. Scores are BM25 scores (unitless, ≥ 0; 0 means
no lemma in common).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import bm25s
import numpy as np

from bot.policy.document import Node, Policy
from bot.policy.lemmas import kana_grams, mostly_hiragana
from bot.policy.lemmas import lemmas as default_lemmas

Lemmatizer = Callable[[str], list[str]]
# Customer words count twice against the policy's own wording.
WORDS_WEIGHT = 2
# Bigram scores add up over the several bigrams of one word: this brings
# them to the size of one lemma's score, so that the same thresholds apply.
SOUND_SCALE = 3.0
# A section's summary restates its items, so it matches what they match: an
# item scoring at least this share of its section's score is the better answer.
SPECIFIC_SHARE = 0.6


@dataclass(frozen=True)
class Ranked:
    """A node and its BM25 score for one query."""

    ref: str
    score: float


class ClauseRanker:
    """BM25 over the policy's nodes; `rank` answers in well under a millisecond
    for the policy's ~70 nodes (bench/RESULTS.md)."""

    def __init__(self, policy: Policy, lemmatize: Lemmatizer = default_lemmas) -> None:
        self.policy = policy
        self.lemmatize = lemmatize
        self.nodes: tuple[Node, ...] = tuple(policy.walk())
        self._index = {node.ref: position for position, node in enumerate(self.nodes)}
        self._by_lemma = _Index([self._document(node, self.lemmatize) for node in self.nodes])
        self._by_sound = _Index([self._document(node, kana_grams) for node in self.nodes])

    @staticmethod
    def _document(node: Node, tokenize: Lemmatizer) -> list[str]:
        tokens = tokenize(" ".join(filter(None, (node.title, node.text, node.summary))))
        for word in node.words:
            tokens.extend(tokenize(word) * WORDS_WEIGHT)
        # bm25s drops empty documents from its vocabulary bookkeeping; a node
        # with nothing to match still needs a place in the score vector.
        return tokens or ["\u0000"]

    def scores(self, text: str) -> np.ndarray:
        """The score of every node (in `self.nodes` order) for `text`: by
        lemmas, and for a hiragana-only text also by the sound of its words
        (bigram scores scaled to the size of lemma scores; the better of the two)."""
        by_lemma = self._by_lemma.scores(self.lemmatize(text))
        if mostly_hiragana(text):
            return np.maximum(by_lemma, self._by_sound.scores(kana_grams(text)) / SOUND_SCALE)
        return by_lemma

    def rank(self, text: str, within: Iterable[str] | None = None, limit: int = 5) -> list[Ranked]:
        """The best nodes for `text`, best first, score > 0 only.

        `within`: refs of subtrees to search (a ref and all its descendants);
        None searches the whole policy. An unknown ref raises KeyError.
        """
        scores = self.scores(text)
        allowed = self._positions(within) if within is not None else list(range(len(self.nodes)))
        specific = self._prefer_items(scores, set(allowed))
        ranked = sorted(
            (Ranked(self.nodes[i].ref, float(scores[i])) for i in allowed if scores[i] > 0 and i not in specific),
            key=lambda r: (-r.score, self._index[r.ref]),
        )
        return ranked[:limit]

    def _prefer_items(self, scores: np.ndarray, allowed: set[int]) -> set[int]:
        """Positions of nodes one of whose allowed descendants scores at least
        SPECIFIC_SHARE of theirs: the descendant answers more precisely."""
        covered = set()
        for position in allowed:
            node = self.nodes[position]
            below = [self._index[n.ref] for n in subtree(node)[1:] if self._index[n.ref] in allowed]
            if below and scores[position] > 0 and max(scores[i] for i in below) >= SPECIFIC_SHARE * scores[position]:
                covered.add(position)
        return covered

    def _positions(self, roots: Iterable[str]) -> list[int]:
        positions: list[int] = []
        for ref in roots:
            positions.extend(self._index[node.ref] for node in subtree(self.policy[ref]))
        return sorted(set(positions))


def subtree(node: Node) -> Sequence[Node]:
    """`node` and every node below it, in document order."""
    nodes = [node]
    for child in node.children:
        nodes.extend(subtree(child))
    return nodes


class _Index:
    """BM25 (bm25s) over token lists; tokens unknown to the corpus are ignored."""

    def __init__(self, corpus: list[list[str]]) -> None:
        self._size = len(corpus)
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        self._vocabulary = set(self._bm25.vocab_dict)

    def scores(self, tokens: list[str]) -> np.ndarray:
        query = [token for token in tokens if token in self._vocabulary]
        if not query:
            return np.zeros(self._size)
        return np.asarray(self._bm25.get_scores(query))
