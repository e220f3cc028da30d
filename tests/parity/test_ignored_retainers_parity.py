"""DevTools' "Ignore this retainer" against DevTools' own code: after ignoring retainers, every
node's Retainers-view distance, the WeakMap edges marked ignored, and the retainer rows (order,
distance) of the objects around the ignored ones, on every scenario snapshot."""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import scenario_names
from heaptui.snapshot import open_snapshot

SCRIPT = Path(__file__).parent / "devtools_ignored.mjs"
ROOT = Path(__file__).parent.parent.parent


def _devtools(path, toolkit_dir, ignore_ids, probe_ids):
    done = subprocess.run(["node", str(SCRIPT), str(path), json.dumps(ignore_ids), json.dumps(probe_ids)],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _cases(snap):
    """(what, ignored ordinals, probe ordinals): what a user would ignore. For the objects that hold
    the most, the retainer on their path from a root (the Retainers pane's first row); and every
    WeakMap, whose values then need their keys alone."""
    h = snap.heap
    order = np.argsort(-h.retained.astype(np.int64), kind="stable")
    deep = []
    for v in order[:2000].tolist():
        path = snap.retaining_path(v)
        if len(path) >= 3 and path[-1].source != snap.root:
            deep.append((v, path))
        if len(deep) == 3:
            break
    cases = []
    for v, path in deep:
        cases.append(("holder of the largest deep object", [path[-1].source],
                      [v] + [p.source for p in path] + [p.target for p in path]))
    if deep:
        cases.append(("two holders at once", sorted({deep[0][1][-1].source, deep[-1][1][-2].source}),
                      [v for v, _ in deep]))
    maps = [v for v in range(snap.node_count) if snap.node(v).class_name == "WeakMap"]
    if maps:
        values = [int(h.edge_to[e]) for m in maps for e in range(int(h.first_edge[m]), int(h.first_edge[m + 1]))]
        cases.append(("every WeakMap", maps, maps + values[:40]))
    rng = random.Random(12)
    sample = rng.sample(range(snap.node_count), min(40, snap.node_count))
    return [(what, ignored, sorted(set(probes + sample)), probes[0]) for what, ignored, probes in cases]


@pytest.mark.parametrize("scenario", scenario_names())
def test_ignored_retainers_equal_devtools(scenario, parity_snapshots, toolkit_dir, tmp_path):
    snap = open_snapshot(parity_snapshots[scenario], cache=None, use_cache=False)
    ids = snap.heap.node_id
    cases = _cases(snap)
    assert cases, "no object to ignore a retainer of"
    for what, ignored, probes, _focus in cases:
        theirs = _devtools(parity_snapshots[scenario], toolkit_dir, [int(ids[v]) for v in ignored],
                           [int(ids[v]) for v in probes])
        view = snap.retainers_view(ignored)
        ours = view.distances()
        diff = np.nonzero(ours != np.asarray(theirs["distances"]))[0]
        assert diff.size == 0, (what, [(int(ids[v]), int(ours[v]), theirs["distances"][v]) for v in diff[:10]])
        assert view.ignored_edges.tolist() == theirs["ignored_edges"], what
        for v in probes:
            rows = [[r.edge.type, r.edge.name, int(ids[r.edge.source]), r.distance] for r in view.rows(v)]
            assert rows == theirs["retainers"][str(int(ids[v]))], (what, int(ids[v]))
    # The comparison is not vacuous: ignoring changed distances somewhere.
    assert any((snap.retainers_view(ig).distances() != snap.retainers_view([]).distances()).any()
               for _w, ig, _p, _f in cases)


def test_ignoring_a_weakmap_leaves_its_key_edges_ignored(parity_snapshots, toolkit_dir):
    """collections.js keeps WeakMap values through the map: ignore the map, and the edges from the
    keys are marked ignored too (DevTools' WeakMap rule), on both sides."""
    snap = open_snapshot(parity_snapshots["collections"], cache=None, use_cache=False)
    maps = [v for v in range(snap.node_count) if snap.node(v).class_name == "WeakMap"]
    view = snap.retainers_view(maps)
    assert view.ignored_edges.size > 0
    theirs = _devtools(parity_snapshots["collections"], toolkit_dir, [int(snap.heap.node_id[v]) for v in maps], [])
    assert view.ignored_edges.tolist() == theirs["ignored_edges"]


def test_object_ignore_on_the_command_line_equals_devtools(parity_snapshots, toolkit_dir):
    """`heaptui object @ID --ignore @A --json`: the rows and distances DevTools shows after ignoring A."""
    path = parity_snapshots["classes"]
    snap = open_snapshot(path, cache=None, use_cache=False)
    what, ignored, _probes, v = _cases(snap)[0]
    ids = snap.heap.node_id
    theirs = _devtools(path, toolkit_dir, [int(ids[o]) for o in ignored], [int(ids[v])])
    r = subprocess.run([sys.executable, "-m", "heaptui", "object", str(path), f"@{ids[v]}", "--json", "--limit",
                        "100000", "--no-cache", "--ignore", ",".join(f"@{ids[o]}" for o in ignored)],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["ignored"] == [int(ids[o]) for o in ignored]
    rows = [[x["edge_type"], x["edge_name"], x["from"]["id"], x["distance"]] for x in doc["retainers"]]
    assert rows == theirs["retainers"][str(int(ids[v]))]
    assert any(x["ignored"] for x in doc["retainers"])
    assert all(p["from"]["id"] not in doc["ignored"] for p in doc["path"])  # the path avoids them
