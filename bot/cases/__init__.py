"""The case database: privacy requests filed through the chat, their status and history.

Import from the submodules (`bot.cases.db`, `bot.cases.tickets`, ...); this package
knows nothing of Rasa, keeps personal data out of logs and of the event history, encrypts
it at rest (`encryption`, `keyring`, `keys`) and erases it after its retention period
(`retention`).
"""
