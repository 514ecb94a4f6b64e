"""The statuses of a ticket and the tables of transitions between them: one for requests
of policy 5.(1) (identity checks, refusal on a ground of 5.(1)), one for handoffs (a
person calls or writes back; nothing to verify and nothing to refuse)."""

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

# A handoff is answered, or the customer no longer needs it; it may be answered at once.
# 本人確認待ち is a request's status: a handoff left there (none is put there now) moves on.
_HANDOFF_NEXT = frozenset({Status.IN_PROGRESS, Status.DONE, Status.WITHDRAWN})
HANDOFF_TRANSITIONS: Mapping[Status, frozenset[Status]] = MappingProxyType({
    Status.RECEIVED: _HANDOFF_NEXT,
    Status.AWAITING_ID: _HANDOFF_NEXT,
    Status.IN_PROGRESS: frozenset({Status.DONE, Status.WITHDRAWN}),
    Status.DONE: frozenset(),
    Status.REFUSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
})

# Statuses a ticket never leaves: its work is over (the same for both tables).
FINAL: frozenset[Status] = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)


def transitions_for(category: str) -> Mapping[Status, frozenset[Status]]:
    """The table of a ticket's category ("request" or "handoff"; KeyError otherwise)."""
    return {"request": TRANSITIONS, "handoff": HANDOFF_TRANSITIONS}[category]


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


def check_transition(old: Status, new: Status, note: str | None, ground: str | None,
                     category: str = "request") -> None:
    """Raise TransitionError unless `old` → `new` is allowed for a ticket of `category`
    with this note and ground."""
    if new not in transitions_for(category)[old]:
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
