"""The live training data, the held-out set, the rules and the policy citations
pass every project check of bot/tools/checks.py (`make validate`)."""

from __future__ import annotations

import pytest

from bot.tools.checks import CHECKS
from bot.tools.project import Project

PROJECT = Project()


@pytest.mark.parametrize("name", list(CHECKS))
def test_live_project_passes(name: str) -> None:
    problems = CHECKS[name](PROJECT)
    assert not problems, "\n".join(map(str, problems))
