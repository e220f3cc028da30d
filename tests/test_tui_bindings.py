"""Every key of every screen, pressed on the bundled demo: after each one the app must still be running
(no exception, no exit status) with its screens in a sensible order. Keys that would reach a live
process find none (the process list is empty and connecting fails at once): they must say so. The keys
that quit are pressed last, each in an app of its own."""
import json
import threading

import pytest
from textual.binding import Binding
from textual.widgets import Input

import heaptui.inspector as inspector
import heaptui.tui.screens as screens
from heaptui.demo import demo_paths
from heaptui.profile import load_profile
from heaptui.tui.app import HeapApp
from heaptui.tui.screens import (CaptureScreen, CompareScreen, ContainmentScreen, DominatorsScreen, ExploreScreen,
                                 SearchScreen,
                                 HelpScreen, HuntScreen, LoadingScreen, ProfileScreen, StatisticsScreen,
                                 SuspectsScreen)
from pilot import exploring, showing, wait_for

QUIT_KEYS = {"q": 0, "ctrl+q": 0, "ctrl+c": 130}  # the app's quitting keys and their exit statuses
NOT_PRESSED = {"super+c"}  # Textual's copy on macOS: not a key a terminal sends




async def settle(pilot, app, but=None):
    """Waits until the key's work is done: messages handled and workers finished (but the group
    `but`: a load held open on purpose)."""
    await pilot.pause()
    await wait_for(pilot, lambda: all(w.is_finished for w in app.workers if w.group != but))
    await pilot.pause()


def assert_running(app, key):
    assert app._exception is None, f"{key}: {app._exception!r}"
    assert app.return_code is None, f"{key} ended the app"


def binding_keys(*objects):
    """The keys bound by these objects' classes (with what they inherit), in order, once each."""
    keys = []
    for obj in objects:
        for owner in type(obj).__mro__:
            for b in owner.__dict__.get("BINDINGS", []):
                binding = b if isinstance(b, Binding) else Binding(*b)
                keys += [k.strip() for k in binding.key.split(",")]
    return list(dict.fromkeys(k for k in keys if k not in NOT_PRESSED))


def keys_for(app, screen):
    """The screen's keys, its focused widget's and the app's, without the app's quitting keys:
    ctrl+c and ctrl+q quit from anywhere (priority bindings); q unless the screen binds it itself,
    as help does."""
    own = binding_keys(screen, *([app.focused] if app.focused is not None else []))
    app_keys = binding_keys(app) + [app.COMMAND_PALETTE_BINDING]  # the palette's key is not in BINDINGS
    keys = own + [k for k in app_keys if k not in own]
    return [k for k in keys if k not in QUIT_KEYS or (k == "q" and "q" in binding_keys(screen))]


@pytest.fixture
def no_live_process(monkeypatch):
    """No real process is ever touched: none is listed, and connecting to one fails at once."""
    def refuse(*a, **kw):
        raise inspector.InspectorError("no such process (test)")

    monkeypatch.setattr(inspector, "node_processes", lambda: [])
    monkeypatch.setattr(inspector, "connect", refuse)


@pytest.fixture
def profile_path(tmp_path):
    def node(name, size, children=(), n=[0]):
        n[0] += 1
        return {"callFrame": {"functionName": name, "scriptId": "7", "url": "app.js", "lineNumber": 1,
                              "columnNumber": 0}, "selfSize": size, "id": n[0], "children": list(children)}
    path = tmp_path / "app.heapprofile"
    path.write_text(json.dumps({"head": node("(root)", 0, [node("main", 2, [node("leaf", 11)])]),
                                "samples": []}))
    return str(path)


def screen_makers(home, app, profile_path):
    """Each screen the app can show, made fresh over the Summary of the demo."""
    return {
        "explore": lambda: home,
        "compare": lambda: CompareScreen(app.loaded, len(app.loaded) - 1),
        "statistics": lambda: StatisticsScreen(home.snap),
        "containment": lambda: ContainmentScreen(home.path, home.snap),
        "dominators": lambda: DominatorsScreen(home.path, home.snap, explore=home),
        "search": lambda: SearchScreen(home.path, home.snap, "Session", home.snap.search("Session"), home),
        "capture": lambda: CaptureScreen(),
        "help": lambda: HelpScreen(),
        "profile": lambda: ProfileScreen(profile_path, load_profile(profile_path)),
        "hunt": lambda: HuntScreen(2 ** 22 + 4321),
        "suspects": lambda: SuspectsScreen(app.loaded[-1], []),
    }


async def show(pilot, app, home, make, current):
    """The screen under test on top: the current one if it is still there, else a fresh one."""
    if current is not None and app.screen is current:
        return current
    while app.screen is not home:
        app.pop_screen()
    await settle(pilot, app)
    screen = make()
    if screen is not home:
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
    await settle(pilot, app)
    return screen


async def leave_text_boxes(pilot, app, but=None):
    """A key that opened a text box would take the next keys as text: close it (Esc), or unfocus it."""
    if isinstance(app.focused, Input):
        await pilot.press("escape")
        await settle(pilot, app, but)
    if isinstance(app.focused, Input):
        app.screen.set_focus(None)
        await settle(pilot, app, but)


@pytest.mark.parametrize("name", ["explore", "compare", "statistics", "containment", "dominators", "search",
                                  "capture", "help",
                                  "profile", "hunt", "suspects"])
async def test_every_key_of_a_screen(name, no_live_process, profile_path):
    app = HeapApp(demo_paths())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        home = app.screen
        await settle(pilot, app)
        make = screen_makers(home, app, profile_path)[name]
        screen = await show(pilot, app, home, make, None)
        pressed = []
        for key in keys_for(app, screen):
            screen = await show(pilot, app, home, make, screen)
            await pilot.press(key)
            await settle(pilot, app)
            pressed.append(key)
            assert_running(app, key)
            assert home in app.screen_stack, f"{key} lost the Summary"
            stack = app.screen_stack
            assert app.screen is home or screen in stack, f"{key}: {app.screen} without {screen}"
            await leave_text_boxes(pilot, app)
        assert len(pressed) >= len(type(screen).BINDINGS)
        assert_running(app, "all keys")


async def test_every_key_while_loading(demo_paths_fixture, no_live_process, monkeypatch):
    """The loading screen's keys and the app's, while a load is held open; then the load ends."""
    gate, started = threading.Event(), []
    real_open = screens.open_snapshot

    def held_open(path, progress=None, **kw):
        started.append(path)
        gate.wait(timeout=120)
        progress("nodes", 0, 1)  # where a cancel takes effect
        return real_open(path, progress=progress, **kw)

    monkeypatch.setattr(screens, "open_snapshot", held_open)
    app = HeapApp(demo_paths_fixture)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: started)
            loading = app.screen
            assert isinstance(loading, LoadingScreen)
            for key in keys_for(app, loading):
                if key == "escape":
                    continue  # cancels: pressed last
                while app.screen is not loading:
                    app.pop_screen()
                await pilot.press(key)
                await settle(pilot, app, but="load")
                assert_running(app, key)
                assert loading in app.screen_stack
                await leave_text_boxes(pilot, app, but="load")
            while app.screen is not loading:
                app.pop_screen()
            await pilot.press("escape")  # cancel: the worker stops at its next progress report
            gate.set()
            await wait_for(pilot, lambda: showing(app, CaptureScreen))
            await settle(pilot, app)
            assert_running(app, "escape")
            assert loading not in app.screen_stack and not app.loaded
    finally:
        gate.set()  # never leave the worker thread waiting


@pytest.fixture
def demo_paths_fixture():
    return demo_paths()


@pytest.mark.parametrize("key", sorted(QUIT_KEYS))
async def test_quitting_keys(key):
    app = HeapApp(demo_paths())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: showing(app, ExploreScreen))
        await pilot.press(key)
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app._exception is None
    assert app.return_code == QUIT_KEYS[key]
