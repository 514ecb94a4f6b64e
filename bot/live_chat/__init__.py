"""Live handoff: staff answer the customer in the same chat (README, 「担当者の方へ」).

- `hours`: when staff answer in the chat, what the customer is told while waiting, and
  when an unanswered handoff is escalated (deploy/live_chat.yml).
- `rasa_api`: the console's client of Rasa's HTTP API, which appends staff messages to
  the conversation and sends them to the customer's open chat.
- `staff_events`: the Rasa events the console sends (a staff message, the hand back).
"""
