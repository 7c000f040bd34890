"""Errors that end a command with exit code 2 and a one-line message."""


class UsageError(Exception):
    """A problem with what the user asked for (exit code 2)."""
