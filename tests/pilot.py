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


def composed(widget):
    """Every widget under `widget` is in the DOM and has mounted its own children. A screen becomes
    current a moment before its widgets exist, and the children of a container are mounted a moment
    after the container: on a loaded machine a test can see either half-built state."""
    if not widget.is_mounted or widget._pending_children:
        return False
    return all(w.is_mounted and not w._pending_children for w in widget.walk_children())


def showing(app, screen_class):
    """`screen_class` is the current screen, and it is fully composed."""
    return isinstance(app.screen, screen_class) and composed(app.screen)


def exploring(app):
    """The Summary is up: the explore screen is current, with all its widgets."""
    return showing(app, ExploreScreen)


async def open_demo(pilot, app):
    await wait_for(pilot, lambda: exploring(app))
    await pilot.pause()
    return app.screen
