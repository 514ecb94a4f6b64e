"""What every channel checks in a message's text before Rasa sees it."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage

from bot import logging_privacy
from bot.channels import action_failures
from bot.dialogue import action_call, action_response
from bot.text import normalize

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


def guarded(on_new_message: OnNewMessage) -> OnNewMessage:
    """`on_new_message` for normalized text only; an empty or too long message is
    answered here and never reaches NLU or the tracker store. When a custom action
    failed while the message was processed, the customer gets an apology, not silence."""

    async def handle(message: UserMessage) -> None:
        text = normalize(message.text or "")
        reply = refusal(text)
        if reply is not None:
            await message.output_channel.send_text_message(message.sender_id, reply)
            return
        # Normalized once where it enters the bot: no control characters are stored.
        message.text = text
        with action_failures.recording() as failures:
            await on_new_message(message)
        if failures:
            await message.output_channel.send_text_message(message.sender_id, ACTION_FAILED_REPLY)

    return handle


class PreparesServer:
    """Mixed into our channels: a channel is built before any other code of ours
    runs in the Rasa server, so that is where log masking, the recorder of failed
    actions, the faster check of action-server responses, the smaller
    action-server calls and the model loading without a training step are put in
    place (the server loads the model after building its channels)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        logging_privacy.install()
        action_failures.install()
        action_response.install()
        action_call.install()
        from bot.nlu import model_loading  # imports TensorFlow: only in the Rasa server

        model_loading.install()
        return super().from_credentials(credentials)  # type: ignore[misc]
