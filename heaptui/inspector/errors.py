"""Errors of the capture layer; every message is one line a user can act on."""


class InspectorError(Exception):
    """The inspector or the target failed, or refused what was asked."""


class InspectorGone(InspectorError):
    """The target's connection closed or could not be made (process exited, port closed)."""


class InspectorTimeout(InspectorError):
    """The target stopped answering."""


class NotAllowed(InspectorError):
    """Refused before any traffic: a non-loopback address without --allow-remote."""


class TooRisky(InspectorError):
    """The preflight says the capture could run the host out of memory; --force overrides."""
