"""The bot's server processes, started, watched and stopped together.

`make run` (bot/tools/run.py) and the production profile (bot/tools/production.py)
both start their servers through a `Fleet` and keep them running with
`Fleet.keep_running` (a server that exits is started again); the production tests
use one to kill and restart a single server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping, NoReturn, Optional, Sequence

from bot.actions_token import prepare_local_token
from bot.live_chat.rasa_api import API_SECRET_VARIABLE, API_URLS_VARIABLE, DEFAULT_SECRET_FILE

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STARTUP_TIMEOUT_S = 180
STOP_TIMEOUT_S = 15
# Between a server's exit and its new start: a server that fails at once does not
# spin the machine, and a crash is still mended within seconds.
RESTART_PAUSE_S = 5
# The same level as the flag `rasa run` and the action server take.
RASA_LOG_FLAGS = {"DEBUG": "--debug", "INFO": "--verbose", "WARNING": "--quiet"}


def actions_command(port: int, log_level: str) -> list[str]:
    """Our launcher of rasa-sdk's server (bot/actions_server.py), not `rasa run actions`:
    it listens on loopback only and answers only calls that carry TCN_ACTIONS_TOKEN."""
    return [sys.executable, "-m", "bot.actions_server", "--actions", "actions", "--host", "127.0.0.1",
            "--port", str(port), RASA_LOG_FLAGS[log_level]]


def rasa_command(port: int, host: str, endpoints: Path, log_level: str, *extra: str) -> list[str]:
    """`rasa run` listening on `host` only (Rasa's default is every address), through our
    launcher: its HTTP API on, behind TCN_RASA_API_SECRET (bot/rasa_server.py)."""
    return [sys.executable, "-m", "bot.rasa_server", "run", "--model", str(ROOT / "models"),
            "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(endpoints),
            "--interface", host, "--port", str(port), RASA_LOG_FLAGS[log_level], *extra]


def chat_command(port: int, host: str, socket_url: str, log_level: str) -> list[str]:
    return [sys.executable, "-m", "bot.webchat.server", "--port", str(port), "--host", host,
            "--socket-url", socket_url, "--log-level", log_level]


def console_command(port: int, host: str, log_level: str) -> list[str]:
    return [sys.executable, "-m", "bot.console.server", "--port", str(port), "--host", host,
            "--log-level", log_level]


class Fleet:
    """Named processes sharing one environment; a name can be killed and started again."""

    def __init__(self, env: Mapping[str, str], output: Optional[int] = None) -> None:
        self.env = dict(env)
        # None: the processes write to this terminal; tests pass a log file's descriptor.
        self.output = output
        self.commands: dict[str, Sequence[str]] = {}
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: Sequence[str]) -> None:
        self.commands[name] = command
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.output,
                                                stderr=subprocess.STDOUT if self.output else None)

    def restart(self, name: str) -> None:
        self.start(name, self.commands[name])

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash: no clean shut-down."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)

    def exited(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def wait_until_up(self, url: str, deadline: float, only: Optional[str] = None) -> None:
        """Until `url` answers; fails early when one of the processes (or the one
        named `only`) exits."""
        while time.monotonic() < deadline:
            exited = [name for name in self.exited() if only in (None, name)]
            if exited:
                name = exited[0]
                raise RuntimeError(f"{name} exited with code {self.processes[name].returncode} "
                                   "while starting")
            if answers(url):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{url} did not answer within the start-up time")

    def keep_running(self, pause_s: float = RESTART_PAUSE_S) -> NoReturn:
        """Starts each process that exits again `pause_s` seconds later, as systemd or
        Kubernetes would, saying so on stderr; never returns (Ctrl-C raises
        KeyboardInterrupt, and the caller's `stop` ends the rest)."""
        while True:
            for name in self.exited():
                code = self.processes[name].returncode
                print(f"{name} exited with code {code}; starting it again in {pause_s:g} s",
                      file=sys.stderr, flush=True)
                time.sleep(pause_s)
                self.restart(name)
                print(f"{name} started again (pid {self.processes[name].pid})", file=sys.stderr, flush=True)
            time.sleep(1)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # the server is up, even if the path is not for GET
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def live_chat_environment(rasa_urls: list[str]) -> dict[str, str]:
    """What the Rasa servers (the API's key) and the staff console (the key and where the
    API is) need for staff to answer in the chat: bot/live_chat/rasa_api.py."""
    return {API_SECRET_VARIABLE: prepare_local_token(path=DEFAULT_SECRET_FILE, variable=API_SECRET_VARIABLE),
            API_URLS_VARIABLE: ",".join(rasa_urls)}


def base_environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
