"""Test tiers: every test that needs more than Python, the repository and the
installed packages carries a marker saying what (registered in pytest.ini):

    model       the trained model (models/tcn-privacy-desk.tar.gz; `rasa train` runs
                first when data, config or domain changed), and the bot started on it
    postgres    PostgreSQL at CASES_TEST_POSTGRES_URL (default the local superuser)
    redis       Redis on 127.0.0.1:6379
    browser     Debian's chromium, driven by Playwright
    production  the production profile: nginx, PostgreSQL, Redis, two Rasa and two
                action servers; it restarts PostgreSQL (root)

`make test-fast` runs what needs none of them; `make test` runs everything.

Most markers follow from the fixtures a test uses, at any depth (FIXTURE_NEEDS:
`running_bot` needs `model_path`, so a test on the running bot is `model`), and
from the PostgreSQL side of the fixtures parametrized over both databases
(`db_url`, `tracker_db`, `tracker_url`: params "sqlite" and "postgresql"). A module
that reaches a service without such a fixture says so with `pytestmark`.
"""

from __future__ import annotations

import pytest

MARKERS = ("model", "postgres", "redis", "browser", "production")
# Shared fixtures (tests/conftest.py, cases_fixtures.py, chat_page.py) -> what they need.
FIXTURE_NEEDS = {
    "model_path": ("model",),
    "postgres_url": ("postgres",),
    "browser": ("browser",),
}
# The value a fixture parametrized over the two databases takes for PostgreSQL.
POSTGRES_PARAM = "postgresql"


def needs(item: pytest.Item) -> set[str]:
    """The markers a collected test gets from its fixtures and their params."""
    found = {need for name in getattr(item, "fixturenames", ())
             for need in FIXTURE_NEEDS.get(name, ())}
    callspec = getattr(item, "callspec", None)
    if callspec is not None and any(
            name in getattr(item, "fixturenames", ()) and value == POSTGRES_PARAM
            for name, value in callspec.params.items()):
        found.add("postgres")
    return found


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for marker in sorted(needs(item) - {mark.name for mark in item.iter_markers()}):
            item.add_marker(marker)
