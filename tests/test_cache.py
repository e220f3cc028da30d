"""The index cache: reused when the file is the same, never when it changed, rebuilt when damaged."""
import json
import os
import stat

import numpy as np
import pytest

from heaptui.snapshot import IndexCache, open_snapshot
from snapbuilder import Builder


def make(path, extra_size=0, name="A"):
    b = Builder()
    b.node("synthetic", "")
    w = b.node("object", "Window", 10)
    a = b.node("object", name, 20 + extra_size)
    s = b.node("string", "some secret text", 32)
    b.edge(0, "shortcut", "w", w)
    b.edge(w, "property", "a", a)
    b.edge(a, "property", "s", s)
    return b.write(path)


def summary(snap):
    return [(r.name, r.count, r.self_size, r.retained_size, r.distance) for r in snap.classes()]


@pytest.fixture
def cache(tmp_path):
    return IndexCache(str(tmp_path / "cache"))


def test_second_open_comes_from_cache(tmp_path, cache):
    p = make(tmp_path / "a.heapsnapshot")
    first = open_snapshot(p, cache=cache)
    assert not first.from_cache and first.cache_entry
    second = open_snapshot(p, cache=cache)
    assert second.from_cache
    assert summary(first) == summary(second)
    assert second.statistics() == first.statistics()
    assert second.node(2).as_json() == first.node(2).as_json()
    assert [e.label for e in second.retaining_path(3)] == [e.label for e in first.retaining_path(3)]
    assert second.find_id(5) == first.find_id(5)


def test_entries_are_private(tmp_path, cache):
    p = make(tmp_path / "a.heapsnapshot")
    entry = open_snapshot(p, cache=cache).cache_entry
    assert stat.S_IMODE(os.stat(entry).st_mode) == 0o700
    for name in os.listdir(entry):
        assert stat.S_IMODE(os.stat(os.path.join(entry, name)).st_mode) == 0o600


def test_changed_file_is_reindexed(tmp_path, cache):
    p = make(tmp_path / "a.heapsnapshot")
    open_snapshot(p, cache=cache)
    make(p, extra_size=1000)
    again = open_snapshot(p, cache=cache)
    assert not again.from_cache
    assert dict((r[0], r[2]) for r in summary(again))["A"] == 1020


def test_replaced_file_with_same_size_and_mtime_is_reindexed(tmp_path, cache):
    p = make(tmp_path / "a.heapsnapshot", name="A")
    st = os.stat(p)
    open_snapshot(p, cache=cache)
    q = make(tmp_path / "b.heapsnapshot", name="B")
    os.replace(q, p)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = open_snapshot(p, cache=cache)
    assert not again.from_cache
    assert "B" in dict((r[0], r) for r in summary(again))


def test_truncated_file_is_not_served_from_cache(tmp_path, cache):
    p = make(tmp_path / "a.heapsnapshot")
    open_snapshot(p, cache=cache)
    data = p.read_bytes()
    p.write_bytes(data[:len(data) // 2])
    from heaptui.snapshot import SnapshotError
    with pytest.raises(SnapshotError):
        open_snapshot(p, cache=cache)


@pytest.mark.parametrize("damage", ["manifest", "array", "shape", "missing", "strings"])
def test_damaged_entry_is_rebuilt(tmp_path, cache, damage):
    p = make(tmp_path / "a.heapsnapshot")
    first = open_snapshot(p, cache=cache)
    entry = first.cache_entry
    if damage == "manifest":
        with open(os.path.join(entry, "manifest.json"), "w") as f:
            f.write("{not json")
    elif damage == "array":
        with open(os.path.join(entry, "retained.npy"), "r+b") as f:
            f.truncate(20)
    elif damage == "shape":
        np.save(os.path.join(entry, "distance.npy"), np.zeros(2, np.int32))
    elif damage == "missing":
        os.unlink(os.path.join(entry, "idom.npy"))
    elif damage == "strings":
        np.save(os.path.join(entry, "strings_blob.npy"), np.zeros(1, np.uint8))
    again = open_snapshot(p, cache=cache)
    assert not again.from_cache
    assert summary(again) == summary(first)
    assert open_snapshot(p, cache=cache).from_cache


def test_read_only_cache_falls_back_beside_the_file(tmp_path):
    if os.geteuid() == 0:
        # root ignores permission bits: make the cache root a file instead, which nobody can write into
        blocked = tmp_path / "blocked"
        blocked.write_text("")
        cache = IndexCache(str(blocked / "cache"))
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        cache = IndexCache(str(ro / "cache"))
    p = make(tmp_path / "a.heapsnapshot")
    first = open_snapshot(p, cache=cache)
    assert first.cache_entry.startswith(str(tmp_path / ".heaptui-index"))
    assert open_snapshot(p, cache=cache).from_cache


def test_nowhere_writable_still_works(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    cache = IndexCache(str(blocked / "cache"))
    d = tmp_path / "data"
    d.mkdir()
    p = make(d / "a.heapsnapshot")
    (d / ".heaptui-index").write_text("")  # a file where the fallback directory would go
    snap = open_snapshot(p, cache=cache)
    assert snap.cache_entry is None and not snap.from_cache
    assert summary(snap)


def test_cli_no_cache_neither_reads_nor_writes(tmp_path):
    import subprocess
    import sys
    p = make(tmp_path / "a.heapsnapshot")
    env = dict(os.environ, HEAPTUI_CACHE_DIR=str(tmp_path / "c"))
    run = lambda *a: subprocess.run([sys.executable, "-m", "heaptui", *a], env=env,
                                    capture_output=True, text=True, timeout=120)
    r = run("summary", str(p), "--json", "--no-cache")
    assert r.returncode == 0 and not (tmp_path / "c" / "index").exists()
    r = run("summary", str(p), "--json")
    assert r.returncode == 0 and len(os.listdir(tmp_path / "c" / "index")) == 1
    assert json.loads(r.stdout) == json.loads(run("summary", str(p), "--json").stdout)


def test_retainer_index_is_added_to_the_entry_when_first_built(tmp_path, cache):
    p = make(tmp_path / "a.heapsnapshot")
    first = open_snapshot(p, cache=cache)
    assert not os.path.exists(os.path.join(first.cache_entry, "ret_edge.npy"))
    names = [e.label for e in first.retainers(2)]
    assert os.path.exists(os.path.join(first.cache_entry, "ret_edge.npy"))
    again = open_snapshot(p, cache=cache)
    assert again.from_cache and again.heap.ret_first is not None
    assert [e.label for e in again.retainers(2)] == names == [".a"]


def test_eviction_never_touches_other_directories(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    for i in range(12):
        (shared / f"my-project-{i}").mkdir(parents=True)
        (shared / f"my-project-{i}" / "notes.txt").write_text("keep me")
    monkeypatch.setenv("HEAPTUI_CACHE_DIR", str(shared))
    for i in range(10):  # more snapshots than entries kept
        p = make(tmp_path / f"s{i}.heapsnapshot", extra_size=i)
        open_snapshot(p)
    assert all((shared / f"my-project-{i}" / "notes.txt").exists() for i in range(12))
    entries = os.listdir(shared / "index")
    assert 1 <= len(entries) <= 8


def test_a_gzipped_snapshot_opens_as_it_is(tmp_path, monkeypatch):
    """.heapsnapshot.gz opens directly (decompressed to a private file that is removed after the
    parse), with the same numbers as the plain file; its index is cached for the .gz itself."""
    import gzip
    from heaptui.snapshot import IndexCache, SnapshotError
    monkeypatch.setenv("HEAPTUI_CACHE_DIR", str(tmp_path / "home"))
    p = make(tmp_path / "a.heapsnapshot")
    gz = tmp_path / "a.heapsnapshot.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    plain = [r.as_json() for r in open_snapshot(p, use_cache=False).classes()]
    cache = IndexCache(str(tmp_path / "index"))
    first = open_snapshot(gz, cache=cache)
    assert not first.from_cache and [r.as_json() for r in first.classes()] == plain
    again = open_snapshot(gz, cache=cache)
    assert again.from_cache and [r.as_json() for r in again.classes()] == plain
    assert os.listdir(tmp_path / "home" / "unpack") == []  # nothing left behind
    broken = tmp_path / "broken.heapsnapshot.gz"
    broken.write_bytes(gz.read_bytes()[:-40])
    with pytest.raises(SnapshotError, match="gzip stream is damaged or truncated"):
        open_snapshot(broken, use_cache=False)
    assert os.listdir(tmp_path / "home" / "unpack") == []
    twice = tmp_path / "twice.heapsnapshot.gz"
    twice.write_bytes(gzip.compress(gz.read_bytes()))
    with pytest.raises(SnapshotError, match="compressed twice"):
        open_snapshot(twice, use_cache=False)


def test_the_trace_tree_streams_into_arrays_and_stays_out_of_the_manifest(tmp_path):
    """A nested trace tree becomes (id, function, parent) arrays as it streams in; stacks follow the
    parents; the index keeps them as arrays, so the JSON manifest stays small whatever the tree's size."""
    from heaptui.snapshot import IndexCache
    doc = json.loads(open(make(tmp_path / "plain.heapsnapshot")).read())
    # functions 0 (root), 1 main, 2 helper; trace nodes 1 (root) > 2 (main) > 3 (helper), and 4 (main again)
    doc["strings"] += ["(root)", "main", "helper"]
    root_s, main_s, helper_s = (len(doc["strings"]) - 3 + i for i in range(3))
    doc["trace_function_infos"] = [0, root_s, 0, 0, 0, 0, 1, main_s, 0, 0, 3, 1, 2, helper_s, 0, 0, 7, 2]
    doc["snapshot"]["trace_function_count"] = 3
    doc["trace_tree"] = [1, 0, 0, 0, [2, 1, 0, 0, [3, 2, 0, 0, []], 4, 1, 0, 0, [5000, 2, 0, 0, []] * 50]]
    path = tmp_path / "traced.heapsnapshot"
    path.write_text(json.dumps(doc))
    cache = IndexCache(str(tmp_path / "index"))
    snap = open_snapshot(path, cache=cache)
    h = snap.heap
    nodes = {}
    for i, parent, fn in zip(h.trace_ids.tolist(), h.trace_parents.tolist(), h.trace_functions.tolist()):
        nodes.setdefault(i, []).append((parent, fn))
    assert len(h.trace_ids) == 54
    assert {i: nodes[i] for i in (1, 2, 3, 4)} == {1: [(0, 0)], 2: [(1, 1)], 3: [(2, 2)], 4: [(1, 1)]}
    assert nodes[5000] == [(4, 2)] * 50
    traces = snap.allocation_traces()
    h.node_trace = np.full(h.node_count, 3, dtype=np.uint32)  # every object allocated under helper
    assert [f.function for f in traces.stack(0)] == ["helper", "main"]
    again = open_snapshot(path, cache=cache)
    assert again.from_cache and list(again.heap.trace_parents) == list(h.trace_parents)
    manifest = json.load(open(os.path.join(again.cache_entry, "manifest.json")))
    assert "trace_tree" not in manifest
