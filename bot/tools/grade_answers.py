"""Plays the graded conversations of tests/answers/ against the running bot.

`make evaluate` runs this after the NLU evaluation: it starts the bot as `make
run` does (free ports, a SQLite tracker store and case database in a temporary
folder), sends every customer message over the REST channel, reads from the
tracker store which topic each turn answered, and writes reports/answers.md and
reports/answers.json. Exits 1 when a figure is under its threshold (the same
thresholds `make test` asserts, bot/tools/grading.py).

    python -m bot.tools.grade_answers [--out reports]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from bot.tools.grading import TARGETS, THRESHOLDS, Chat, Turn, below, grade, load_cases, report, summary
from bot.tools.processes import ROOT
from bot.tracker_events import StoredEvent, TrackerEvents

# Actions whose running tells what a turn was, when no answer named its topic.
ACTION_TOPICS = {
    "utter_greet": "greet",
    "utter_goodbye": "goodbye",
    "action_thanks": "thank",
    "utter_anything_else": "nlu_fallback",
    "action_default_ask_affirmation": "nlu_fallback",
    "action_default_ask_rephrase": "nlu_fallback",
    "action_default_fallback": "nlu_fallback",
    "action_two_stage_fallback": "nlu_fallback",
    "action_start_intake": "request_privacy_action",
    "action_start_status_lookup": "check_status",
    "action_start_handoff": "ask_human",
    # Last: it either starts a request (action_start_intake follows) or asks what was meant.
    "action_affirm_outside_question": "nlu_fallback",
}
START_TIMEOUT_S = 240


def topic_of_turn(events: list[tuple[str, dict[str, Any]]]) -> Optional[str]:
    """The topic of the bot's turn, from its events after the customer's message:
    the `answer_topic` slot the answer action set, else the telling action that
    comes first in ACTION_TOPICS; an answer action that set no topic asked what
    was meant."""
    for kind, data in events:
        if kind == "slot" and data.get("name") == "answer_topic" and data.get("value"):
            return data["value"]
    ran = {data.get("name") for kind, data in events if kind == "action"}
    for action, topic in ACTION_TOPICS.items():  # in the order of ACTION_TOPICS
        if action in ran:
            return topic
    if any(kind == "action" and data.get("name") == "action_answer_question" for kind, data in events):
        return "nlu_fallback"  # the answer action set no topic: it asked which one was meant
    return None


def since_last_message(events: list[StoredEvent]) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of the customer's latest message and of every event after it."""
    last_user = max((i for i, event in enumerate(events) if event.type_name == "user"), default=0)
    return [(event.type_name, event.data) for event in events[last_user:]]


def rest_chat(rasa_url: str, tracker_url: str) -> Chat:
    """A `Chat` over the bot's REST channel, reading topics from its tracker store."""
    tracker = TrackerEvents(tracker_url)
    webhook = f"{rasa_url}/webhooks/rest/webhook"

    def chat(sender: str, text: str) -> Turn:
        request = urllib.request.Request(
            webhook, data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            messages = json.loads(response.read())
        texts = tuple(message["text"] for message in messages if message.get("text"))
        return Turn(texts, topic_of_turn(since_last_message(tracker.conversation(sender))))

    return chat


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def started_bot(workdir: Path) -> Iterator[tuple[str, str]]:
    """The bot as `make run` starts it, on free ports, with databases in `workdir`:
    (Rasa's URL, the tracker store's URL)."""
    ports = {name: _free_port() for name in ("rasa", "actions", "chat", "console")}
    tracker_db = workdir / "tracker.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "CASES_DATABASE_URL": f"sqlite:///{workdir / 'cases.db'}"}
    with (workdir / "bot.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.tools.run", "--tracker-db", str(tracker_db), "--log-level", "WARNING",
             *[item for name, port in ports.items() for item in (f"--{name}-port", str(port))]],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while "ready:" not in (workdir / "bot.log").read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the bot did not start; see {workdir / 'bot.log'}")
                time.sleep(1)
            yield f"http://127.0.0.1:{ports['rasa']}", f"sqlite:///{tracker_db}"
        finally:
            process.terminate()
            process.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    args = parser.parse_args()
    cases = load_cases()
    print(f"graded set: {len(cases)} conversations, {sum(len(c.turns) for c in cases)} customer turns", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        print("starting the bot …", flush=True)
        with started_bot(Path(folder)) as (rasa_url, tracker_url):
            graded = grade(cases, rest_chat(rasa_url, tracker_url), progress=lambda line: print(line, flush=True))
    figures = summary(graded)
    args.out.mkdir(exist_ok=True)
    (args.out / "answers.md").write_text(report(graded, figures), encoding="utf-8")
    (args.out / "answers.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
    overall = figures["overall"]
    print(f"right topic {overall['right_topic']}%, right clause {overall['right_clause']}%, "
          f"answered {overall['answered']}%, p95 single-point length {overall['p95_chars_single_point']}, "
          f"follow-ups kept context {figures['follow_ups']['kept_context']}%  → {args.out / 'answers.md'}")
    for line in below(figures, TARGETS):
        print(f"short of the target: {line}")
    failed = below(figures, THRESHOLDS)
    for line in failed:
        print(f"under the threshold CI asserts: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
