"""The statuses of a request and the one table of transitions between them."""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Mapping

from bot.policy.document import load_policy


class Status(str, enum.Enum):
    RECEIVED = "received"
    AWAITING_ID = "awaiting_id"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The Japanese word staff and customers see."""
        return _LABELS[self]


_LABELS = {
    Status.RECEIVED: "受付",
    Status.AWAITING_ID: "本人確認待ち",
    Status.IN_PROGRESS: "対応中",
    Status.DONE: "完了",
    Status.REFUSED: "不実施",
    Status.WITHDRAWN: "取下げ",
}

_CLOSING = frozenset({Status.REFUSED, Status.WITHDRAWN})

TRANSITIONS: Mapping[Status, frozenset[Status]] = MappingProxyType({
    Status.RECEIVED: frozenset({Status.AWAITING_ID, Status.IN_PROGRESS}) | _CLOSING,
    Status.AWAITING_ID: frozenset({Status.IN_PROGRESS}) | _CLOSING,
    Status.IN_PROGRESS: frozenset({Status.DONE}) | _CLOSING,
    Status.DONE: frozenset(),
    Status.REFUSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
})

# Statuses a ticket never leaves: its work is over.
FINAL: frozenset[Status] = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)

# The numbered grounds of policy 5.(1) on which a request may be refused.
REFUSAL_GROUNDS: tuple[str, ...] = ("①", "②", "③", "④", "⑤", "⑥", "⑦")


class TransitionError(ValueError):
    """A status change the rules do not allow.

    `reason` says which rule, for callers that explain it in their own words:
    "not_allowed", "needs_ground", "needs_note" or "ground_not_allowed".
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def refusal_ground_text(ground: str) -> str:
    """The wording of a ground, from the policy document itself."""
    for node in load_policy()["5.(1)"].children:
        if node.number == ground:
            return node.text
    raise KeyError(f"policy 5.(1) has no ground {ground!r}")


def check_transition(old: Status, new: Status, note: str | None, ground: str | None) -> None:
    """Raise TransitionError unless `old` → `new` is allowed with this note and ground."""
    if new not in TRANSITIONS[old]:
        raise TransitionError(f"status change not allowed: {old.label} → {new.label}",
                              "not_allowed")
    has_note = bool(note and note.strip())
    if new is Status.REFUSED:
        # The customer is told of a refusal and why (5.(4)), on a ground the policy names.
        if ground not in REFUSAL_GROUNDS:
            grounds = "".join(REFUSAL_GROUNDS)
            raise TransitionError(f"{new.label} needs one of the grounds {grounds}",
                                  "needs_ground")
        if not has_note:
            raise TransitionError(f"{new.label} needs a note explaining the refusal",
                                  "needs_note")
    elif ground is not None:
        raise TransitionError(f"a refusal ground only goes with {Status.REFUSED.label}",
                              "ground_not_allowed")
    if new is Status.DONE and not has_note:
        raise TransitionError(f"{new.label} needs a note saying what was done", "needs_note")
