"""heaptui's comparison and "allocated between" filter against DevTools' own code, on snapshot pairs
written by one Node process. DevTools' Comparison view classifies the base snapshot with the current
snapshot's interface definitions (HeapSnapshotDataGrids), which is what devtools_diff.mjs calls; the
toolkit's diff() convenience uses the base's own definitions, and so agrees only when they match."""
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

PAIRS = Path(__file__).parent / "pairs"
DUMP = Path(__file__).parent / "devtools_diff.mjs"
ROOT = Path(__file__).parent.parent.parent


@pytest.fixture(scope="module", params=sorted(p.stem for p in PAIRS.glob("*.js")))
def pair(request, tmp_path_factory, toolkit_dir):
    out = tmp_path_factory.mktemp(request.param)
    a, b = out / "a.heapsnapshot", out / "b.heapsnapshot"
    subprocess.run(["node", str(PAIRS / f"{request.param}.js"), str(a), str(b)], check=True, timeout=180)
    dump = subprocess.run(["node", str(DUMP), str(a), str(b)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)), check=True)
    return request.param, a, b, json.loads(dump.stdout)


def heaptui(*args):
    r = subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True, text=True,
                       timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def as_multiset(rows, keys):
    return Counter(tuple(r[k] for k in keys) for r in rows)


def test_diff_rows_equal_devtools(pair):
    name, a, b, devtools = pair
    keys = ("name", "new_count", "deleted_count", "count_delta", "alloc_size", "freed_size", "size_delta")
    mine = heaptui("diff", a, b, "--json", "--no-cache")
    assert len(mine) > 5
    ours, theirs = as_multiset(mine, keys), as_multiset(devtools["rows"], keys)
    assert ours == theirs, {"only heaptui": list((ours - theirs).elements())[:10],
                            "only DevTools": list((theirs - ours).elements())[:10]}


def test_toolkit_diff_helper_agrees_when_definitions_match(pair):
    """heap-snapshot-toolkit's diff() equals the panel's comparison exactly when both snapshots infer
    the same interface definitions; the growth pair is made so that they do not."""
    name, a, b, devtools = pair
    keys = ("name", "new_count", "deleted_count", "count_delta", "alloc_size", "freed_size", "size_delta")
    if name == "growth":
        assert devtools["sameDefinitions"] is False
    if not devtools["sameDefinitions"]:  # (the stable pair usually has equal definitions)
        return
    mine = heaptui("diff", a, b, "--json", "--no-cache")
    assert as_multiset(mine, keys) == as_multiset(devtools["convenience"], keys)


def test_allocated_between_equals_devtools_filter(pair):
    name, a, b, devtools = pair
    keys = ("name", "count", "distance", "self_size", "retained_size")
    mine = heaptui("summary", b, "--between", a, "--json", "--no-cache")
    ours, theirs = as_multiset(mine, keys), as_multiset(devtools["between"], keys)
    assert ours == theirs, {"only heaptui": list((ours - theirs).elements())[:10],
                            "only DevTools": list((theirs - ours).elements())[:10]}
