"""Command-line tools for running and operating the bot."""
