"""Servers closed by default (docs/privacy.md, 7): the processes of `make run` listen on
127.0.0.1 only, the action server answers only calls carrying the secret shared with Rasa
(and Rasa sends it), Rasa's CORS names the chat page's origin only, and the staff
console's Server header names no software. The production profile is wired the same
way (its live run is tests/test_production.py)."""

from __future__ import annotations

import json
import re
import secrets
import socket
import sqlite3
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import psutil
import pytest
import yaml

from bot.actions_token import ActionsTokenError, prepare_local_token
from bot.dialogue.endpoints import ENDPOINT_HEADERS, TOKEN_VARIABLE
from bot.tools.production import Production, Profile, endpoints
from bot.tracker_rows import unseal
from tests.conftest import ROOT, RunningBot, start_bot
from tests.intake_chat import answer_until_summary, new_sender, ticket_count

TOKEN = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def bot(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """`make run` with a secret of the module's own (var/actions_token is not touched)."""
    workdir = tmp_path_factory.mktemp("closed")
    with start_bot(workdir, f"sqlite:///{workdir / 'cases.db'}", env={TOKEN_VARIABLE: TOKEN}) as running:
        yield running


def _actions_url(bot: RunningBot) -> str:
    """The action server's webhook, as bot.tools.run prints it when ready."""
    match = re.search(r"action server\s+(http://\S+/webhook)", bot.log.read_text())
    assert match, "bot.tools.run did not print the action server's URL"
    return match.group(1)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _confirmation_call(bot: RunningBot, sender: str) -> bytes:
    """What Rasa would send the action server when the customer confirms the summary of
    `sender`'s request: the form's validation with 「はい」 as the latest message and as
    the asked slot's value (Rasa's slot extraction sets it before the call)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.dialogue.action_call import action_call_format

    with sqlite3.connect(bot.tracker_db) as db:
        events = [unseal(data) for (data,) in db.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))]
    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_dict(sender, events, domain.slots)
    tracker.update(UserUttered("はい", {"name": "affirm", "confidence": 1.0}, input_channel="rest"))
    tracker.update(SlotSet(tracker.get_slot("requested_slot"), "はい"))
    action = RemoteAction("validate_intake_form", EndpointConfig(url=_actions_url(bot)))
    return json.dumps(action_call_format(action, tracker, domain)).encode()


# --- the running bot -----------------------------------------------------------------------


def test_every_server_listens_on_loopback_only(bot: RunningBot) -> None:
    processes = [p for p in psutil.Process().children(recursive=True) if p.is_running()]
    listening = {(c.laddr.ip, c.laddr.port) for p in processes
                 for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    ports = {urlsplit(url).port for url in (bot.rasa_url, bot.chat_url, bot.console_url, _actions_url(bot))}
    assert ports <= {port for _, port in listening}, listening
    assert {ip for ip, _ in listening} == {"127.0.0.1"}, listening


def test_a_forged_action_call_is_refused_and_files_nothing(bot: RunningBot) -> None:
    sender = new_sender()
    answer_until_summary(bot, sender, "開示")  # through Rasa: the form's actions ran
    call, before = _confirmation_call(bot, sender), ticket_count(bot)
    for headers in ({}, {"Authorization": "Bearer " + "x" * len(TOKEN)}, {"Authorization": TOKEN},
                    {"Authorization": f"Bearer {TOKEN[:-1]}"}):
        status, body = _post(_actions_url(bot), call, headers)
        assert (status, body) == (401, {"error": "unauthorized"}), headers
    assert ticket_count(bot) == before
    # Rasa's own `token` query parameter is not accepted instead of the header either.
    assert _post(f"{_actions_url(bot)}?token={TOKEN}", call, {})[0] == 401
    # The same call with the secret files the request.
    status, body = _post(_actions_url(bot), call, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and body["events"], body
    assert ticket_count(bot) == before + 1


def test_the_other_routes_are_closed_and_health_is_open(bot: RunningBot) -> None:
    base = _actions_url(bot).removesuffix("/webhook")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/actions", timeout=10)
    assert refused.value.code == 401
    with urllib.request.urlopen(f"{base}/health", timeout=10) as health:
        assert json.loads(health.read()) == {"status": "ok"}


def test_rasa_sends_the_secret(bot: RunningBot) -> None:
    """A policy answer is a custom action: the reply means Rasa's call was let in."""
    assert "運転免許証" in bot.reply_text(new_sender(), "本人確認書類は何が必要ですか")


def test_the_secret_is_not_written_to_the_endpoints_file(bot: RunningBot) -> None:
    written = (ROOT / "var" / f"endpoints.{urlsplit(bot.rasa_url).port}.yml").read_text()
    assert TOKEN not in written
    assert yaml.safe_load(written)["action_endpoint"]["headers"] == ENDPOINT_HEADERS


def _cors_origin(bot: RunningBot, origin: str) -> str | None:
    """Access-Control-Allow-Origin of a browser's preflight for the REST channel."""
    request = urllib.request.Request(bot.rest_url, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as error:
        return error.headers.get("Access-Control-Allow-Origin")


def test_cors_answers_the_chat_page_only(bot: RunningBot) -> None:
    chat_origin = bot.chat_url.rstrip("/")
    assert _cors_origin(bot, chat_origin) == chat_origin
    for origin in ("https://evil.example", "http://localhost:1", "null"):
        assert _cors_origin(bot, origin) is None, origin


def _raw_response_head(url: str, request: bytes) -> str:
    parts = urlsplit(url)
    assert parts.port is not None, url
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request)
        return connection.recv(4096).decode("latin-1").split("\r\n\r\n")[0]


def test_the_console_server_header_names_no_software(bot: RunningBot) -> None:
    with urllib.request.urlopen(bot.console_url + "login", timeout=10) as response:
        page_server = response.headers["Server"]
    # An error the HTTP server answers itself, before the app: too many header lines.
    many_headers = b"".join(b"X-%d: x\r\n" % number for number in range(200))
    error_head = _raw_response_head(bot.console_url, b"GET /login HTTP/1.1\r\n" + many_headers + b"\r\n")
    assert " 431 " in error_head.splitlines()[0]
    [error_server] = [line.split(":", 1)[1].strip() for line in error_head.splitlines()
                      if line.lower().startswith("server:")]
    for header in (page_server, error_server):
        assert not re.search(r"werkzeug|python|\d+\.\d+", header, re.IGNORECASE), header


# --- the secret and its configuration ------------------------------------------------------


def test_the_local_secret_is_made_once_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "actions_token"
    first = prepare_local_token({}, path)
    assert len(first) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert prepare_local_token({}, path) == first
    assert prepare_local_token({TOKEN_VARIABLE: TOKEN}, path) == TOKEN  # the variable comes first
    with pytest.raises(ActionsTokenError) as short:
        prepare_local_token({TOKEN_VARIABLE: "short-Q7x"}, path)
    assert "short-Q7x" not in str(short.value)


def test_the_action_server_does_not_start_without_the_secret() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run([sys.executable, "-m", "bot.actions_server", "--port", "1"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and f"not starting: {TOKEN_VARIABLE}" in result.stderr


def test_make_run_and_the_production_profile_send_the_secret_as_a_header(tmp_path: Path) -> None:
    embedded = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["action_endpoint"]
    assert embedded["headers"] == ENDPOINT_HEADERS and "token" not in embedded
    assert endpoints(Profile(run_dir=tmp_path))["action_endpoint"]["headers"] == ENDPOINT_HEADERS


def test_the_production_profile_keeps_its_servers_on_loopback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    production = Production(Profile(host="0.0.0.0", run_dir=tmp_path))
    assert production.fleet.env[TOKEN_VARIABLE] == TOKEN
    for name, command in production.servers.items():
        if name.startswith("actions-"):
            assert command[command.index("--host") + 1] == "127.0.0.1" and "bot.actions_server" in command
        if name.startswith("rasa-"):
            assert command[command.index("--interface") + 1] == "127.0.0.1" and "--cors" not in command
    nginx = (tmp_path / "nginx.conf").read_text()
    assert "listen 0.0.0.0:8000;" in nginx and f"listen 127.0.0.1:{Profile().actions_balancer_port};" in nginx
