"""Serves the customer chat page and the rasa-webchat bundle from npm.

    python -m bot.webchat.server --port 8080 --socket-url http://localhost:5005

The page loads nothing from another origin but Rasa's socket.io channel: the
bundle's CSS imports the Inter font from Google Fonts, which is cut out when the
bundle is served (web/chat.css gives the fonts instead), and the
Content-Security-Policy allows only this origin and the socket URL.
"""

from __future__ import annotations

import argparse
import html
import logging
import re
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from bot import logging_privacy

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
WEBCHAT_BUNDLE = ROOT / "node_modules/rasa-webchat/lib/index.js"
# rasa-webchat 1.0.1 puts `@import url(https://fonts.googleapis.com/…);` in front
# of its style sheets and names `Inter,sans-serif` wherever it sets a font.
_REMOTE_IMPORT = re.compile(r"@import url\(https?://[^)]*\);")
_WIDGET_FONT = "font-family:Inter,sans-serif"
PAGE_FONT = "font-family:var(--chat-font)"  # defined in web/chat.css
# Named, not __name__: run with -m, that is "__main__".
logger = logging.getLogger("bot.webchat.server")


def local_bundle(bundle: str) -> str:
    """The widget's bundle without remote style sheets, in the page's fonts."""
    return _REMOTE_IMPORT.sub("", bundle).replace(_WIDGET_FONT, PAGE_FONT)


def content_security_policy(socket_url: str) -> str:
    """This origin, and Rasa's socket.io channel (long polling, then a WebSocket)."""
    origin = urlsplit(socket_url)
    socket = f"{'wss' if origin.scheme == 'https' else 'ws'}://{origin.netloc}"
    # style-src needs 'unsafe-inline': the widget injects its CSS as <style> elements.
    return (f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
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
        path = self.path.split("?", 1)[0]
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
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's naming)
        # Through logging, not straight to stderr, so the level and the masking apply.
        logger.info("%s " + format, self.address_string(), *args)


def render_page(socket_url: str) -> bytes:
    template = (WEB / "index.html").read_text(encoding="utf-8")
    return template.replace("{{SOCKET_URL}}", html.escape(socket_url, quote=True)).encode()


def files(socket_url: str) -> dict[str, tuple[bytes, str]]:
    """What the page may load, by path: nothing else on disk is reachable."""
    page = render_page(socket_url)
    return {
        "/": (page, "text/html"),
        "/index.html": (page, "text/html"),
        "/static/webchat.js": (local_bundle(WEBCHAT_BUNDLE.read_text(encoding="utf-8")).encode(),
                               "text/javascript"),
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
