"""Security headers: every response of the staff console (every route of its URL map,
logged in and not, the error pages, the stylesheet), and the chat page, which in a real
browser reaches no other origin than its own and Rasa's socket.io channel."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from bot.console.app import create_app
from bot.console.config import ConsoleConfig
from bot.webchat.server import content_security_policy
from tests.chat_page import TIMEOUT_MS, browser, page  # noqa: F401 (fixtures)
from tests.conftest import RunningBot
from tests.test_console import Console, console, file, logged_in, token, user  # noqa: F401 (fixture)

_MAP = create_app(ConsoleConfig("sqlite://", "sqlite://", "x" * 40)).url_map
ROUTES = sorted((rule.endpoint, method) for rule in _MAP.iter_rules()
                for method in (rule.methods or set()) - {"HEAD", "OPTIONS"})
# The fields of the console's forms (bot/console/forms.py), so that the POSTs do their work
# (a refused one must send the headers all the same).
FORM = {"status": "in_progress", "note": "x", "assignee": "", "body": "x", "channel": "電話",
        "direction": "発信", "due_date": "2030-01-01", "reason": "x", "login": "x-user",
        "display_name": "x", "role": "staff", "password": "a password long enough",
        "confirm": "a password long enough"}


# A script element with code in it (the console's one script is `<script src=…></script>`).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<script[^>]*>[^<]")
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def header_problems(headers: Any, personal: bool = True) -> list[str]:
    """What is missing or wrong in a console response's headers."""
    policy = headers.get("Content-Security-Policy", "")
    checks = {
        "CSP default-src 'none'": "default-src 'none'" in policy,
        "CSP frame-ancestors 'none'": "frame-ancestors 'none'" in policy,
        # Scripts only from the console itself, no inline code, nothing from another origin.
        "CSP with scripts of its own origin only": "script-src 'self';" in policy and not any(
            word in policy for word in ("'unsafe-inline'", "'unsafe-eval'", "http", "*")),
        "X-Frame-Options DENY": headers.get("X-Frame-Options") == "DENY",
        "X-Content-Type-Options nosniff": headers.get("X-Content-Type-Options") == "nosniff",
        "Referrer-Policy": headers.get("Referrer-Policy") in ("no-referrer", "same-origin"),
        "Cache-Control no-store on personal data only":
            (headers.get("Cache-Control") == "no-store") is personal,
    }
    return [name for name, ok in checks.items() if not ok]


def test_the_url_map_was_read() -> None:
    assert len(ROUTES) >= 14 and ("auth.login", "GET") in ROUTES


def test_every_console_response_sends_the_headers(console: Console) -> None:  # noqa: F811
    """Each route of the URL map, logged in as an admin and anonymous, whatever it answers."""
    ticket = file(console.store)
    values = {"reference": ticket.reference, "user_id": user(console.store, "tanaka").id,
              "filename": "console.css"}
    urls = console.app.url_map.bind("localhost")
    problems = {}
    for endpoint, method in ROUTES:
        [rule] = [r for r in console.app.url_map.iter_rules() if r.endpoint == endpoint]
        url = urls.build(endpoint, {name: values[name] for name in rule.arguments}, method=method)
        for who, client in (("admin", logged_in(console, "kanri")), ("anonymous", console.client())):
            data = {"csrf_token": token(client), **FORM} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            found = header_problems(response.headers, personal=endpoint != "static")
            if response.status_code >= 500:
                found.append(f"status {response.status_code}")
            # The policy would block inline style attributes and scripts: there are none.
            html = response.text if response.mimetype == "text/html" else ""
            if INLINE_SCRIPT.search(html) or INLINE_HANDLER.search(html) or " style=" in html:
                found.append("inline script, handler or style")
            if found:
                problems[f"{who} {method} {url}"] = found
    assert problems == {}


@pytest.mark.parametrize("path", ["/no-such-page", "/tickets/PR-00000000-AAAAAA"])
def test_error_pages_send_the_headers(console: Console, path: str) -> None:  # noqa: F811
    response = logged_in(console, "kanri").get(path)
    assert response.status_code == 404
    assert header_problems(response.headers) == []


def test_a_refused_form_post_sends_the_headers(console: Console) -> None:  # noqa: F811
    response = console.client().post("/login", data={"login": "x", "password": "y"})  # no CSRF token
    assert response.status_code == 400
    assert header_problems(response.headers) == []


# --- the chat page -----------------------------------------------------------------------


def _rasa_origin(bot: RunningBot) -> str:
    """Where the page reaches Rasa (bot.tools.run gives it localhost and the Rasa port)."""
    return f"localhost:{urlsplit(bot.rest_url).port}"


def _get(url: str) -> tuple[int, Any, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_chat_page_policy_allows_only_its_origin_and_the_socket_url() -> None:
    policy = content_security_policy("https://chat.example.jp:5005")
    assert "connect-src 'self' https://chat.example.jp:5005 wss://chat.example.jp:5005;" in policy
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert policy.count("http") == 1


@pytest.mark.parametrize("path", ["", "static/socket.io.min.js", "static/chat.js", "static/chat.css", "policy"])
def test_chat_page_files_send_the_headers(running_bot: RunningBot, path: str) -> None:
    status, headers, body = _get(running_bot.chat_url + path)
    assert status == 200
    rasa = _rasa_origin(running_bot)
    assert f"connect-src 'self' http://{rasa} ws://{rasa};" in headers["Content-Security-Policy"]
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"googleapis" not in body and b"@import url(http" not in body


def test_the_page_uses_the_fonts_of_the_customers_device(running_bot: RunningBot) -> None:
    css = _get(running_bot.chat_url + "static/chat.css")[2].decode()
    assert "--chat-font:" in css and "@import" not in css and "googleapis" not in css


def test_a_missing_chat_file_is_404(running_bot: RunningBot) -> None:
    assert _get(running_bot.chat_url + "static/../../credentials.yml")[0] == 404


def test_the_chat_page_reaches_no_other_origin_and_still_works(
        page: Page, running_bot: RunningBot) -> None:  # noqa: F811
    rasa_origin = _rasa_origin(running_bot)
    allowed = {urlsplit(running_bot.chat_url).netloc, rasa_origin}
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda socket: requested.append(socket.url))
    # Violations of the policy, collected in the page from its very start.
    page.add_init_script("window.cspViolations = [];"
                         "document.addEventListener('securitypolicyviolation',"
                         " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));")
    page.goto(running_bot.chat_url)
    box = page.get_by_placeholder("ご質問を入力してください")
    box.fill("本人確認書類は何が必要ですか")
    box.press("Enter")
    answer = page.locator(".rw-response").filter(has_text="運転免許証")
    expect(answer).to_be_visible(timeout=TIMEOUT_MS)

    assert requested and {urlsplit(url).netloc for url in requested} <= allowed, requested
    assert any(urlsplit(url).netloc == rasa_origin for url in requested)  # the socket was seen
    assert page.evaluate("window.cspViolations") == []
    font = answer.first.evaluate("element => getComputedStyle(element).fontFamily")
    assert "Inter" not in font and "Noto Sans CJK JP" in font
