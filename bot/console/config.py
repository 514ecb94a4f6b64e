"""The console's settings, from the environment (see docs/staff_console.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Mapping

from bot.cases.db import ROOT, database_url
from bot.live_chat.rasa_api import RasaApi
from bot.secretfile import create_once
from bot.tracker_events import tracker_url

VAR = ROOT / "var"
DEFAULT_IDLE_MINUTES = 15
DEFAULT_PAGE_SIZE = 50
DEFAULT_REFRESH_SECONDS = 30

Network = IPv4Network | IPv6Network


@dataclass(frozen=True)
class ConsoleConfig:
    cases_url: str
    tracker_url: str
    secret_key: str
    idle_minutes: int = DEFAULT_IDLE_MINUTES
    secure_cookies: bool = True
    # Proxies whose X-Forwarded-For is believed; empty: the peer address is the client's.
    trusted_proxies: tuple[Network, ...] = ()
    # Tickets per page of the queue.
    page_size: int = DEFAULT_PAGE_SIZE
    # How often the queue page asks whether anything changed (bot/console/activity.py).
    refresh_seconds: int = DEFAULT_REFRESH_SECONDS
    # Rasa's HTTP API, through which staff write in the chat (None: they can only read).
    rasa_api: RasaApi | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ,
                 secret_file: Path = VAR / "console_secret") -> ConsoleConfig:
        return cls(
            cases_url=environ.get("CASES_DATABASE_URL") or database_url(),
            tracker_url=tracker_url(environ),
            secret_key=environ.get("TCN_CONSOLE_SECRET_KEY") or kept_secret(secret_file),
            idle_minutes=_positive(environ.get("TCN_CONSOLE_IDLE_MINUTES"), DEFAULT_IDLE_MINUTES),
            secure_cookies=environ.get("TCN_CONSOLE_SECURE_COOKIES", "1").strip().lower()
            not in ("0", "false", "no", "off"),
            trusted_proxies=parse_networks(environ.get("TCN_CONSOLE_TRUSTED_PROXIES", "")),
            page_size=_positive(environ.get("TCN_CONSOLE_PAGE_SIZE"), DEFAULT_PAGE_SIZE),
            refresh_seconds=_positive(environ.get("TCN_CONSOLE_REFRESH_SECONDS"),
                                      DEFAULT_REFRESH_SECONDS),
            rasa_api=RasaApi.from_env(environ),
        )


def _positive(value: str | None, default: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if number > 0 else default


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (`10.0.0.5, 192.168.0.0/24`)."""
    return tuple(ip_network(part.strip()) for part in text.split(",") if part.strip())


def kept_secret(path: Path) -> str:
    """The key in `path`, made on first use and readable by the owner only: sessions
    survive restarts without a key in the environment or in the repository."""
    create_once(path, lambda: secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()
