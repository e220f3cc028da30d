"""Makes the README's SVG screenshots from the real app on the bundled demo snapshots.

    python screenshots/make_screenshots.py

Drives the app headlessly (Textual's Pilot) at 100x30 and saves summary.svg, retainers.svg,
comparison.svg, dominators.svg, search.svg and capture.svg next to this script. The capture screenshot
starts a small Node process (its inspector open, so its heap figures show) and stops it afterwards;
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
from heaptui.tui.screens import CaptureScreen, CompareScreen, DominatorsScreen, ExploreScreen, SearchScreen  # noqa: E402,E501

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
    asyncio.run(capture_shot())
    print("wrote", ", ".join(n for n in sorted(os.listdir(HERE)) if n.endswith(".svg")))
