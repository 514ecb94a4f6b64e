"""Dialogue parts of the project that Rasa loads by name: policies (config.yml),
the tracker store and the lock store (endpoints.yml), and the two functions that
replace private methods of Rasa's RemoteAction (bot/rasa_extensions.py lists them).

Rasa imports this package first when it loads the tracker store named in
endpoints.yml, so this is where its fallback to an in-memory store is turned into
a refusal to start (bot.rasa_extensions.refuse_tracker_store_fallback): whatever
fails in bot.dialogue.tracker_store after this point stops Rasa instead.
"""

from bot.rasa_extensions import refuse_tracker_store_fallback

refuse_tracker_store_fallback()
