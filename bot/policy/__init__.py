"""The security policy as data (`data/policy/`) and the answers built from it."""
