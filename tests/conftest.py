"""Shared fixtures: the trained model, an in-process NLU, the running bot."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import pytest
import yaml

# Marks each test with what it needs (model, postgres, …): tests/tiers.py.
from tests.tiers import pytest_collection_modifyitems  # noqa: F401 (a hook)

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).parent / "rasa")
HELDOUT = ROOT / "tests" / "nlu_heldout"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session", autouse=True)
def data_keys() -> Iterator[str]:
    """A data key of the session's own in TCN_DATA_KEYS, inherited by the bot and the
    commands the tests start: no test reads or writes var/data_key or a real key."""
    from bot.cases.keyring import KEYS_VARIABLE, new_key

    with pytest.MonkeyPatch.context() as patch:
        key = new_key()
        patch.setenv(KEYS_VARIABLE, key)
        yield key


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Staff passwords hashed in this process by argon2id at its lowest cost: the
    console's own (argon2-cffi's default, ~0.13 s a hash and a login) made the console
    tests most of `make test-fast`'s time. The hashes stay argon2id and are checked as
    before; commands the tests start (the CLI, the servers) hash at the real cost."""
    from argon2 import PasswordHasher

    from bot.console import accounts

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


def run_rasa(*args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [RASA, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty tracker store's SQLAlchemy URL: a SQLite file, then a fresh PostgreSQL database."""
    from tests.cases_fixtures import fresh_postgres_database

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The real model: `rasa train` retrains only when data, config or domain changed."""
    result = run_rasa("train", "--fixed-model-name", "tcn-privacy-desk", "--out", "models")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    path = ROOT / "models" / "tcn-privacy-desk.tar.gz"
    assert path.exists()
    return path


@pytest.fixture(scope="session")
def event_loop_for_agent() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def agent(model_path: Path) -> Any:
    """The trained model loaded in this process (no tracker store, no action server)."""
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


@pytest.fixture(scope="session")
def parse(agent: Any, event_loop_for_agent: asyncio.AbstractEventLoop):
    """Parse a message with the trained model, in process."""

    def _parse(text: str) -> dict[str, Any]:
        return event_loop_for_agent.run_until_complete(agent.parse_message(text))

    return _parse


def heldout_examples() -> list[tuple[str, str]]:
    examples = []
    for file in sorted(HELDOUT.glob("*.yml")):
        for block in yaml.safe_load(file.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                if line.startswith("- "):
                    examples.append((line[2:].strip(), block["intent"]))
    return examples


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RestClient:
    """A customer on the REST channel at `rest_url`; `cases_url` is the case database
    behind it, `rasa_url` where its socket.io channel is. Like a real customer, it
    types text or clicks a button of the bot's latest reply (`click`): payloads
    are the bot's, and the channel takes none that was not just offered."""

    def __init__(self, rasa_url: str, cases_url: str) -> None:
        self.rasa_url = rasa_url
        self.rest_url = f"{rasa_url}/webhooks/rest/webhook"
        self.cases_url = cases_url
        # The bot's latest reply to each sender: the buttons a click can choose from.
        self.latest: dict[str, list[dict[str, Any]]] = {}

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        request = urllib.request.Request(
            self.rest_url,
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            reply = json.loads(response.read())
        self.latest[sender] = reply
        return reply

    def reply_text(self, sender: str, text: str) -> str:
        return "\n".join(message.get("text", "") for message in self.say(sender, text))

    def offered(self, sender: str) -> dict[str, str]:
        """Title → payload of every button in the bot's latest reply to `sender`."""
        return {button["title"]: button["payload"]
                for message in self.latest.get(sender, []) for button in message.get("buttons") or []}

    def button(self, sender: str, title: str) -> str:
        """The payload of the button titled `title` in the bot's latest reply;
        fails the test when that reply offers no such button."""
        offered = self.offered(sender)
        assert title in offered, f"no button 「{title}」 in the latest reply to {sender}: {list(offered)}"
        return offered[title]

    def click(self, sender: str, title: str) -> str:
        """Click the button titled `title` of the bot's latest reply (its payload
        is sent); the text of the reply."""
        return self.reply_text(sender, self.button(sender, title))


class RunningBot(RestClient):
    def __init__(self, rasa_port: int, chat_port: int, console_port: int, cases_url: str,
                 workdir: Path) -> None:
        super().__init__(f"http://127.0.0.1:{rasa_port}", cases_url)
        self.chat_url = f"http://localhost:{chat_port}/"
        self.console_url = f"http://localhost:{console_port}/"
        # What start_bot gives the processes: their tracker store, and where they all log.
        self.tracker_db = workdir / "tracker.db"
        self.log = workdir / "run.log"


@contextmanager
def start_bot(workdir: Path, cases_url: str, run_args: Sequence[str] = (),
              env: Mapping[str, str] | None = None) -> Iterator[RunningBot]:
    """The four processes started exactly as `make run` starts them (other
    ports, a tracker store and a case database of the test's own); `run_args`
    and `env` are added to bot.tools.run's arguments and environment. Every
    process's output goes to workdir/run.log."""
    ports = {"rasa": _free_port(), "actions": _free_port(), "chat": _free_port(),
             "console": _free_port()}
    log = (workdir / "run.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.tools.run", "--rasa-port", str(ports["rasa"]),
         "--actions-port", str(ports["actions"]), "--chat-port", str(ports["chat"]),
         "--console-port", str(ports["console"]),
         "--tracker-db", str(workdir / "tracker.db"), *run_args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CASES_DATABASE_URL": cases_url, **(env or {})},
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        log.seek(0)
        output = log.read()
        if "ready:" in output:
            break
        if process.poll() is not None:
            pytest.fail(f"the bot did not start:\n{output[-4000:]}")
        time.sleep(1)
    else:
        process.terminate()
        pytest.fail("the bot did not start within 240 s")
    try:
        yield RunningBot(ports["rasa"], ports["chat"], ports["console"], cases_url, workdir)
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture(scope="session")
def running_bot(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    workdir = tmp_path_factory.mktemp("bot")
    with start_bot(workdir, f"sqlite:///{workdir / 'cases.db'}") as bot:
        yield bot
