"""Errors the model raises for input a user can get wrong."""


class SnapshotError(Exception):
    """A file that is not a usable heap snapshot; the message says what is wrong, in one line."""


class Cancelled(Exception):
    """Raised from inside a long operation when its progress callback asked to stop."""
