"""`heaptui closure`: a function's source lines and the variables its scopes keep alive, on a snapshot
node writes of a real closure over a large array (an inner and an outer scope)."""
import json
import re
import subprocess
import sys

import pytest

from heaptui.snapshot import open_snapshot

SCRIPT = r"""
const v8 = require('v8');
function makeHandler() {
  const outerTable = new Array(50000).fill(0).map((_, i) => ({ i }));
  return function wrap() {
    const payload = 'p'.repeat(70000);
    return function handleOrder(x) {  // handleOrder: the closure under test
      return payload.length + outerTable.length + x;
    };
  };
}
globalThis.kept = makeHandler()();
v8.writeHeapSnapshot(process.argv[2]);
"""


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    d = tmp_path_factory.mktemp("closure")
    (d / "make.js").write_text(SCRIPT)
    path = d / "closure.heapsnapshot"
    subprocess.run(["node", str(d / "make.js"), str(path)], check=True, timeout=300)
    return path


def heaptui(*args):
    return subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def test_closure_shows_source_and_what_each_scope_keeps(snapshot):
    snap = open_snapshot(snapshot)
    found = [v for v in snap.search("handleOrder", case_sensitive=True)
             if snap.heap.node_type_names[snap.heap.node_type[v]] == "closure"]
    assert len(found) == 1
    node_id = int(snap.heap.node_id[found[0]])
    r = heaptui("closure", snapshot, f"@{node_id}", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["location"].endswith("make.js:7:32")  # V8 places a function at its parameters
    assert any(line["line"] == 7 and "function handleOrder" in line["text"] for line in doc["source"])
    names = [[v["name"] for v in scope["variables"]] for scope in doc["scopes"]]
    assert names[0] == ["payload"] and "outerTable" in names[1]
    table = next(v for v in doc["scopes"][1]["variables"] if v["name"] == "outerTable")
    w = snap.find_id(table["id"])
    assert table["retained_size"] == int(snap.heap.retained[w]) > 50000 * 8  # its elements and objects
    text = heaptui("closure", snapshot, f"@{node_id}").stdout
    assert "handleOrder" in text and "outerTable" in text
    assert re.search(r"^ >\s+7 \| .*function handleOrder", text, re.M)  # the definition's line marked


def test_closure_of_something_else_is_one_line(snapshot):
    r = heaptui("closure", snapshot, "@1")
    assert r.returncode == 2 and r.stderr.startswith("heaptui: error: @1 is a") and r.stderr.count("\n") == 1
