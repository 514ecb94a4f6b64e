"""`rasa run` with Rasa's HTTP API on, behind a key that is never on a command line.

The staff console answers customers through Rasa's HTTP API (bot/live_chat/rasa_api.py).
Rasa takes the key of that API only as `--jwt-secret`, and a process's arguments are
readable by every user of the machine (`ps`, /proc/<pid>/cmdline). This launcher reads
the key from TCN_RASA_API_SECRET and adds `--enable-api --jwt-secret … --jwt-method HS256`
to the arguments Rasa parses inside this process, which /proc does not show.

Every call of the API then needs a JWT signed with that key (HS256, role admin); the
`token` query parameter is not enabled (access logs record query strings). The API
shares the Rasa server's port with the channels: `make run` keeps it on 127.0.0.1, and
the production profile's nginx publishes only the channels (deploy/nginx.conf.j2).

    python -m bot.rasa_server run --model models … (the arguments of `rasa`)

Raises bot.actions_token.ActionsTokenError, before Rasa starts, when the key is missing
or shorter than 32 characters.
"""

from __future__ import annotations

import os
import sys

from bot.actions_token import check_token
from bot.live_chat.rasa_api import API_SECRET_VARIABLE, JWT_METHOD


def main() -> None:
    secret = check_token(os.environ.get(API_SECRET_VARIABLE, ""), API_SECRET_VARIABLE)
    sys.argv = ["rasa", *sys.argv[1:], "--enable-api", "--jwt-secret", secret, "--jwt-method", JWT_METHOD]
    from rasa.__main__ import main as rasa_main  # after the check: Rasa's import takes seconds

    rasa_main()


if __name__ == "__main__":
    main()
