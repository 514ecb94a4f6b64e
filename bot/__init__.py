"""Tama Cable Network privacy help desk: everything but the Rasa adapters."""
