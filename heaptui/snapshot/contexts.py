"""Realms: which JavaScript context (V8 NativeContext: the main realm, each `vm` context, iframe or
worker realm in a browser) each object belongs to, as DevTools' native-context attribution has it.

Seeds: a NativeContext owns itself; an object whose map's map (its realm's meta map) has an
internal `native_context` edge belongs to that context. Ownership then spreads along every edge
that is not `shortcut` or `weak`: an object reached from one context belongs to it, from several to
none in particular ("shared"), from none to nothing ("no context"). Seeds never change owner.
The spreading is a fixed point, so the result does not depend on the order objects are visited.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .jit import kernel

NO_CONTEXT = -1
SHARED = -2


@kernel("(uint32[::1], uint32[::1], uint8[::1], uint32[::1], uint32[::1], uint8[::1], int64, int64, int64,"
        " int64, int64, int64)")
def _owners(first_edge, edge_to, edge_type, edge_name, node_name, is_context_name, internal_etype,
            shortcut_etype, weak_etype, map_name, native_context_name, element_etype):
    n = first_edge.shape[0] - 1
    owner = np.full(n, -1, dtype=np.int32)
    fixed = np.zeros(n, dtype=np.uint8)
    queue = np.empty(3 * n + 1, dtype=np.uint32)  # a node changes owner at most twice
    tail = 0
    for v in range(n):
        if is_context_name[node_name[v]]:
            owner[v] = v
            fixed[v] = 1
    for v in range(n):
        if fixed[v]:
            queue[tail] = v
            tail += 1
            continue
        # v's map, that map's map (the meta map), and the meta map's native_context
        found = -1
        cur = v
        for step in range(3):
            want = map_name if step < 2 else native_context_name
            nxt = -1
            for e in range(first_edge[cur], first_edge[cur + 1]):
                if edge_type[e] == internal_etype and edge_name[e] == want:
                    nxt = edge_to[e]
                    break
            if nxt < 0:
                break
            cur = nxt
            if step == 2 and is_context_name[node_name[cur]]:
                found = cur
        if found >= 0:
            owner[v] = found
            fixed[v] = 1
            queue[tail] = v
            tail += 1
    head = 0
    while head < tail:
        u = queue[head]
        head += 1
        o = owner[u]
        for e in range(first_edge[u], first_edge[u + 1]):
            t = edge_type[e]
            if t == shortcut_etype or t == weak_etype:
                continue
            c = edge_to[e]
            if fixed[c]:
                continue
            cur = owner[c]
            if cur == o or cur == -2:
                continue
            owner[c] = o if cur == -1 else -2
            queue[tail] = c
            tail += 1
    return owner


def context_owners(heap):
    """Per node: the ordinal of the NativeContext it belongs to, NO_CONTEXT or SHARED."""
    strings = heap.strings
    is_context = np.zeros(len(strings), dtype=np.uint8)
    for i in np.unique(heap.node_name[heap.node_type == heap.node_types["hidden"]]).tolist():
        s = strings[i]
        if s.startswith("Detached "):
            s = s[len("Detached "):]
        if s.startswith("system / NativeContext"):
            is_context[i] = 1
    e = heap.edge_types
    return _owners(heap.first_edge, heap.edge_to, heap.edge_type, heap.edge_name, heap.node_name, is_context,
                   e["internal"], e["shortcut"], e["weak"], heap.string_id("map"),
                   heap.string_id("native_context"), e["element"])


@dataclass
class ContextRow:
    key: str  # "@<id of the NativeContext>", "shared" or "none": what --context takes
    context: int | None  # the NativeContext's ordinal (None for shared / none)
    label: str  # the context as a person knows it: its global object, its URL in a browser
    objects: int  # objects attributed to it
    size: int  # their shallow sizes: DevTools' attributed size
    retained_size: int  # what the NativeContext alone keeps alive (its retained size)


def native_contexts(snap):
    """The realms of the snapshot, largest attributed size first, then what is shared and what is
    in no context."""
    h = snap.heap
    owner = snap.context_owners()
    sizes = np.asarray(h.self_size, dtype=np.int64)
    contexts = np.nonzero(owner == np.arange(h.node_count, dtype=np.int32))[0]
    rows = []
    for c in contexts.tolist():
        mine = owner == c
        rows.append(ContextRow(key=f"@{int(h.node_id[c])}", context=c, label=_label(snap, c),
                               objects=int(mine.sum()), size=int(sizes[mine].sum()),
                               retained_size=int(h.retained[c])))
    rows.sort(key=lambda r: (-r.size, r.key))
    for key, value, label in (("shared", SHARED, "shared by several contexts"),
                              ("none", NO_CONTEXT, "in no context (V8's own objects, roots)")):
        mine = owner == value
        rows.append(ContextRow(key=key, context=None, label=label, objects=int(mine.sum()),
                               size=int(sizes[mine].sum()), retained_size=0))
    return rows


def _label(snap, c):
    """A context's global object: `global` in Node, `Window / https://...` in a browser; with the
    context's own name where V8 gave it one (`system / NativeContext / URL`)."""
    h = snap.heap
    name = snap.raw_name(c)
    edges = {snap.edge(e, c).name: int(h.edge_to[e]) for e in range(int(h.first_edge[c]), int(h.first_edge[c + 1]))}
    g = edges.get("global_object", edges.get("global_proxy_object"))  # the second in older V8s
    if g is None:
        return name
    glob = snap.display_name(g) or snap.class_name(g)
    return f"{glob} @{int(h.node_id[g])}" + (f" ({name})" if name != "system / NativeContext" else "")


def context_mask(snap, key):
    """Objects of one realm (key as ContextRow.key: "@ID", "shared" or "none")."""
    owner = snap.context_owners()
    if key == "shared":
        return owner == SHARED
    if key == "none":
        return owner == NO_CONTEXT
    text = key[1:] if key.startswith("@") else key
    v = snap.find_id(int(text)) if text.isdigit() else None
    if v is None or owner[v] != v:
        choices = ", ".join(r.key for r in native_contexts(snap))
        raise ValueError(f"no context {key!r}; the contexts are: {choices}")
    return owner == v
