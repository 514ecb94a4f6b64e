"""Serves the customer chat page and the rasa-webchat bundle from npm.

    python -m bot.webchat.server --port 8080 --socket-url http://localhost:5005
"""

from __future__ import annotations

import argparse
import html
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
# Files the page may load: nothing else on disk is reachable.
STATIC = {
    "/static/webchat.js": (ROOT / "node_modules/rasa-webchat/lib/index.js", "text/javascript"),
    "/static/chat.js": (WEB / "chat.js", "text/javascript"),
    "/static/chat.css": (WEB / "chat.css", "text/css"),
}


class ChatPageHandler(BaseHTTPRequestHandler):
    server_version = "tcn-chat"

    def __init__(self, *args: object, page: bytes, **kwargs: object) -> None:
        self.page = page
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(self.page, "text/html")
        elif path in STATIC:
            file, content_type = STATIC[path]
            self._send(file.read_bytes(), content_type)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)



def render_page(socket_url: str) -> bytes:
    template = (WEB / "index.html").read_text(encoding="utf-8")
    return template.replace("{{SOCKET_URL}}", html.escape(socket_url, quote=True)).encode()


def serve(host: str, port: int, socket_url: str) -> None:
    handler = partial(ChatPageHandler, page=render_page(socket_url))
    with ThreadingHTTPServer((host, port), handler) as httpd:
        httpd.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the customer chat page.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--socket-url", default="http://localhost:5005",
                        help="where the browser reaches Rasa's socket.io channel")
    args = parser.parse_args()
    serve(args.host, args.port, args.socket_url)


if __name__ == "__main__":
    main()
