"""A snapshot served from the index cache is summarised (Summary, Statistics) without importing numba (about a fifth of a
second, and more to set up its compiler): heaptui's kernels are made on their first call only."""
import json
import os
import subprocess
import sys

from heaptui.snapshot import IndexCache, open_snapshot

PROBE = """
import contextlib, io, json, sys
from heaptui.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(sys.argv[1:])
print(json.dumps({"status": status, "numba": "numba" in sys.modules, "loader": "heaptui.snapshot.loader" in
                  sys.modules, "out": out.getvalue()}))
"""


def _probe(cache_dir, *args):
    env = dict(os.environ, HEAPTUI_CACHE_DIR=str(cache_dir))
    proc = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_cached_summary_and_statistics_do_not_import_numba(parity_snapshots, tmp_path):
    path = parity_snapshots["classes"]
    fresh = open_snapshot(path, cache=IndexCache(str(tmp_path / "index")))  # what the CLI finds there
    assert not fresh.from_cache
    expected = [r.as_json() for r in fresh.classes(sort="retained")]
    got = _probe(tmp_path, "summary", path, "--json")
    assert got["status"] == 0 and not got["numba"] and not got["loader"], got
    assert json.loads(got["out"]) == expected
    got = _probe(tmp_path, "stats", path, "--json")
    assert got["status"] == 0 and not got["numba"] and json.loads(got["out"]), got
    # A class's instances too: the index holds every class's members.
    row = next(r for r in fresh.classes(sort="retained") if r.count > 3)
    got = _probe(tmp_path, "instances", path, row.name, "--json", "--top", "0")
    assert got["status"] == 0 and not got["numba"], got
    listed, _total = fresh.instances(row.index, offset=0, limit=row.count)
    assert [o["id"] for o in json.loads(got["out"])] == [int(fresh.heap.node_id[v]) for v in listed]
    # Indexing does need the kernels: the same probe on a copy the cache has never seen imports numba.
    copy = tmp_path / "copy.heapsnapshot"
    copy.write_bytes(path.read_bytes())
    got = _probe(tmp_path, "summary", copy, "--json", "--no-cache")
    assert got["status"] == 0 and got["numba"] and json.loads(got["out"]) == expected, got["status"]
