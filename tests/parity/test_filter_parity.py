"""DevTools' named Summary filters (duplicated strings, objects retained by detached DOM nodes, by the
DevTools console) against DevTools' own code, row by row, on every scenario snapshot."""
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import scenario_names

SCRIPT = Path(__file__).parent / "devtools_filters.mjs"
ROOT = Path(__file__).parent.parent.parent
KEYS = ("name", "count", "distance", "self_size", "retained_size")


@pytest.fixture(scope="module")
def devtools_filters(parity_snapshots, toolkit_dir):
    out = {}
    for name, path in parity_snapshots.items():
        done = subprocess.run(["node", str(SCRIPT), str(path)], capture_output=True, text=True, timeout=600,
                              env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)))
        assert done.returncode == 0, done.stderr
        out[name] = json.loads(done.stdout)
    return out


@pytest.mark.parametrize("scenario", scenario_names())
@pytest.mark.parametrize("filter_name", ["duplicated-strings", "retained-by-detached-dom", "retained-by-console"])
def test_named_filter_rows_equal_devtools(scenario, filter_name, parity_snapshots, devtools_filters):
    r = subprocess.run([sys.executable, "-m", "heaptui", "summary", str(parity_snapshots[scenario]), "--filter",
                        filter_name, "--json"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    ours = Counter(tuple(row[k] for k in KEYS) for row in json.loads(r.stdout))
    theirs = Counter(tuple(row[k] for k in KEYS) for row in devtools_filters[scenario][filter_name])
    assert ours == theirs, {"only heaptui": list((ours - theirs).elements())[:10],
                            "only DevTools": list((theirs - ours).elements())[:10]}


def test_the_strings_scenario_has_duplicates_to_compare(devtools_filters):
    """The comparison above is not vacuous: the scenarios do hold duplicated strings."""
    assert sum(row["count"] for row in devtools_filters["strings"]["duplicated-strings"]) > 10


def test_the_chromium_snapshot_has_objects_retained_by_detached_dom(devtools_filters):
    """The detached-DOM filter is compared on a real page (tests/fixtures), not only on Node's."""
    rows = devtools_filters["chromium_detached_dom"]["retained-by-detached-dom"]
    assert sum(row["count"] for row in rows if row["name"] == "Detached <li>") == 20
