"""Source locations as DevTools shows them: the script's file name, 1-based line and column.

The snapshots are made by node from a script written here, so the expected places are read off the
script's own text. V8 records a function's position as the opening parenthesis of its parameter
list (for a class, that of its constructor); the snapshot numbers lines and columns from 0.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from heaptui.cli import main
from heaptui.snapshot import IndexCache, open_snapshot
from heaptui.snapshot.hunt import find_suspects
from snapbuilder import Builder

SCRIPT = """\
'use strict';
const v8 = require('v8');

function makeCounter(start) {
  return function countUp(step) { return (start += step); };
}

class Ledger {
  constructor(n) { this.entries = new Array(n).fill(n); }
}

globalThis.counter = makeCounter(1);
globalThis.ledgers = [];
const out = process.argv[2];
const rounds = Number(process.argv[3]);
for (let i = 0; i < rounds; i++) {
  for (let k = 0; k < 5; k++) globalThis.ledgers.push(new Ledger(k + 1));
  v8.writeHeapSnapshot(`${out}.${i}.heapsnapshot`);
}
"""


def where(script, marker):
    """1-based (line, column) of the parenthesis that follows `marker` in the script."""
    for number, text in enumerate(SCRIPT.splitlines(), 1):
        if marker in text:
            return f"{script}:{number}:{text.index(marker) + len(marker) + 1}"
    raise AssertionError(marker)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """(script path, [snapshot paths]): three snapshots of one process, five more Ledgers each time."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on the PATH")
    d = tmp_path_factory.mktemp("located")
    script = d / "located.js"
    script.write_text(SCRIPT)
    subprocess.run([node, str(script), str(d / "snap"), "3"], cwd=d, check=True, timeout=120)
    return str(script), [str(d / f"snap.{i}.heapsnapshot") for i in range(3)]


@pytest.fixture(scope="module")
def snap(made):
    return open_snapshot(made[1][-1], use_cache=False)


def named(snap, type_, name):
    located = [int(v) for v in snap.heap.loc_nodes]
    return [v for v in located if snap.node_type_name(v) == type_ and snap.raw_name(v) == name]


def test_a_function_is_located_in_its_file(snap, made):
    script = made[0]
    [counter] = named(snap, "closure", "countUp")
    loc = snap.source_location(counter)
    assert str(loc) == where(script, "function countUp")
    assert loc.script == script and loc.script_id > 0
    [factory] = named(snap, "closure", "makeCounter")
    assert str(snap.source_location(factory)) == where(script, "function makeCounter")


def test_objects_and_their_class_row_are_located_at_the_constructor(snap, made):
    expected = where(made[0], "  constructor")
    ledgers = named(snap, "object", "Ledger")
    assert len(ledgers) == 15
    assert {str(snap.source_location(v)) for v in ledgers} == {expected}
    [row] = [r for r in snap.classes() if r.name == "Ledger"]
    assert str(snap.class_location(row.index)) == expected
    [plain] = [r for r in snap.classes() if r.name == "Array"]
    assert snap.class_location(plain.index) is None  # keyed by its name only


def test_node_internals_keep_their_node_names(snap):
    names = snap.heap.script_names()
    assert any(n.startswith("node:internal/") for n in names.values())
    assert snap.heap.script_names() is names  # found once per snapshot


def test_an_object_without_a_location(snap):
    assert snap.source_location(snap.root) is None


def test_locations_survive_the_index_cache(made, tmp_path):
    cache = IndexCache(str(tmp_path / "index"))
    path = made[1][0]
    open_snapshot(path, cache=cache)
    again = open_snapshot(path, cache=cache)
    assert again.from_cache
    [counter] = named(again, "closure", "countUp")
    assert str(again.source_location(counter)) == where(made[0], "function countUp")


def test_object_command_shows_the_file(made, snap, capsys):
    [counter] = named(snap, "closure", "countUp")
    object_id = f"@{int(snap.heap.node_id[counter])}"
    expected = where(made[0], "function countUp")
    assert main(["object", made[1][-1], object_id, "--no-cache"]) == 0
    assert f"  defined at {expected}\n" in capsys.readouterr().out
    assert main(["object", made[1][-1], object_id, "--no-cache", "--json"]) == 0
    loc = json.loads(capsys.readouterr().out)["location"]
    assert f"{loc['script']}:{loc['line']}:{loc['column']}" == expected


def test_hunt_suspects_name_the_file(made):
    """The Ledgers that arrive each round are attributed to their constructor's place."""
    suspects = find_suspects([open_snapshot(p, use_cache=False) for p in made[1]], min_bytes=0)
    assert where(made[0], "  constructor") in json.dumps([s.as_json() for s in suspects])


def test_a_script_without_a_name_is_shown_by_its_id(tmp_path):
    """A hand-built snapshot has locations but no Script nodes to name them."""
    b = Builder()
    root = b.node("synthetic", "", id=1)
    fn = b.node("closure", "f", self_size=32)
    b.edge(root, "element", 1, fn)
    b.location(fn, 7, 2, 3)
    s = open_snapshot(b.write(tmp_path / "tiny.heapsnapshot"), use_cache=False)
    loc = s.source_location(fn)
    assert (loc.script, loc.line, loc.column) == ("", 3, 4)
    assert str(loc) == "script 7:3:4"
