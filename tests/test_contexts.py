"""Realms (native contexts): DevTools' attribution of objects to the context that alone reaches them,
on hand-built graphs that pin each rule, and on a real snapshot with vm contexts."""
import json
import subprocess
import sys

import numpy as np

from heaptui.snapshot import open_snapshot
from heaptui.snapshot.contexts import NO_CONTEXT, SHARED
from snapbuilder import Builder


def _two_realms(tmp_path):
    """Two NativeContexts A and B. a1 belongs to A by its map's map (the meta map's native_context);
    a2 is reached only from A; s from both; w only by a weak edge from B and k only by a shortcut;
    b1 only from B, and b1 also points at a1, which stays A's (a seed never changes owner)."""
    b = Builder()
    root = b.node("synthetic", "", 0)
    gc = b.node("synthetic", "(GC roots)", 0)
    A = b.node("hidden", "system / NativeContext", 100)
    B = b.node("hidden", "Detached system / NativeContext / https://b.example/", 100)
    meta_a = b.node("object shape", "system / Map", 40)
    map_a = b.node("object shape", "system / Map", 40)
    a1 = b.node("object", "Alpha", 10)
    a2 = b.node("object", "Alpha2", 20)
    s = b.node("object", "Shared", 30)
    w = b.node("object", "WeakOnly", 50)
    k = b.node("object", "ShortcutOnly", 60)
    b1 = b.node("object", "Beta", 70)
    lone = b.node("object", "Lone", 80)
    b.edge(root, "element", 1, gc)
    b.edge(gc, "element", 1, A)
    b.edge(gc, "element", 2, B)
    b.edge(gc, "element", 3, lone)
    b.edge(root, "shortcut", "k", k)
    b.edge(a1, "internal", "map", map_a)
    b.edge(map_a, "internal", "map", meta_a)
    b.edge(meta_a, "internal", "native_context", A)
    b.edge(A, "internal", "x", a2)
    b.edge(a2, "property", "s", s)
    b.edge(B, "internal", "y", b1)
    b.edge(b1, "property", "s", s)
    b.edge(b1, "property", "a", a1)
    b.edge(B, "weak", "w", w)
    b.edge(A, "shortcut", "k", k)
    snap = open_snapshot(b.write(tmp_path / "realms.heapsnapshot"), use_cache=False)
    return snap, dict(A=A, B=B, a1=a1, a2=a2, s=s, w=w, k=k, b1=b1, lone=lone, meta_a=meta_a, map_a=map_a)


def test_each_rule_of_the_attribution(tmp_path):
    snap, n = _two_realms(tmp_path)
    owner = snap.context_owners()
    assert owner[n["A"]] == n["A"] and owner[n["B"]] == n["B"]  # contexts own themselves, Detached too
    assert owner[n["a1"]] == n["A"]  # by its meta map, though B reaches it as well
    assert owner[n["a2"]] == n["A"]  # reached from A only
    assert owner[n["b1"]] == n["B"]
    assert owner[n["s"]] == SHARED  # reached from both
    assert owner[n["w"]] == NO_CONTEXT  # weak edges do not carry ownership
    assert owner[n["k"]] == NO_CONTEXT  # nor do shortcuts
    assert owner[n["lone"]] == NO_CONTEXT
    assert owner[n["map_a"]] == n["A"] and owner[n["meta_a"]] == n["A"]  # a1's map, reached from a1


def test_context_rows_and_summary_filter(tmp_path):
    snap, n = _two_realms(tmp_path)
    rows = {r.key: r for r in snap.native_contexts()}
    a = rows[f"@{int(snap.heap.node_id[n['A']])}"]
    assert (a.objects, a.size) == (5, 100 + 10 + 20 + 40 + 40)  # A, a1, a2, a1's map and meta map
    assert rows["shared"].objects == 1 and rows["shared"].size == 30
    assert sum(r.size for r in rows.values()) == int(np.asarray(snap.heap.self_size, dtype=np.int64).sum())
    names = {r.name for r in snap.classes(mask=snap.context_mask(a.key))}
    assert {"Alpha", "Alpha2"} <= names and "Beta" not in names and "Shared" not in names
    assert {r.name for r in snap.classes(mask=snap.context_mask("shared"))} == {"Shared"}


def test_vm_contexts_are_realms_on_the_command_line(parity_snapshots):
    """vm_contexts.js makes five vm contexts beside the main one: six realms, and their sizes with the
    shared and context-less objects add up to the heap's; --context filters the Summary to one."""
    path = str(parity_snapshots["vm_contexts"])
    r = subprocess.run([sys.executable, "-m", "heaptui", "contexts", path, "--json", "--no-cache"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    realms = [row for row in rows if row["id"] is not None]
    assert len(realms) == 6
    assert [row["key"] for row in rows[-2:]] == ["shared", "none"]
    snap = open_snapshot(path, use_cache=False)
    assert sum(row["size"] for row in rows) == int(np.asarray(snap.heap.self_size, dtype=np.int64).sum())
    biggest = realms[0]
    s = subprocess.run([sys.executable, "-m", "heaptui", "summary", path, "--context", biggest["key"], "--json",
                        "--no-cache"], capture_output=True, text=True, timeout=600)
    assert s.returncode == 0, s.stderr
    summary = json.loads(s.stdout)
    assert sum(row["count"] for row in summary) <= biggest["objects"]  # 0-size objects are not in the Summary
    assert sum(row["self_size"] for row in summary) == biggest["size"]
    bad = subprocess.run([sys.executable, "-m", "heaptui", "summary", path, "--context", "@1"],
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and bad.stderr.startswith("heaptui: error: no context '@1'")
