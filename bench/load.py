"""Load generator: realistic conversations on the REST channel, timed per message.

Runs in its own process (bench/run.py starts it), on loopback, bounded by the
number of conversations and by a time limit. Each conversation is a mix of what
customers do: two policy questions, a whole request form ending in a receipt,
and a status lookup with that receipt. `--turns N` instead sends one long
conversation of N questions, to see whether the tracker makes late turns slower.

    python -m bench.load --url http://127.0.0.1:5005 --conversations 20 --concurrency 10
    python -m bench.load --url http://127.0.0.1:5005 --turns 200 --repeat 3
    python -m bench.load --url http://127.0.0.1:5005 --conversations 1000 --concurrency 10 --short

Like a customer, a conversation types text or clicks a button of the bot's latest
reply (its payload is sent): the channels take no payload that no button offered.

Prints one JSON object on stdout: every message's latency in ms (in the order
sent), the wall time, and the errors (HTTP failures and time-outs) and the replies
that were not what the script expected.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import aiohttp

RECEIPT = re.compile(r"受付番号：(PR-\d{8}-[A-Z0-9]{6})\n確認コード：(\d{6})")
QUESTIONS = [
    ("個人情報の利用目的を教えてください", "利用目的"),
    ("第三者に提供することはありますか", "第三者"),
    ("本人確認書類は何が必要ですか", "運転免許証"),
    ("開示請求の手数料はいくらですか", "手数料"),
    ("個人情報の安全管理はどうしていますか", "安全"),
    ("問い合わせ窓口はどこですか", "窓口"),
]


# Keys of a conversation's memory that hold the buttons of the bot's latest reply.
BUTTON = "button:"


@dataclass
class Step:
    # What the customer sends, from the conversation's memory (raises KeyError when
    # an earlier reply lacked what it needs: a receipt, a button).
    text: Callable[[dict[str, str]], str]
    expect: str
    # Reads values (reference, code) from the reply for later steps.
    remember: Optional[Callable[[str, dict[str, str]], None]] = None


def _said(text: str) -> Callable[[dict[str, str]], str]:
    return lambda _: text


def _clicked(title: str) -> Callable[[dict[str, str]], str]:
    """A click on the button titled `title` of the bot's latest reply: its payload."""
    return lambda memory: memory[BUTTON + title]


def heard(step: Step, messages: list[dict[str, Any]], memory: dict[str, str]) -> str:
    """Takes in the bot's reply to `step` (its messages): keeps its buttons, the only
    ones the next step can click, and what the step remembers; the reply's text."""
    for key in [key for key in memory if key.startswith(BUTTON)]:
        del memory[key]
    for message in messages:
        for button in message.get("buttons") or []:
            memory[BUTTON + button["title"]] = button["payload"]
    reply = "\n".join(message.get("text") or "" for message in messages)
    if step.remember:
        step.remember(reply, memory)
    return reply


def _remember_receipt(reply: str, memory: dict[str, str]) -> None:
    match = RECEIPT.search(reply)
    if match:
        memory["reference"], memory["code"] = match.groups()


def full_conversation(index: int) -> list[Step]:
    """Two questions, a 開示 request to its receipt, its status, and thanks (15 messages)."""
    first, second = QUESTIONS[index % len(QUESTIONS)], QUESTIONS[(index + 1) % len(QUESTIONS)]
    return [
        Step(_said(first[0]), first[1]),
        Step(_said(second[0]), second[1]),
        # The kind named at once: after the 開示 fee question the form would take
        # 開示 from it and skip the kind question.
        Step(_said("開示を請求したいです"), "どなた"),
        Step(_said("本人です"), "よろしいですか"),
        Step(_clicked("はい"), "お名前"),
        Step(_said("多摩　花子"), "電話番号"),
        Step(_said("090-1234-5678、hanako@example.jp"), "お客様番号"),
        Step(_said("なし"), "具体的"),
        Step(_said("登録されている住所と電話番号"), "本人確認書類"),
        Step(_said("郵送でコピーを提出します"), "よろしいですか"),
        Step(_said("はい"), "受付番号", _remember_receipt),
        Step(_said("受付状況を確認したいです"), "受付番号"),
        Step(lambda memory: memory["reference"], "確認コード"),
        Step(lambda memory: memory["code"], "受付"),
        Step(_said("ありがとうございました"), "お役に立て"),
    ]


def short_conversation(index: int) -> list[Step]:
    question = QUESTIONS[index % len(QUESTIONS)]
    return [Step(_said("こんにちは"), ""), Step(_said(question[0]), question[1])]


def long_conversation(turns: int) -> list[Step]:
    return [Step(_said(QUESTIONS[i % len(QUESTIONS)][0]), QUESTIONS[i % len(QUESTIONS)][1])
            for i in range(turns)]


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    # (what was sent, the HTTP status or the exception), for the log.
    error_reasons: list[tuple[str, str]] = field(default_factory=list)
    unexpected: int = 0
    # (what was sent, what the reply should have held, the reply's start), for the log.
    unexpected_replies: list[tuple[str, str, str]] = field(default_factory=list)
    # Per conversation, in order: what --turns reports on.
    by_conversation: list[list[float]] = field(default_factory=list)


async def converse(session: aiohttp.ClientSession, url: str, steps: list[Step],
                   results: Results, deadline: float) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    memory: dict[str, str] = {}
    timings: list[float] = []
    results.by_conversation.append(timings)
    for step in steps:
        if time.monotonic() > deadline:
            return
        try:
            text = step.text(memory)
        except KeyError as missing:  # no receipt or no such button came: the rest would make no sense
            results.unexpected += 1
            results.unexpected_replies.append(("(the next step)", f"{missing.args[0]} in an earlier reply", "none"))
            return
        started, body, reason = time.perf_counter(), None, "an empty reply"
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                if response.status == 200:
                    body = await response.json()
                else:
                    reason = f"HTTP {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            reason = repr(error)
        elapsed = (time.perf_counter() - started) * 1000
        if body is None:
            results.errors += 1
            results.error_reasons.append((text, reason))
            return  # the rest of this conversation would make no sense
        timings.append(elapsed)
        results.latencies_ms.append(elapsed)
        reply = heard(step, body, memory)
        if step.expect not in reply:
            results.unexpected += 1
            results.unexpected_replies.append((text, step.expect, reply[:120]))


async def run(url: str, scripts: list[list[Step]], concurrency: int, max_seconds: float) -> tuple[Results, float]:
    results = Results()
    queue: asyncio.Queue[list[Step]] = asyncio.Queue()
    for script in scripts:
        queue.put_nowait(script)
    deadline = time.monotonic() + max_seconds
    timeout = aiohttp.ClientTimeout(total=60)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty() and time.monotonic() < deadline:
            await converse(session, url, queue.get_nowait(), results, deadline)

    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return results, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the bot's base URL (its REST channel is under it)")
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--short", action="store_true", help="greeting and one question each")
    parser.add_argument("--turns", type=int, help="one conversation of this many questions instead")
    parser.add_argument("--repeat", type=int, default=1, help="with --turns: how many such conversations")
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    if args.turns:
        scripts = [long_conversation(args.turns) for _ in range(args.repeat)]
    else:
        make = short_conversation if args.short else full_conversation
        scripts = [make(i) for i in range(args.conversations)]
    url = args.url.rstrip("/") + "/webhooks/rest/webhook"
    results, seconds = asyncio.run(run(url, scripts, args.concurrency, args.max_seconds))
    json.dump({"latencies_ms": results.latencies_ms, "seconds": seconds, "errors": results.errors,
               "error_reasons": results.error_reasons,
               "unexpected": results.unexpected, "unexpected_replies": results.unexpected_replies,
               "by_conversation": results.by_conversation,
               "concurrency": args.concurrency, "conversations": len(scripts)}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
