"""Serves the staff console after bringing the case database to the latest migration.

    python -m bot.console.server --port 8081 --host 127.0.0.1

Werkzeug's threaded server (waitress is not installed): enough for a few staff on an
internal network; put a TLS-terminating proxy in front of it (docs/staff_console.md).
"""

from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from bot import logging_privacy
from bot.cases.db import migrate
from bot.console.app import create_app
from bot.console.config import ConsoleConfig


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the staff console.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--log-level", choices=logging_privacy.LOG_LEVELS, default="INFO")
    args = parser.parse_args()
    logging_privacy.configure(args.log_level)
    config = ConsoleConfig.from_env()
    migrate(config.cases_url)
    run_simple(args.host, args.port, create_app(config), threaded=True)


if __name__ == "__main__":
    main()
