"""Dialogue components of the project (Rasa policies)."""
