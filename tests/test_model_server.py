"""The model server (bot/tools/model_server.py): ETags, half-written archives,
publishing, and a running Rasa server that swaps in a new model while a
conversation goes on."""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest
import yaml

from bot.dialogue.endpoints import TOKEN_VARIABLE, action_endpoint, tracker_store_endpoint
from bot.tools.model_server import make_server, publish
from bot.tools.processes import actions_command
from tests.conftest import RASA, ROOT, _free_port


def _archive(path: Path, content: bytes) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    path.write_bytes(buffer.getvalue())
    return path


def _get(url: str, etag: Optional[str] = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    server = make_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_etag_not_modified_and_newer_models(served: tuple[Path, str]) -> None:
    directory, url = served
    assert _get(f"{url}/model")[0] == 404  # nothing published yet
    first = _archive(directory / "a.tar.gz", b"first")
    status, headers, body = _get(f"{url}/model")
    assert (status, headers["filename"], body) == (200, "a.tar.gz", first.read_bytes())
    etag = headers["ETag"]
    assert _get(f"{url}/model", etag)[0] == 304
    assert json.loads(_get(url)[2]) == {"model": "a.tar.gz", "etag": etag}
    # A half-written newer archive is not served; once complete, it is.
    second = directory / "b.tar.gz"
    _archive(second, b"second")
    whole = second.read_bytes()
    second.write_bytes(whole[: len(whole) // 2])
    assert _get(f"{url}/model", etag)[0] == 304
    second.write_bytes(whole)
    os.utime(second, ns=(time.time_ns(), time.time_ns() + 10**9))
    status, headers, body = _get(f"{url}/model", etag)
    assert (status, headers["filename"], body) == (200, "b.tar.gz", whole)
    assert headers["ETag"] != etag


def test_publish_copies_a_model_into_the_live_directory(tmp_path: Path) -> None:
    model = _archive(tmp_path / "tcn-privacy-desk.tar.gz", b"model")
    live = publish(model, tmp_path / "live")
    assert live == tmp_path / "live" / "tcn-privacy-desk.tar.gz"
    assert live.read_bytes() == model.read_bytes()
    assert [p.name for p in (tmp_path / "live").iterdir()] == ["tcn-privacy-desk.tar.gz"]


# -- a running Rasa server --------------------------------------------------


def _wait(what: str, seconds: float, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds:.0f} s")


def _json(url: str, body: Optional[dict] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@contextmanager
def _process(command: list[str], log: Path, **kwargs: Any) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **kwargs)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _content(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes | None:
    """A file's bytes; None for a directory."""
    file = archive.extractfile(member) if member.isfile() else None
    return file.read() if file is not None else None


def _variant(model: Path, dest: Path) -> tuple[Path, str]:
    """The trained `model` with utter_you_are_welcome saying something new and a
    model id of its own: to the servers, a retrained model with that one change.
    Its NLU is the original's, so the customer types as before (a core-only
    training would have none, and typed 「/thank」 is text on the channels)."""
    with tarfile.open(model) as archive:
        members = [(member, _content(archive, member)) for member in archive.getmembers()]
    contents = {member.name.lstrip("/"): data for member, data in members}
    metadata_json, domain_yml = contents["metadata.json"], contents["components/domain_provider/domain.yml"]
    assert metadata_json is not None and domain_yml is not None
    metadata = json.loads(metadata_json)
    response = metadata["domain"]["responses"]["utter_you_are_welcome"][0]
    old = response["text"]
    new = response["text"] = f"【新しいモデル】{old}"
    metadata["model_id"] = uuid.uuid4().hex
    domain = domain_yml.decode("utf-8")
    assert domain.count(old) == 1
    changed = {"metadata.json": json.dumps(metadata, ensure_ascii=False).encode("utf-8"),
               "components/domain_provider/domain.yml": domain.replace(old, new).encode("utf-8")}
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dest, "w:gz", compresslevel=1) as archive:
        for member, data in members:
            data = changed.get(member.name.lstrip("/"), data)
            if data is not None:
                member.size = len(data)
            archive.addfile(member, io.BytesIO(data) if data is not None else None)
    return dest, new


def test_a_running_server_swaps_in_a_published_model(model_path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           TOKEN_VARIABLE: secrets.token_urlsafe(32)}
    variant, new_text = _variant(model_path, tmp_path / "variant" / "variant.tar.gz")
    live = tmp_path / "live"
    publish(model_path, live)
    models_port, rasa_port, actions_port = _free_port(), _free_port(), _free_port()
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({
        "models": {"url": f"http://127.0.0.1:{models_port}/model", "wait_time_between_pulls": 1},
        # The action server as `make run` starts it (a new session runs action_session_start).
        "action_endpoint": action_endpoint(f"http://127.0.0.1:{actions_port}/webhook"),
        # The project's tracker store, as `make run` configures it: its kept trackers
        # must follow the swap (bot/dialogue/tracker_store.py, the domain setter).
        "tracker_store": tracker_store_endpoint(f"sqlite:///{tmp_path / 'tracker.db'}"),
    }), encoding="utf-8")
    rasa = f"http://127.0.0.1:{rasa_port}"
    with ExitStack() as stack:
        stack.enter_context(_process(
            [sys.executable, "-m", "bot.tools.model_server", "serve", "--models", str(live),
             "--port", str(models_port)], tmp_path / "model_server.log", cwd=ROOT, env=env))
        _wait("the model server did not answer", 30, lambda: _json(f"http://127.0.0.1:{models_port}/")["model"])
        stack.enter_context(_process(actions_command(actions_port, "WARNING"), tmp_path / "actions.log",
                                     cwd=ROOT, env=env))
        _wait("the action server did not answer", 60, lambda: _json(f"http://127.0.0.1:{actions_port}/health"))
        stack.enter_context(_process(
            [RASA, "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(rasa_port),
             "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml")],
            tmp_path / "rasa.log", cwd=ROOT, env=env))
        first = _wait("Rasa did not load the model from the server", 240, lambda: _json(f"{rasa}/status"))

        def say(sender: str, text: str) -> str:
            replies = _json(f"{rasa}/webhooks/rest/webhook", {"sender": sender, "message": text})
            return "\n".join(reply.get("text", "") for reply in replies)

        before = say("before", "ありがとうございます")
        assert before and "新しいモデル" not in before
        publish(variant, live)
        _wait("Rasa did not swap in the published model", 120,
              lambda: _json(f"{rasa}/status")["model_id"] != first["model_id"])
        assert say("before", "ありがとうございます") == new_text
        assert say("after", "ありがとうございます") == new_text
        events = _json(f"{rasa}/conversations/before/tracker")["events"]
        said = [(e["event"], e.get("text")) for e in events if e["event"] in ("user", "bot")]
        assert said == [("user", "ありがとうございます"), ("bot", before),
                        ("user", "ありがとうございます"), ("bot", new_text)]
