"""The customer chat page (rasa-webchat on Rasa's socket.io channel)."""
