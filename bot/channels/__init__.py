"""Rasa's REST and socket.io input channels with the customer's input checked
before it reaches the agent (registered in credentials.yml by module path).

Everything else is Rasa's own: same URLs, same replies, same channel names.
"""
