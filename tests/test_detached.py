"""Detached elements (DevTools' "Detached elements" view) on a real Chromium snapshot kept in
tests/fixtures (made by tests/fixtures/make_chromium_snapshot.py): the page detaches a panel of 20
<li>, a <div> with a click listener, and a 5x3 <table> held only by a timer's closure."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from heaptui.demo import demo_paths
from heaptui.snapshot import open_snapshot
from heaptui.tui.app import HeapApp
from heaptui.tui.table import TreeTable
from pilot import exploring, showing, wait_for

FIXTURE = Path(__file__).parent / "fixtures" / "chromium-detached-dom.heapsnapshot.gz"


def test_detached_trees_on_the_command_line():
    r = subprocess.run([sys.executable, "-m", "heaptui", "detached", str(FIXTURE), "--json", "--no-cache"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    trees = json.loads(r.stdout)
    kinds = [{k["class"]: k["count"] for k in t["kinds"]} for t in trees]
    holders = [t["path"][-1]["edge"] for t in trees]
    assert sorted(holders) == ["->button", "->list", "->table"]  # the page's variables
    table = kinds[holders.index("->table")]
    assert (table["Detached <td>"], table["Detached <tr>"], table["Detached <table>"]) == (15, 5, 1)
    panel = kinds[holders.index("->list")]
    assert panel["Detached <li>"] == 20 and panel["Detached <div>"] == 1  # the <div id=panel> around it
    assert kinds[holders.index("->button")]["Detached <div>"] == 1
    assert [t["retained_size"] for t in trees] == sorted((t["retained_size"] for t in trees), reverse=True)
    text = subprocess.run([sys.executable, "-m", "heaptui", "detached", str(FIXTURE)], capture_output=True,
                          text=True, timeout=600).stdout
    assert "20 \u00d7 Detached <li>" in text and "held by ->table" in text


def test_detached_trees_partition_the_detached_dom_nodes():
    snap = open_snapshot(FIXTURE, use_cache=False)
    trees = snap.detached_trees()
    h = snap.heap
    detached = np.asarray(h.detachedness) == 2
    members = [v for t in trees for v in t.nodes]
    assert len(members) == len(set(members)) and all(detached[v] for v in members)
    dom = [v for v in np.nonzero(detached)[0].tolist() if snap.class_name(v).startswith("Detached <")]
    assert set(dom) <= set(members)  # every detached element is in a tree
    for t in trees:  # a tree frees at least what it is made of, through its own dominators
        inside = set(t.nodes)
        assert t.retained_size == sum(int(h.retained[v]) for v in t.nodes if int(h.idom[v]) not in inside)
        assert t.retained_size >= t.size


def test_a_node_snapshot_has_no_detached_elements():
    r = subprocess.run([sys.executable, "-m", "heaptui", "detached", demo_paths()[0], "--json"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and json.loads(r.stdout) == []


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_detached_elements_view_lists_the_trees_and_reveals_one(size):
    from heaptui.tui.screens import SearchScreen
    app = HeapApp([str(FIXTURE)])
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        explore = app.screen
        await pilot.press("e")
        await wait_for(pilot, lambda: showing(app, SearchScreen))
        screen = app.screen
        assert screen.found == [t.top for t in explore.snap.detached_trees()] and len(screen.found) == 3
        assert "Detached elements" in str(screen.query_one("#title").render())
        table = screen.query_one("#found", TreeTable)
        await wait_for(pilot, lambda: table.current is not None)
        chosen = table.current.node
        await pilot.press("v")
        await wait_for(pilot, lambda: app.screen is explore)
        await wait_for(pilot, lambda: explore.summary.current is not None and explore.summary.current.node == chosen)


async def test_detached_elements_on_a_node_snapshot_says_there_are_none():
    app = HeapApp(demo_paths()[:1])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        explore = app.screen
        await pilot.press("e")
        await wait_for(pilot, lambda: any("no detached DOM" in n.message for n in app._notifications))
        assert app.screen is explore
