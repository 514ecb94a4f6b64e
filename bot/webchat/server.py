"""Serves the customer chat page (web/), its socket.io client from npm and the policy page.

    python -m bot.webchat.server --port 8080 --socket-url http://localhost:5005

The page is our own (web/index.html, web/chat.js, web/chat.css: plain JavaScript,
no framework) on Rasa's socket.io channel, through the socket.io client of
node_modules/socket.io-client (Socket.IO 4 / Engine.IO 4, which python-socketio 5.8
speaks). /policy is the policy generated from data/policy/policy.yml with an
anchor per clause (bot/webchat/policy_page.py), where the chat's citations link to.
The page loads nothing from another origin but Rasa's socket.io channel, and the
Content-Security-Policy allows only this origin and the socket URL: no inline
script or style.
"""

from __future__ import annotations

import argparse
import html
import logging
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from bot import logging_privacy
from bot.policy.document import load_policy
from bot.webchat.policy_page import render_policy_page

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SOCKET_IO_CLIENT = ROOT / "node_modules/socket.io-client/dist/socket.io.min.js"
# Named, not __name__: run with -m, that is "__main__".
logger = logging.getLogger("bot.webchat.server")


def content_security_policy(socket_url: str) -> str:
    """This origin, and Rasa's socket.io channel (a WebSocket, or long polling)."""
    origin = urlsplit(socket_url)
    socket = f"{'wss' if origin.scheme == 'https' else 'ws'}://{origin.netloc}"
    return (f"default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data:; font-src 'self' data:; "
            f"connect-src 'self' {origin.scheme}://{origin.netloc} {socket}; "
            f"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class ChatPageHandler(BaseHTTPRequestHandler):
    server_version = "tcn-chat"

    def __init__(self, *args: object, files: dict[str, tuple[bytes, str]], policy: str,
                 **kwargs: object) -> None:
        self.files, self.policy = files, policy
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path in self.files:
            self._send(*self.files[path])
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", self.policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        # The page shows a customer's receipt: no shared cache keeps it.
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's naming)
        # Through logging, not straight to stderr, so the level and the masking apply.
        logger.info("%s " + format, self.address_string(), *args)


def render_page(socket_url: str) -> bytes:
    """web/index.html with the socket URL and the company's contact point (policy 11),
    the only telephone number and e-mail address the page turns into links."""
    contact = load_policy().fact("11", "contact")
    template = (WEB / "index.html").read_text(encoding="utf-8")
    for name, value in {"SOCKET_URL": socket_url, "CONTACT_TEL": str(contact["tel"]),
                        "CONTACT_EMAIL": str(contact["email"])}.items():
        template = template.replace("{{%s}}" % name, html.escape(value, quote=True))
    return template.encode()


def files(socket_url: str) -> dict[str, tuple[bytes, str]]:
    """What the page may load, by path: nothing else on disk is reachable."""
    page = render_page(socket_url)
    policy_page = render_policy_page()
    return {
        "/": (page, "text/html"),
        "/index.html": (page, "text/html"),
        "/policy": (policy_page, "text/html"),
        "/static/socket.io.min.js": (SOCKET_IO_CLIENT.read_bytes(), "text/javascript"),
        "/static/chat.js": ((WEB / "chat.js").read_bytes(), "text/javascript"),
        "/static/chat.css": ((WEB / "chat.css").read_bytes(), "text/css"),
    }


def serve(host: str, port: int, socket_url: str) -> None:
    handler = partial(ChatPageHandler, files=files(socket_url),
                      policy=content_security_policy(socket_url))
    with ThreadingHTTPServer((host, port), handler) as httpd:
        httpd.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the customer chat page.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--socket-url", default="http://localhost:5005",
                        help="where the browser reaches Rasa's socket.io channel")
    parser.add_argument("--log-level", choices=logging_privacy.LOG_LEVELS, default="INFO")
    args = parser.parse_args()
    logging_privacy.configure(args.log_level)
    serve(args.host, args.port, args.socket_url)


if __name__ == "__main__":
    main()
