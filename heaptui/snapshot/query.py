"""Questions the CLI and the TUI ask of one indexed snapshot.

Everything here answers from the index arrays with small results: a page of instances, one node's
edges or retainers, a path. Per-class instance lists and the id lookup are built on first use and kept.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from .jit import kernel

from .kernels import BASE_SYSTEM_DISTANCE, BASE_UNREACHABLE_DISTANCE, NO_DISTANCE, NO_EDGE
from .names import format_property_name, js_order_key, utf16_len

SORT_KEYS = ("retained", "shallow", "count", "distance", "name")
# UTF-8 bytes sort in code point order; JavaScript sorts UTF-16 code units, where U+E000..U+FFFF come
# after the surrogates that encode U+10000 and up. Lifting the lead bytes of U+E000..U+FFFF (0xEE,
# 0xEF; never continuation bytes) above those of 4-byte sequences (0xF0..0xF4) gives JS order.
_NO_EDGES = np.zeros(0, dtype=np.uint32)
_EXACT_RETAINER_ORDER = 200_000  # retainers re-sorted by DevTools' names when some are plain objects
BIG = 20_000  # edges or dominated children: lists at least this long are ordered by a pass over all
#               of them (milliseconds to seconds); their answers are kept for the next ask
BIG_RETAINERS = 2_000  # the same for retainers: ordering them may need DevTools' names of each one
#                        (a plain object's preview, a concatenated string's text), ~30 us apiece
_KEPT = 16  # answers kept for such lists (the last ones asked)
_KEPT_PAGE = 10_000  # retainer pages up to this long are kept
_JS_ORDER = bytes(range(256)).replace(b"\xee", b"\xf5").replace(b"\xef", b"\xf6")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass(frozen=True)
class ClassRow:
    index: int  # class id
    name: str
    key: str
    count: int
    distance: int
    self_size: int
    retained_size: int

    def as_json(self):
        return {"name": self.name, "count": self.count, "distance": self.distance,
                "self_size": self.self_size, "retained_size": self.retained_size}


@dataclass(frozen=True)
class NodeInfo:
    ordinal: int
    id: int
    type: str
    name: str  # DevTools' display name (cons strings joined, plain objects previewed)
    class_name: str
    self_size: int
    retained_size: int
    distance: int
    dominator_id: int

    def as_json(self):
        return {"id": self.id, "type": self.type, "name": self.name, "class": self.class_name,
                "self_size": self.self_size, "retained_size": self.retained_size,
                "distance": self.distance, "dominator": self.dominator_id}


@dataclass(frozen=True)
class EdgeInfo:
    edge: int
    type: str
    name: str  # raw: a string, or the slot number as text for element/hidden edges
    label: str  # as DevTools prints it: .prop, [3], ->ctx, {internal}, [[weak]]
    source: int  # ordinal
    target: int  # ordinal


@dataclass
class Timeline:
    times_ms: np.ndarray  # per sample, ms since tracking started
    last_ids: np.ndarray  # the last object id assigned by then
    sizes: np.ndarray  # self size of the objects of that interval still alive


@dataclass
class Scope:
    context: int  # the context object (ordinal)
    variables: list  # [(name, value ordinal)], as the context holds them


@dataclass
class ClosureInfo:
    function: int
    location: "SourceLocation | None"
    scopes: list  # Scope, innermost first
    source_lines: list  # [(1-based line number, text)] around the definition; [] without source


@dataclass(frozen=True)
class SourceLocation:
    """Where a function or a constructor is defined, numbered from 1 as DevTools shows it."""
    script_id: int
    script: str  # the script's file path or URL; "" when the snapshot does not name it
    line: int
    column: int

    def __str__(self):
        """file:line:column, or `script N:line:column` for a script without a name."""
        return f"{self.script or f'script {self.script_id}'}:{self.line}:{self.column}"

    def as_json(self):
        return {"script": self.script, "script_id": self.script_id, "line": self.line, "column": self.column}


@kernel("(uint32[::1], int64)")
def _source_of(first_edge, e):
    """The node owning edge e (binary search in the per-node edge offsets)."""
    lo, hi = 0, first_edge.shape[0] - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if first_edge[mid] <= e:
            lo = mid
        else:
            hi = mid
    return lo


@kernel("(int64, int64, uint32[::1], uint32[::1], uint32[::1], uint8[::1], int64, boolean,"
        " int32[::1], uint32[::1], uint32[::1], int64, uint32[::1])")
def _retainer_page(v, root, ret_first, ret_edge, first_edge, edge_type, weak_type, include_weak,
                   dist, node_name, rank, k, ignored_edges):
    """One pass over v's retainer slots: the k first in DevTools' order (distance, name, then slot:
    a node's slots hold its incoming edges in descending edge order, so ties go to the later edge) with
    their sources, and how many retainers pass the filter. A bounded heap keeps it one pass however
    many retainers there are. Unreachable (negative) distances sort last."""
    hk = np.empty(max(k, 1), dtype=np.uint64)  # distance << 32 | name rank; ties broken by the edge
    he = np.empty(max(k, 1), dtype=np.uint32)
    hs = np.empty(max(k, 1), dtype=np.uint32)
    n = 0
    total = 0
    nodes = first_edge.shape[0] - 1
    lo, hi = ret_first[v], ret_first[v + 1]
    src = 0
    # A node's slots hold its incoming edges in descending order: walked backwards, sources only grow.
    for slot in range(hi - 1, lo - 1, -1):
        e = ret_edge[slot]
        if first_edge[src + 1] <= e:
            step = 1
            b = src + 1
            while b < nodes and first_edge[b] <= e:
                src = b
                b = min(nodes, src + step)
                step *= 2
            while b - src > 1:
                mid = (src + b) // 2
                if first_edge[mid] <= e:
                    src = mid
                else:
                    b = mid
        if not include_weak and (edge_type[e] == weak_type or src == root):
            continue
        total += 1
        if k == 0:
            continue
        d = dist[src]
        if ignored_edges.shape[0] > 0:  # sorted: edges the Retainers view marks ignored
            a, b = 0, ignored_edges.shape[0]
            while a < b:
                mid = (a + b) // 2
                if ignored_edges[mid] < e:
                    a = mid + 1
                else:
                    b = mid
            if a < ignored_edges.shape[0] and ignored_edges[a] == e:
                d = BASE_UNREACHABLE_DISTANCE
        dk = np.uint64(0x7FFFFFFF) if d < 0 else np.uint64(d)
        key = (dk << np.uint64(32)) | np.uint64(rank[node_name[src]])
        if n < k:
            j = n
            n += 1
            while j > 0:
                p = (j - 1) // 2
                if hk[p] > key or (hk[p] == key and he[p] < e):
                    break
                hk[j] = hk[p]
                he[j] = he[p]
                hs[j] = hs[p]
                j = p
            hk[j] = key
            he[j] = e
            hs[j] = src
        elif key < hk[0] or (key == hk[0] and e > he[0]):
            j = 0
            while True:
                c = 2 * j + 1
                if c >= n:
                    break
                if c + 1 < n and (hk[c + 1] > hk[c] or (hk[c + 1] == hk[c] and he[c + 1] < he[c])):
                    c += 1
                if hk[c] < key or (hk[c] == key and he[c] > e):
                    break
                hk[j] = hk[c]
                he[j] = he[c]
                hs[j] = hs[c]
                j = c
            hk[j] = key
            he[j] = e
            hs[j] = src
    # Unsorted: the caller sorts the page with numpy (sorting inside a kernel costs seconds of compile).
    return hk[:n].copy(), he[:n].copy(), hs[:n].copy(), total


def _sorted_top_k(members, size, node_id, k):
    """The k of `members` first in (size descending, id ascending) order, in that order, without
    sorting them all: a linear selection of the k-th largest size, then a sort of the few members
    at or above it (the ones tied with it chosen by id). numpy only: listing a class's first
    instances from the index cache loads no kernels. Sizes compare as int64 (a size of 4 GiB or
    more orders correctly); ids are unique."""
    n = members.shape[0]
    if k <= 0:
        return members[:0]
    sizes = size[members].astype(np.int64)
    if k < n:
        cut = np.partition(sizes, n - k)[n - k]  # the k-th largest size
        above = np.flatnonzero(sizes > cut)
        tied = np.flatnonzero(sizes == cut)
        need = k - above.shape[0]
        if need < tied.shape[0]:  # of those tied with it, the smallest ids
            tied = tied[np.argpartition(node_id[members[tied]], need - 1)[:need]]
        chosen = np.concatenate((above, tied))
    else:
        chosen = np.arange(n)
    who = members[chosen]
    return who[np.lexsort((node_id[who], -sizes[chosen]))]


@kernel("(uint32[::1], uint32[::1], int64, int64)")
def _bfs_chain(bfs_edge, first_edge, root, v):
    """The edges (and their sources) by which the distance search reached v, root side first;
    empty when nothing strong reaches v or v is the root."""
    n = first_edge.shape[0] - 1
    edges = np.empty(64, dtype=np.uint32)
    sources = np.empty(64, dtype=np.uint32)
    k = 0
    cur = v
    while cur != root and k <= n:
        e = bfs_edge[cur]
        if e == 0xFFFFFFFF:
            return edges[:0].copy(), sources[:0].copy()
        if k == edges.shape[0]:
            grown = np.empty(2 * k, dtype=np.uint32)
            grown[:k] = edges
            edges = grown
            grown = np.empty(2 * k, dtype=np.uint32)
            grown[:k] = sources
            sources = grown
        cur = _source_of(first_edge, np.int64(e))
        edges[k] = e
        sources[k] = cur
        k += 1
    return edges[:k][::-1].copy(), sources[:k][::-1].copy()


@kernel("(uint32[::1], int64, int64)")
def _idom_chain(idom, root, v):
    """v, its immediate dominator, ..., the root."""
    chain = np.empty(64, dtype=np.uint32)
    k = 0
    cur = v
    while k <= idom.shape[0]:
        if k == chain.shape[0]:
            grown = np.empty(2 * k, dtype=np.uint32)
            grown[:k] = chain
            chain = grown
        chain[k] = cur
        k += 1
        if cur == root:
            break
        cur = idom[cur]
    return chain[:k].copy()


@kernel("(uint32[::1], uint32)")
def _find_id(node_id, wanted):
    for v in range(node_id.shape[0]):
        if node_id[v] == wanted:
            return v
    return -1


class SnapshotQuery:
    """The query side of one snapshot; `heap` is a HeapSnapshot (built or loaded from the cache)."""

    def __init__(self, heap):
        self.heap = heap
        self._members = None
        self._lock = threading.RLock()  # prepare() may build these in the background
        self._name_rank = None
        self._retainers_view = None
        self._max_retained = None
        self._sorted_members = {}
        self._id_order = None
        self._dominated = None
        self._kept = {}  # (what, node, ...) -> answer, for BIG lists, the last _KEPT of them

    # -- nodes ----------------------------------------------------------------------------
    @property
    def node_count(self):
        return self.heap.node_count

    @property
    def root(self):
        return self.heap.root

    def node_type_name(self, v):
        return self.heap.node_type_names[self.heap.node_type[v]]

    def raw_name(self, v):
        return self.heap.strings[self.heap.node_name[v]]

    def class_name(self, v):
        return self.heap.class_names[self.heap.class_id[v]]

    def node(self, v) -> NodeInfo:
        h = self.heap
        v = int(v)
        return NodeInfo(
            ordinal=v, id=int(h.node_id[v]), type=self.node_type_name(v), name=self.display_name(v),
            class_name=self.class_name(v), self_size=int(h.self_size[v]),
            retained_size=int(h.retained[v]), distance=int(h.distance[v]),
            dominator_id=int(h.node_id[h.idom[v]]))

    def node_columns(self, lo, hi):
        """Columns of NodeInfo for ordinals lo..hi-1 as Python lists (fast bulk export)."""
        h = self.heap
        types = h.node_type[lo:hi]
        names = h.node_name[lo:hi]
        special = {h.node_types["concatenated string"]}
        obj_type, object_name = h.node_types["object"], h.string_id("Object")
        raw_cache = {}
        out_names = []
        for k, (t, n) in enumerate(zip(types.tolist(), names.tolist())):
            if t in special or (t == obj_type and n == object_name):
                out_names.append(self.display_name(lo + k))
                continue
            s = raw_cache.get(n)
            if s is None:
                s = raw_cache[n] = h.strings[n]
            out_names.append(s)
        type_names = h.node_type_names
        class_names = h.class_names
        return {
            "id": h.node_id[lo:hi].tolist(),
            "type": [type_names[t] for t in types.tolist()],
            "name": out_names,
            "class": [class_names[c] for c in h.class_id[lo:hi].tolist()],
            "self_size": h.self_size[lo:hi].tolist(),
            "retained_size": h.retained[lo:hi].tolist(),
            "distance": h.distance[lo:hi].tolist(),
            "dominator": h.node_id[h.idom[lo:hi]].tolist(),
        }

    def display_name(self, v):
        """DevTools' node name(): cons strings rebuilt, plain objects as a `{a, b, …}` preview."""
        h = self.heap
        t = h.node_type_names[h.node_type[v]]
        if t == "concatenated string":
            return self._cons_string(v)
        if t == "object" and self.raw_name(v) == "Object":
            return self._plain_object_preview(v)
        return self.raw_name(v)

    def _cons_string(self, v):
        h = self.heap
        cons = h.node_types["concatenated string"]
        internal = h.edge_types["internal"]
        first_id, second_id = h.string_id("first"), h.string_id("second")
        stack, parts, length = [v], [], 0
        while stack and length < 1024:
            n = stack.pop()
            if h.node_type[n] != cons:
                s = self.raw_name(n)
                parts.append(s)
                length += utf16_len(s)
                continue
            first = second = 0
            for e in range(int(h.first_edge[n]), int(h.first_edge[n + 1])):
                if first and second:
                    break
                if h.edge_type[e] == internal:
                    if h.edge_name[e] == first_id:
                        first = int(h.edge_to[e])
                    elif h.edge_name[e] == second_id:
                        second = int(h.edge_to[e])
            stack.append(second)
            stack.append(first)
        return "".join(parts)

    def _plain_object_preview(self, v):
        h = self.heap
        prop = h.edge_types["property"]
        start, end = "{", "}"
        lo, hi = int(h.first_edge[v]), int(h.first_edge[v + 1]) - 1
        from_end = False
        while lo <= hi:
            e = hi if from_end else lo
            name = self.heap.strings[h.edge_name[e]] if h.edge_type[e] == prop else None
            if name is None or name == "__proto__":
                if from_end:
                    hi -= 1
                else:
                    lo += 1
                continue
            formatted = format_property_name(name)
            if utf16_len(start) > 1 and utf16_len(start) + utf16_len(end) + utf16_len(formatted) > 100:
                break
            if from_end:
                hi -= 1
                if utf16_len(end) > 1:
                    end = ", " + end
                end = formatted + end
            else:
                lo += 1
                if utf16_len(start) > 1:
                    start += ", "
                start += formatted
            from_end = not from_end
        if lo <= hi:
            start += ", \u2026"
        if utf16_len(end) > 1:
            start += ", "
        return start + end

    def find_id(self, node_id):
        """Ordinal of the node with this id, or None."""
        if not 0 <= node_id < 2**32:
            return None
        v = _find_id(self.heap.node_id, np.uint32(node_id))  # a scan: ~10 ms at 12M nodes, no index
        return int(v) if v >= 0 else None

    def id_order(self):
        """(ordinals sorted by object id, those ids): 8 bytes a node, built once; a comparison looks
        up thousands of objects by id at a time."""
        with self._lock:
            if self._id_order is None:
                order = self.heap.ordinals_by_id()
                self._id_order = (order, self.heap.node_id[order])
        return self._id_order

    def id_index_ready(self):
        """Whether id_order() is built (lookups by id are then quick)."""
        return self._id_order is not None

    def ordinals_of_ids(self, ids):
        """Ordinals of the nodes with these ids (all in the snapshot), in the order given."""
        order, sorted_ids = self.id_order()
        return order[np.searchsorted(sorted_ids, np.asarray(ids).astype(sorted_ids.dtype))]

    def dominator_chain(self, v):
        """v, its immediate dominator, ..., the root."""
        return _idom_chain(self.heap.idom, self.root, int(v)).tolist()

    def dominator_runs(self, v):
        """The dominator chain above v (v excluded), nearest first, with runs of one class folded:
        [(first ordinal of the run, repeats)]. Bounded output for chains of any length."""
        chain = _idom_chain(self.heap.idom, self.root, int(v))[1:]
        if chain.shape[0] == 0:
            return []
        cls = self.heap.class_id[chain]
        starts = np.concatenate([[0], np.nonzero(cls[1:] != cls[:-1])[0] + 1])
        lengths = np.diff(np.concatenate([starts, [chain.shape[0]]]))
        return [(int(chain[a]), int(n)) for a, n in zip(starts.tolist(), lengths.tolist())]

    # -- source locations ---------------------------------------------------------------------
    def source_location(self, v):
        """Where node v's function (or its constructor) is defined, or None: a SourceLocation."""
        found = self.heap.location_of(int(v))
        return None if found is None else self.script_location(*found)

    def class_location(self, class_index):
        """Where a class's constructor is defined, for a class keyed by its location, or None."""
        script_id, line, column, _name = (self.heap.class_keys[class_index].split(",", 3) + [""] * 3)[:4]
        if not (script_id.isdigit() and line.isdigit() and column.isdigit()):
            return None
        return self.script_location(int(script_id), int(line), int(column))

    def script_location(self, script_id, line, column):
        """A SourceLocation from the snapshot's numbers (0-based line and column, as V8 writes)."""
        script_id = int(script_id)
        return SourceLocation(script_id=script_id, script=self.heap.script_names().get(script_id, ""),
                              line=int(line) + 1, column=int(column) + 1)

    # -- edges ------------------------------------------------------------------------------
    def edge(self, e, source=None) -> EdgeInfo:
        h = self.heap
        e = int(e)
        t = h.edge_type_names[h.edge_type[e]]
        if source is None:
            source = _source_of(h.first_edge, e)
        if t in ("element", "hidden"):
            name = str(int(h.edge_name[e]))
        else:
            name = h.strings[h.edge_name[e]]
        return EdgeInfo(edge=e, type=t, name=name, label=edge_label(t, name), source=int(source),
                        target=int(h.edge_to[e]))

    def edges(self, v):
        """Outgoing edges of v in file order (DevTools' Containment shows all but 'invisible')."""
        h = self.heap
        return [self.edge(e, v) for e in range(int(h.first_edge[v]), int(h.first_edge[v + 1]))]

    def edges_by_retained(self, v, offset=0, limit=100):
        """A page of v's outgoing edges as DevTools' Containment orders them by default: the biggest
        retained target first, then edge order. (EdgeInfo page, how many edges in all.)"""
        h = self.heap
        lo, hi = int(h.first_edge[v]), int(h.first_edge[v + 1])
        order = self._recall(("edges", int(v)), h.retained) if hi - lo >= BIG else None
        if order is None:
            targets = h.edge_to[lo:hi]
            order = np.lexsort((np.arange(hi - lo), -h.retained[targets]))  # stable: edge order breaks ties
            if hi - lo >= BIG:
                self._keep(("edges", int(v)), order, h.retained)
        return [self.edge(lo + int(i), v) for i in order[offset:offset + limit]], hi - lo

    def retainers(self, v, include_weak=False, offset=0, limit=None):
        """Edges into v as DevTools' Retainers view lists them: no weak edges, none from the root,
        sorted by the retainer's distance (unreachable last), then its name, then edge order.

        Returns a page of EdgeInfo (all of them without a limit); retainer_count(v) gives the total.
        One compiled pass however many retainers there are (a shared prototype has millions).
        """
        k = (offset + limit) if limit is not None else self.retainer_count(v, include_weak)
        edges, sources, _total = self._retainer_page(v, include_weak, k)
        return [self.edge(int(e), int(src)) for e, src in zip(edges[offset:], sources[offset:])]

    def retainer_count(self, v, include_weak=False):
        if self.retainer_slots(v) >= BIG_RETAINERS:
            kept = self._recall(("retainer-count", int(v), bool(include_weak)))
            if kept is not None:
                return kept
        return self._retainer_page(v, include_weak, 0)[2]

    def _retainer_page(self, v, include_weak, k, dist=None, ignored_edges=_NO_EDGES):
        h = self.heap
        dist = h.distance if dist is None else dist
        if self.retainer_slots(v) < BIG_RETAINERS:
            return self._retainer_page_now(v, include_weak, k, dist, ignored_edges)
        key = ("retainers", int(v), bool(include_weak), int(k))
        kept = self._recall(key, dist, ignored_edges)
        if kept is None:
            kept = self._retainer_page_now(v, include_weak, k, dist, ignored_edges)
            if k <= _KEPT_PAGE:  # pages a screen shows, not whole lists of millions
                self._keep(key, kept, dist, ignored_edges)
            self._keep(("retainer-count", int(v), bool(include_weak)), kept[2])
        return kept

    def _retainer_page_now(self, v, include_weak, k, dist, ignored_edges):
        h = self.heap
        ret_first, ret_edge = h.retainer_index()

        def page(k):
            return _retainer_page(
                int(v), self.root, ret_first, ret_edge, h.first_edge, h.edge_type, h.edge_types["weak"],
                bool(include_weak), dist, h.node_name, self.name_rank() if k else np.zeros(1, np.uint32),
                int(k), ignored_edges)

        keys, edges, sources, total = page(k)
        if k == 0:
            return edges, sources, total
        # The kernel ranks retainers by their file name. DevTools sorts by name(), which differs for
        # plain objects ('{a, b}' for 'Object') and cons strings (the text): where one of those is a
        # retainer, sort again by the names DevTools compares (all rows, up to a bound; beyond it,
        # only ties between such names can be out of DevTools' order).
        t = h.node_type[sources]
        special = (t == h.node_types["concatenated string"]) | (
            (t == h.node_types["object"]) & (h.node_name[sources] == h.string_id("Object")))
        if special.any() and total <= _EXACT_RETAINER_ORDER:
            if k < total:
                keys, edges, sources, total = page(total)
            names = {}
            rows = []
            for key, e, src in zip(keys.tolist(), edges.tolist(), sources.tolist()):
                if src not in names:
                    names[src] = js_order_key(self.display_name(src))
                rows.append((key >> 32, names[src], -e, e, src))
            rows.sort()
            rows = rows[:k]
            return (np.array([r[3] for r in rows], dtype=np.uint32), np.array([r[4] for r in rows], dtype=np.uint32),
                    total)
        order = np.lexsort((-edges.astype(np.int64), keys))  # (distance, name) key, then slot order
        return edges[order], sources[order], total

    def retainers_view(self, ignored=()):
        """DevTools' Retainers view with the nodes `ignored` (ordinals) left out, as its "Ignore this
        retainer" does: distances, retainer order and the path from a root recomputed around them.
        The last view is kept, so moving through objects does not recompute it."""
        key = frozenset(int(v) for v in ignored)
        view = self._retainers_view
        if view is None or view.ignored != key:  # built outside the lock: it searches the whole graph
            view = RetainersView(self, key)
            with self._lock:
                self._retainers_view = view
        return view

    def name_rank(self):
        """Per string id: the position of node names in JavaScript string order (for sorting rows by
        name without comparing strings). Built once, in prepare() or on first use."""
        with self._lock:
            if self._name_rank is None:
                self._name_rank = self._build_name_rank()
        return self._name_rank

    def _build_name_rank(self):
        """Ranks of node-name strings in JavaScript order, from their UTF-8 bytes (remapped so that
        byte order is UTF-16 code unit order)."""
        h = self.heap
        used = np.zeros(len(h.strings), dtype=bool)
        used[h.node_name] = True
        ids = np.nonzero(used)[0]
        strings = h.strings
        blob = strings.blob if isinstance(strings.blob, (bytes, bytearray)) else bytes(strings.blob)
        offsets = strings.offsets.tolist()
        file_count = strings.file_count
        keys = [blob[offsets[i]:offsets[i + 1]].translate(_JS_ORDER) if i < file_count
                else strings[i].encode("utf-8", "surrogatepass").translate(_JS_ORDER)
                for i in ids.tolist()]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        rank = np.zeros(len(h.strings), dtype=np.uint32)
        rank[ids[np.array(order, dtype=np.int64)]] = np.arange(len(order), dtype=np.uint32)
        return rank

    def retaining_path(self, v, bfs_edge=None):
        """One shortest chain of edges from a root to v, root side first: the edges by which the
        distance search reached each node (so the path agrees with the Distance column).

        Empty when v is the root or nothing strong reaches it.
        """
        h = self.heap
        via = h.bfs_edge if bfs_edge is None else bfs_edge
        path = []
        cur = int(v)
        while cur != self.root and len(path) <= self.node_count:
            e = int(via[cur])
            if e == NO_EDGE:
                return []
            info = self.edge(e)
            path.append(info)
            cur = info.source
        path.reverse()
        return path

    def retaining_path_runs(self, v, bfs_edge=None):
        """The shortest retaining path with runs folded, for paths of any length (the tail of a
        linked list of millions): [(EdgeInfo of the run's first step, repeats)], root side first.
        A run is consecutive steps from holders of one class along edges of one label, slot
        numbers ignored (Node.next, Node.next, ... or [3], [7], ...)."""
        h = self.heap
        edges, sources = _bfs_chain(h.bfs_edge if bfs_edge is None else bfs_edge, h.first_edge, self.root, int(v))
        if edges.shape[0] == 0:
            return []
        types = h.edge_type[edges]
        slot = np.isin(types, [h.edge_types[t] for t in ("element", "hidden") if t in h.edge_type_names])
        names = np.where(slot, -1, h.edge_name[edges].astype(np.int64))
        keys = np.stack([h.class_id[sources].astype(np.int64), types.astype(np.int64), names])
        starts = np.concatenate([[0], np.nonzero((keys[:, 1:] != keys[:, :-1]).any(axis=0))[0] + 1])
        lengths = np.diff(np.concatenate([starts, [edges.shape[0]]]))
        return [(self.edge(int(edges[a]), int(sources[a])), int(n))
                for a, n in zip(starts.tolist(), lengths.tolist())]

    # -- classes --------------------------------------------------------------------------
    def allocation_traces(self):
        """The snapshot's allocation stacks (AllocationTraces), built on first use."""
        if getattr(self, "_traces", None) is None:
            from .traces import AllocationTraces
            self._traces = AllocationTraces(self.heap)
        return self._traces

    def _dominator_tree(self):
        with self._lock:
            if self._dominated is None:
                self._dominated = self.heap.dominated_children()
        return self._dominated

    def dominated(self, v, limit=None):
        """Children of v in the dominator tree (what v alone keeps alive), biggest retained first,
        then by id; and how many there are in all."""
        h = self.heap
        first, children = self._dominator_tree()
        kids = children[int(first[v]):int(first[v + 1])]
        if limit and limit * 4 < kids.shape[0]:  # the first ones without sorting them all
            key = ("dominated", int(v), int(limit))
            chosen = self._recall(key, h.retained)
            if chosen is None:
                chosen = _sorted_top_k(np.ascontiguousarray(kids), h.retained, h.node_id, int(limit))
                if kids.shape[0] >= BIG:
                    self._keep(key, chosen, h.retained)
            return [int(c) for c in chosen], int(kids.shape[0])
        order = np.lexsort((h.node_id[kids], -h.retained[kids].astype(np.int64)))
        chosen = kids[order[:limit] if limit else order]
        return [int(c) for c in chosen], int(kids.shape[0])

    def search(self, query, case_sensitive=False, regex=False, mask=None):
        """DevTools' search (Ctrl+F in the Summary): ordinals of the objects whose name, as DevTools
        shows it (cons strings joined, plain objects as `{a, b}`), contains `query` (ignoring case
        unless case_sensitive) or matches it as a regular expression; objects of no size are left
        out, as DevTools leaves them out. In node order."""
        import re
        h = self.heap
        if regex:
            pattern = re.compile(query, 0 if case_sensitive else re.IGNORECASE)
            test = pattern.search
        elif case_sensitive:
            def test(text):
                return query in text
        else:
            pattern = re.compile(re.escape(query), re.IGNORECASE)
            test = pattern.search
        candidates = np.nonzero(h.self_size != 0)[0]
        if mask is not None:
            candidates = candidates[mask[candidates]]
        names = h.node_name[candidates]
        unique = np.unique(names)
        hit_names = np.fromiter((bool(test(self.heap.strings[int(i)])) for i in unique), dtype=np.bool_,
                                count=unique.shape[0])
        hits = hit_names[np.searchsorted(unique, names)]
        # Names DevTools builds rather than reads: judged one by one.
        t = h.node_types
        custom = h.node_type[candidates] == t["concatenated string"]
        if "object" in h.node_type_names:
            object_id = h.string_id("Object")
            custom |= (h.node_type[candidates] == t["object"]) & (names == object_id)
        for k in np.nonzero(custom)[0].tolist():
            hits[k] = bool(test(self.display_name(int(candidates[k]))))
        return [int(v) for v in candidates[hits]]

    def closure(self, v, context_lines=2):
        """What a function (closure) keeps alive: its scopes, innermost first, each a context object
        with the variables it holds [(name, value ordinal)], up to the native context; its source
        location, and the source lines around it when the snapshot holds the script's source."""
        h = self.heap
        if h.node_type_names[h.node_type[v]] != "closure":
            raise ValueError("not a function")
        edge_named = lambda n, name: next((e.target for e in self.edges(n) if e.name == name), None)
        scopes, seen = [], set()
        ctx = edge_named(v, "context")
        while ctx is not None and ctx not in seen and "NativeContext" not in self.raw_name(ctx):
            seen.add(ctx)
            variables = [(e.name, e.target) for e in self.edges(ctx) if e.type == "context"]
            scopes.append(Scope(context=ctx, variables=variables))
            ctx = edge_named(ctx, "previous")
        location = self.source_location(v)
        lines = []
        if location is not None:
            shared = edge_named(v, "shared")
            script = shared is not None and (edge_named(shared, "script_or_debug_info")
                                             or edge_named(shared, "script"))
            source = script and edge_named(script, "source")
            if source and h.node_type_names[h.node_type[source]] in ("string", "concatenated string"):
                text = self.display_name(source).split("\n")
                lo, hi = max(1, location.line - context_lines), min(len(text), location.line + context_lines)
                lines = [(n, text[n - 1]) for n in range(lo, hi + 1)]
        return ClosureInfo(function=int(v), location=location, scopes=scopes, source_lines=lines)

    def timeline(self):
        """DevTools' allocation timeline of a snapshot taken while tracking allocations: for each
        sample, its time (ms since tracking started), the last object id assigned by then, and the
        self size of the JS objects (odd ids) allocated in that interval and still alive in the
        snapshot. None when the snapshot has no samples."""
        h = self.heap
        fields = h.meta.get("sample_fields") or []
        if not len(h.samples) or "timestamp_us" not in fields or "last_assigned_id" not in fields:
            return None
        width = len(fields)
        samples = np.asarray(h.samples, dtype=np.int64).reshape(-1, width)
        times = samples[:, fields.index("timestamp_us")] / 1000.0
        last_ids = samples[:, fields.index("last_assigned_id")]
        ids = h.node_id.astype(np.int64)
        js = ids % 2 == 1
        where = np.searchsorted(last_ids, ids[js], side="left")  # DevTools' lowerBound
        inside = where < len(last_ids)
        sizes = np.bincount(where[inside], weights=h.self_size[js][inside].astype(np.float64),
                            minlength=len(last_ids)).astype(np.int64)
        return Timeline(times_ms=times, last_ids=last_ids, sizes=sizes)

    def ids_allocated_during(self, start_ms, end_ms):
        """(low, high) for classes(id_range=...): the objects allocated in the samples whose time lies
        in [start_ms, end_ms], as DevTools' timeline selection gives them."""
        t = self.timeline()
        if t is None:
            raise ValueError("no allocation timeline")
        # Samples are whole microseconds; a bound given in seconds comes back a few ulps off, so a
        # nanosecond of slack keeps a sample exactly on a bound inside.
        slack = 1e-6
        chosen = np.nonzero((t.times_ms >= start_ms - slack) & (t.times_ms <= end_ms + slack))[0]
        if not len(chosen):
            return (0, 0)
        first, last = int(chosen[0]), int(chosen[-1])
        return (int(t.last_ids[first - 1]) if first > 0 else 0, int(t.last_ids[last]))

    # DevTools' named Summary filters (see filters.py): names for filter_mask().
    from .filter_names import NAMES as FILTERS

    def filter_mask(self, name):
        """The node mask of DevTools' named filter `name`, for classes(mask=...) and instances()."""
        from .filters import named_filter_mask
        masks = self.__dict__.setdefault("_filter_masks", {})
        if name not in masks:
            masks[name] = named_filter_mask(self, name)
        return masks[name]

    def detached_trees(self):
        """Detached DOM trees (DetachedTree), most retained first: DevTools' "Detached elements"."""
        from .filters import detached_trees
        return detached_trees(self)

    def context_owners(self):
        """Per node, the realm (NativeContext ordinal) it belongs to, or contexts.SHARED / NO_CONTEXT."""
        from .contexts import context_owners
        with self._lock:
            if getattr(self, "_context_owner", None) is None:
                self._context_owner = context_owners(self.heap)
        return self._context_owner

    def native_contexts(self):
        """The realms (ContextRow), largest first, then the shared and the context-less objects."""
        from .contexts import native_contexts
        return native_contexts(self)

    def context_mask(self, key):
        """The objects of one realm ("@ID" of its NativeContext, "shared" or "none"), for classes(mask=)."""
        from .contexts import context_mask
        return context_mask(self, key)

    def duplicated_strings(self, limit=50):
        """Contents held by more than one string object (DuplicatedString rows), most waste first."""
        from .filters import duplicated_strings
        return duplicated_strings(self, limit)

    def classes(self, sort="retained", descending=None, name_filter=None, id_range=None,
                allocated_by=None, mask=None):
        """Summary rows (DevTools' Constructor table). Default order: retained size, largest first.

        id_range=(low, high) keeps objects with low < id <= high, like DevTools' "Objects allocated
        between Snapshot 1 and Snapshot 2" filter (counts and sizes are then over those objects)."""
        h = self.heap
        if mask is not None:
            rows = self._rows_in_mask(mask)
        elif allocated_by is not None:
            rows = self._rows_in_mask(self.allocation_traces().allocated_by_mask(allocated_by))
        elif id_range is not None:
            rows = self._rows_in_id_range(*id_range)
        else:
            rows = [self._row(c) for c in np.nonzero(h.class_visible)[0]]
        if name_filter:
            needle = name_filter.lower()
            rows = [r for r in rows if needle in r.name.lower()]
        return sort_class_rows(rows, sort, descending)

    def _row(self, c):
        h = self.heap
        return ClassRow(index=int(c), name=h.class_names[c], key=h.class_keys[c],
                        count=int(h.class_count[c]), distance=int(h.class_distance[c]),
                        self_size=int(h.class_shallow[c]), retained_size=int(h.class_retained[c]))

    def class_row(self, c):
        return self._row(c)

    def _rows_in_id_range(self, low, high):
        ids = self.heap.node_id.astype(np.int64)
        return self._rows_in_mask((ids > low) & (ids <= high))

    def _rows_in_mask(self, mask):
        from .model import _public_rows
        h = self.heap
        count, shallow, dist, first, retained = h.aggregate(h.class_id, len(h.class_names), mask)
        visible = _public_rows(h.class_keys, count, first)
        return [ClassRow(index=int(c), name=h.class_names[c], key=h.class_keys[c], count=int(count[c]),
                         distance=int(dist[c]), self_size=int(shallow[c]), retained_size=int(retained[c]))
                for c in np.nonzero(visible)[0]]

    def instances(self, class_index, sort="retained", offset=0, limit=100, mask=None):
        """A page of a class's instances (ordinals): retained desc then id asc by default. With a
        node mask (a Summary filter), only the instances it keeps."""
        members = self._class_members(class_index)
        if mask is not None:
            members = members[mask[members]]
        total = int(members.shape[0])
        order = self._sorted_members.get((class_index, sort, id(mask) if mask is not None else None))
        if order is None:
            want = offset + limit
            if want * 4 < total:
                top = self._top_instances(members, sort, want)
                if top is not None:
                    return [int(v) for v in top[offset:want]], total
            order = members[self._instance_order(members, sort)]
            if len(self._sorted_members) > 64:
                self._sorted_members.clear()
            self._sorted_members[(class_index, sort, id(mask) if mask is not None else None)] = order
        return [int(v) for v in order[offset:offset + limit]], total

    def instance_position(self, class_index, v, sort="retained", mask=None):
        """Where instance v falls in instances(class_index, sort, mask=mask): its index (counted,
        not sorted for), or None when v is not one of them."""
        members = self._class_members(class_index)
        if mask is not None:
            members = members[mask[members]]
        if not (members == v).any():
            return None
        h = self.heap
        ids, vid = h.node_id[members], h.node_id[v]
        if sort == "id":
            return int((ids < vid).sum())
        size = h.self_size if sort == "shallow" else h.retained
        s, sv = size[members], size[v]
        before = (s > sv) | ((s == sv) & (ids < vid))  # size descending, then id
        if sort == "distance":
            d, dv = h.distance[members], h.distance[v]
            before = (d < dv) | ((d == dv) & before)
        return int(before.sum())

    def _instance_order(self, members, sort):
        h = self.heap
        ids = h.node_id[members]
        if sort == "retained":
            return np.lexsort((ids, -h.retained[members]))
        if sort == "shallow":
            return np.lexsort((ids, -h.self_size[members].astype(np.int64)))
        if sort == "distance":
            return np.lexsort((ids, -h.retained[members], h.distance[members]))
        return np.argsort(ids, kind="stable")  # "id": object id ascending

    def _top_instances(self, members, sort, k):
        """The first k instances in sort order without sorting them all: one uint64 key per instance
        (size descending, then id ascending) so selection is exact, ties included."""
        h = self.heap
        if sort == "retained":
            if self._max_retained is None:
                self._max_retained = int(h.retained.max())
            if self._max_retained >= 2**32:
                return None
            return _sorted_top_k(members, h.retained, h.node_id, k)
        if sort == "shallow":
            return _sorted_top_k(members, h.self_size, h.node_id, k)
        return None

    def prepare(self):
        """Builds what later questions need (retainer index, class member lists, script names): call
        it in a background thread after opening, so the first retainers or instances answer at once."""
        h = self.heap
        h.retainer_index()
        self.name_rank()
        self._class_members(0) if len(h.class_names) else None
        h.script_names()
        self._dominator_tree()
        for text in ("Object", "first", "second"):  # names the display names of objects compare with
            h.string_id(text)
        if self._max_retained is None:
            self._max_retained = int(h.retained.max()) if h.node_count else 0
        self.allocation_traces()
        self.retainers_view()

    def _class_members(self, class_index):
        with self._lock:
            if self._members is None:
                h = self.heap
                self._members = h.class_members()
        first, members = self._members
        return members[first[class_index]:first[class_index + 1]]

    def statistics(self):
        return self.heap.statistics

    def _recall(self, key, *same):
        """A kept answer for key, if it was computed with these very arrays (`same`)."""
        with self._lock:
            hit = self._kept.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], same)):
            return hit[1]
        return None

    def _keep(self, key, answer, *same):
        with self._lock:
            if len(self._kept) >= _KEPT:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = (same, answer)
        return answer

    def retainer_slots(self, v):
        """How many edges point at v (weak ones and the root's included): an upper bound of
        retainer_count(v), at no cost."""
        ret_first, _ = self.heap.retainer_index()
        return int(ret_first[v + 1]) - int(ret_first[v])

    def edge_count(self, v):
        h = self.heap
        return int(h.first_edge[v + 1]) - int(h.first_edge[v])

    def dominated_count(self, v):
        """How many objects v dominates directly (its children in the dominator tree)."""
        first, _children = self._dominator_tree()
        return int(first[v + 1]) - int(first[v])

    def answers_at_once(self, v, what="retainers", first=100):
        """Whether the `first` of v's retainers ("retainers"), outgoing edges ("edges") or dominated
        objects ("dominated") come without a pass over a long list (it is short, or they are kept)."""
        size = {"retainers": self.retainer_slots, "edges": self.edge_count,
                "dominated": self.dominated_count}[what](v)
        if size < (BIG_RETAINERS if what == "retainers" else BIG):
            return True
        with self._lock:
            if what == "retainers":
                return any(k[:2] == ("retainers", v) and k[3] == first for k in self._kept)
            if what == "dominated":
                return ("dominated", v, first) in self._kept or size <= first * 4
            return ("edges", v) in self._kept

    def classify_with(self, definitions):
        """(class id per node, names, keys, visible) when plain objects are named by another snapshot's
        interface definitions (the base side of a comparison)."""
        h = self.heap
        if definitions == h.interface_definitions:
            return h.class_id, h.class_names, h.class_keys, h.class_visible
        index = h.base_class_index()
        h.apply_interface_definitions(definitions, index)
        class_id, names, keys = h.class_ids_for(index)
        from . import kernels as K
        from .model import _public_rows
        count, _shallow, _dist, first = K.class_aggregates(class_id, len(names), h.self_size, h.distance,
                                                            np.zeros(0, dtype=np.uint8))
        return class_id, names, keys, _public_rows(keys, count, first)


def sort_class_rows(rows, sort="retained", descending=None):
    """DevTools' Summary order: each column with its secondary key."""
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort!r}")
    if descending is None:
        descending = sort not in ("name", "distance")
    if sort == "name":
        key = (lambda r: (r.name, -r.retained_size)) if not descending else \
            (lambda r: (_Reverse(r.name), -r.retained_size))
        return sorted(rows, key=key)
    primary = {"retained": lambda r: r.retained_size, "shallow": lambda r: r.self_size,
               "count": lambda r: r.count, "distance": lambda r: _distance_order(r.distance)}[sort]
    sign = -1 if descending else 1
    if sort == "distance":
        return sorted(rows, key=lambda r: (sign * primary(r), -r.retained_size, r.name))
    return sorted(rows, key=lambda r: (sign * primary(r), r.name))


def _distance_order(d):
    """Unreachable (-5) sorts after everything reachable."""
    return d if d >= 0 else 1 << 40


class _Reverse:
    __slots__ = ("s",)

    def __init__(self, s):
        self.s = s

    def __lt__(self, other):
        return self.s > other.s

    def __eq__(self, other):
        return self.s == other.s


def edge_label(edge_type, name):
    """An edge as DevTools labels it in the Containment and Retainers views."""
    if edge_type == "element":
        return f"[{name}]"
    if edge_type == "property":
        return f".{name}" if _IDENTIFIER.match(name) else f"[{format_property_name(name) if name else chr(34) * 2}]"
    if edge_type == "context":
        return f"->{name}"
    if edge_type == "weak":
        return f"[[{name}]]"
    if edge_type == "shortcut":
        return name
    return "{" + name + "}"


@dataclass
class RetainerRow:
    edge: EdgeInfo
    distance: int  # as DevTools' Retainers view reports the row: BASE_UNREACHABLE_DISTANCE and up when
    #                nothing reaches the retainer without the ignored nodes, or the edge is ignored
    edge_ignored: bool  # an ephemeron edge left alone because its map or key is unreachable
    node_ignored: bool  # the retainer is one of the ignored nodes


class RetainersView:
    """The Retainers view for a set of ignored nodes (empty: the plain view). Build it with
    SnapshotQuery.retainers_view(); it does not change once built."""

    def __init__(self, query, ignored):
        from .kernels import ephemeron_edges_left_alone
        self.query, self.ignored = query, frozenset(ignored)
        h = query.heap
        if not self.ignored:
            self.bfs_edge, self.ignored_edges = h.bfs_edge, _NO_EDGES
            self._dist = h.distance
            return
        mask = np.zeros(query.node_count, dtype=np.uint8)
        mask[np.fromiter(self.ignored, dtype=np.int64)] = 1
        dist, self.bfs_edge = h.compute_distances(mask)
        ret_first, ret_edge = h.retainer_index()
        wm_suffix, _pairs = h.weakmap_pairs()
        self.ignored_edges = np.unique(ephemeron_edges_left_alone(
            dist, h.first_edge, h.edge_to, h.edge_type, h.edge_name, h.edge_types["internal"], wm_suffix,
            ret_first, ret_edge)).astype(np.uint32)
        # DevTools: a node the search no longer reaches sorts after the rest, by its usual distance.
        self._dist = np.where(dist == NO_DISTANCE, np.maximum(h.distance, 0) + BASE_UNREACHABLE_DISTANCE,
                              dist).astype(np.int32)

    def distance(self, v):
        """The node's distance as this view reports it."""
        d = int(self._dist[v])
        return BASE_UNREACHABLE_DISTANCE if d < 0 else d

    def distances(self):
        """Every node's distance as this view reports it (DevTools' getDistanceForRetainersView)."""
        return np.where(self._dist < 0, BASE_UNREACHABLE_DISTANCE, self._dist)

    def edge_ignored(self, e):
        i = int(np.searchsorted(self.ignored_edges, e))
        return i < self.ignored_edges.shape[0] and int(self.ignored_edges[i]) == int(e)

    def rows(self, v, include_weak=False, offset=0, limit=None):
        """v's retainers in the view's order (distance, retainer name, edge), one page."""
        q = self.query
        k = (offset + limit) if limit is not None else self.count(v, include_weak)
        edges, sources, _total = q._retainer_page(v, include_weak, k, self._dist, self.ignored_edges)
        out = []
        for e, src in zip(edges[offset:].tolist(), sources[offset:].tolist()):
            ignored = self.edge_ignored(e)
            out.append(RetainerRow(edge=q.edge(e, src), distance=BASE_UNREACHABLE_DISTANCE if ignored
                                   else self.distance(src), edge_ignored=ignored, node_ignored=src in self.ignored))
        return out

    def count(self, v, include_weak=False):
        return self.query.retainer_count(v, include_weak)

    def path(self, v):
        """A shortest path from a root to v that avoids the ignored nodes (empty if none)."""
        return self.query.retaining_path(v, self.bfs_edge)

    def path_runs(self, v):
        return self.query.retaining_path_runs(v, self.bfs_edge)


def format_distance(d):
    """DevTools shows distances from 0 up to the system base as numbers, anything else as a dash."""
    return str(d) if 0 <= d < BASE_SYSTEM_DISTANCE else "\u2212"


__all__ = ["SnapshotQuery", "RetainersView", "RetainerRow", "ClassRow", "NodeInfo", "EdgeInfo", "SourceLocation", "edge_label", "format_distance",
           "sort_class_rows", "SORT_KEYS", "NO_DISTANCE"]
