"""The production profile on one machine: `make run-production`.

PostgreSQL holds the conversations (Rasa's tracker store) and the case database,
Redis is Rasa's lock store, two Rasa servers and two action servers run side by
side, and nginx balances the chat page, the REST and the socket.io channels over
the Rasa servers, and the Rasa servers' action calls over the action servers.
The staff console is not behind the public balancer (docs/production.md). Every
server but nginx's public listener and the console listens on 127.0.0.1; the action
servers answer only calls carrying TCN_ACTIONS_TOKEN (bot/actions_server.py), which
nginx passes through from the Rasa servers.

    python -m bot.tools.production [--host 127.0.0.1] [--port-offset 0]
        [--tracker-url postgresql://postgres@127.0.0.1:5432/tcn_tracker]
        [--cases-url postgresql://postgres@127.0.0.1:5432/tcn_cases]
        [--redis-url redis://127.0.0.1:6379/1] [--log-level INFO]

A server that exits is started again after a pause (Fleet.keep_running); Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import jinja2
import redis
import yaml
from sqlalchemy.engine import make_url

from bot.actions_token import ActionsTokenError, prepare_local_token
from bot.cases.db import migrate
from bot.cases.keyring import DataKeyError, prepare_local_key
from bot.dialogue.endpoints import (
    SOCKETIO_CHANNEL_VARIABLE,
    SOCKETIO_REDIS_VARIABLE,
    TOKEN_VARIABLE,
    action_endpoint,
    lock_store_endpoint,
    tracker_store_endpoint,
)
from bot.logging_privacy import LOG_LEVELS
from bot.secretfile import keep_private
from bot.tools.databases import create_database
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

DEPLOY = ROOT / "deploy"
REPLICAS = 2
NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin") or "/usr/sbin/nginx"


@dataclass(frozen=True)
class Profile:
    """Where everything listens and what it connects to."""

    tracker_url: str = "postgresql://postgres@127.0.0.1:5432/tcn_tracker"
    cases_url: str = "postgresql://postgres@127.0.0.1:5432/tcn_cases"
    redis_url: str = "redis://127.0.0.1:6379/1"
    # Alphanumeric (Rasa's rule): the lock keys of two profiles on one Redis do not mix.
    lock_prefix: str = "tcn"
    host: str = "127.0.0.1"
    port_offset: int = 0
    log_level: str = "INFO"
    run_dir: Path = field(default=ROOT / "var" / "production")

    def port(self, base: int) -> int:
        return base + self.port_offset

    @property
    def balancer_port(self) -> int:
        return self.port(8000)

    @property
    def rasa_ports(self) -> list[int]:
        return [self.port(5005 + i) for i in range(REPLICAS)]

    @property
    def actions_ports(self) -> list[int]:
        return [self.port(5055 + i) for i in range(REPLICAS)]

    @property
    def actions_balancer_port(self) -> int:
        return self.port(5050)

    @property
    def chat_port(self) -> int:
        return self.port(8080)

    @property
    def console_port(self) -> int:
        return self.port(8081)

    @property
    def ports(self) -> list[int]:
        return [self.balancer_port, self.actions_balancer_port, self.chat_port, self.console_port,
                *self.rasa_ports, *self.actions_ports]

    @property
    def public_url(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0") else self.host
        return f"http://{host}:{self.balancer_port}"


def free_port_offset(first: int = 20000, last: int = 40000, step: int = 1000) -> int:
    """A port offset at which every port of a profile is free (tests, benchmark)."""
    def free(port: int) -> bool:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    return next(offset for offset in range(first, last, step)
                if all(free(port) for port in Profile(port_offset=offset).ports))


def endpoints(profile: Profile) -> dict[str, Any]:
    """endpoints.yml of every Rasa server of the profile."""
    return {
        # The action servers, through nginx: one that is down is skipped. The secret's
        # header names the variable; Rasa fills it in from its environment.
        "action_endpoint": action_endpoint(f"http://127.0.0.1:{profile.actions_balancer_port}/webhook"),
        # Conversations in PostgreSQL, shared by the Rasa servers.
        "tracker_store": tracker_store_endpoint(profile.tracker_url),
        # One message of a conversation at a time, whichever server receives it.
        "lock_store": lock_store_endpoint(profile.redis_url, profile.lock_prefix),
    }


def write_configuration(profile: Profile) -> tuple[Path, Path]:
    """var/production/endpoints.yml and nginx.conf (from deploy/nginx.conf.j2)."""
    profile.run_dir.mkdir(parents=True, exist_ok=True)
    endpoints_file = profile.run_dir / "endpoints.yml"
    endpoints_file.write_text(yaml.safe_dump(endpoints(profile), allow_unicode=True), encoding="utf-8")
    endpoints_file.chmod(0o600)  # may hold database passwords
    template = jinja2.Environment(loader=jinja2.FileSystemLoader(DEPLOY),
                                  undefined=jinja2.StrictUndefined).get_template("nginx.conf.j2")
    nginx = profile.run_dir / "nginx.conf"
    nginx.write_text(template.render(
        run_dir=profile.run_dir, host=profile.host, balancer_port=profile.balancer_port,
        rasa_ports=profile.rasa_ports, actions_ports=profile.actions_ports,
        actions_balancer_port=profile.actions_balancer_port, chat_port=profile.chat_port,
    ), encoding="utf-8")
    return endpoints_file, nginx


def prepare_services(profile: Profile) -> None:
    """Fails with a clear message when PostgreSQL or Redis is not there; creates the
    two databases when missing and brings the case database to the latest migration."""
    for url in (profile.tracker_url, profile.cases_url):
        if create_database(url, exist_ok=True):
            print(f"created database {make_url(url).database}", flush=True)
    migrate(profile.cases_url)
    redis.Redis.from_url(profile.redis_url, socket_connect_timeout=5).ping()


class Production:
    """The profile's processes: started together, each one can be killed and restarted.

    Raises ActionsTokenError when TCN_ACTIONS_TOKEN is set but too short."""

    def __init__(self, profile: Profile, output: Optional[int] = None) -> None:
        self.profile = profile
        endpoints, nginx = write_configuration(profile)
        self.fleet = Fleet({**base_environment(), "CASES_DATABASE_URL": profile.cases_url,
                            # The console reads transcripts from the tracker store.
                            "TRACKER_DATABASE_URL": profile.tracker_url,
                            # What the Rasa servers send and the action servers check.
                            TOKEN_VARIABLE: prepare_local_token(),
                            # Staff answer in the chat through either Rasa server's HTTP
                            # API; the socket may be on the other: emits go through Redis.
                            **live_chat_environment([f"http://127.0.0.1:{port}" for port in profile.rasa_ports]),
                            SOCKETIO_REDIS_VARIABLE: profile.redis_url,
                            SOCKETIO_CHANNEL_VARIABLE: f"{profile.lock_prefix}-socketio-{profile.balancer_port}"},
                           output)
        log = profile.log_level
        actions = {f"actions-{i + 1}": port for i, port in enumerate(profile.actions_ports)}
        rasa = {f"rasa-{i + 1}": port for i, port in enumerate(profile.rasa_ports)}
        self.servers: dict[str, list[str]] = {
            **{name: actions_command(port, log) for name, port in actions.items()},
            # Behind nginx, which is the only way in: on loopback, no CORS (same origin).
            **{name: rasa_command(port, "127.0.0.1", endpoints, log) for name, port in rasa.items()},
            "chat": chat_command(profile.chat_port, "127.0.0.1", profile.public_url, log),
            "console": console_command(profile.console_port, profile.host, log),
            "nginx": [NGINX, "-c", str(nginx), "-p", str(profile.run_dir), "-g", "daemon off;"],
        }
        # What answers once each server is up.
        self.health_urls: dict[str, str] = {
            **{name: f"http://127.0.0.1:{port}/health" for name, port in actions.items()},
            **{name: f"http://127.0.0.1:{port}/" for name, port in rasa.items()},
            "chat": f"http://127.0.0.1:{profile.chat_port}/",
            "console": f"http://127.0.0.1:{profile.console_port}/login",
            "nginx": f"http://127.0.0.1:{profile.balancer_port}/",
        }

    def start(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        for name, command in self.servers.items():
            self.fleet.start(name, command)
        deadline = time.monotonic() + timeout_s
        for name in self.servers:
            self.fleet.wait_until_up(self.health_urls[name], deadline)

    def kill(self, name: str) -> None:
        self.fleet.kill(name)

    def restart(self, name: str, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        self.fleet.restart(name)
        self.fleet.wait_until_up(self.health_urls[name], time.monotonic() + timeout_s, only=name)

    def stop(self) -> None:
        self.fleet.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Profile()
    parser.add_argument("--tracker-url", default=os.environ.get("TRACKER_DATABASE_URL", defaults.tracker_url))
    parser.add_argument("--cases-url", default=os.environ.get("CASES_DATABASE_URL", defaults.cases_url))
    parser.add_argument("--redis-url", default=os.environ.get("LOCK_STORE_URL", defaults.redis_url))
    parser.add_argument("--host", default=defaults.host,
                        help="address the load balancer and the staff console listen on")
    parser.add_argument("--port-offset", type=int, default=0, help="added to every port")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="INFO")
    args = parser.parse_args()
    profile = Profile(args.tracker_url, args.cases_url, args.redis_url, host=args.host,
                      port_offset=args.port_offset, log_level=args.log_level)
    # Keys, rendered configuration and logs: nobody else on the machine reads them
    # (nginx's workers open no file: deploy/nginx.conf.j2 keeps bodies in memory).
    keep_private(ROOT / "var")
    try:
        keys = prepare_local_key()
        prepare_local_token()
        prepare_services(profile)
    except (DataKeyError, ActionsTokenError) as error:
        print(f"not starting: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the operator gets one line, not a traceback
        print(f"not starting: PostgreSQL or Redis is not usable: {error}", file=sys.stderr)
        return 1
    print(f"data key: the first of {keys.size} in {keys.source}", flush=True)
    production = Production(profile)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print("starting 2 action servers, 2 Rasa servers, the chat page, the staff console "
              "and nginx…", flush=True)
        production.start()
        print(
            "\nready:\n"
            f"  chat page      {profile.public_url}/\n"
            f"  REST channel   {profile.public_url}/webhooks/rest/webhook\n"
            f"  socket.io      {profile.public_url}/socket.io/\n"
            f"  Rasa servers   {', '.join(str(p) for p in profile.rasa_ports)}"
            f" (actions through 127.0.0.1:{profile.actions_balancer_port})\n"
            f"  action servers {', '.join(str(p) for p in profile.actions_ports)}\n"
            f"  staff console  http://{profile.host}:{profile.console_port}/\n"
            f"  logs and configuration: {profile.run_dir}\n"
            "press Ctrl-C to stop everything\n",
            flush=True,
        )
        production.fleet.keep_running()
    except KeyboardInterrupt:
        return 0
    finally:
        production.stop()


if __name__ == "__main__":
    sys.exit(main())
