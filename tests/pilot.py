"""Helpers for driving the app with Textual's Pilot: wait on the app's state, never on time."""
import time

from heaptui.tui.screens import ExploreScreen


async def wait_for(pilot, predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting for the app")


def exploring(app):
    """The Summary is up: the explore screen is active and its table is mounted (on a loaded machine
    the screen becomes active a moment before its widgets exist)."""
    return isinstance(app.screen, ExploreScreen) and bool(app.screen.query("#summary"))


async def open_demo(pilot, app):
    await wait_for(pilot, lambda: exploring(app))
    await pilot.pause()
    return app.screen
