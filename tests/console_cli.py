"""The staff console as staff use it: its command line run as a real process, and a
browser page logged in to it."""

from __future__ import annotations

import os
import subprocess
import sys

from playwright.sync_api import Browser, BrowserContext, Page, expect

from bot.cases.db import ROOT


def cli(cases_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`python -m bot.console.cli ARGS` on the case database at `cases_url`. A new session
    has no terminal, so getpass reads what it asks from stdin."""
    return subprocess.run(
        [sys.executable, "-m", "bot.console.cli", *args], input=stdin, cwd=ROOT,
        capture_output=True, text=True, timeout=120, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CASES_DATABASE_URL": cases_url},
    )


def staff_logged_in(browser: Browser, console_url: str, cases_url: str, login: str, password: str,
                    name: str) -> tuple[BrowserContext, Page]:
    """A new staff account (role staff, made with the command line) logged in to the
    console at `console_url` in a browser context of its own (the caller closes it),
    on the queue page."""
    created = cli(cases_url, "create-user", login, "--role", "staff", "--name", name,
                  "--password-stdin", stdin=password + "\n")
    assert created.returncode == 0, created.stderr
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 1600})
    console = context.new_page()
    console.goto(console_url)
    expect(console).to_have_url(f"{console_url}login?next=/")
    console.get_by_label("ログイン名").fill(login)
    console.get_by_label("パスワード").fill(password)
    console.get_by_role("button", name="ログイン").click()
    return context, console
