"""Two captures in the app's capture pane share one inspector session, so they compare: the app's
Comparison of them equals DevTools' own Comparison view (heap-snapshot-toolkit, called the way the
panel calls it) row for row. A real node process on 127.0.0.1, killed at the end."""
import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from heaptui.snapshot.idspace import check_ids
from heaptui.tui.app import HeapApp
from heaptui.tui.screens import CaptureScreen, CompareScreen, ExploreScreen

DUMP = Path(__file__).parent / "devtools_diff.mjs"
APP = """
class Booking { constructor(i) { this.i = i; this.label = 'booking ' + i; } }
const kept = [];
process.stdin.on('data', () => { for (let i = 0; i < 300; i++) kept.push(new Booking(i)); console.log('grew'); });
setInterval(() => {}, 1000);
console.log('ready');
"""
KEYS = ("name", "new_count", "deleted_count", "count_delta", "alloc_size", "freed_size", "size_delta")


async def wait_for(pilot, predicate, timeout=300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if predicate():
            return
    raise AssertionError("timed out waiting for the app")


async def test_captures_in_the_app_compare_as_devtools_does(tmp_path, monkeypatch, toolkit_dir):
    script = tmp_path / "app.js"
    script.write_text(APP)
    node = subprocess.Popen(["node", "--inspect-port=0", str(script)], cwd=tmp_path, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert b"ready" in node.stdout.readline()
        monkeypatch.chdir(tmp_path)
        app = HeapApp([])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, CaptureScreen))
            pane = app.screen
            pane.query_one("#processes").move_cursor(row=pane.pids.index(node.pid))
            await pilot.press("c")
            await wait_for(pilot, lambda: len(app.captured) == 1 and not pane.capturing)
            node.stdin.write(b"go\n")  # the process allocates between the two captures
            node.stdin.flush()
            assert b"grew" in node.stdout.readline()
            await pilot.press("c")
            await wait_for(pilot, lambda: len(app.captured) == 2 and not pane.capturing)
            await pilot.press("o")  # opens the second with the first, for comparison
            await wait_for(pilot, lambda: isinstance(app.screen, ExploreScreen) and len(app.loaded) == 2)
            await pilot.press("c")
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and hasattr(app.screen, "diff"))
            rows = [r.as_json() for r in app.screen.diff.rows]
            (_pa, a), (_pb, b) = app.loaded
            assert check_ids(a, b).agreement == 1.0
            base, current = [path for _pid, path in app.captured]
    finally:
        os.killpg(node.pid, signal.SIGKILL)
        node.wait()
    dump = subprocess.run(["node", str(DUMP), base, current], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)), check=True)
    devtools = json.loads(dump.stdout)["rows"]
    ours = Counter(tuple(r[k] for k in KEYS) for r in rows)
    theirs = Counter(tuple(r[k] for k in KEYS) for r in devtools)
    assert ours == theirs, {"only heaptui": list((ours - theirs).elements())[:10],
                            "only DevTools": list((theirs - ours).elements())[:10]}
    booking = next(r for r in rows if r["name"] == "Booking")
    assert booking["new_count"] == 300 and booking["deleted_count"] == 0
