"""Keystroke latency measured inside the running app, on big snapshots (run on purpose, not by pytest).

    python tests/bench/tui_latency.py                       # the 12M-node bench snapshots, 120x40
    python tests/bench/tui_latency.py --size 80x24 --downs 100 A.heapsnapshot B.heapsnapshot
    python tests/bench/tui_latency.py --tmux                # also cross-check a few keys in tmux

The app runs headless (Textual's run_test) on snapshot A (Summary, Retainers, Dominators) with B
loaded too (Comparison: current B against base A). The bench snapshots come from two node processes,
so their object ids are not one id space and heaptui would refuse to compare them: the bench turns that
check off (the comparison's work is the same; its numbers mean nothing, and none are printed).

The boundary of one measurement, printed with the results:
  start: the key event is handed to the app's driver queue, exactly as the terminal driver hands a
         key over (Pilot's press() is not used: its own waiting costs 40-60 ms a key). The app is idle
         then, so the key is handled at once.
  paint: the end of the first screen update after the key (the compositor rendered what changed and
         the update was turned into the terminal's escape sequences: headless, the app skips the
         write, so the bench renders the segments itself).
  done:  the end of the last screen update the key caused, once the app is idle again and no worker
         it started still runs (results computed in the background included).
A key whose whole result is painted at once has paint == done. Keys that change nothing on screen
(down on the last row) have no update and are left out.

Before the tour the bench waits for the app's background preparation after opening (retainer index,
class members, kernels loaded from numba's cache) and reports how long it took; `--no-wait` starts
pressing keys as soon as the Summary shows.
"""
import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))  # this checkout's heaptui

DEFAULT_A = "/tmp/bench/bench-1000.heapsnapshot"
DEFAULT_B = "/tmp/bench/bench-1000b.heapsnapshot"


class Probe:
    """Timestamps of the app's screen updates, and the key being measured."""

    def __init__(self, app):
        self.app = app
        self.updates = []  # perf_counter at the end of each update that drew something
        original = app._display

        def display(screen, renderable):
            original(screen, renderable)
            if renderable is None:
                return
            if app.is_headless:  # what the terminal driver would write: render it, discard it
                try:
                    renderable.render_segments(app.console)
                except Exception:
                    pass
            self.updates.append(time.perf_counter())

        app._display = display
        self.gc = []  # (end perf_counter, seconds, generation) of each garbage collection
        started = {}

        def collected(phase, info):
            if phase == "start":
                started["t"] = time.perf_counter()
            elif "t" in started:
                now = time.perf_counter()
                self.gc.append((now, now - started.pop("t"), info["generation"]))

        gc.callbacks.append(collected)


def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    values = sorted(values)
    if not values:
        return float("nan")
    pos = (len(values) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def background_threads():
    """Threads the app started to prepare a snapshot after opening (named, or by their target)."""
    return [t for t in threading.enumerate()
            if t.name.startswith("heaptui-") or "(prepare)" in t.name or "(compile_declared)" in t.name]


class Tour:
    def __init__(self, app, pilot, probe, quiet):
        self.app, self.pilot, self.probe, self.quiet = app, pilot, probe, quiet
        self.results = []  # (screen, key, paint s, done s)
        self.log = None  # a file: every key, the times of its updates (ms) and where the cursor is

    def busy(self):
        """A worker runs, a message waits in the queue of the app, the screen or a widget, or the
        screen has changes it has not drawn yet."""
        app = self.app
        if any(w.is_running for w in app.workers):
            return True
        screen = app.screen
        if screen._dirty_widgets or screen._layout_required or screen._repaint_required:
            return True
        pumps = [app, screen, *screen.walk_children()]
        return any(not p._message_queue.empty() for p in pumps if getattr(p, "_message_queue", None))

    async def settle(self, since, drain=False):
        """Waits until the app is idle: `quiet` seconds in which no update was drawn, no worker ran,
        no message was queued and this loop was never held up (the app's handlers run on this event
        loop: a long one holds the loop). While a key is measured this only sleeps and looks (Pilot's
        own waiting posts messages through every widget, which would slow the app down); `drain`
        (between keys) also waits for Pilot's check that every widget has processed its messages."""
        quiet_since = since
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            if now - before > 0.02 or self.busy():
                quiet_since = now
                continue
            if drain:
                await self.pilot._wait_for_screen()
                now = time.perf_counter()
            last = self.probe.updates[-1] if self.probe.updates else 0
            if now - max(last, quiet_since) >= self.quiet and not self.busy():
                return

    async def key(self, screen, key, record=True):
        from textual import events
        from textual.app import _character_to_key  # noqa: F401 (same translation as Pilot)
        app = self.app
        await self.settle(0, drain=True)
        if app._notifications:  # a toast's timeout would repaint during a later key: gone now
            app.clear_notifications()
            await self.settle(time.perf_counter(), drain=True)
        name = key
        if len(key) == 1 and not key.isalnum():
            name = _character_to_key(key)
        char = key if len(key) == 1 else {"enter": "\r", "escape": "\x1b", "tab": "\t", "space": " "}.get(key)
        event = events.Key(name, char)
        event.set_sender(app)
        before = len(self.probe.updates)
        start = time.perf_counter()
        app._driver.send_message(event)
        await self.settle(start)
        updates = self.probe.updates[before:]
        if record and updates:
            self.results.append((screen, key, updates[0] - start, updates[-1] - start))
        if self.log is not None:
            row = app.screen.focused.current if hasattr(app.screen.focused, "current") else None
            where = f"{row.kind} {str(row.cells[0])[:50]}" if row is not None and row.cells else ""
            times = " ".join(f"{(u - start) * 1000:.1f}" for u in updates) or "no update"
            pauses = [(d, g) for t, d, g in self.probe.gc if t >= start and d > 0.002]
            if pauses:
                times += "  gc " + " ".join(f"{d * 1000:.0f}ms/g{g}" for d, g in pauses)
            print(f"{screen:11s} {key:10s} {times:40s} | {type(app.screen).__name__} {where}", file=self.log,
                  flush=True)
        return updates

    async def keys(self, screen, keys, times=1):
        for _ in range(times):
            for k in keys:
                await self.key(screen, k)

    async def type(self, screen, text):
        for ch in text:
            await self.key(screen, ch, record=True)


async def run(args):
    import heaptui.snapshot.idspace as idspace
    from heaptui.tui.app import HeapApp
    from heaptui.tui.screens import CompareScreen, DominatorsScreen, ExploreScreen
    from textual.widgets import Input

    idspace.require_same_session = lambda a, b, *rest, **kw: None  # see the module's docstring
    if args.in_memory:
        import heaptui.tui.screens as screens
        opened = screens.open_snapshot

        def open_in_memory(path, **kw):
            """The index read into memory as it opens, instead of mapped from its files."""
            import numpy as np
            snap = opened(path, **kw)
            for name, a in list(vars(snap.heap).items()):
                if isinstance(a, np.ndarray) and a.base is not None:
                    setattr(snap.heap, name, np.array(a))
            strings = snap.heap.strings
            if isinstance(strings.blob, np.ndarray):
                strings.blob = np.array(strings.blob)
            strings.offsets = np.array(strings.offsets)
            return snap

        screens.open_snapshot = open_in_memory
    Input.cursor_blink = False  # a blinking cursor repaints on its own clock
    size = tuple(int(x) for x in args.size.split("x"))
    app = HeapApp([args.current, args.base])  # the last one loaded is the one explored
    t_open = time.perf_counter()
    async with app.run_test(size=size, notifications=True) as pilot:  # toasts are part of the answer
        probe = Probe(app)
        tour = Tour(app, pilot, probe, args.quiet)
        if args.log:
            tour.log = open(args.log, "w")
        while not (isinstance(app.screen, ExploreScreen) and app.screen.is_mounted):
            await asyncio.sleep(0.05)
            if time.perf_counter() - t_open > 900:
                raise SystemExit("the Summary did not show within 15 minutes")
        shown = time.perf_counter() - t_open
        t_bg = time.perf_counter()
        if not args.no_wait:
            while background_threads():
                await asyncio.sleep(0.05)
        prepared = time.perf_counter() - t_bg
        app.clear_notifications()
        await tour.settle(time.perf_counter())
        print(f"Summary shown {shown:.1f} s after start; background preparation done "
              f"{prepared:.1f} s later" + (" (not waited for)" if args.no_wait else ""), flush=True)

        snap_a = app.screen.snap
        n = args.downs

        # -- Summary ---------------------------------------------------------------------------
        S = "Summary"
        await tour.keys(S, ["down"], n)
        await tour.keys(S, ["pagedown"], 10)
        await tour.keys(S, ["pageup"], 5)
        await tour.keys(S, ["end", "home"], 2)
        await tour.keys(S, ["s"], 5)  # every sort column, back to retained
        await tour.keys(S, ["r", "r"])
        await tour.keys(S, ["home", "enter"])  # the class retaining most: its instances
        await tour.keys(S, ["down"], n)  # instances: detail, retainers, shortest path
        await tour.keys(S, ["pagedown"], 3)
        await tour.keys(S, ["right", "down", "down", "left", "left"])  # edges of an instance
        await tour.keys(S, ["home", "enter"])  # collapse the class
        await tour.keys(S, ["s", "s", "s"])  # name, distance, count
        await tour.keys(S, ["home", "enter"])  # the most numerous class
        await tour.keys(S, ["down"], n // 4)
        await tour.keys(S, ["end", "enter"])  # "more" row at the end: the next page
        await tour.keys(S, ["s", "s"])  # shallow, retained
        # The object with the most retainers, revealed by id (the Go @id box).
        h = snap_a.heap
        ret_first, _ = h.retainer_index()
        counts = ret_first[1:].astype("int64") - ret_first[:-1]
        most = int(counts.argmax())
        await tour.key(S, "g")
        await tour.type(S, str(int(h.node_id[most])))
        await tour.key(S, "enter")
        await tour.keys(S, ["down", "up"], 5)

        # -- Retainers (of the object with the most retainers first) -----------------------------
        R = "Retainers"
        await tour.key(R, "tab")
        await tour.keys(R, ["down"], n // 2)
        await tour.keys(R, ["pagedown"], 5)
        await tour.keys(R, ["end", "enter"])  # next page of millions of retainers
        await tour.keys(R, ["home", "enter", "down", "enter", "down", "left", "left"])
        await tour.key(R, "shift+tab")
        await tour.keys(S, ["[", "]"], 2)  # history back and forth
        # An ordinary object's retainers: the biggest class's instances.
        await tour.keys(S, ["home", "enter", "down", "down"])
        await tour.key(R, "tab")
        await tour.keys(R, ["down"], n // 2)
        await tour.keys(R, ["home", "enter", "right", "down", "enter", "pagedown", "pageup"])
        await tour.keys(R, ["x", "X"])  # ignore a retainer, restore
        await tour.key(R, "shift+tab")
        await tour.keys(S, ["home", "enter"])  # collapse

        # -- Dominators ----------------------------------------------------------------------------
        D = "Dominators"
        await tour.key(D, "m")  # from the root (a class row is under the cursor)
        assert isinstance(app.screen, DominatorsScreen), app.screen
        await tour.keys(D, ["down"], n)
        await tour.keys(D, ["pagedown"], 5)
        await tour.keys(D, ["home", "enter"])  # what the biggest child alone keeps alive
        await tour.keys(D, ["down"], n // 4)
        await tour.keys(D, ["enter", "down", "right", "down", "left", "left"])
        await tour.keys(D, ["end", "enter", "end", "enter"])  # "more" rows
        await tour.key(D, "escape")
        await tour.keys(S, ["down", "down", "enter"])  # an instance: dominators from it
        await tour.keys(S, ["down"])
        await tour.key(D, "m")
        await tour.keys(D, ["down", "enter", "down"], 5)
        await tour.key(D, "escape")
        await tour.keys(S, ["home"])

        # -- Comparison ----------------------------------------------------------------------------
        C = "Comparison"
        await tour.key(C, "c")  # A (current) against B (base)
        if not isinstance(app.screen, CompareScreen):
            print("the comparison did not open", flush=True)
        else:
            await tour.keys(C, ["down"], n)
            await tour.keys(C, ["pagedown"], 5)
            await tour.keys(C, ["s"], 7)  # every column, back to Alloc. Size
            await tour.keys(C, ["r", "r", "home", "enter"])  # the class with most allocated
            await tour.keys(C, ["down"], n // 2)  # new objects: detail and retainers
            await tour.keys(C, ["end", "enter"])  # more
            await tour.keys(C, ["home", "enter", "down", "enter"])
            await tour.keys(C, ["down"], n // 4)
            await tour.key(R, "tab")
            await tour.keys(R, ["down", "enter", "down"], 5)
            await tour.key(R, "shift+tab")
            await tour.key(C, "escape")
    return tour.results


def report(results, boundary=True):
    if boundary:
        print("\nLatency per key, in the app: start = key event handed to the app's driver queue;"
              "\n  paint = end of the first screen update after it; done = end of the last update it caused"
              "\n  (background work included). Updates are rendered to escape sequences (not written: headless).")
    screens = []
    for s, *_r in results:
        if s not in screens:
            screens.append(s)
    for s in screens:
        rows = [r for r in results if r[0] == s]
        print(f"\n{s}: {len(rows)} keys")
        print(f"| key | n | paint median | paint p90 | paint p99 | paint max | done median | done p99 | done max |")
        print("|---|---|---|---|---|---|---|---|---|")
        keys = []
        for _s, k, *_t in rows:
            if k not in keys:
                keys.append(k)
        for k in keys + ["(all)"]:
            sel = rows if k == "(all)" else [r for r in rows if r[1] == k]
            paint = [r[2] * 1000 for r in sel]
            done = [r[3] * 1000 for r in sel]
            print(f"| {k} | {len(sel)} | {statistics.median(paint):.1f} | {percentile(paint, 90):.1f} | "
                  f"{percentile(paint, 99):.1f} | {max(paint):.1f} | {statistics.median(done):.1f} | "
                  f"{percentile(done, 99):.1f} | {max(done):.1f} |")
    slow = sorted(results, key=lambda r: -r[3])[:15]
    print("\nslowest (done):")
    for s, k, p, d in slow:
        print(f"  {d * 1000:8.1f} ms (paint {p * 1000:7.1f})  {s:11s} {k}")


# -- tmux: the real terminal, to check the in-app measure ---------------------------------------------
def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def tmux_check(args):
    """Runs the app in a detached tmux session, sends a few keys and polls the pane until it changes
    (and holds still for `quiet`): key sent to the pane's change, as a user would see it."""
    session = f"heaptui-lat-{os.getpid()}"
    w, hgt = args.size.split("x")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    env = f"HEAPTUI_CACHE_DIR={os.environ.get('HEAPTUI_CACHE_DIR', '')} PYTHONPATH={os.path.abspath(root)}"
    cmd = f"{env} {sys.executable} -m heaptui {args.base}"
    tmux("new-session", "-d", "-s", session, "-x", w, "-y", hgt, cmd)
    try:
        deadline = time.time() + 600
        while "Constructor" not in tmux("capture-pane", "-p", "-t", session):
            if time.time() > deadline:
                raise SystemExit("tmux: the Summary did not show")
            time.sleep(0.2)
        time.sleep(args.tmux_settle)  # the background preparation after opening
        out = []
        plan = ["Down"] * 20 + ["Home", "Enter"] + ["Down"] * 20 + ["Tab"] + ["Down"] * 10 + ["BTab", "Home", "Enter"]
        for key in plan:
            before = tmux("capture-pane", "-p", "-e", "-t", session)  # -e: styles too (the focus)
            start = time.perf_counter()
            tmux("send-keys", "-t", session, key)
            first = last = None
            while time.perf_counter() - start < 10:
                now = tmux("capture-pane", "-p", "-e", "-t", session)
                t = time.perf_counter() - start
                if now != before:
                    first = t if first is None else first
                    last, before = t, now
                elif last is not None and t - last > args.quiet:
                    break
            if first is not None:
                out.append((key, first, last))
        print("\ntmux (a real terminal): key sent by `tmux send-keys` to the pane's first change and to its "
              "last change, seen by polling `capture-pane -e` (each poll spawns tmux: a few ms of resolution):")
        for key in dict.fromkeys(k for k, _f, _l in out):
            first = [f * 1000 for k, f, _l in out if k == key]
            last = [x * 1000 for k, _f, x in out if k == key]
            print(f"  {key:6s} n={len(first):3d}  first change: median {statistics.median(first):6.1f} ms, "
                  f"max {max(first):6.1f} ms;  last change: median {statistics.median(last):6.1f} ms, "
                  f"max {max(last):6.1f} ms")
    finally:
        tmux("kill-session", "-t", session)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base", nargs="?", default=DEFAULT_A)
    ap.add_argument("current", nargs="?", default=DEFAULT_B)
    ap.add_argument("--size", default="120x40")
    ap.add_argument("--downs", type=int, default=200, help="how many times `down` is held on a list")
    ap.add_argument("--quiet", type=float, default=0.25, help="s without an update that ends a key")
    ap.add_argument("--no-wait", action="store_true", help="press keys before the background preparation ends")
    ap.add_argument("--in-memory", action="store_true",
                    help="read the index into memory as it opens (no page faults to the disk: on a machine "
                         "whose page cache cannot hold the index files, first looks at objects read the disk)")
    ap.add_argument("--log", help="write every key with its update times (ms) to this file")
    ap.add_argument("--tmux", action="store_true", help="also cross-check a few keys in a real terminal (tmux)")
    ap.add_argument("--tmux-only", action="store_true")
    ap.add_argument("--tmux-settle", type=float, default=20.0)
    args = ap.parse_args()
    import heaptui
    print(f"heaptui ({os.path.dirname(heaptui.__file__)}) TUI latency: {args.base} (+ {args.current} for the Comparison), {args.size}, "
          f"index {'read into memory' if args.in_memory else 'memory-mapped'}, HEAPTUI_CACHE_DIR={os.environ.get('HEAPTUI_CACHE_DIR', '(default)')}", flush=True)
    if not args.tmux_only:
        results = asyncio.run(run(args))
        report(results)
    if args.tmux or args.tmux_only:
        tmux_check(args)


if __name__ == "__main__":
    sys.exit(main())
