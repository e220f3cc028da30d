"""Keystroke latency in the running app on the demo (run on purpose, not by pytest).

    python tests/bench/tui_keys.py [--size 80x24] [FILE ...]

Starts the app headless (Textual's Pilot) on the demo snapshots (or FILEs), waits for the Summary, then
presses a tour of keys through every screen, first use included: each key is timed from the press
until the app is idle again and its workers are done. Pilot itself adds about 40 ms a press.
Prints each key's time and the slowest; heaptui's kernels must have been compiled already (any
earlier run does it).
"""
import argparse
import asyncio
import statistics
import sys
import time

TOUR = [  # (screen, keys): every binding a user meets in the demo, in an order that reaches them
    ("Summary", ["down", "down", "enter", "down", "down", "right", "down", "s", "s", "r", "s", "s", "s",
                 "d", "d", "[", "]", "end", "home", "pagedown", "pageup", "b", "0"]),
    ("Filter", ["slash", "S", "e", "s", "enter", "escape"]),
    ("Go to", ["g", "1", "enter", "escape"]),
    ("Comparison", ["c", "down", "enter", "down", "down", "s", "r", "b", "d", "escape"]),
    ("Statistics", ["t", "escape"]),
    ("Containment", ["o", "enter", "down", "enter", "down", "escape"]),
    ("Help", ["question_mark", "pagedown", "escape"]),
]


async def tour(paths, size):
    from heaptui.tui.app import HeapApp
    from heaptui.tui.screens import ExploreScreen
    app = HeapApp(paths)
    times = []
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + 600
        while not isinstance(app.screen, ExploreScreen) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        for screen, keys in TOUR:
            for key in keys:
                t = time.perf_counter()
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
                times.append((time.perf_counter() - t, screen, key))
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--size", default="80x24")
    args = ap.parse_args()
    from heaptui.demo import demo_paths
    paths = args.files or demo_paths()
    size = tuple(int(x) for x in args.size.split("x"))
    times = asyncio.run(tour(paths, size))
    for dt, screen, key in times:
        print(f"{dt * 1000:7.1f} ms  {screen:12s} {key}")
    worst = max(times)
    print(f"{len(times)} keys: median {statistics.median(t for t, _s, _k in times) * 1000:.0f} ms, "
          f"slowest {worst[0] * 1000:.0f} ms ({worst[1]} {worst[2]})")


if __name__ == "__main__":
    sys.exit(main())
