"""DevTools' own unit-test vectors (semantics doc, Appendix A) and the derived ones of Appendix B."""
import json

import numpy as np
import pytest

from heaptui.snapshot import open_snapshot
from heaptui.snapshot.kernels import FLAG_PAGE, FLAG_QUERYABLE
from snapbuilder import Builder

BASE = 100000000


def open_doc(tmp_path, doc, name="s.heapsnapshot"):
    p = tmp_path / name
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return open_snapshot(p, use_cache=False)


def open_built(tmp_path, b):
    return open_snapshot(b.write(tmp_path / "b.heapsnapshot"), use_cache=False)


def classes_by_name(snap):
    return {r.name: r for r in snap.classes()}


A1 = {"snapshot": {"meta": {
    "node_fields": ["type", "name", "id", "self_size", "retained_size", "dominator", "edge_count"],
    "node_types": [["hidden", "object"], "", "", "", "", "", ""],
    "edge_fields": ["type", "name_or_index", "to_node"],
    "edge_types": [["element", "property", "shortcut"], "", ""],
    "location_fields": ["object_index", "script_id", "line", "column"],
    "trace_function_info_fields": ["function_id", "name", "script_name", "script_id", "line", "column"],
    "trace_node_fields": ["id", "function_info_index", "count", "size", "children"]},
    "node_count": 6, "edge_count": 7, "trace_function_count": 1},
    "nodes": [0, 0, 1, 0, 20, 0, 2, 1, 1, 2, 2, 2, 0, 2, 1, 2, 3, 3, 8, 0, 2, 1, 3, 4, 4, 10, 0, 1,
              1, 4, 5, 5, 5, 14, 0, 1, 5, 6, 6, 6, 21, 0],
    "edges": [1, 6, 7, 1, 7, 14, 0, 1, 14, 1, 8, 21, 1, 9, 21, 1, 10, 28, 1, 11, 35],
    "trace_function_infos": [0, 2, 1, 0, 0, 0], "trace_tree": [1, 0, 0, 0, []],
    "locations": [0, 1, 2, 3, 18, 2, 3, 4],
    "strings": ["", "A", "B", "C", "D", "E", "a", "b", "ac", "bc", "bd", "ce"]}


def test_a1_mock_snapshot(tmp_path):
    s = open_doc(tmp_path, A1)
    h = s.heap
    assert s.node_count == 6
    assert s.statistics().total == 20
    assert list(h.first_edge) == [0, 2, 4, 6, 7, 7, 7]  # DevTools' [0,6,12,18,21,21,21] / 3
    assert list(h.idom) == [0, 0, 0, 0, 2, 3]
    assert list(h.retained) == [20, 2, 8, 10, 5, 6]
    # dominatedNodes [21,14,7,28,35] and firstDominatedNodeIndex [0,3,3,4,5,5,5], as ordinals
    dom_first, dom_children = h.dominated_children()
    assert list(dom_children) == [3, 2, 1, 4, 5]
    assert list(dom_first) == [0, 3, 3, 4, 5, 5, 5]
    assert list(h.distance) == [BASE, 1, 1, 2, 2, 3]
    rows = classes_by_name(s)
    for name, count, self_size, retained in [("A", 1, 2, 2), ("B", 1, 3, 8), ("C", 1, 4, 10),
                                              ("D", 1, 5, 5), ("E", 1, 6, 6)]:
        r = rows[name]
        assert (r.count, r.self_size, r.retained_size) == (count, self_size, retained)
    retainer_names = {}
    for v in range(6):
        retainer_names[s.raw_name(v)] = sorted(s.raw_name(e.source) for e in s.retainers(v, include_weak=True))
    assert retainer_names == {"": [], "A": [""], "B": ["", "A"], "C": ["A", "B"], "D": ["B"], "E": ["C"]}
    assert s.instances(rows["C"].index)[0] == [3]


def test_a1_locations_and_node_order(tmp_path):
    s = open_doc(tmp_path, A1)
    assert s.heap.location_of(0) == (1, 2, 3)
    # DevTools keys locations by raw node index; 18 is not a multiple of the 7 node fields, so that
    # record belongs to no node.
    assert [s.heap.location_of(v) for v in range(1, 6)] == [None] * 5
    names = sorted(((s.raw_name(v), int(s.heap.node_id[v])) for v in range(6)), reverse=True)
    assert [n for n, _ in names] == ["E", "D", "C", "B", "A", ""]


A2 = {"snapshot": {"meta": {"node_fields": ["type", "name", "id", "edge_count"],
                            "node_types": [["hidden", "object", "synthetic"], "", "", ""],
                            "edge_fields": ["type", "name_or_index", "to_node"],
                            "edge_types": [["element", "hidden", "internal"], "", ""],
                            "location_fields": ["object_index", "script_id", "line", "column"]},
                   "node_count": 13, "edge_count": 13},
      "nodes": [2, 0, 1, 4, 1, 11, 2, 2, 1, 11, 3, 3, 2, 5, 4, 0, 2, 6, 5, 1, 1, 1, 6, 0, 1, 2, 7, 1,
                1, 4, 8, 2, 1, 8, 9, 0, 1, 7, 10, 0, 1, 3, 11, 0, 1, 10, 12, 0, 1, 9, 13, 0],
      "edges": [0, 1, 4, 0, 2, 8, 0, 3, 12, 0, 4, 16, 0, 1, 20, 0, 2, 24, 0, 1, 24, 0, 2, 28, 1, 3, 32,
                0, 1, 36, 0, 1, 40, 2, 12, 44, 2, 1, 48],
      "locations": [0, 2, 1, 1, 6, 2, 2, 2],
      "strings": ["", "A", "B", "C", "D", "E", "F", "G", "H", "M", "N", "Window", "native"]}


def test_a2_can_be_queried_flags(tmp_path):
    s = open_doc(tmp_path, A2)
    got = {}
    for v in range(s.node_count):
        name = s.raw_name(v)
        q = bool(s.heap.flags[v] & FLAG_QUERYABLE)
        got[name] = got.get(name, q) or q if name == "Window" else q
    assert got == {"": False, "A": True, "B": True, "C": True, "D": True, "E": False, "F": False,
                   "G": False, "H": False, "M": False, "N": False, "Window": True}


def builder_root():
    b = Builder()
    b.node("object", "root")
    return b


def test_a3_large_retained_size_has_no_overflow(tmp_path):
    b = builder_root()
    prev = 0
    for i in range(6):
        n = b.node("object", f"Node{i}", 1_000_000_000)
        b.edge(prev, "element", i, n)
        prev = n
    s = open_built(tmp_path, b)
    assert int(s.heap.retained[0]) == 6_000_000_000
    assert s.statistics().total == 6_000_000_000


def test_a3_page_owned_flags_and_dominator(tmp_path):
    b = builder_root()
    debugger = b.node("object", "Debugger")
    window = b.node("object", "Window")
    page_owned = b.node("object", "PageOwnedNode")
    debugger_owned = b.node("object", "debuggerOwnedNode")
    b.edge(0, "element", 1, debugger)
    b.edge(0, "shortcut", "w", window)
    b.edge(window, "element", 1, page_owned)
    b.edge(debugger, "property", "debugger2pageOwnedNode", page_owned)
    b.edge(debugger, "element", 1, debugger_owned)
    s = open_built(tmp_path, b)
    assert [int(f) & FLAG_PAGE for f in s.heap.flags] == [0, 0, 4, 4, 0]
    assert int(s.heap.idom[page_owned]) == window


def gc_roots_graph():
    b = builder_root()
    gc = b.node("synthetic", "(GC roots)")
    stack = b.node("synthetic", "(Stack roots)")
    names = {}
    for n in ("A", "B", "A1", "A2", "C", "D", "E"):
        names[n] = b.node("object", n)
    b.edge(0, "element", 1, gc)
    b.edge(gc, "element", 1, stack)
    b.edge(stack, "element", 1, names["A"])
    b.edge(stack, "element", 2, names["B"])
    b.edge(names["A"], "property", "aa1", names["A1"])
    b.edge(names["A1"], "property", "a1a2", names["A2"])
    b.edge(names["A2"], "property", "a2c", names["C"])
    b.edge(names["B"], "property", "bc", names["C"])
    b.edge(names["B"], "property", "bd", names["D"])
    b.edge(names["C"], "property", "ce", names["E"])
    return b, gc, stack, names


def test_a3_distances_without_user_roots(tmp_path):
    b, gc, stack, n = gc_roots_graph()
    s = open_built(tmp_path, b)
    d = s.heap.distance
    assert int(d[0]) == 0
    assert (int(d[gc]), int(d[stack])) == (1, 2)
    assert {k: int(d[v]) for k, v in n.items()} == {"A": 3, "B": 3, "A1": 4, "C": 4, "D": 4, "A2": 5,
                                                     "E": 5}
    path = s.retaining_path(n["E"])
    assert [s.raw_name(p.source) for p in path] == ["root", "(GC roots)", "(Stack roots)", "B", "C"]
    assert [p.label for p in path] == ["[1]", "[1]", "[2]", ".bc", ".ce"]


def test_a3_weak_edges_ignored_by_paths(tmp_path):
    b = builder_root()
    gc = b.node("synthetic", "(GC roots)")
    stack = b.node("synthetic", "(Stack roots)")
    a, bb, c, target, weak_parent = (b.node("object", x) for x in ("A", "B", "C", "Target", "WeakParent"))
    b.edge(0, "shortcut", "gc_roots", gc)
    b.edge(gc, "element", 1, stack)
    b.edge(stack, "element", 1, a)
    b.edge(a, "property", "strong_to_b", bb)
    b.edge(bb, "property", "strong_to_c", c)
    b.edge(c, "property", "strong_to_target", target)
    b.edge(stack, "property", "weak_to_parent_retaining_edge", weak_parent)
    b.edge(weak_parent, "weak", "weak_shortcut_to_target", target)
    s = open_built(tmp_path, b)
    path = s.retaining_path(target)
    assert [s.raw_name(p.source) for p in path][-4:] == ["(Stack roots)", "A", "B", "C"]
    assert all(p.type != "weak" for p in s.retainers(target))


def test_a3_node_for_id(tmp_path):
    b = builder_root()
    zero = b.node("object", "ZeroSizeNode", 0, id=42)
    normal = b.node("object", "NormalNode", 100, id=99)
    b.edge(0, "element", 1, zero)
    b.edge(0, "element", 2, normal)
    s = open_built(tmp_path, b)
    assert s.find_id(42) == zero
    assert s.find_id(99) == normal
    assert s.find_id(999) is None


def test_a3_dominator_chains(tmp_path):
    b = builder_root()
    a = b.node("object", "A", 10, id=100)
    bb = b.node("object", "B", 20, id=200)
    b.edge(0, "property", "a", a)
    b.edge(a, "property", "b", bb)
    s = open_built(tmp_path, b)
    assert s.dominator_chain(bb) == [bb, a, 0]
    assert s.dominator_chain(a) == [a, 0]
    b = builder_root()
    a, bb, c = b.node("object", "A", 1), b.node("object", "B", 1), b.node("object", "C", 1)
    b.edge(0, "property", "a", a)
    b.edge(0, "property", "b", bb)
    b.edge(a, "property", "c", c)
    b.edge(bb, "property", "c", c)
    s = open_built(tmp_path, b)
    assert s.dominator_chain(c) == [c, 0]


def test_a4_weak_dominator(tmp_path):
    b = builder_root()
    gc = b.node("object", "(GC roots)")
    window = b.node("object", "Window", 20)
    array = b.node("object", "Array", 10)
    b.edge(0, "element", 1, gc)
    b.edge(0, "shortcut", "w", window)
    b.edge(gc, "element", 1, window)
    b.edge(window, "property", "root", array)
    buffers = []
    for i in range(3):
        u8 = b.node("object", "Uint8Array", 100)
        buf = b.node("object", "ArrayBuffer", 1000)
        b.edge(array, "element", i, u8)
        b.edge(u8, "internal", "buffer", buf)
        buffers.append(buf)
    for i in range(2):
        b.edge(buffers[i], "weak", "weak_next", buffers[i + 1])
    s = open_built(tmp_path, b)
    rows = classes_by_name(s)
    assert (rows["Array"].count, rows["Array"].retained_size, rows["Array"].self_size) == (1, 3310, 10)
    assert int(s.heap.distance[array]) == 2 and int(s.heap.retained[array]) == 3310
    u8s = s.instances(rows["Uint8Array"].index)[0]
    assert [(int(s.heap.self_size[v]), int(s.heap.retained[v])) for v in u8s] == [(100, 1100)] * 3


def test_a4_orphan_nodes(tmp_path):
    b = builder_root()
    gc = b.node("object", "(GC roots)")
    window = b.node("object", "Window", 10)
    orphan = b.node("object", "Orphan", 2000)
    child = b.node("object", "OrphanChild", 2000)
    a = b.node("object", "A", 300)
    bb = b.node("object", "B", 300)
    b.edge(0, "element", 1, gc)
    b.edge(0, "shortcut", "w", window)
    b.edge(0, "shortcut", "a", a)
    b.edge(0, "shortcut", "b", bb)
    b.edge(0, "shortcut", "o", orphan)
    b.edge(gc, "element", 1, window)
    b.edge(window, "weak", "weak_ref", orphan)
    b.edge(orphan, "property", "child", child)
    b.edge(window, "property", "a", a)
    b.edge(a, "property", "b", bb)
    b.edge(child, "property", "b", bb)
    s = open_built(tmp_path, b)
    rows = classes_by_name(s)
    got = {n: (rows[n].count, rows[n].retained_size, rows[n].self_size)
           for n in ("A", "B", "Orphan", "OrphanChild")}
    assert got == {"A": (1, 300, 300), "B": (1, 300, 300), "Orphan": (1, 4000, 2000),
                   "OrphanChild": (1, 2000, 2000)}
    st = s.statistics()
    assert (st.total, st.v8heap) == (4610, 4610)


def test_a4_statistics(tmp_path):
    b = builder_root()
    for t, size in [("hidden", 1), ("array", 20), ("string", 300), ("object", 4000), ("code", 50000),
                    ("closure", 600000), ("regexp", 7000000), ("native", 80000000),
                    ("bigint", 900000000)]:
        n = b.node(t, t, size)
        b.edge(0, "internal", f"{t}Link", n)
    arr = b.node("object", "Array", 8)
    elements = b.node("array", "", 12)
    b.edge(0, "internal", "JSArrayLink", arr)
    b.edge(arr, "internal", "elements", elements)
    gc = b.node("synthetic", "(GC roots)")
    strong = b.node("synthetic", "(Strong roots)")
    system = b.node("object", "SystemObject", 900000000)
    b.edge(0, "internal", "0", gc)
    b.edge(gc, "internal", "0", strong)
    b.edge(strong, "internal", "0", system)
    b.header_extra["extra_native_bytes"] = 10
    s = open_built(tmp_path, b)
    assert s.statistics().as_devtools() == {
        "total": 1887654351, "native": {"total": 80000010, "typedArrays": 0},
        "v8heap": {"total": 1807654341, "code": 50000, "jsArrays": 20, "strings": 300, "system": 1}}


def test_b_weakmap_ephemerons(tmp_path):
    b = builder_root()
    window = b.node("object", "Window", 10, id=11)
    wm = b.node("object", "WeakMap", 20, id=13)
    key = b.node("object", "Key", 40, id=1003)
    table = b.node("array", "", 30, id=1001)
    val = b.node("object", "Val", 50, id=1005)
    pair = " / part of key (Key @1003) -> value (Val @1005) pair in WeakMap (table @1001)"
    b.edge(0, "shortcut", "w", window)
    b.edge(window, "property", "wm", wm)
    b.edge(window, "property", "k", key)
    b.edge(wm, "internal", "table", table)
    b.edge(table, "weak", "0", key)
    b.edge(table, "internal", "1" + pair, val)
    b.edge(key, "internal", "2" + pair, val)
    s = open_built(tmp_path, b)
    h = s.heap
    assert [int(h.self_size[v]) for v in (window, wm, key, table, val)] == [10, 50, 40, 0, 50]
    assert [int(h.distance[v]) for v in (0, window, wm, key, table, val)] == [BASE, 1, 2, 2, 3, 4]
    assert int(h.idom[val]) == key and int(h.idom[table]) == wm
    assert [int(h.retained[v]) for v in (0, window, wm, key, table, val)] == [150, 150, 50, 90, 0, 50]


def test_b_same_class_nesting(tmp_path):
    b = builder_root()
    window = b.node("object", "Window", 1)
    a1, a2, a3 = (b.node("object", "A", 10) for _ in range(3))
    x = b.node("object", "X", 5)
    a4 = b.node("object", "A", 10)
    b.edge(0, "shortcut", "w", window)
    b.edge(window, "property", "a", a1)
    b.edge(a1, "property", "next", a2)
    b.edge(a2, "property", "next", a3)
    b.edge(a2, "property", "x", x)
    b.edge(x, "property", "a", a4)
    s = open_built(tmp_path, b)
    rows = classes_by_name(s)
    assert (rows["A"].count, rows["A"].self_size, rows["A"].retained_size, rows["A"].distance) == (4, 40, 45, 2)
    assert (rows["X"].retained_size, rows["X"].distance) == (15, 4)
    assert rows["Window"].retained_size == 46


def test_b_interface_names(tmp_path):
    b = builder_root()
    window = b.node("object", "Window", 1)
    b.edge(0, "shortcut", "w", window)
    shapes = [["a", "b"]] * 3 + [["a", "b", "c"]] * 2 + [["x"], ["b", "a"], ["we,ird", "z"], []]
    objects = []
    for i, props in enumerate(shapes):
        o = b.node("object", "Object", 16)
        b.edge(window, "element", i, o)
        for p in props:
            v = b.node("number", "number", 0)
            b.edge(o, "property", p, v)
        objects.append(o)
    s = open_built(tmp_path, b)
    assert [d["name"] for d in s.heap.interface_definitions] == ["{a, b}", "{a, b, c}"]
    assert [s.class_name(o) for o in objects] == ["{a, b}"] * 3 + ["{a, b, c}"] * 2 + \
        ["Object", "{a, b}", "Object", "Object"]
    assert [s.display_name(o) for o in objects] == ["{a, b}"] * 3 + ["{a, b, c}"] * 2 + \
        ["{x}", "{b, a}", '{"we,ird", z}', "{}"]


def test_expose_internals_mode_skips_redistribution(tmp_path):
    b = builder_root()
    gc = b.node("synthetic", "(GC roots)")
    obj = b.node("object", "Array", 16)
    store = b.node("array", "(object elements)", 64)
    b.edge(0, "element", 1, gc)
    b.edge(gc, "element", 1, obj)
    b.edge(obj, "internal", "elements", store)
    s = open_built(tmp_path, b)
    assert int(s.heap.self_size[obj]) == 16 and int(s.heap.self_size[store]) == 64
    assert int(s.heap.distance[0]) == 0
    assert np.all(s.heap.distance >= 0)
