"""Makes the README's SVG screenshots from the real app on the bundled demo snapshots.

    python screenshots/make_screenshots.py

Drives the app headlessly (Textual's Pilot) at 100x30 and saves summary.svg, retainers.svg,
ignored.svg, filter.svg, closure.svg, detached.svg, statistics.svg, history.svg, realms.svg, comparison.svg,
dominators.svg, search.svg, timeline.svg and capture.svg next to this script. The capture and timeline
screenshots start small Node processes (their inspectors open on loopback) and stop them afterwards;
other Node processes on the host are listed too, so run it on a quiet machine.
"""
import asyncio
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from heaptui.demo import demo_paths  # noqa: E402
from heaptui.tui.app import HeapApp  # noqa: E402
from heaptui.tui.screens import (CaptureScreen, CompareScreen, ContextsScreen, DominatorsScreen,  # noqa: E402
                                 ExploreScreen, SearchScreen, StatisticsScreen, TimelineScreen)

SIZE = (100, 30)


async def settle(pilot, app, screen_type, timeout=60):
    deadline = time.monotonic() + timeout
    while not isinstance(app.screen, screen_type):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {screen_type.__name__}")
        await pilot.pause(0.05)
    await pilot.pause(0.3)


async def explore_shots():
    app = HeapApp(demo_paths())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app, ExploreScreen)
        app.save_screenshot("summary.svg", path=HERE)
        snap = app.screen.snap
        session = next(r for r in snap.classes() if r.name == "Session")
        first, _ = snap.instances(session.index, limit=1)
        app.screen.jump_to_id(str(int(snap.heap.node_id[first[0]])))
        await pilot.pause(0.5)
        app.save_screenshot("retainers.svg", path=HERE)
        explore = app.screen
        explore.retainers.focus()
        explore.retainers.cursor = 0
        await pilot.press("x")  # ignore the first retainer
        while not explore.retainers.model.view.ignored:
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        app.save_screenshot("ignored.svg", path=HERE)
        await pilot.press("X")
        explore.summary.focus()
        await pilot.press("h")
        await settle(pilot, app, SearchScreen)
        app.save_screenshot("history.svg", path=HERE)
        await pilot.press("escape")
        await settle(pilot, app, ExploreScreen)
        await pilot.press("f")  # duplicated strings
        while explore.model.mask is None:
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        app.save_screenshot("filter.svg", path=HERE)
        await pilot.press("0")
        await pilot.press("t")
        await settle(pilot, app, StatisticsScreen)
        app.save_screenshot("statistics.svg", path=HERE)
        await pilot.press("escape")
        await settle(pilot, app, ExploreScreen)
        await pilot.press("n")
        await settle(pilot, app, ContextsScreen)
        app.save_screenshot("realms.svg", path=HERE)
        await pilot.press("escape")
        await settle(pilot, app, ExploreScreen)
        await pilot.press("m")
        await settle(pilot, app, DominatorsScreen)
        app.save_screenshot("dominators.svg", path=HERE)
        await pilot.press("escape")
        await settle(pilot, app, ExploreScreen)
        await pilot.press("ctrl+f")
        await pilot.press(*"session")
        await pilot.press("enter")
        await settle(pilot, app, SearchScreen)
        app.save_screenshot("search.svg", path=HERE)
        await pilot.press("escape")
        await settle(pilot, app, ExploreScreen)
        await pilot.press("c")
        await settle(pilot, app, CompareScreen)
        app.save_screenshot("comparison.svg", path=HERE)


async def detached_shot():
    """Detached elements of the Chromium page kept in tests/fixtures."""
    fixture = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "chromium-detached-dom.heapsnapshot.gz")
    app = HeapApp([fixture])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app, ExploreScreen)
        await pilot.press("e")
        await settle(pilot, app, SearchScreen)
        await pilot.press("enter")
        await pilot.pause(0.3)
        app.save_screenshot("detached.svg", path=HERE)


async def closure_shot():
    """A function's detail: its source line and what its scopes keep alive."""
    app = HeapApp(demo_paths()[1:])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app, ExploreScreen)
        snap = app.screen.snap
        fn = next(v for v in snap.search("remember", case_sensitive=True) if snap.node_type_name(v) == "closure")
        app.screen.jump_to_id(str(int(snap.heap.node_id[fn])))
        await pilot.pause(0.3)
        await pilot.press("d")  # the detail pane, in place of the Retainers at 100 columns
        while "scope 1" not in app.screen.detail.text:
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        app.save_screenshot("closure.svg", path=HERE)


ALLOCATING = """
class Order { constructor(i) { this.id = i; this.lines = [{ sku: 'sku-' + i, qty: i % 7 }]; } }
globalThis.orders = [];
let tick = 0;
setInterval(() => {
  tick++;
  const burst = tick % 40 < 10 ? 400 : 40;  // busy spells and quiet ones
  for (let i = 0; i < burst; i++) orders.push(new Order(tick * 1000 + i));
}, 20);
console.log('ready');
"""


async def timeline_shot():
    """The allocation timeline of a snapshot captured with --track-allocations, a range selected."""
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "orders.js")
        with open(script, "w") as f:
            f.write(ALLOCATING)
        node = subprocess.Popen(["node", "--inspect=127.0.0.1:0", script], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            node.stdout.readline()
            out = os.path.join(tmp, "orders.heapsnapshot")
            subprocess.run([sys.executable, "-m", "heaptui", "capture", "--pid", str(node.pid), "--track-allocations",
                            "--duration", "4", "-o", out], check=True, capture_output=True)
        finally:
            node.kill()
            node.wait()
        app = HeapApp([out])
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app, ExploreScreen)
            await pilot.press("l")
            await settle(pilot, app, TimelineScreen)
            await pilot.press(*["right"] * 20, *["shift+right"] * 25)
            await pilot.pause(0.3)
            app.save_screenshot("timeline.svg", path=HERE)


async def capture_shot():
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "service.js")
        with open(script, "w") as f:
            f.write("setInterval(() => {}, 1000); console.log('ready');\n")
        node = subprocess.Popen(["node", "--inspect=127.0.0.1:0", script], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            node.stdout.readline()
            app = HeapApp([])
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot, app, CaptureScreen)
                table = app.screen.query_one("#processes")
                deadline = time.monotonic() + 60  # the heap figures arrive from a worker
                while " / " not in str(table.get_cell(str(node.pid), "heap")) and time.monotonic() < deadline:
                    await pilot.pause(0.1)
                app.save_screenshot("capture.svg", path=HERE)
        finally:
            node.kill()
            node.wait()


if __name__ == "__main__":
    asyncio.run(explore_shots())
    asyncio.run(closure_shot())
    asyncio.run(detached_shot())
    asyncio.run(timeline_shot())
    asyncio.run(capture_shot())
    print("wrote", ", ".join(n for n in sorted(os.listdir(HERE)) if n.endswith(".svg")))
