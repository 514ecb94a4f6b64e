"""The request intake form: field parsers, the form flow and its wording."""
