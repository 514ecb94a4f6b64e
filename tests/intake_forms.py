"""The intake form as the unit tests drive it: a filled form, a customer's turn,
and a form that files into an SQLite case database of the test's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.cases.db import CaseStore, make_engine, migrate
from bot.intake import form as f
from bot.intake.filing import IntakeFiler
from bot.intake.form import IntakeForm, Turn, load_intake_wording
from bot.policy.answers import default_answerer

ANSWERER = default_answerer()
WORDING = load_intake_wording()
FORM = IntakeForm(ANSWERER, WORDING)


def filled(kind: str = "訂正", details: str = "住所を新しいものに") -> dict[str, Any]:
    """Every asked slot answered, as the summary sees them."""
    return {
        f.KIND: kind, f.REQUESTER: "本人", f.CONSENT: True, f.NAME: "多摩 太郎",
        f.CONTACT: "090-1234-5678", f.PHONE: "090-1234-5678", f.CUSTOMER_NUMBER: "なし",
        f.DETAILS: details, f.PRESENTATION: "窓口で提示",
    }


def turn(slot: str, text: str, intent: str = "inform", confidence: float = 0.99, **slots: Any) -> Turn:
    """The customer's `text` while `slot` is asked, as the NLU read it."""
    return Turn(slot=slot, text=text, intent=intent, confidence=confidence, entities={}, slots=slots)


def form_filing_into(path: Path, migrated: bool = True) -> IntakeForm:
    """A form whose confirmation files into a new SQLite case database at `path`
    (without its tables when not `migrated`: every write fails, as when it is down)."""
    url = f"sqlite:///{path}"
    if migrated:
        migrate(url)
    return IntakeForm(ANSWERER, WORDING, IntakeFiler(CaseStore(make_engine(url)), ANSWERER, WORDING))
