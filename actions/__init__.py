"""Rasa custom actions. `rasa run actions --actions actions` imports this package
first: from then on the action server masks personal data in its logs."""

from bot.logging_privacy import install

install()
