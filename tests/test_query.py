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


def _wide(tmp_path, n=300):
    """A window holding n items by element edges (sizes with many ties) and a target that every item
    retains twice: long lists of edges, dominated children and retainers."""
    b = Builder()
    b.node("synthetic", "")
    w = b.node("object", "Window", 8)
    b.edge(0, "shortcut", "w", w)
    target = b.node("object", "Shared", 8)
    rng = np.random.default_rng(11)
    items = []
    for i in range(n):
        it = b.node("object", "Item" if i % 3 else "Other", int(rng.integers(1, 12)), id=5000 + 2 * ((i * 53) % n))
        b.edge(w, "element", i, it)
        b.edge(it, "property", "shared", target)
        b.edge(it, "property", "again", target)
        if i % 4 == 0:  # some items hold a private child: retained sizes differ from shallow ones
            b.edge(it, "property", "own", b.node("object", "Leaf", int(rng.integers(1, 40))))
        items.append(it)
    return b.write(tmp_path / "wide.heapsnapshot"), w, target, items


def test_long_lists_answer_as_short_ones(tmp_path, monkeypatch):
    """The TUI's long-list shortcuts (top k without a full sort, answers kept for the next ask) give
    what a full sort gives, the first time and from what is kept."""
    import heaptui.snapshot.query as query
    path, w, target, items = _wide(tmp_path)
    plain = open_snapshot(path, use_cache=False)
    monkeypatch.setattr(query, "BIG", 50)
    monkeypatch.setattr(query, "BIG_RETAINERS", 20)
    quick = open_snapshot(path, use_cache=False)
    h = plain.heap
    lo, hi = int(h.first_edge[w]), int(h.first_edge[w + 1])
    expected = sorted(range(lo, hi), key=lambda e: (-int(h.retained[h.edge_to[e]]), e))
    for snap in (plain, quick, quick):  # the third call answers from what the second kept
        for offset, limit in ((0, 10), (40, 100), (290, 50)):
            page, total = snap.edges_by_retained(w, offset=offset, limit=limit)
            assert total == len(items)
            assert [e.edge for e in page] == expected[offset:offset + limit]
        all_kids, count = snap.dominated(w)
        assert count == len(items) + 1 and all_kids == plain.dominated(w)[0]  # the items and the target
        assert snap.dominated(w, limit=10) == (all_kids[:10], count)
        assert snap.retainer_count(target) == plain.retainer_count(target) == 2 * len(items)
        for offset, limit in ((0, 30), (100, 50), (590, 100)):
            assert [e.edge for e in snap.retainers(target, offset=offset, limit=limit)] == \
                [e.edge for e in plain.retainers(target, offset=offset, limit=limit)]
    assert quick.answers_at_once(w, "edges") and quick.answers_at_once(w, "dominated", 10)
    assert not quick.answers_at_once(w, "dominated", 25)


def test_instance_position_is_the_index_in_the_sorted_list(tmp_path):
    path, w, target, items = _wide(tmp_path)
    snap = open_snapshot(path, use_cache=False)
    row = next(r for r in snap.classes() if r.name == "Item")
    for sort in ("retained", "shallow", "id", "distance"):
        listed, total = snap.instances(row.index, sort=sort, offset=0, limit=10_000)
        assert total == len(listed) == 200
        for v in listed[::7] + [listed[-1]]:
            assert snap.instance_position(row.index, v, sort=sort) == listed.index(v), sort
    assert snap.instance_position(row.index, w) is None


def test_ordinals_of_ids(tmp_path):
    path, w, target, items = _wide(tmp_path)
    snap = open_snapshot(path, use_cache=False)
    chosen = items[::-5]
    ids = snap.heap.node_id[chosen]
    assert snap.ordinals_of_ids(ids).tolist() == chosen


def test_comparison_members_are_the_ids_only_one_side_has(tmp_path):
    from heaptui.snapshot import SnapshotDiff

    def snapshot(name, item_ids):
        b = Builder()
        b.node("synthetic", "")
        w = b.node("object", "Window", 8, id=3)
        b.edge(0, "shortcut", "w", w)
        for i, node_id in enumerate(item_ids):
            b.edge(w, "element", i, b.node("object", "Item", 4 + i % 5, id=node_id))
        return open_snapshot(b.write(tmp_path / name), use_cache=False)

    base_ids = list(range(101, 401, 2))
    current_ids = [i for i in base_ids if i % 3] + list(range(1001, 1201, 2))
    base, current = snapshot("a.heapsnapshot", base_ids), snapshot("b.heapsnapshot", current_ids[::-1])
    diff = SnapshotDiff(base, current)
    key = next(r.key for r in diff.rows if r.name == "Item")
    added, deleted = diff.added_ordinals(key), diff.deleted_ordinals(key)
    assert sorted(current.heap.node_id[added].tolist()) == sorted(set(current_ids) - set(base_ids))
    assert sorted(base.heap.node_id[deleted].tolist()) == sorted(set(base_ids) - set(current_ids))
    assert diff.added(key) == added.tolist() and diff.deleted(key) == deleted.tolist()


def test_top_k_selection_equals_a_full_sort():
    from heaptui.snapshot.query import _sorted_top_k
    rng = np.random.default_rng(3)
    for trial in range(40):
        n = int(rng.integers(1, 300))
        size = rng.integers(0, 6 if trial % 2 else 1 << 40, size=n + 10)  # many ties, or sizes past 4 GiB
        size = size.astype(np.int64 if trial % 2 == 0 else np.uint32)
        node_id = rng.permutation(n + 10).astype(np.uint32) * 2 + 1
        members = rng.choice(n + 10, size=n, replace=False).astype(np.uint32)
        full = sorted(members.tolist(), key=lambda v: (-int(size[v]), int(node_id[v])))
        for k in (1, 2, n // 3, n - 1, n, n + 5):
            assert _sorted_top_k(members, size, node_id, k).tolist() == full[:max(k, 0)], (trial, k)


def test_id_order_is_the_ids_sorted():
    from heaptui.snapshot import kernels as K
    rng = np.random.default_rng(5)
    for n in (0, 1, 7, 5000):
        ids = rng.choice(1 << 32, size=n, replace=False).astype(np.uint32)  # high and low halves both vary
        ids[: n // 3] &= 0xFFFF  # and some below 2^16
        ids = np.unique(ids)
        rng.shuffle(ids)
        assert K.id_order(ids).tolist() == np.argsort(ids, kind="stable").tolist()


def test_cache_keeps_class_members_and_id_order(tmp_path):
    from heaptui.snapshot import IndexCache
    path, w, target, items = _wide(tmp_path)
    cache = IndexCache(str(tmp_path / "index"))
    fresh = open_snapshot(path, cache=cache)
    assert not fresh.from_cache and fresh.heap.id_order is None
    first, members = fresh.heap.class_members()
    order = fresh.heap.ordinals_by_id()  # built now, added to the entry
    again = open_snapshot(path, cache=cache)
    assert again.from_cache
    assert np.array_equal(again.heap.member_first, first) and np.array_equal(again.heap.members, members)
    assert np.array_equal(again.heap.id_order, order)
    row = next(r for r in again.classes() if r.name == "Item")
    assert again.instances(row.index, limit=1000) == fresh.instances(row.index, limit=1000)
