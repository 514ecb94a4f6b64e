"""Serves the published model to a running Rasa server, so that a new model
goes live without a restart.

Rasa's model server support (`models:` in the endpoints file: `url` and
`wait_time_between_pulls`) asks this server for a model every few seconds,
sending the ETag of the model it runs in `If-None-Match`. The answer is 304
while the newest `*.tar.gz` of models/live/ is unchanged, or the new archive
with its SHA-256 as ETag; Rasa then loads it and swaps it in. Conversations
live in the tracker store, not in the model, so they carry on.

`make model` trains into models/; only `publish` (`make publish`, after the
evaluation passed) copies a model into models/live/, so an untested model
never goes live. A file is served only once it reads as a complete archive;
until then the previous one stays published.

    python -m bot.tools.model_server serve [--models models/live] [--port 5002]
    python -m bot.tools.model_server publish [models/tcn-privacy-desk.tar.gz]

    GET /model   the archive (304 if If-None-Match matches, 404 if none)
    GET /        what is published, as JSON
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "tcn-privacy-desk.tar.gz"
LIVE = ROOT / "models" / "live"


@dataclass(frozen=True)
class Published:
    path: Path
    signature: tuple[int, int]  # size and mtime: re-read only when they change
    etag: str
    content: bytes


def _complete(content: bytes) -> bool:
    """True when `content` is a whole gzipped tar, not a half-written one."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
            with tarfile.open(fileobj=stream, mode="r|") as archive:
                for _ in archive:
                    pass
            # tarfile stops at the end-of-archive blocks; the gzip trailer
            # (length and CRC) is checked only when the stream is read to its end.
            while stream.read(1 << 20):
                pass
        return True
    except (tarfile.TarError, EOFError, OSError):
        return False


class ModelStore:
    """The newest complete archive of a directory, kept in memory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.published: Optional[Published] = None
        self._incomplete: Optional[tuple[Path, tuple[int, int]]] = None  # not read again
        self._lock = threading.Lock()

    def _newest(self) -> Optional[Path]:
        archives = [p for p in self.directory.glob("*.tar.gz") if p.is_file()]
        return max(archives, key=lambda p: p.stat().st_mtime_ns, default=None)

    def current(self) -> Optional[Published]:
        with self._lock:
            newest = self._newest()
            if newest is None:
                return self.published
            stat = newest.stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            known = self.published
            if (known and (known.path, known.signature) == (newest, signature)) \
                    or self._incomplete == (newest, signature):
                return known
            content = newest.read_bytes()
            if _complete(content):
                etag = f'"{hashlib.sha256(content).hexdigest()}"'
                self.published = Published(newest, signature, etag, content)
                print(f"publishing {newest.name} (ETag {etag[1:13]}…)", flush=True)
            else:
                self._incomplete = (newest, signature)
            return self.published


class _Handler(BaseHTTPRequestHandler):
    store: ModelStore

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        published, route = self.store.current(), self.path.split("?")[0]
        if route == "/":
            body = json.dumps({"model": published.path.name if published else None,
                               "etag": published.etag if published else None}).encode()
            self._send(HTTPStatus.OK, body, {"Content-Type": "application/json"})
        elif route != "/model" or published is None:
            self._send(HTTPStatus.NOT_FOUND)
        elif self.headers.get("If-None-Match") == published.etag:
            self._send(HTTPStatus.NOT_MODIFIED, headers={"ETag": published.etag})
        else:
            self._send(HTTPStatus.OK, published.content, {
                "ETag": published.etag, "filename": published.path.name,
                "Content-Type": "application/gzip"})

    def _send(self, status: HTTPStatus, body: bytes = b"", headers: Optional[dict[str, str]] = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: Rasa polls every few seconds; publishing is printed instead."""


def make_server(directory: Path, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"store": ModelStore(directory)})
    return ThreadingHTTPServer((host, port), handler)


def publish(model: Path, live: Path = LIVE) -> Path:
    """Copy `model` into `live` under its own name, atomically (a reader never
    sees half a file); the model server serves it from its next request."""
    live.mkdir(parents=True, exist_ok=True)
    incoming, target = live / ".incoming", live / model.name
    shutil.copyfile(model, incoming)
    os.replace(incoming, target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the newest archive of a directory")
    serve.add_argument("--models", type=Path, default=LIVE, help="directory of *.tar.gz")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5002)
    put = commands.add_parser("publish", help="copy a trained model into models/live/")
    put.add_argument("model", type=Path, nargs="?", default=MODEL)
    args = parser.parse_args(argv)
    if args.command == "publish":
        print(f"published {publish(args.model)}")
        return
    server = make_server(args.models, args.host, args.port)
    print(f"model server: http://{args.host}:{args.port}/model serves the newest {args.models}/*.tar.gz",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
