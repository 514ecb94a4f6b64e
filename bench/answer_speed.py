"""What choosing an answer costs: the clause ranker alone, and the whole
`Responder.respond` (ranker, follow-up check, two questions, rendering), per
message of the graded conversations (tests/answers/), in one process.

The ranker runs in the Rasa server (bot/nlu/clause_intent.py, on unsure
messages) and in the action server (every answer); both are measured here
without the servers around them, so the figure is the ranker's own.
"""

from __future__ import annotations

import time

from bench.stats import Summary
from bot.policy.answers import default_answerer
from bot.policy.responder import Message, Responder
from bot.tools.grading import load_cases

WARM_UP = 20


def measure(rounds: int, limit: int | None = None) -> dict[str, Summary]:
    """ms per message: {"ranker": …, "answer": …}, over every graded message
    whose expected topic is answered from the policy."""
    answerer = default_answerer()
    responder = Responder(answerer)
    messages = [(turn.says, turn.topic) for case in load_cases() for turn in case.turns
                if turn.topic in answerer.topics][:limit]
    for text, topic in messages[:WARM_UP]:  # Sudachi's first calls load the dictionary
        responder.respond(Message(text, topic))
    ranker_ms: list[float] = []
    answer_ms: list[float] = []
    for _ in range(rounds):
        for text, topic in messages:
            started = time.perf_counter()
            answerer.ranker.rank(text)
            ranker_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            responder.respond(Message(text, topic))
            answer_ms.append((time.perf_counter() - started) * 1000)
    return {"ranker": Summary.of(ranker_ms), "answer": Summary.of(answer_ms)}
