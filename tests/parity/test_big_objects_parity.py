"""Objects of 4 GiB or more (a large ArrayBuffer, a full wasm32 memory), against DevTools' own code.

V8 writes a node's self size as a 64-bit number, so the file holds the true size. DevTools parses the
nodes array into 32-bit integers and keeps each such size modulo 4 GiB (a 5 GiB buffer shows as 1 GiB, a
full wasm32 memory as 0 B). heaptui keeps the true size. So the comparison here is exact: everything
DevTools computes without sizes is equal, and every size differs from DevTools' by exactly what its 32
bits dropped, carried up the dominator tree to the retained sizes, into the class rows, the statistics
and the comparison.
"""
from __future__ import annotations

import json
import os
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conftest import run_devtools_dump, run_heaptui

HERE = Path(__file__).parent
MAKE = HERE / "big_objects.js"
DIFF = HERE / "devtools_diff.mjs"
WRAP = 2**32
GiB = 2**30
SAME = ("id", "type", "name", "class", "distance", "dominator")


def dropped(size):
    """What DevTools' 32 bits lose of a self size."""
    return size - size % WRAP


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    out = tmp_path_factory.mktemp("big-objects")
    proc = subprocess.run(["node", str(MAKE), str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return [out / f"{i}.heapsnapshot" for i in range(4)]


def heaptui_json(*args):
    proc = run_heaptui(*args, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def our_nodes(path):
    return [json.loads(line) for line in heaptui_json("nodes", path).split("\n") if line]  # not splitlines: names hold U+2028


def excess_per_node(nodes, devtools_nodes):
    """For every node, what DevTools' retained size lacks: the dropped part of each big node it
    dominates (itself included), walking DevTools' own dominator field."""
    dominator = {n["id"]: n["dominator"] for n in devtools_nodes}
    extra = Counter()
    for n in nodes:
        lost = dropped(n["self_size"])
        if not lost:
            continue
        v = n["id"]
        while True:
            extra[v] += lost
            if dominator[v] == v:
                break
            v = dominator[v]
    return extra


@pytest.fixture(scope="module")
def both(series, toolkit_dir):
    """Snapshot 2 (a 5 GiB ArrayBuffer and a 4 GiB wasm memory), read by heaptui and by DevTools."""
    path = series[2]
    return path, our_nodes(path), run_devtools_dump(toolkit_dir, path)


def test_the_file_holds_true_sizes_and_heaptui_shows_them(both):
    _path, ours, _devtools = both
    big = sorted(n["self_size"] for n in ours if n["self_size"] >= WRAP)
    assert big == [4 * GiB, 5 * GiB]


def test_nodes_equal_devtools_but_for_what_32_bits_drop(both):
    _path, ours, devtools = both
    theirs = devtools["nodes"]
    assert len(ours) == len(theirs)
    extra = excess_per_node(ours, theirs)
    assert extra[1] == 8 * GiB  # the root dominates both: 4 GiB dropped from each
    wrong = []
    for a, b in zip(ours, theirs):
        if ({k: a[k] for k in SAME} != {k: b[k] for k in SAME}
                or a["self_size"] != b["self_size"] + dropped(a["self_size"])
                or a["retained_size"] != b["retained_size"] + extra[a["id"]]):
            wrong.append((a, b))
    assert not wrong, wrong[:5]
    # DevTools shows the 5 GiB buffer as 1 GiB and the full wasm memory as 0 B.
    shown = {b["self_size"] for a, b in zip(ours, theirs) if a["self_size"] >= WRAP}
    assert shown == {GiB, 0}


def test_class_rows_and_statistics_differ_only_by_the_dropped_bytes(both):
    path, ours, devtools = both
    theirs = devtools["nodes"]
    cls = {n["id"]: n["class"] for n in theirs}
    dominator = {n["id"]: n["dominator"] for n in theirs}
    self_extra, retained_extra, count_extra = Counter(), Counter(), Counter()
    for n in ours:
        lost = dropped(n["self_size"])
        if not lost:
            continue
        self_extra[n["class"]] += lost
        if n["self_size"] == lost:
            # DevTools reads its size as 0, and its class rows leave out objects of size 0.
            count_extra[n["class"]] += 1
        # A class row's retained size counts a big node once if any member of the class dominates
        # it (or is it); the root is in no row's retained size.
        classes, v = set(), n["id"]
        while dominator[v] != v:
            classes.add(cls[v])
            v = dominator[v]
        for c in classes:
            retained_extra[c] += lost
    rows = json.loads(heaptui_json("summary", path, "--json", "--top", "0"))
    names = Counter(r["name"] for r in devtools["summary"])
    assert all(names[c] == 1 for c in retained_extra)  # rows are matched by name below
    keys = ("name", "count", "distance", "self_size", "retained_size")
    expected = Counter(
        (r["name"], r["count"] + count_extra[r["name"]], r["distance"], r["self_size"] + self_extra[r["name"]],
         r["retained_size"] + retained_extra[r["name"]]) for r in devtools["summary"])
    got = Counter(tuple(r[k] for k in keys) for r in rows)
    assert got == expected, {"only heaptui": list((got - expected).elements())[:5],
                             "only expected": list((expected - got).elements())[:5]}
    assert self_extra["system / JSArrayBufferData"] == 8 * GiB
    assert count_extra == {"system / JSArrayBufferData": 1}  # the full wasm memory

    stats = json.loads(heaptui_json("stats", path, "--json"))
    lost = sum(self_extra.values())
    want = json.loads(json.dumps(devtools["statistics"]))
    want["total"] += lost
    want["native"]["total"] += lost  # backing stores are native memory, counted as typed arrays
    want["native"]["typedArrays"] += lost
    assert stats == want


def test_comparison_counts_the_true_sizes(series, toolkit_dir):
    base, current = series[1], series[2]
    proc = subprocess.run(["node", str(DIFF), str(base), str(current)], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)))
    assert proc.returncode == 0, proc.stderr
    devtools = json.loads(proc.stdout)["rows"]
    before, after = our_nodes(base), our_nodes(current)
    old_ids, new_ids = {n["id"] for n in before}, {n["id"] for n in after}
    alloc, freed, added, removed = defaultdict(int), defaultdict(int), Counter(), Counter()
    for n in after:
        if n["id"] not in old_ids:
            alloc[n["class"]] += dropped(n["self_size"])
            added[n["class"]] += n["self_size"] == dropped(n["self_size"]) > 0  # DevTools: size 0, left out
    for n in before:
        if n["id"] not in new_ids:
            freed[n["class"]] += dropped(n["self_size"])
            removed[n["class"]] += n["self_size"] == dropped(n["self_size"]) > 0
    assert sum(alloc.values()) == 4 * GiB and sum(freed.values()) == 0  # the wasm memory is new
    assert +added == {"system / JSArrayBufferData": 1} and not +removed  # (+ drops the zero counts)
    keys = ("name", "new_count", "deleted_count", "count_delta", "alloc_size", "freed_size", "size_delta")
    expected = Counter(
        (r["name"], r["new_count"] + added[r["name"]], r["deleted_count"] + removed[r["name"]],
         r["count_delta"] + added[r["name"]] - removed[r["name"]], r["alloc_size"] + alloc[r["name"]],
         r["freed_size"] + freed[r["name"]], r["size_delta"] + alloc[r["name"]] - freed[r["name"]])
        for r in devtools)
    got = Counter(tuple(r[k] for k in keys) for r in json.loads(heaptui_json("diff", base, current, "--json")))
    assert got == expected, {"only heaptui": list((got - expected).elements())[:5],
                             "only expected": list((expected - got).elements())[:5]}


def test_the_hunt_names_the_holder_with_true_sizes(series):
    found = json.loads(heaptui_json("hunt", *series, "--json"))["suspects"]
    assert found, "no suspect"
    top = found[0]
    assert top["edge"] == "global.archive.kept"
    assert [r["bytes"] >= size for r, size in zip(top["per_round"], (5 * GiB, 4 * GiB))] == [True, True]
    assert top["holder_retained"][-1] >= 15 * GiB


def test_index_cache_keeps_the_wide_sizes(series):
    path = series[3]
    fresh = heaptui_json("summary", path, "--json", "--top", "3")
    cached = run_heaptui("summary", path, "--json", "--top", "3")  # writes the index cache
    again = run_heaptui("summary", path, "--json", "--top", "3")   # reads it
    assert cached.returncode == again.returncode == 0
    assert json.loads(fresh) == json.loads(cached.stdout) == json.loads(again.stdout)
    assert json.loads(fresh)[0]["retained_size"] >= 15 * GiB


@pytest.mark.parametrize("order", ["retained", "shallow"])
def test_biggest_instances_come_first_past_4_gib(series, order):
    """The top-k page of a class sorts by size, then id: sizes of 4 GiB and more included."""
    key = "retained_size" if order == "retained" else "self_size"
    path = series[3]
    every = json.loads(heaptui_json("instances", path, "system / JSArrayBufferData", "--sort", order,
                                    "--json", "--top", "0"))
    top = json.loads(heaptui_json("instances", path, "system / JSArrayBufferData", "--sort", order,
                                  "--json", "--top", "4"))
    want = sorted(every, key=lambda n: (-n[key], n["id"]))[:4]
    assert [n["id"] for n in top] == [n["id"] for n in want]
    assert [n[key] for n in top[:3]] == [6 * GiB, 5 * GiB, 4 * GiB]


async def test_the_app_shows_the_true_sizes(series):
    from heaptui.tui.app import HeapApp
    from heaptui.tui.table import TreeTable
    from pilot import exploring, wait_for
    app = HeapApp([str(series[3])])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: exploring(app), timeout=300)
        table = app.screen.query_one("#summary", TreeTable)
        await wait_for(pilot, lambda: bool(table.table_rows))
        rows = {r.payload.name: r.payload for r in table.table_rows}
        assert rows["system / JSArrayBufferData"].self_size >= 15 * GiB
        shown = "".join(table.render_line(y).text for y in range(table.size.height))
        assert "16,106 MB" in shown  # global's retained size: 5 + 4 + 6 GiB and a little more
