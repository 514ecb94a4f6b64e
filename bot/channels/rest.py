"""Rasa's REST channel, with the request body checked first.

Rasa's own channel answers 500 to a body that is a JSON list or `null`, files
messages without a sender under the shared conversation "default", and passes
non-text messages to NLU; metadata nested a few hundred levels deep makes Rasa's
copy of the event raise RecursionError, and the customer gets silence. Here such a
request gets 400 and a JSON error, and the text goes through `bot.channels.guard`.

The REST channel cannot push, so what staff write in a live handoff (bot/live_chat/)
is fetched: `GET /webhooks/rest/messages?sender=<id>&since=<Unix time>` answers the
staff messages of that conversation after `since` (default 0), as a JSON list of
`{"recipient_id", "text", "timestamp"}`; a client polls it while its handoff is open
(README, 「担当者の方へ」, 仕組み). Like the webhook, it trusts whoever
knows the conversation id (docs/privacy.md).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, Optional

from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import OnNewMessage, ServerApp, guarded

MAX_BODY_BYTES = 64 * 1024
# Conversation ids as clients make them (uuids, "test-…"): no spaces or control characters.
SENDER = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
# Levels of objects and lists a body may nest: far above what clients send (the chat
# page's metadata makes 2), far below the few hundred at which Rasa's recursive copy
# of an event's metadata exhausts the stack.
MAX_NESTING = 32


class BadRequest(ValueError):
    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error, self.status = error, status


def parse_body(body: bytes) -> Dict[str, Any]:
    """The JSON object of a webhook request, or BadRequest saying what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body_too_large", 413)
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("invalid_utf8") from None
    except ValueError:
        raise BadRequest("invalid_json") from None
    except RecursionError:  # metadata nested thousands of levels deep
        raise BadRequest("too_deeply_nested") from None
    if not isinstance(payload, dict):
        raise BadRequest("not_an_object")
    if nesting(payload) > MAX_NESTING:
        raise BadRequest("too_deeply_nested")
    if not isinstance(payload.get("sender"), str) or not SENDER.fullmatch(payload["sender"]):
        raise BadRequest("invalid_sender")
    if not isinstance(payload.get("message"), str):
        raise BadRequest("invalid_message")
    if not isinstance(payload.get("metadata", {}), (dict, type(None))):
        raise BadRequest("invalid_metadata")
    if not isinstance(payload.get("input_channel", ""), (str, type(None))):
        raise BadRequest("invalid_input_channel")
    return payload


def nesting(value: Any) -> int:
    """How many objects and lists deep a parsed JSON value goes (0 for a scalar, 1 for
    `{}` or `[]`). Iterative, so that a value as deep as a body can be is measured
    without exhausting the stack."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            pending.extend((child, depth + 1) for child in item)
    return deepest


class GuardedRestInput(RestInput):
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        server = ServerApp()
        webhook = super().blueprint(guarded(on_new_message, server))
        server.listen(webhook)

        @webhook.on_request
        async def check_body(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST":
                return None
            try:
                # Rasa's handler reads request.json: it gets the checked object.
                # Sanic types parsed_json as None (its value until the body is parsed).
                request.parsed_json = parse_body(request.body)  # type: ignore[assignment]
            except BadRequest as bad:
                return response.json({"error": bad.error}, status=bad.status)
            return None

        @webhook.route("/messages", methods=["GET"])
        async def staff_messages(request: Request) -> HTTPResponse:
            sender = request.args.get("sender", "")
            if not SENDER.fullmatch(sender):
                return response.json({"error": "invalid_sender"}, status=400)
            try:
                since = float(request.args.get("since", "0"))
            except ValueError:
                since = math.nan
            if not math.isfinite(since):
                return response.json({"error": "invalid_since"}, status=400)
            return response.json(await server.staff_messages(sender, since))

        return webhook
