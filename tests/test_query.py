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
