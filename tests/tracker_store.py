"""Conversations written exactly as the bot writes them: the project's tracker store
(Rasa's rows, their data sealed: bot/tracker_rows.py)."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import make_url


def write_conversation(url: str, sender: str, messages: list[tuple[str, str]],
                       start: float, step: float = 60) -> None:
    """Save `messages` ((speaker "user" or "bot", text)) as the new conversation `sender` in
    the tracker store at `url`, from the Unix time `start`, `step` seconds apart. (Rasa
    saves only the events after those it holds: a conversation is written in one go.)"""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.dialogue.tracker_store import TunedSQLTrackerStore

    parsed = make_url(url)
    tracker_store = TunedSQLTrackerStore(domain=Domain.empty(), dialect=parsed.get_backend_name(),
                                         host=parsed.host, port=parsed.port, db=parsed.database,
                                         username=parsed.username, password=parsed.password)
    tracker = DialogueStateTracker(sender, [])
    for i, (speaker, said) in enumerate(messages):
        moment = start + step * i
        if speaker == "user":
            tracker.update(UserUttered(said, timestamp=moment))
        else:
            tracker.update(ActionExecuted("utter_x", timestamp=moment))
            buttons = [{"title": "はい", "payload": "/affirm"}]
            tracker.update(BotUttered(said, data={"buttons": buttons}, timestamp=moment))
    asyncio.run(tracker_store.save(tracker))
    tracker_store.engine.dispose()
