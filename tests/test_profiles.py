"""Sampling heap profiles and allocation stacks: DevTools' bottom-up rules, real Node processes."""
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from heaptui.profile import ProfileError, load_profile
from heaptui.snapshot import open_snapshot


def frame(name, line=1, url="app.js", script="7"):
    return {"functionName": name, "scriptId": script, "url": url, "lineNumber": line, "columnNumber": 0}


def node(name, self_size, children=(), line=1, nid=[0]):
    nid[0] += 1
    return {"callFrame": frame(name, line), "selfSize": self_size, "id": nid[0], "children": list(children)}


def write(tmp_path, doc, name="p.heapprofile"):
    p = tmp_path / name
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return p


def test_bottom_up_counts_recursion_once(tmp_path):
    # (root) -> main -> walk(5) -> walk(7) -> leaf(11); main -> leaf(13)
    head = node("(root)", 0, [node("main", 2, [
        node("walk", 5, [node("walk", 7, [node("leaf", 11, line=9)], line=3)], line=3),
        node("leaf", 13, line=9)], line=1)], line=-1)
    p = load_profile(write(tmp_path, {"head": head, "samples": []}))
    assert p.total == 2 + 5 + 7 + 11 + 13
    rows = {r.frame.function: r for r in p.bottom_up()}
    assert (rows["walk"].self_size, rows["walk"].total_size) == (12, 23)  # not 23 + 18
    assert (rows["leaf"].self_size, rows["leaf"].total_size) == (24, 24)
    assert (rows["main"].self_size, rows["main"].total_size) == (2, 38)
    assert [r.frame.function for r in p.bottom_up()][:2] == ["leaf", "walk"]  # largest self first
    callers = {r.frame.function: (r.self_size, r.total_size) for r in p.callers(rows["leaf"])}
    assert callers == {"walk": (11, 11), "main": (13, 13)}
    top = [p.nodes[i].frame.function for i in p.top_down()]
    assert top == ["main"]
    assert rows["leaf"].as_json()["line"] == 10  # 1-based in the output, 0-based in the file


def test_old_profile_format_converts_positions(tmp_path):
    head = {"functionName": "(root)", "scriptId": "0", "url": "", "lineNumber": 0, "columnNumber": 0,
            "selfSize": 0, "children": [{"functionName": "f", "scriptId": "3", "url": "x.js",
                                          "lineNumber": 10, "columnNumber": 2, "selfSize": 64, "children": []}]}
    p = load_profile(write(tmp_path, {"head": head}))
    row = p.bottom_up()[0]
    assert (row.frame.function, row.frame.line, row.as_json()["line"]) == ("f", 9, 10)


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True,
                          text=True, timeout=kw.pop("timeout", 120), **kw)


@pytest.mark.parametrize("content,needle", [
    ("", "empty"), ("{not json", "invalid JSON"), ('{"samples": []}', "no 'head'"),
    ('[1, 2]', "no 'head'"), ('{"head": {"selfSize": -3, "children": []}}', "bad selfSize"),
    ('{"head": {"callFrame": {"functionName": "x"}, "selfSize": 1, "children": 7}}', "not a list"),
    ('{"snapshot": {"meta": {}}, "nodes": []}', "node_fields"),  # read as the (damaged) snapshot it is
])
def test_bad_profiles_get_one_line(tmp_path, content, needle):
    r = run("allocations", write(tmp_path, content))
    assert r.returncode == 2 and r.stderr.startswith("heaptui: error: ")
    assert r.stderr.count("\n") == 1 and needle in r.stderr and "Traceback" not in r.stderr


def test_missing_and_gzipped_profiles(tmp_path):
    r = run("allocations", tmp_path / "none.heapprofile")
    assert r.returncode == 2 and "no such file" in r.stderr
    gz = tmp_path / "p.heapprofile.gz"
    gz.write_bytes(gzip.compress(b'{"head": {}}'))
    r = run("allocations", gz)
    assert r.returncode == 2 and "gunzip" in r.stderr


APP = r"""
class Tracked { constructor(i) { this.i = i; this.payload = 'tracked ' + i; } }
globalThis.kept = [];
function makeTracked(i) { return new Tracked(i); }
function allocateLots() { const a = []; for (let i = 0; i < 2000; i++) a.push({v: i, w: [i]}); return a; }
// V8's sampling profiler and allocation tracker record physical frames: a function the optimizer
// inlines into its caller has no frame, and its allocations go to the caller ('(anonymous)' here).
// When that happens depends on how long the process has run, so keep these two from being optimized.
%NeverOptimizeFunction(makeTracked);
%NeverOptimizeFunction(allocateLots);
globalThis.churn = [];
let ticks = 0;
setInterval(() => {
  for (let i = 0; i < 20; i++) kept.push(makeTracked(i));
  churn.push(allocateLots()); if (churn.length > 50) churn.shift();
  if (++ticks === 1) console.log('allocating ' + require('inspector').url());
}, 10);
"""
ALLOCATE_LOTS_LINE = APP.splitlines().index(next(l for l in APP.splitlines()
                                                  if l.startswith("function allocateLots"))) + 1


@pytest.fixture
def allocating_app(tmp_path):
    """The inspector port of a node process that is running its allocating loop (it says so on
    stdout once the loop has run). Killed when the test ends, whatever happened."""
    script = tmp_path / "app.js"
    script.write_text(APP)
    with open(tmp_path / "err.txt", "w+") as err:
        proc = subprocess.Popen(["node", "--allow-natives-syntax", "--inspect=127.0.0.1:0", str(script)],
                                stdout=subprocess.PIPE, stderr=err, start_new_session=True)
        try:
            line = proc.stdout.readline().decode()  # blocks until the loop ran (or node exited)
            m = re.match(r"allocating ws://127\.0\.0\.1:(\d+)/", line)
            err.seek(0)
            assert m, f"the app did not start: {line!r} {err.read()}"
            yield int(m.group(1))
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def profile_with_samples(port, tmp_path, enough=200, attempts=5):
    """A sampling profile of the app that holds at least `enough` samples. A starved target may
    have run its loop only a few times in one window: profile again rather than assume it ran."""
    for attempt in range(attempts):
        out = tmp_path / f"run{attempt}"
        r = run("profile", "--port", port, "--duration", "2", "--interval", "8192", "-o", out)
        assert r.returncode == 0, r.stderr
        path = tmp_path / f"run{attempt}.heapprofile"
        if len(json.loads(path.read_text())["samples"]) >= enough:
            return path
    pytest.fail(f"{attempts} profiles of the allocating app, none with {enough} samples")


def tracked_capture(port, tmp_path, duration, attempts=5):
    """A --track-allocations capture during which the app allocated Tracked objects (those have a
    recorded stack). As above: capture again if the target did not run in the tracking window."""
    for attempt in range(attempts):
        out = tmp_path / f"tracked{attempt}.heapsnapshot"
        r = run("capture", "--port", port, "--track-allocations", "--duration", duration, "-o", out)
        assert r.returncode == 0, r.stderr
        snap = open_snapshot(out, use_cache=False)
        h = snap.heap
        tracked = [c for c, name in enumerate(h.class_names) if name == "Tracked"]
        if (np.isin(h.class_id, tracked) & (h.node_trace != 0)).any():
            return out, snap
    pytest.fail(f"{attempts} tracked captures, none with a Tracked object allocated while tracking")


def test_sampling_profile_puts_the_allocating_function_first(allocating_app, tmp_path):
    path = profile_with_samples(allocating_app, tmp_path)
    r = run("allocations", path, "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows[0]["function"] == "allocateLots", rows[:3]
    assert rows[0]["url"].endswith("app.js") and rows[0]["line"] == ALLOCATE_LOTS_LINE
    assert rows[0]["self_size"] > 0 and rows[0]["total_size"] >= rows[0]["self_size"]
    table = run("allocations", path, "--top", "3")
    assert "allocateLots" in table.stdout.splitlines()[1]


def test_tracked_capture_has_allocation_stacks(allocating_app, tmp_path):
    out, snap = tracked_capture(allocating_app, tmp_path, 1.5)
    traces = snap.allocation_traces()
    assert traces.available
    by_make = traces.allocated_by_mask("makeTracked")
    tracked = [v for v in by_make.nonzero()[0] if snap.class_name(v) == "Tracked"]
    assert tracked, "no Tracked object attributed to makeTracked"
    node_id = int(snap.heap.node_id[tracked[-1]])
    r = run("object", out, f"@{node_id}", "--json", "--no-cache")
    assert r.returncode == 0, r.stderr
    stack = [f["function"] for f in json.loads(r.stdout)["allocation_stack"]]
    assert stack[0] == "makeTracked", stack
    rows = json.loads(run("summary", out, "--allocated-by", "makeTracked", "--json", "--no-cache").stdout)
    assert {r["name"] for r in rows} >= {"Tracked"}
    old = [v for v in range(snap.node_count) if snap.class_name(v) == "Tracked"
           and int(snap.heap.node_trace[v]) == 0]
    if old:  # allocated before tracking started: no stack
        assert traces.stack(old[0]) == []


def test_allocated_by_needs_stacks(tmp_path):
    from snapbuilder import Builder
    b = Builder()
    b.node("synthetic", "")
    p = b.write(tmp_path / "s.heapsnapshot")
    r = run("summary", p, "--allocated-by", "f", "--no-cache")
    assert r.returncode == 2 and "--track-allocations" in r.stderr


async def wait_for(pilot, predicate, what, timeout=300.0):
    """Lets the app run until predicate() holds; the timeout only bounds a hang."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def test_tui_filters_summary_by_allocating_function(allocating_app, tmp_path):
    from heaptui.tui.app import HeapApp
    from heaptui.tui.table import TreeTable
    from pilot import exploring
    out, _snap = tracked_capture(allocating_app, tmp_path, 1)
    app = HeapApp([str(out)])
    async with app.run_test(size=(120, 40)) as pilot:
        # The screen is current as soon as it is pushed, and composed a little later.
        await wait_for(pilot, lambda: exploring(app), "the snapshot to open")
        table = app.screen.query_one("#summary", TreeTable)
        names = lambda: [row.payload.name for row in table.table_rows]
        await wait_for(pilot, lambda: "global" in names(), "the summary")
        await pilot.press("a", *"makeTracked", "enter")
        await wait_for(pilot, lambda: "global" not in names(), "the allocated-by filter")
        assert "Tracked" in names()
        table.select_index(names().index("Tracked"))
        await pilot.press("enter", "down")
        detail = lambda: app.screen.query_one("#detail").text
        await wait_for(pilot, lambda: "allocated by" in detail(), "the object's detail")
        assert "makeTracked" in detail()


def test_allocation_timeline_equals_devtools(allocating_app, tmp_path, toolkit_dir):
    """`heaptui timeline` and `summary --during` against DevTools' own code on a tracked capture: the
    samples' live sizes, and the Summary of a time range (DevTools' timeline selection)."""
    from collections import Counter
    from pathlib import Path
    out, snap = tracked_capture(allocating_app, tmp_path, "2")
    script = Path(__file__).parent / "parity" / "devtools_timeline.mjs"
    mine = json.loads(run("timeline", out, "--json").stdout)
    assert len(mine) > 5
    low, high = snap.ids_allocated_during(mine[1]["time_ms"], mine[-2]["time_ms"])
    done = subprocess.run(["node", str(script), str(out), str(low), str(high)], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)))
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    assert [m["last_assigned_id"] for m in mine] == theirs["lastIds"]
    assert [m["live_size"] for m in mine] == theirs["sizes"]
    assert [m["time_ms"] for m in mine] == pytest.approx(theirs["times"])
    assert sum(theirs["sizes"]) > 0
    start, end = mine[1]["time_ms"] / 1000, mine[-2]["time_ms"] / 1000
    r = run("summary", out, "--during", f"{start}:{end}", "--json")
    assert r.returncode == 0, r.stderr
    keys = ("name", "count", "distance", "self_size", "retained_size")
    ours = Counter(tuple(row[k] for k in keys) for row in json.loads(r.stdout))
    assert ours == Counter(tuple(row[k] for k in keys) for row in theirs["range"])
    assert "Tracked" in {row["name"] for row in json.loads(r.stdout)}
    text = run("timeline", out, "--rows", "5").stdout
    assert "Still alive" in text and "\u2588" in text


async def test_timeline_chart_selects_a_range_for_the_summary(allocating_app, tmp_path):
    """l draws the timeline of a tracked snapshot at 80x24 and 160x45; shift+→ selects a range and
    Enter filters the Summary to what that range allocated (the model's id range, as --during)."""
    from heaptui.tui.app import HeapApp
    from heaptui.tui.screens import ExploreScreen, TimelineScreen
    from pilot import exploring, showing, wait_for
    out, snap = tracked_capture(allocating_app, tmp_path, "2")
    for size in ((80, 24), (160, 45)):
        app = HeapApp([str(out)])
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: exploring(app))
            explore = app.screen
            await pilot.press("l")
            await wait_for(pilot, lambda: showing(app, TimelineScreen))
            chart = app.screen
            assert 0 < len(chart.columns) <= size[0]
            text = str(chart.query_one("#timeline-chart").render())
            assert "Allocation timeline" in text and "\u2588" in text
            await pilot.press("right", "shift+right", "shift+right", "shift+right")
            assert chart.selection() == (1, 4)
            start, end = chart.selected_ms()
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ExploreScreen) and explore.model.mask is not None)
            low, high = explore.snap.ids_allocated_during(start, end)
            ids = explore.snap.heap.node_id
            assert (explore.model.mask == ((ids > low) & (ids <= high))).all()
            assert "allocated" in str(explore.query_one("#title").render())


def test_tracked_allocations_equal_devtools_and_their_pprof(allocating_app, tmp_path, toolkit_dir, pprof_reader):
    """`allocations` of a tracked snapshot is DevTools' Allocation view (allocationTracesTops, its own
    code): per function, what it allocated while tracking ran and what is still alive. The pprof of the
    same snapshot parses with profile.proto's messages and adds up to the same numbers per function."""
    from collections import Counter
    from pathlib import Path
    from heaptui.profile.pprof import message_classes
    out, _snap = tracked_capture(allocating_app, tmp_path, "1.5")
    script = Path(__file__).parent / "parity" / "devtools_allocations.mjs"
    done = subprocess.run(["node", str(script), str(out)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)))
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    r = run("allocations", out, "--json", "--no-cache")
    assert r.returncode == 0, r.stderr
    mine = json.loads(r.stdout)
    keys = ("function", "script", "line", "column", "count", "size", "live_count", "live_size")
    assert Counter(tuple(row[k] for k in keys) for row in mine) == \
        Counter(tuple(row[k] for k in keys) for row in theirs)
    made = next(row for row in mine if row["function"] == "makeTracked")
    assert made["count"] > 0 and made["live_count"] > 0 and made["script"].endswith("app.js")
    assert "makeTracked" in run("allocations", out, "--top", "5").stdout

    pb = tmp_path / "tracked.pb.gz"
    r = run("allocations", out, "--format", "pprof", "-o", pb)
    assert r.returncode == 0, r.stderr
    assert oct(pb.stat().st_mode & 0o777) == "0o600"
    message = message_classes()["Profile"]()
    message.ParseFromString(gzip.decompress(pb.read_bytes()))
    strings = list(message.string_table)
    assert [(strings[t.type], strings[t.unit]) for t in message.sample_type] == [
        ("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")]
    assert strings[message.default_sample_type] == "inuse_space"
    functions = {f.id: f for f in message.function}
    where = {loc.id: functions[loc.line[0].function_id] for loc in message.location}
    per_function = Counter()
    for sample in message.sample:  # a sample belongs to its innermost frame
        f = where[sample.location_id[0]]
        key = (strings[f.name], strings[f.filename], f.start_line)
        for i, value in enumerate(sample.value):
            per_function[key + (i,)] += value
    expected = Counter()
    for row in mine:
        for i, k in enumerate(("count", "size", "live_count", "live_size")):
            expected[(row["function"] or "(anonymous)", row["script"], row["line"], i)] += row[k]
    assert +per_function == +expected
    # An independent reader (DataDog's pprof-format) decodes the same numbers.
    read = pprof_reader(pb)
    assert read["sample_types"] == [["alloc_objects", "count"], ["alloc_space", "bytes"],
                                    ["inuse_objects", "count"], ["inuse_space", "bytes"]]
    assert read["default_sample_type"] == "inuse_space" and read["samples"] == len(message.sample)
    decoded = Counter()
    for name, filename, line, values in read["per_function"]:
        for i, value in enumerate(values):
            decoded[(name, filename, line, i)] += value
    assert +decoded == +expected
    # Stacks run innermost first: Tracked objects were made by makeTracked, called from the timer.
    made = [s for s in message.sample if strings[where[s.location_id[0]].name] == "makeTracked"]
    assert made and all(len(s.location_id) >= 2 for s in made)
