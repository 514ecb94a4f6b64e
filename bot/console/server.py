"""Serves the staff console after bringing the case database to the latest migration.

    python -m bot.console.server --port 8081 --host 127.0.0.1

Werkzeug's threaded server (waitress is not installed): enough for a few staff on an
internal network; put a TLS-terminating proxy in front of it (docs/staff_console.md).
Its `Server` header names no software or version.
"""

from __future__ import annotations

import argparse

from werkzeug.serving import WSGIRequestHandler, run_simple

from bot import logging_privacy
from bot.cases.db import migrate
from bot.console.app import create_app
from bot.console.config import ConsoleConfig

SERVER_HEADER = "staff-console"


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without `Server: Werkzeug/3.x Python/3.10.x`, which tells an
    attacker which known flaws to try; on every response, the server's own errors too."""

    def version_string(self) -> str:
        return SERVER_HEADER


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the staff console.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--log-level", choices=logging_privacy.LOG_LEVELS, default="INFO")
    args = parser.parse_args()
    logging_privacy.configure(args.log_level)
    config = ConsoleConfig.from_env()
    migrate(config.cases_url)
    run_simple(args.host, args.port, create_app(config), threaded=True,
               request_handler=QuietRequestHandler)


if __name__ == "__main__":
    main()
