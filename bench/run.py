"""`make bench`: the whole bot measured on this machine; writes bench/RESULTS.md.

    python -m bench.run [--out bench/RESULTS.md] [--tiny]

1. NLU parse time over the held-out set, lean and stock GiNZA pipelines interleaved.
2. With the embedded defaults (SQLite) and with PostgreSQL as tracker store and case
   database: the bot started as `make run` starts it (time to the first answer, resident
   memory of each process), realistic conversations on the REST channel from a load
   generator in its own process at 1, 10 and 50 at once, the 5th against the 200th turn
   of long conversations, and (embedded) memory again after 1,000 conversations.
3. Where the time of a message goes (bench/breakdown.py).
4. Training time of the full model (`rasa train --force`, into a temporary folder).

`--tiny` runs every stage at a size that takes about a minute, without training, for
the smoke test in the suite (tests/test_bench.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import psutil

from bench import answer_speed, breakdown, nlu_speed
from bench.stats import Summary
from bot.tools.databases import create_database, drop_database
from bot.tools.project import Project

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "tcn-privacy-desk.tar.gz"
ANALYSIS = Path(__file__).with_name("analysis.md")
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
START_TIMEOUT_S = 300


@dataclass(frozen=True)
class Size:
    nlu_texts: Optional[int]  # None: the whole held-out set
    nlu_rounds: int
    with_stock: bool
    levels: dict[int, int]  # concurrency -> conversations
    turns: int
    turn_repeats: int
    memory_conversations: int
    breakdown_conversations: int
    backends: tuple[str, ...]
    train: bool
    answer_messages: Optional[int]  # graded messages for the answer cost; None: all


FULL = Size(None, 3, True, {1: 5, 10: 30, 50: 100}, 200, 3, 1000, 10,
            ("embedded", "postgresql", "production"), True, None)
TINY = Size(20, 1, False, {1: 1, 2: 2}, 10, 1, 10, 1, ("embedded",), False, 20)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _first_answer(rest_url: str) -> bool:
    body = json.dumps({"sender": "bench-start", "message": "こんにちは"}).encode()
    request = urllib.request.Request(rest_url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return bool(json.loads(response.read()))
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False


ROLES = {"bot.actions_server": "action server", "bot.rasa_server": "Rasa server", "bot.webchat.server": "chat page",
         "bot.console.server": "staff console", "nginx": "nginx"}


@dataclass
class Bot:
    url: str
    actions_url: str
    processes: Callable[[], list[psutil.Process]]
    first_answer_s: float

    def memory_mb(self) -> dict[str, float]:
        """Resident memory by role: the largest process of each role (two Rasa servers
        in the production profile each hold a whole model)."""
        found: dict[str, float] = {}
        for process in self.processes():
            command = " ".join(process.cmdline())
            role = next((name for key, name in ROLES.items() if key in command), None)
            if role:
                found[role] = max(found.get(role, 0), process.memory_info().rss / 2**20)
        return found


def _wait_for_first_answer(url: str, started: float, alive: Callable[[], bool], log_file: str) -> float:
    while not _first_answer(f"{url}/webhooks/rest/webhook"):
        if not alive() or time.monotonic() - started > START_TIMEOUT_S:
            raise RuntimeError(f"the bot did not start; see {log_file}")
        time.sleep(0.25)
    return time.monotonic() - started


@contextmanager
def _databases() -> Iterator[tuple[str, str]]:
    """A fresh tracker database and case database on PostgreSQL, dropped afterwards."""
    suffix = secrets.token_hex(4)
    urls = (f"{POSTGRES}/bench_tracker_{suffix}", f"{POSTGRES}/bench_cases_{suffix}")
    for url in urls:
        create_database(url)
    try:
        yield urls
    finally:
        for url in urls:
            drop_database(url)


@contextmanager
def running_bot(backend: str, workdir: Path) -> Iterator[Bot]:
    """The bot on free ports with databases of its own: `make run` (SQLite or
    PostgreSQL), or the production profile (`make run-production`)."""
    if backend == "production":
        with _production(workdir) as bot:
            yield bot
        return
    ports = {name: _free_port() for name in ("rasa", "actions", "chat", "console")}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    with ExitStack() as stack:
        if backend == "postgresql":
            tracker_url, env["CASES_DATABASE_URL"] = stack.enter_context(_databases())
            args = ["--tracker-url", tracker_url]
        else:
            env["CASES_DATABASE_URL"] = f"sqlite:///{workdir / 'cases.db'}"
            args = ["--tracker-db", str(workdir / "tracker.db")]
        output = stack.enter_context((workdir / f"bot-{backend}.log").open("w"))
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.tools.run", *args, "--log-level", "WARNING",
             *[item for name, port in ports.items() for item in (f"--{name}-port", str(port))]],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{ports['rasa']}"
            first = _wait_for_first_answer(url, started, lambda: process.poll() is None, output.name)
            yield Bot(url, f"http://127.0.0.1:{ports['actions']}/webhook",
                      lambda: psutil.Process(process.pid).children(recursive=True), first)
        finally:
            process.terminate()
            process.wait(timeout=60)


@contextmanager
def _production(workdir: Path) -> Iterator[Bot]:
    from bot.tools.production import Production, Profile, free_port_offset, prepare_services

    with _databases() as (tracker_url, cases_url), (workdir / "bot-production.log").open("w") as output:
        profile = Profile(tracker_url, cases_url, lock_prefix=f"bench{secrets.token_hex(4)}",
                          port_offset=free_port_offset(), log_level="WARNING", run_dir=workdir / "production")
        prepare_services(profile)
        production = Production(profile, output=output.fileno())
        started = time.monotonic()
        try:
            for name, command in production.servers.items():
                production.fleet.start(name, command)
            url = f"http://127.0.0.1:{profile.balancer_port}"
            first = _wait_for_first_answer(url, started, lambda: not production.fleet.exited(), output.name)
            # The greeting needs no action server: the load waits until every server is up.
            for health in production.health_urls.values():
                production.fleet.wait_until_up(health, started + START_TIMEOUT_S)
            yield Bot(url, f"http://127.0.0.1:{profile.actions_balancer_port}/webhook",
                      lambda: [psutil.Process(p.pid) for p in production.fleet.processes.values()], first)
        finally:
            production.stop()


def load(url: str, *options: str) -> dict[str, Any]:
    """The load generator, in its own process."""
    result = subprocess.run([sys.executable, "-m", "bench.load", "--url", url, *options],
                            cwd=ROOT, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(result.stdout)


def load_levels(url: str, size: Size) -> dict[int, dict[str, Any]]:
    levels = {}
    for concurrency, conversations in size.levels.items():
        log(f"  {conversations} conversations, {concurrency} at once")
        run = load(url, "--conversations", str(conversations), "--concurrency", str(concurrency))
        latencies = run["latencies_ms"]
        for sent, expected, reply in run["unexpected_replies"]:
            log(f"    unexpected reply to {sent!r} (wanted {expected!r}): {reply!r}")
        for sent, reason in run["error_reasons"]:
            log(f"    no reply to {sent!r}: {reason}")
        levels[concurrency] = {
            "conversations": conversations, "messages": len(latencies),
            "summary": Summary.of(latencies) if latencies else None,
            "per_second": len(latencies) / run["seconds"], "errors": run["errors"],
            "unexpected": run["unexpected"],
        }
    return levels


def turn_times(url: str, size: Size) -> dict[str, float]:
    """Median time of turns 4–6 and of the last three turns, over the long conversations."""
    log(f"  {size.turn_repeats} conversation(s) of {size.turns} turns")
    run = load(url, "--turns", str(size.turns), "--repeat", str(size.turn_repeats))
    early = [t for conversation in run["by_conversation"] for t in conversation[3:6]]
    late = [t for conversation in run["by_conversation"] for t in conversation[-3:]]
    return {"turn_5": Summary.of(early).p50, "turn_last": Summary.of(late).p50,
            "turns": size.turns, "errors": run["errors"]}


def training_time(workdir: Path) -> float:
    log("training the full model from scratch (rasa train --force)")
    started = time.monotonic()
    subprocess.run([str(Path(sys.executable).parent / "rasa"), "train", "--force", "--out", str(workdir)],
                   cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"})
    return time.monotonic() - started


def measure(size: Size, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"backends": {}}
    texts = [example.text for example in Project().heldout][: size.nlu_texts]
    log(f"NLU: {len(texts)} held-out messages × {size.nlu_rounds} round(s)")
    models = {"lean": nlu_speed.train("lean", nlu_speed.CONFIGS["lean"]) if size.with_stock else MODEL}
    if size.with_stock:
        models["stock"] = nlu_speed.train("stock", nlu_speed.CONFIGS["stock"])
    results["nlu"] = nlu_speed.measure(models, texts, size.nlu_rounds)
    results["nlu_messages"] = len(texts)
    log("choosing the answer: clause ranker and responder over the graded messages")
    results["answers"] = answer_speed.measure(size.nlu_rounds, size.answer_messages)
    for backend in size.backends:
        log(f"{backend}: starting the bot")
        with running_bot(backend, workdir) as bot:
            measured: dict[str, Any] = {"first_answer_s": bot.first_answer_s,
                                        "memory_after_start": bot.memory_mb()}
            measured["levels"] = load_levels(bot.url, size)
            measured["turns"] = turn_times(bot.url, size)
            if backend == "embedded":
                log(f"  {size.memory_conversations} short conversations, 10 at once, for memory")
                run = load(bot.url, "--conversations", str(size.memory_conversations),
                           "--concurrency", "10", "--short")
                measured["memory_conversations"] = {"count": size.memory_conversations,
                                                    "errors": run["errors"]}
                measured["memory_after_load"] = bot.memory_mb()
                log("  where the time goes (in-process agent, this bot's action server)")
                results["breakdown"] = breakdown.measure(MODEL, bot.actions_url, workdir,
                                                         size.breakdown_conversations, size.turns)
            results["backends"][backend] = measured
    if size.train:
        results["training_s"] = training_time(workdir)
    return results


def _versions() -> str:
    packages = ["rasa", "rasa-sdk", "spacy", "ginza", "ja-ginza", "SQLAlchemy", "tensorflow"]
    found = ", ".join(f"{name} {metadata.version(name)}" for name in packages)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return (f"{datetime.date.today()} · {cpu}, {os.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB · Linux {platform.release()} · "
            f"Python {platform.python_version()} · {found}")


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _check(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(results: dict[str, Any], size: Size) -> str:
    nlu: dict[str, Summary] = results["nlu"]
    lines = ["# Benchmark results", "", f"Measured by `make bench` (bench/run.py) on {_versions()}.",
             "All figures from one run; the load generator runs in its own process on loopback.", "",
             f"## NLU parse time per message ({results['nlu_messages']} held-out messages × "
             f"{size.nlu_rounds} rounds, the pipelines interleaved)", "",
             _row("pipeline", "p50 ms", "p95 ms", "p99 ms", "mean ms"), _row(*["---"] * 5)]
    for name, summary in nlu.items():
        lines.append(_row(name, f"{summary.p50:.1f}", f"{summary.p95:.1f}", f"{summary.p99:.1f}",
                          f"{summary.mean:.1f}"))
    ratio = nlu["stock"].p50 / nlu["lean"].p50 if "stock" in nlu else None
    if ratio:
        lines += ["", f"stock / lean at p50: **{ratio:.2f}×**"]
    answers: dict[str, Summary] = results["answers"]
    lines += ["", f"## Choosing the answer ({answers['ranker'].count} graded messages × rounds, in process)", "",
              "The clause ranker (bm25s over Sudachi lemmas, bot/policy/ranker.py) alone, and the whole "
              "Responder.respond (ranker, follow-up check, two questions, rendering; bench/answer_speed.py).", "",
              _row("step", "p50 ms", "p95 ms", "p99 ms", "mean ms"), _row(*["---"] * 5)]
    for name, summary in answers.items():
        lines.append(_row(name, f"{summary.p50:.2f}", f"{summary.p95:.2f}", f"{summary.p99:.2f}",
                          f"{summary.mean:.2f}"))
    lines += ["", "## End to end on the REST channel (post to reply)", "",
              "Each conversation: two policy questions, a whole 開示 request to its receipt, and the "
              "status lookup with that receipt, then thanks (15 messages).", "",
              _row("tracker store and case database", "at once", "conversations", "messages", "p50 ms",
                   "p95 ms", "p99 ms", "messages/s", "errors", "unexpected replies"), _row(*["---"] * 10)]
    for backend, measured in results["backends"].items():
        for concurrency, level in measured["levels"].items():
            summary = level["summary"]
            lines.append(_row(backend, concurrency, level["conversations"], level["messages"],
                              f"{summary.p50:.0f}", f"{summary.p95:.0f}", f"{summary.p99:.0f}",
                              f"{level['per_second']:.1f}", level["errors"], level["unexpected"]))
    lines += ["", "## Long conversations, start-up and memory", "",
              _row("tracker store and case database", "turn 5 ms (p50)", "last turn ms (p50)", "ratio",
                   "first answer after start s", "memory after start MB", "memory after conversations MB"),
              _row(*["---"] * 7)]
    for backend, measured in results["backends"].items():
        turns = measured["turns"]
        after = measured.get("memory_after_load")
        lines.append(_row(
            f"{backend} ({turns['turns']} turns)", f"{turns['turn_5']:.0f}", f"{turns['turn_last']:.0f}",
            f"{turns['turn_last'] / turns['turn_5']:.2f}", f"{measured['first_answer_s']:.1f}",
            _memory(measured["memory_after_start"]),
            f"{_memory(after)} (after {measured['memory_conversations']['count']})" if after else "–"))
    if "training_s" in results:
        lines += ["", f"Full training (`rasa train --force`): **{results['training_s'] / 60:.1f} min**"]
    lines += _breakdown(results["breakdown"])
    lines += ["", "## Targets", "", _row("target", "measured", ""), _row("---", "---", "---")]
    lines += _targets(results)
    if ANALYSIS.exists() and size is FULL:
        lines += ["", ANALYSIS.read_text(encoding="utf-8").strip()]
    return "\n".join(lines) + "\n"


def _breakdown(measured: dict[str, Any]) -> list[str]:
    names = list(breakdown.SETUPS)
    lines = ["", "## Where the time of a message goes", "",
             f"One Rasa agent in process, the running bot's action server, two set-ups taking turns "
             f"message by message, each with a SQLite tracker store of its own: "
             f"{breakdown.SETUPS['rasa']} (its SQL tracker store and trackers, its check of action-server "
             f"responses, every event and the domain in every action-server call, RulePolicy's states of "
             f"the whole conversation) and {breakdown.SETUPS['bot']} (bot/dialogue/). "
             f"{measured['messages']} messages of the conversations above each; "
             "ms per message.", "",
             _row("phase", *(breakdown.SETUPS[name] for name in names)), _row(*["---"] * 3)]

    def phase_rows(key: str) -> list[str]:
        rows = [_row(phase, *(f"{measured[name][key].get(phase, 0):.2f}" for name in names))
                for phase, *_ in breakdown.PHASES]
        other = [measured[name][key].get("total", 0) - sum(measured[name][key].get(phase, 0)
                                                            for phase, *_ in breakdown.PHASES)
                 for name in names]
        return rows + [_row("other (Rasa's own bookkeeping)", *(f"{ms:.2f}" for ms in other)),
                       _row("**total**", *(f"**{measured[name][key].get('total', 0):.2f}**" for name in names))]

    lines += phase_rows("phases_ms")
    turns = measured["turns"]
    lines += ["", f"The same phases at turns 4–6 and at the last three turns of one conversation of "
              f"{turns} questions, ms per message:", "",
              _row("phase", *(f"{breakdown.SETUPS[name]}, turn {turn}" for name in names
                              for turn in ("5", str(turns)))), _row(*["---"] * 5)]
    for phase in [phase for phase, *_ in breakdown.PHASES] + ["total"]:
        lines.append(_row(phase, *(f"{measured[name][key].get(phase, 0):.2f}" for name in names
                                   for key in ("early_ms", "late_ms"))))
    components = measured["bot"]["components_ms"]
    lines += ["", f"Graph components (NLU and policies), {breakdown.SETUPS['bot']}, ms per message:", "",
              _row("graph component", "conversations above", f"turn {turns}"), _row(*["---"] * 3)]
    lines += [_row(name, f"{ms:.2f}", f"{measured['bot']['late_ms'].get(name, 0):.2f}")
              for name, ms in components.items()]
    return lines


def _memory(memory: Optional[dict[str, float]]) -> str:
    return ", ".join(f"{role} {mb:.0f}" for role, mb in sorted((memory or {}).items()))


def _targets(results: dict[str, Any]) -> list[str]:
    nlu, rows = results["nlu"], []
    rows.append(_row("NLU p50 ≤ 8 ms", f"{nlu['lean'].p50:.1f} ms", _check(nlu["lean"].p50 <= 8)))
    ranker = results["answers"]["ranker"]
    rows.append(_row("clause ranker < 2 ms a message (p95)", f"{ranker.p95:.2f} ms", _check(ranker.p95 < 2)))
    if "stock" in nlu:
        ratio = nlu["stock"].p50 / nlu["lean"].p50
        rows.append(_row("NLU ≥ 4× faster than stock", f"{ratio:.2f}×", _check(ratio >= 4)))
    for backend, measured in results["backends"].items():
        level = measured["levels"].get(10)
        if level:
            summary = level["summary"]
            ok = (summary.p50 <= 60 and summary.p99 <= 250 and level["per_second"] >= 40
                  and level["errors"] == 0)
            rows.append(_row(f"{backend}, 10 at once: p50 ≤ 60 ms, p99 ≤ 250 ms, ≥ 40 msg/s, no errors",
                             f"{summary.p50:.0f} / {summary.p99:.0f} ms, {level['per_second']:.1f} msg/s, "
                             f"{level['errors']} errors", _check(ok)))
        turns = measured["turns"]
        ratio = turns["turn_last"] / turns["turn_5"]
        rows.append(_row(f"{backend}: turn {turns['turns']} ≤ 1.5 × turn 5", f"{ratio:.2f}×", _check(ratio <= 1.5)))
        rows.append(_row(f"{backend}: first answer ≤ 40 s after start", f"{measured['first_answer_s']:.1f} s",
                         _check(measured["first_answer_s"] <= 40)))
        rasa_mb = max(measured.get("memory_after_load", measured["memory_after_start"])["Rasa server"],
                      measured["memory_after_start"]["Rasa server"])
        rows.append(_row(f"{backend}: Rasa server < 1.5 GB resident", f"{rasa_mb:.0f} MB", _check(rasa_mb < 1536)))
    if "training_s" in results:
        rows.append(_row("full training ≤ 5 min", f"{results['training_s'] / 60:.1f} min",
                         _check(results["training_s"] <= 300)))
    return rows


def quiet_rasa() -> None:
    """Rasa's structured logger prints every parse and prediction at its default level."""
    from rasa.utils.log_utils import configure_structlog

    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.WARNING)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--tiny", action="store_true", help="every stage at a tiny size, no training")
    args = parser.parse_args()
    size = TINY if args.tiny else FULL
    quiet_rasa()
    # The servers' logs stay there after the run, to read when a figure looks wrong.
    workdir = ROOT / "var" / ("bench-tiny" if args.tiny else "bench")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    log(f"servers' logs and databases: {workdir}")
    results = measure(size, workdir)
    args.out.write_text(report(results, size), encoding="utf-8")
    log(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
