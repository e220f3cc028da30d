"""Errors the model raises for input a user can get wrong."""


def one_line(message, limit=300):
    """`message` as one line: parser dumps (ijson's point at the error on a second line) and names
    with line breaks in them must not break the front ends' one-line errors."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


class SnapshotError(Exception):
    """A file that is not a usable heap snapshot; the message says what is wrong, in one line."""

    def __init__(self, message=""):
        super().__init__(one_line(message, limit=1000))


class Cancelled(Exception):
    """Raised from inside a long operation when its progress callback asked to stop."""
