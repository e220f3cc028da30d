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


async def open_demo(pilot, app):
    await wait_for(pilot, lambda: isinstance(app.screen, ExploreScreen))
    await pilot.pause()
    return app.screen
