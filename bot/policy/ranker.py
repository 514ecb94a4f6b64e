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

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import bm25s
import numpy as np

from bot.policy.document import Node, Policy
from bot.policy.lemmas import kana_grams, lemmas, mostly_hiragana
from bot.text import normalize

Lemmatizer = Callable[[str], list[str]]
# Customer words count twice against the policy's own wording.
WORDS_WEIGHT = 2
# Bigram scores add up over the several bigrams of one word: this brings
# them to the size of one lemma's score, so that the same thresholds apply.
SOUND_SCALE = 3.0
# A section's summary restates its items, so it matches what they match: an
# item scoring at least this share of its section's score is the better answer.
SPECIFIC_SHARE = 0.6
# Phrases that mean a word of the policy but give no lemma of their own. Question
# words are no content words (lemmas drops どこ and どう), yet 「どこまで渡すの」
# asks for the 範囲 of 6.(1) and 「どうやって渡すの」 for the 方法 of 6.(2);
# 「知らせて」 is 知る (a stop word) made causative, the 通知 of 10.(1)① and 2.(3)③;
# 「御社だけ？」「おたく以外も？」 ask whether anyone outside the company (社外) uses
# the data, 2.(2)'s question, with only a stop word and a particle.
# Each phrase adds that word (in the policy's `words` as in a message).
PHRASES = (
    (re.compile(r"どこまで|何処まで|どの範囲|どの程度"), "範囲"),
    (re.compile(r"どうやって|どのように|どの様に|(どういう|どんな)(ふう|風|形|かたち|やり方|やりかた|手段)"), "方法"),
    (re.compile(r"知らせ|しらせ"), "通知"),
    (re.compile(r"(御社|貴社|当社|弊社|会社|かいしゃ|社内|おたく|お宅)(の中|のなか|内)?(だけ|のみ|以外)"), "社外"),
)


def default_lemmas(text: str) -> list[str]:
    """`lemmas` of `text`, and the word of each phrase of PHRASES in it."""
    folded = normalize(text)
    return lemmas(text) + [word for pattern, word in PHRASES for _ in pattern.finditer(folded)]


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

    def shared(self, text: str, first: str, second: str) -> float:
        """The part of two nodes' scores for `text` that they owe to the same
        words. BM25 adds up over the words of the query; each word counts here
        with the smaller of its two contributions (in 「委託先へはどういう方法で
        渡すの」 委託先 counts for every item of 6, 方法 for 6.(2) alone). For a
        hiragana text read by sound (`scores`), by sound."""
        pair = [self._index[first], self._index[second]]
        parts = self._by_lemma.contributions(self.lemmatize(text))[:, pair]
        if mostly_hiragana(text):
            sound = self._by_sound.contributions(kana_grams(text))[:, pair] / SOUND_SCALE
            if (sound.sum(axis=0) > parts.sum(axis=0)).any():
                parts = sound
        return float(parts.min(axis=1).sum()) if len(parts) else 0.0

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

    def contributions(self, tokens: list[str]) -> np.ndarray:
        """Each token's score for every document: one row per token of `tokens`
        (the rows add up to `scores(tokens)`)."""
        rows = {token: self.scores([token]) for token in set(tokens)}
        return np.array([rows[token] for token in tokens]).reshape(len(tokens), self._size)
