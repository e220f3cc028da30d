"""DevTools' named Summary filters, as node masks for SnapshotQuery.classes(mask=...), and the
duplicated-strings report built on the first of them.

- "duplicated-strings": string and concatenated-string objects whose content occurs more than once
  (a cons string already flattened, one of its halves empty, is not counted: V8 decides that itself).
- "retained-by-detached-dom": objects reachable from the root only through detached DOM nodes.
- "retained-by-console": objects reachable only through what the DevTools console keeps
  (`... / DevTools console` edges of synthetic nodes).
- "retained-by-event-handlers": objects reachable only through event handlers. A handler is found
  from each `V8EventListener` node: its edge `1` leads to the callback; the handler is the callback if
  it has a `code` edge, else the callback's first child that has one, else the callback itself.
- "retained-by-contexts": objects reachable only through contexts (`system / Context` nodes): what
  closures' scopes keep alive.

Each follows DevTools' createNamedFilter: a breadth-first walk from the root that skips weak edges and
the filter's edges; what it does not reach, and the walk of the Summary did reach, is kept. The last
two are in DevTools since 2025, after the DevTools code the parity tests pin (heap-snapshot-toolkit
1.1.3), so their tests are hand-built graphs, one per rule.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels as K

from .filter_names import NAMES

DETACHED = 2  # DOMLinkState.DETACHED


def named_filter_mask(snap, name):
    """A boolean mask over nodes: the objects DevTools' filter `name` keeps (snap: a SnapshotQuery)."""
    heap = snap.heap
    if name == "duplicated-strings":
        return _duplicated_string_mask(snap)[0]
    if name == "retained-by-detached-dom":
        if heap.detachedness is None:
            skip_target = np.zeros(heap.node_count, dtype=np.bool_)
        else:
            skip_target = np.asarray(heap.detachedness) == DETACHED
        skip = skip_target[heap.edge_to].astype(np.uint8)
        return _not_reached(heap, skip)
    if name == "retained-by-console":
        return _not_reached(heap, _console_edges(heap))
    if name == "retained-by-event-handlers":
        return _not_reached(heap, _event_handlers(heap)[heap.edge_to].astype(np.uint8))
    if name == "retained-by-contexts":
        return _not_reached(heap, _contexts(heap)[heap.edge_to].astype(np.uint8))
    raise ValueError(f"unknown filter {name!r}; the filters are: {', '.join(NAMES)}")


def _not_reached(heap, skip):
    reached = K.reach_avoiding(np.int64(heap.root), heap.first_edge, heap.edge_to, heap.edge_type,
                               np.int64(heap.edge_types["weak"]), skip)
    unreachable = np.asarray(heap.distance) == K.NO_DISTANCE
    return ~(reached.astype(np.bool_) | unreachable)


def _named_mask(heap, ids):
    """Per node: its name is one of the string ids `ids`."""
    return np.isin(heap.node_name, np.asarray(ids, dtype=np.int64)) if len(ids) else \
        np.zeros(heap.node_count, dtype=np.bool_)


def _contexts(heap):
    """Per node: a `system / Context` node (named so, or `system / Context / ...`)."""
    ids = [i for i in heap.strings.starting_with("system / Context").tolist()
           if heap.strings[i] == "system / Context" or heap.strings[i].startswith("system / Context / ")]
    return _named_mask(heap, ids)


def _edge_named(heap, e, text):
    """Whether edge e's name, as DevTools gives it (an index as its digits), is `text`."""
    kind = heap.edge_type_names[heap.edge_type[e]]
    if kind in ("element", "hidden"):
        return str(int(heap.edge_name[e])) == text
    return int(heap.edge_name[e]) == heap.string_id(text)


def _has_code(heap, v):
    return any(_edge_named(heap, e, "code") for e in range(int(heap.first_edge[v]), int(heap.first_edge[v + 1])))


def _event_handlers(heap):
    """Per node: an event handler, found from the V8EventListener nodes as DevTools finds it."""
    handler = np.zeros(heap.node_count, dtype=np.bool_)
    listener = heap.string_id("V8EventListener")
    for v in (np.nonzero(heap.node_name == listener)[0].tolist() if listener >= 0 else []):
        callback = next((int(heap.edge_to[e]) for e in range(int(heap.first_edge[v]), int(heap.first_edge[v + 1]))
                         if _edge_named(heap, e, "1")), None)
        if callback is None:
            continue
        chosen = callback
        if not _has_code(heap, callback):
            children = (int(heap.edge_to[e]) for e in range(int(heap.first_edge[callback]),
                                                             int(heap.first_edge[callback + 1])))
            chosen = next((c for c in children if _has_code(heap, c)), callback)
        handler[chosen] = True
    return handler


def _console_edges(heap):
    """1 for every edge of a synthetic node whose (string) name ends with ' / DevTools console'."""
    strings = heap.strings
    suffix = " / DevTools console"
    named = [i for i in np.unique(heap.edge_name).tolist() if i < len(strings) and strings[i].endswith(suffix)]
    if not named:
        return np.zeros(heap.edge_count, dtype=np.uint8)
    sources = np.repeat(np.arange(heap.node_count, dtype=np.uint32), np.diff(heap.first_edge.astype(np.int64)))
    synthetic = heap.node_type[sources] == heap.node_types["synthetic"]
    numeric = np.isin(heap.edge_type, [heap.edge_types[t] for t in ("element", "hidden")
                                       if t in heap.edge_type_names])
    return (synthetic & ~numeric & np.isin(heap.edge_name, named)).astype(np.uint8)


def _string_contents(snap):
    """(ordinals, contents) of string and concatenated-string nodes, as DevTools names them (a cons
    string by its halves joined), less cons strings already flattened (a half is empty)."""
    heap = snap.heap
    types = [heap.node_types[t] for t in ("string", "concatenated string") if t in heap.node_type_names]
    nodes = np.nonzero(np.isin(heap.node_type, types))[0]
    is_cons = np.zeros(len(nodes), dtype=np.bool_)
    if "concatenated string" in heap.node_type_names:
        is_cons = heap.node_type[nodes] == heap.node_types["concatenated string"]
    strings = heap.strings
    contents = np.empty(len(nodes), dtype=object)
    names = heap.node_name[nodes[~is_cons]].astype(np.int64)
    unique, where = np.unique(names, return_inverse=True)
    texts = np.empty(len(unique), dtype=object)
    texts[:] = [strings[i] for i in unique.tolist()]
    contents[~is_cons] = texts[where]
    keep = np.ones(len(nodes), dtype=np.bool_)
    halves = {i for i in (heap.string_id("first"), heap.string_id("second")) if i >= 0}
    internal = heap.edge_types["internal"]
    for k in np.nonzero(is_cons)[0].tolist():
        v = int(nodes[k])
        for e in range(int(heap.first_edge[v]), int(heap.first_edge[v + 1])):
            if heap.edge_type[e] == internal and int(heap.edge_name[e]) in halves \
                    and snap.display_name(int(heap.edge_to[e])) == "":
                keep[k] = False
                break
        else:
            contents[k] = snap.display_name(v)
    return nodes[keep], contents[keep]


def _duplicated_string_mask(snap):
    """(mask, group number of each kept node, the kept nodes): strings whose content occurs twice or
    more among string objects (DevTools compares the contents, as names)."""
    heap = snap.heap
    nodes, contents = _string_contents(snap)
    group_of = {}
    groups = np.fromiter((group_of.setdefault(c, len(group_of)) for c in contents.tolist()), dtype=np.int64,
                         count=len(contents))
    counts = np.bincount(groups, minlength=len(group_of))
    keep = counts[groups] > 1
    mask = np.zeros(heap.node_count, dtype=np.bool_)
    mask[nodes[keep]] = True
    return mask, groups[keep], nodes[keep]


@dataclass
class DuplicatedString:
    text: str  # the content (cut for display by the caller)
    length: int
    count: int  # string objects with this content
    total_size: int  # their shallow sizes together
    wasted: int  # what interning would save: all copies but the largest
    examples: list  # ordinals of a few of them, largest first

    def as_json(self, snap, preview=200):
        return {"text": self.text[:preview], "length": self.length, "count": self.count,
                "total_size": self.total_size, "wasted": self.wasted,
                "examples": [snap.node(v).as_json() for v in self.examples]}


def duplicated_strings(snap, limit=50):
    """Contents held by more than one string object, the most bytes wasted first."""
    h = snap.heap
    _mask, groups, nodes = _duplicated_string_mask(snap)
    if not len(nodes):
        return []
    sizes = h.self_size[nodes].astype(np.int64)
    order = np.lexsort((-sizes, groups))
    groups, nodes, sizes = groups[order], nodes[order], sizes[order]
    starts = np.concatenate([[0], np.nonzero(np.diff(groups))[0] + 1])
    totals = np.add.reduceat(sizes, starts)
    counts = np.diff(np.concatenate([starts, [len(groups)]]))
    wasted = totals - sizes[starts]  # the first of each group is its largest
    best = np.lexsort((-totals, -wasted))[:limit] if limit else np.lexsort((-totals, -wasted))
    out = []
    for k in best.tolist():
        a, n = int(starts[k]), int(counts[k])
        text = snap.display_name(int(nodes[a]))
        out.append(DuplicatedString(text=text, length=len(text), count=n, total_size=int(totals[k]),
                                    wasted=int(wasted[k]), examples=[int(v) for v in nodes[a:a + min(n, 3)]]))
    return out


def is_element(class_name):
    """A DOM element's class as DevTools names it: `<div>`, `Detached <li>` (not Blink's templates)."""
    return class_name.removeprefix("Detached ").startswith("<")


@dataclass
class DetachedTree:
    """One detached DOM tree: DOM nodes the document let go of, linked to each other, still alive.
    DevTools' "Detached elements" lists these, each with the JS that keeps it."""
    top: int  # ordinal of the node the tree is known by: the one closest to a root, then the largest
    nodes: list  # ordinals of its detached nodes
    size: int  # their shallow sizes
    retained_size: int  # what freeing the tree would free: the retained sizes of its members that
    #                     no other member dominates

    def kinds(self, snap, most=4):
        """[(class name, count)] of its nodes, most common first: what the tree is made of."""
        from collections import Counter
        counts = Counter(snap.class_name(v) for v in self.nodes).most_common()
        elements = [(c, n) for c, n in counts if is_element(c)]  # the elements first, then Blink's own parts
        ordered = elements + [(c, n) for c, n in counts if not is_element(c)]
        return ordered if most is None else ordered[:most]

    def as_json(self, snap):
        top = snap.node(self.top)
        return {"id": top.id, "name": top.name, "class": snap.class_name(self.top), "nodes": len(self.nodes),
                "size": self.size, "retained_size": self.retained_size,
                "kinds": [{"class": c, "count": n} for c, n in self.kinds(snap, most=None)],
                "path": [{"edge": e.label, "from": int(snap.heap.node_id[e.source])}
                         for e in snap.retaining_path(self.top)]}


def detached_trees(snap):
    """The snapshot's detached DOM trees (nodes with DevTools' detachedness "detached", grouped by
    the strong edges between them, each with at least one element), most retained first. Empty for
    snapshots without DOM."""
    h = snap.heap
    if h.detachedness is None:
        return []
    detached = np.asarray(h.detachedness) == DETACHED
    members = np.nonzero(detached)[0]
    if not len(members):
        return []
    parent = {int(v): int(v) for v in members.tolist()}

    def find(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    weak = h.edge_types["weak"]
    for v in members.tolist():
        for e in range(int(h.first_edge[v]), int(h.first_edge[v + 1])):
            c = int(h.edge_to[e])
            if h.edge_type[e] != weak and detached[c]:
                a, b = find(v), find(c)
                if a != b:
                    parent[a] = b
    groups = {}
    for v in members.tolist():
        groups.setdefault(find(v), []).append(v)
    dist = np.asarray(h.distance)
    trees = []
    for nodes in groups.values():
        if not any(is_element(snap.class_name(v)) for v in nodes):
            continue  # Node's own native objects are marked detached too: not DOM, not listed
        inside = set(nodes)
        size = int(np.asarray(h.self_size, dtype=np.int64)[nodes].sum())
        retained = sum(int(h.retained[v]) for v in nodes if int(h.idom[v]) not in inside)
        reach = [(int(dist[v]) if dist[v] >= 0 else 1 << 40, -int(h.retained[v]), v) for v in nodes]
        trees.append(DetachedTree(top=min(reach)[2], nodes=sorted(nodes), size=size, retained_size=retained))
    trees.sort(key=lambda t: (-t.retained_size, -len(t.nodes), t.top))
    return trees
