"""DevTools' named Summary filters, as node masks for SnapshotQuery.classes(mask=...), and the
duplicated-strings report built on the first of them.

- "duplicated-strings": string and concatenated-string objects whose content occurs more than once
  (a cons string already flattened, one of its halves empty, is not counted: V8 decides that itself).
- "retained-by-detached-dom": objects reachable from the root only through detached DOM nodes.
- "retained-by-console": objects reachable only through what the DevTools console keeps
  (`... / DevTools console` edges of synthetic nodes).

Each follows DevTools' createNamedFilter: a breadth-first walk from the root that skips weak edges and
the filter's edges; what it does not reach, and the walk of the Summary did reach, is kept.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels as K

NAMES = ("duplicated-strings", "retained-by-detached-dom", "retained-by-console")
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
    raise ValueError(f"unknown filter {name!r}; the filters are: {', '.join(NAMES)}")


def _not_reached(heap, skip):
    reached = K.reach_avoiding(np.int64(heap.root), heap.first_edge, heap.edge_to, heap.edge_type,
                               np.int64(heap.edge_types["weak"]), skip)
    unreachable = np.asarray(heap.distance) == K.NO_DISTANCE
    return ~(reached.astype(np.bool_) | unreachable)


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
