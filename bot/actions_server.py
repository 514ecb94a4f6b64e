"""The action server: rasa-sdk's own Sanic app, answering only the Rasa servers.

    TCN_ACTIONS_TOKEN=… python -m bot.actions_server [--host 127.0.0.1] [--port 5055]
                                                     [--actions actions] [--debug | --verbose | --quiet]

Instead of `rasa run actions`, which listens on every address (rasa-sdk 3.6 has no
interface option, only the SANIC_HOST variable) and runs any action for anyone who can
reach its port. Here every request but /health must carry the secret shared with Rasa,
`Authorization: Bearer <TCN_ACTIONS_TOKEN>`, or it is answered 401 before any action
runs. Rasa sends the header from endpoints.yml (`${TCN_ACTIONS_TOKEN}` is filled in by
Rasa from its environment). A header rather than Rasa's `token` query parameter,
because query strings are written to access logs (nginx's, Sanic's).

`make run` and the production profile call `prepare_local_token` and give the secret to
every process in the environment (docs/privacy.md: where it lives, how to rotate it).
"""

from __future__ import annotations

import argparse
import hmac
import os
import sys

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app as create_sdk_app
from rasa_sdk.plugin import plugin_manager
from rasa_sdk.version import __version__ as SDK_VERSION
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.actions_token import ActionsTokenError, check_token
from bot.dialogue.endpoints import TOKEN_VARIABLE

# Written against rasa-sdk 3.6.2's create_app (routes /health, /webhook, /actions and
# no authentication of its own): a new version must be read again before it runs here.
assert SDK_VERSION == "3.6.2", f"bot/actions_server.py was written for rasa-sdk 3.6.2, not {SDK_VERSION}"

# Open to anyone who reaches the port: nginx and the launchers poll it, it says nothing.
OPEN_PATHS = frozenset({"/health"})


def is_authorized(authorization: str | None, token: str) -> bool:
    """Whether an Authorization header value is `Bearer <token>`, compared in constant
    time so that the answer's timing tells nothing about the secret."""
    given = (authorization or "").encode("utf-8", "replace")
    return hmac.compare_digest(given, f"Bearer {token}".encode("utf-8"))


def create_app(actions_package: str, token: str) -> Sanic:
    """rasa-sdk's app for `actions_package`, with CORS off (only Rasa calls it, never a
    browser) and the secret checked before any route but /health runs."""
    app = create_sdk_app(actions_package, cors_origins=None)

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or is_authorized(request.headers.get("Authorization"), token):
            return None
        return response.json({"error": "unauthorized"}, status=401)

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (only Rasa calls it)")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions", help="the package of the custom actions")
    utils.add_logging_level_option_arguments(parser)  # --debug / --verbose / --quiet, as rasa-sdk's
    args = parser.parse_args()
    try:
        # Only the environment: the launchers pass it, so Rasa and this server share one secret.
        token = check_token(os.environ.get(TOKEN_VARIABLE, ""), TOKEN_VARIABLE)
    except ActionsTokenError as error:
        print(f"not starting: {error}", file=sys.stderr)
        return 1
    # The same logging set-up as rasa_sdk.__main__.main_from_args.
    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    app = create_app(args.actions, token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
