"""What every channel checks in a message's text before Rasa sees it: normalized,
not empty, not too long, and a command (「/intent{…}」) only when it is a button the
bot offered in its latest message. Commands are the bot's, not the customer's: a
typed 「/affirm」 or 「/greet」 is text, handled as what it literally says."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels import action_failures
from bot.live_chat.staff_events import staff_login
from bot.text import LITERAL_SLASH, normalize

# After normalization. Far above any real question or the form's longest answer
# (details: 500), low enough that NLU never runs on a pasted document.
MAX_MESSAGE_CHARS = 1000
EMPTY_REPLY = "メッセージが空のようです。ご質問やご用件を入力してください。"
TOO_LONG_REPLY = ("メッセージが長すぎるため、お受けできませんでした。"
                  f"お手数ですが、{MAX_MESSAGE_CHARS:,}文字以内に短くして、もう一度お送りください。")

# A custom action could not run (action server down): what the customer sent was
# not taken, and sending it again once the server is back continues the conversation.
ACTION_FAILED_REPLY = ("申し訳ありません。ただいまシステムの一部が応答しておらず、"
                       "いまのメッセージを最後まで処理できませんでした。"
                       "それまでのやり取りは保存されています。"
                       "少し時間をおいて、同じ内容をもう一度お送りください。")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def refusal(text: str) -> Optional[str]:
    """The polite reply for a normalized text the bot does not take, or None."""
    if not text:
        return EMPTY_REPLY
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG_REPLY
    return None


class ServerApp:
    """The Sanic app of the Rasa server a channel runs in, known once the server
    starts (Rasa builds the channels before the app, and the agent after both)."""

    def __init__(self) -> None:
        self.app: Any = None

    def listen(self, blueprint: Any) -> None:
        @blueprint.listener("before_server_start")
        async def remember(app: Any, _: Any) -> None:
            self.app = app

    def _tracker_store(self) -> Any:
        """The agent's tracker store, or None before the server has one."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        return None if agent is None else agent.tracker_store

    async def has_conversation(self, sender_id: str) -> Optional[bool]:
        """Whether the tracker store holds events of `sender_id` (None: no tracker
        store yet, nothing known). Reads the whole conversation."""
        store = self._tracker_store()
        if store is None:
            return None
        return await store.retrieve_full_tracker(sender_id) is not None

    async def staff_messages(self, sender_id: str, since: float) -> list[dict[str, Any]]:
        """The messages staff sent to `sender_id` after the Unix time `since` (seconds), in
        order, as `{"recipient_id", "text", "timestamp"}`; none before the model is
        loaded. Reads the whole conversation."""
        store = self._tracker_store()
        tracker = await store.retrieve_full_tracker(sender_id) if store is not None else None
        return [{"recipient_id": sender_id, "text": event.text, "timestamp": event.timestamp}
                for event in (tracker.events if tracker else [])
                if isinstance(event, BotUttered) and event.timestamp > since
                and staff_login(event.as_dict()) is not None]

    async def offered_buttons(self, sender_id: str) -> tuple[set[str], dict[str, str]]:
        """The payloads of the buttons in the bot's latest turn, and the title of
        every payload the bot offered earlier in the conversation (empty before the
        model is loaded or for a new conversation). Reads the whole conversation
        from the tracker store: done only for messages that start with "/"."""
        store = self._tracker_store()
        if store is None:
            return set(), {}
        tracker = await store.retrieve_full_tracker(sender_id)
        latest: set[str] = set()
        titles: dict[str, str] = {}
        in_latest_turn = True
        for event in reversed(list(tracker.events) if tracker else []):
            if isinstance(event, UserUttered):
                in_latest_turn = False
            elif isinstance(event, BotUttered):
                for button in event.data.get("buttons") or []:
                    payload, title = str(button.get("payload")), str(button.get("title"))
                    if in_latest_turn:
                        latest.add(payload)
                    titles.setdefault(payload, title)
        return latest, titles


async def as_typed(text: str, sender_id: str, server: ServerApp) -> str:
    """What a message that looks like a command (「/affirm」「/inform{…}」) stands for.
    Payloads are the bot's, not the customer's: a payload is taken only when it is
    a button of the bot's latest turn. A button clicked on an earlier message is
    its title, as if typed (typed equals clicked, and an old question is not
    answered twice). Anything else is literal text, whatever it names: a bare
    intent no button offered (「/greet」「/affirm」), values in braces, EXTERNAL_
    events, /restart and /session_start."""
    if not text.startswith("/"):
        return text
    latest, titles = await server.offered_buttons(sender_id)
    if text in latest:
        return text
    if text in titles:
        return titles[text]
    return LITERAL_SLASH + text[1:]


def guarded(on_new_message: OnNewMessage, server: ServerApp) -> OnNewMessage:
    """`on_new_message` for normalized text only; an empty or too long message is
    answered here and never reaches NLU or the tracker store; a command that is
    not a button of the bot's latest turn is passed on as text (`as_typed`). When
    a custom action failed while the message was processed, the customer gets an
    apology, not silence."""

    async def handle(message: UserMessage) -> None:
        text = normalize(message.text or "")
        reply = refusal(text)
        if reply is not None:
            await message.output_channel.send_text_message(message.sender_id, reply)
            return
        # Normalized once where it enters the bot: no control characters are stored.
        message.text = await as_typed(text, message.sender_id, server)
        with action_failures.recording() as failures:
            await on_new_message(message)
        if failures:
            await message.output_channel.send_text_message(message.sender_id, ACTION_FAILED_REPLY)

    return handle
