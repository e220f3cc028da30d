"""The query API the TUI calls: instance pages, ids, edges, retainers, paths."""
import numpy as np

from heaptui.snapshot import open_snapshot
from snapbuilder import Builder


def many_instances(tmp_path, n=400):
    b = Builder()
    b.node("synthetic", "")
    w = b.node("object", "Window", 8)
    b.edge(0, "shortcut", "w", w)
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 20, size=n)  # many ties, so the id tie-break matters
    items = []
    for i in range(n):
        it = b.node("object", "Item", int(sizes[i]), id=1000 + 2 * ((i * 37) % n))
        b.edge(w, "element", i, it)
        items.append(it)
    return open_snapshot(b.write(tmp_path / "m.heapsnapshot"), use_cache=False), items


def reference_order(snap, items, sort):
    h = snap.heap
    if sort == "retained":
        return sorted(items, key=lambda v: (-int(h.retained[v]), int(h.node_id[v])))
    if sort == "shallow":
        return sorted(items, key=lambda v: (-int(h.self_size[v]), int(h.node_id[v])))
    return sorted(items, key=lambda v: int(h.node_id[v]))


def test_instance_pages_match_a_full_sort(tmp_path):
    snap, items = many_instances(tmp_path)
    row = next(r for r in snap.classes() if r.name == "Item")
    for sort in ("retained", "shallow", "id"):
        expected = reference_order(snap, items, sort)
        for offset, limit in ((0, 10), (10, 20), (0, 100), (350, 100)):
            page, total = snap.instances(row.index, sort=sort, offset=offset, limit=limit)
            assert total == len(items)
            assert page == expected[offset:offset + limit], (sort, offset)


def test_find_id_and_edges_and_retainers(tmp_path):
    snap, items = many_instances(tmp_path, n=10)
    v = items[3]
    assert snap.find_id(int(snap.heap.node_id[v])) == v
    assert snap.find_id(999999) is None and snap.find_id(-1) is None
    w = snap.find_id(3)
    labels = [e.label for e in snap.edges(w)]
    assert labels == [f"[{i}]" for i in range(10)]
    assert [(e.label, e.source) for e in snap.retainers(v)] == [("[3]", w)]
    path = snap.retaining_path(v)
    assert [p.source for p in path] == [0, w] and path[-1].target == v


def test_retainer_pages_match_devtools_order(tmp_path):
    from heaptui.snapshot.names import js_order_key
    b = Builder()
    b.node("synthetic", "")
    w = b.node("object", "Window", 8)
    b.edge(0, "shortcut", "w", w)
    target = b.node("object", "Shared", 8)
    names = ["b", "a", "Zed", "é", "a", "c"]
    parents = [w]
    for i in range(300):  # retainers at several distances, with repeated names
        p = b.node("object", names[i % len(names)], 4)
        b.edge(parents[(i * 7) % len(parents)], "property", f"p{i}", p)
        b.edge(p, "property", "shared", target)
        b.edge(p, "property", "again", target)
        parents.append(p)
    b.edge(w, "weak", "w", target)
    snap = open_snapshot(b.write(tmp_path / "r.heapsnapshot"), use_cache=False)
    h = snap.heap
    full = snap.retainers(target)
    assert len(full) == snap.retainer_count(target) == 600
    assert all(e.type != "weak" for e in full)
    # DevTools breaks ties by retainer slot, and a node's slots hold its incoming edges last first.
    key = lambda e: (int(h.distance[e.source]), js_order_key(snap.raw_name(e.source)), -e.edge)
    assert [e.edge for e in full] == [e.edge for e in sorted(full, key=key)]
    for offset, limit in ((0, 10), (5, 20), (590, 100)):
        assert [e.edge for e in snap.retainers(target, offset=offset, limit=limit)] == \
            [e.edge for e in full[offset:offset + limit]]


def test_name_rank_is_javascript_string_order(tmp_path):
    from heaptui.snapshot.names import js_order_key
    b = Builder()
    b.node("synthetic", "")
    names = ["b", "a", "", "\ufb01x", "\U0001f600", "\ue000", "Z", "é", "ab", "a b", "\ud7ff"]
    ids = [b.node("object", n, 4) for n in names]
    for i in ids:
        b.edge(0, "element", i, i)
    snap = open_snapshot(b.write(tmp_path / "n.heapsnapshot"), use_cache=False)
    rank = snap.name_rank()
    by_rank = sorted(set(names), key=lambda n: rank[snap.heap.node_name[ids[names.index(n)]]])
    assert by_rank == sorted(set(names), key=js_order_key)
