"""Starts the whole bot on one machine and stops it all on Ctrl-C.

First the data key is checked (made once in var/data_key when TCN_DATA_KEYS is not set),
so is the secret Rasa shows the action server (made once in var/actions_token when
TCN_ACTIONS_TOKEN is not set) and the key of Rasa's HTTP API, which the staff console
uses to answer customers (var/rasa_api_secret unless TCN_RASA_API_SECRET is set), and
the case database (CASES_DATABASE_URL, SQLite under var/ by default) is brought to the
latest migration. Then four processes: the action
server, the Rasa server (REST and socket.io channels), the chat page and the staff
console. `make run` calls this after set-up and training. A process that exits once
they are all up is started again after a pause (Fleet.keep_running), as in the
production profile; Ctrl-C or SIGTERM stops them all.

Every server listens on 127.0.0.1 unless --host names another address; the action
server always does (only Rasa calls it). Rasa answers cross-origin requests (CORS)
from the chat page's origin only.

    python -m bot.tools.run [--rasa-port 5005] [--actions-port 5055] [--chat-port 8080] [--console-port 8081]
                            [--host 127.0.0.1]
                            [--tracker-db var/tracker.db | --tracker-url postgresql://…]
                            [--log-level DEBUG|INFO|WARNING | --debug]

Every process masks personal data in its log output at every level (bot/logging_privacy.py).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from bot.actions_token import ActionsTokenError, prepare_local_token
from bot.cases.db import database_url, migrate
from bot.cases.keyring import DataKeyError, prepare_local_key
from bot.dialogue.endpoints import TOKEN_VARIABLE, tracker_store_endpoint
from bot.logging_privacy import LOG_LEVELS
from bot.secretfile import keep_private
from bot.tools.model_server import MODEL, publish
from bot.tools.processes import (
    ROOT,
    STARTUP_TIMEOUT_S,
    Fleet,
    actions_command,
    base_environment,
    chat_command,
    console_command,
    live_chat_environment,
    rasa_command,
)

VAR = ROOT / "var"


@dataclass(frozen=True)
class Ports:
    rasa: int
    actions: int
    chat: int
    console: int
    # The model server, when a new model is to go live without a restart.
    models: int | None = None


def write_endpoints(ports: Ports, tracker_url: str) -> Path:
    """endpoints.yml with this run's action-server port and tracker store. The action
    endpoint keeps its `${TCN_ACTIONS_TOKEN}` header: Rasa fills it in from its environment,
    so the secret is never written to var/."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{ports.actions}/webhook"
    endpoints["tracker_store"] = tracker_store_endpoint(tracker_url)
    if ports.models:
        # Rasa pulls from the model server and swaps in a new model when its ETag changes.
        endpoints["models"] = {"url": f"http://127.0.0.1:{ports.models}/model", "wait_time_between_pulls": 10}
    path = VAR / f"endpoints.{ports.rasa}.yml"
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return path


def commands(ports: Ports, endpoints: Path, host: str, log_level: str = "INFO") -> dict[str, list[str]]:
    servers = {
        "actions": actions_command(ports.actions, log_level),
        # The browser reaches Rasa's socket.io from the chat page, and from nowhere else.
        "rasa": rasa_command(ports.rasa, host, endpoints, log_level, "--cors", *chat_origins(host, ports.chat)),
        "chat": chat_command(ports.chat, host, f"http://{_public(host)}:{ports.rasa}", log_level),
        "console": console_command(ports.console, host, log_level),
    }
    if ports.models:
        # Started first, so that Rasa's first pull finds the model.
        servers = {"models": [sys.executable, "-m", "bot.tools.model_server", "serve",
                              "--port", str(ports.models)], **servers}
    return servers


def _public(host: str) -> str:
    return "localhost" if host in ("127.0.0.1", "0.0.0.0") else host


def _local(host: str) -> str:
    """Where this machine reaches a server listening on `host`."""
    return "127.0.0.1" if host == "0.0.0.0" else host


def chat_origins(host: str, chat_port: int) -> list[str]:
    """The origins the chat page is opened from: the URL printed at start-up, and on this
    machine its 127.0.0.1 twin (a browser sends whichever the address bar shows)."""
    public = f"http://{_public(host)}:{chat_port}"
    return [public, f"http://127.0.0.1:{chat_port}"] if _public(host) == "localhost" else [public]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--chat-port", type=int, default=8080)
    parser.add_argument("--console-port", type=int, default=8081)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address the chat page, the Rasa server and the staff console listen on "
                             "(the action server always listens on 127.0.0.1)")
    parser.add_argument("--tracker-db", type=Path, default=VAR / "tracker.db",
                        help="the SQLite file of the conversations (tracker store)")
    parser.add_argument("--tracker-url",
                        help="the tracker store as an SQLAlchemy URL instead, for example "
                             "postgresql://postgres@127.0.0.1:5432/tcn_tracker")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="INFO",
                        help="log level of every process (personal data is masked at every level)")
    parser.add_argument("--debug", dest="log_level", action="store_const", const="DEBUG",
                        help="same as --log-level DEBUG")
    parser.add_argument("--hot-reload", action="store_true", default=os.environ.get("TCN_HOT_RELOAD") == "1",
                        help="serve models/live/ to Rasa, so that `make publish` puts a model live "
                             "without a restart (default: on when TCN_HOT_RELOAD=1)")
    parser.add_argument("--model-server-port", type=int, default=5002)
    args = parser.parse_args()
    ports = Ports(args.rasa_port, args.actions_port, args.chat_port, args.console_port,
                  args.model_server_port if args.hot_reload else None)

    # Conversations, tickets, keys and logs: nobody else on the machine reads them.
    keep_private(VAR)
    try:
        keys = prepare_local_key()
        actions_token = prepare_local_token()
        live_chat = live_chat_environment([f"http://{_local(args.host)}:{ports.rasa}"])
    except (DataKeyError, ActionsTokenError) as error:
        print(f"not starting: {error}", file=sys.stderr)
        return 1
    print(f"data key: the first of {keys.size} in {keys.source}", flush=True)
    cases_url = database_url()
    print(f"case database: {make_url(cases_url).render_as_string(hide_password=True)} (migrating)", flush=True)
    migrate(cases_url)
    if ports.models:
        publish(MODEL)
    tracker_url = args.tracker_url or f"sqlite:///{args.tracker_db.resolve()}"
    endpoints = write_endpoints(ports, tracker_url)
    # The console reads conversations from the tracker store Rasa writes; Rasa sends the
    # action server the secret it checks.
    fleet = Fleet({**base_environment(), "TRACKER_DATABASE_URL": tracker_url,
                   TOKEN_VARIABLE: actions_token,
                   # Staff answer in the chat through Rasa's HTTP API (bot/live_chat/).
                   **live_chat})
    # Ctrl-C and `kill` both end in the same clean stop of every process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for name, command in commands(ports, endpoints, args.host, args.log_level).items():
            fleet.start(name, command)
            if name == "models":
                fleet.wait_until_up(f"http://127.0.0.1:{ports.models}/", deadline)
        print("starting the action server, the Rasa server, the chat page and the staff console…",
              flush=True)
        fleet.wait_until_up(f"http://127.0.0.1:{ports.actions}/health", deadline)
        fleet.wait_until_up(f"http://{_local(args.host)}:{ports.rasa}/", deadline)
        fleet.wait_until_up(f"http://{_local(args.host)}:{ports.chat}/", deadline)
        fleet.wait_until_up(f"http://{_local(args.host)}:{ports.console}/login", deadline)
        print(
            "\nready:\n"
            f"  chat page      http://{_public(args.host)}:{ports.chat}/\n"
            f"  REST channel   http://{_public(args.host)}:{ports.rasa}/webhooks/rest/webhook\n"
            f"  socket.io      http://{_public(args.host)}:{ports.rasa}/socket.io/\n"
            f"  action server  http://127.0.0.1:{ports.actions}/webhook (Rasa only: {TOKEN_VARIABLE})\n"
            f"  staff console  http://{_public(args.host)}:{ports.console}/\n"
            + (f"  model server   http://localhost:{ports.models}/ (make publish puts a new model live)\n"
               if ports.models else "")
            + "a server that exits is started again; press Ctrl-C to stop everything\n",
            flush=True,
        )
        # A server that exits (a crash, the out-of-memory killer) is started again; while
        # the action server is away, Rasa answers with an apology (bot/channels/guard.py).
        fleet.keep_running()
    except KeyboardInterrupt:
        return 0
    finally:
        fleet.stop()


if __name__ == "__main__":
    sys.exit(main())
