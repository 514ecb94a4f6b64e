"""Rasa NLU graph components and the lean GiNZA model."""
