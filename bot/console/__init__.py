"""The staff console: a Flask web application and a command line over the case database.

`python -m bot.console.server` serves it; `python -m bot.console.cli` works tickets and
creates accounts from a shell. Both go through `bot.console.service`, so they check the
same rules and write the same audit log. See docs/staff_console.md.
"""
