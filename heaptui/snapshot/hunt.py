"""Leak suspects from a series of snapshots of one process: baseline, then one after each exercise.

A leak is memory that keeps arriving under something long-lived. Object ids grow with allocation
order within one profiler session, so "allocated during round i" is the id range (max JS id of
snapshot i-1, max JS id of snapshot i]. In the final snapshot:

- the *survivors* are objects of every kind (strings, numbers, arrays, closures, plain objects, class
  instances) allocated after the baseline and before the final round, still alive; engine-owned code
  and metadata (compiled code, shapes, feedback, internal system objects) never count;
- each survivor belongs to the top of its run of survivors in the dominator tree, so that nested
  survivors (a linked list, an object and its strings) are one arrival and nothing counts twice;
- each arrival is attributed to its *holder*: the nearest object above it in the dominator tree (the
  shortest retaining path when only a root dominates it) that existed before the baseline and that a
  developer can name: an instance, a collection, a function, a closure's variables;
- arrivals are grouped by holder and by the edge they hang from, and a group is a suspect when
  something arrived in every round, its bytes pass a floor, and the holder itself grew.

Suspects are ranked by the holder's growth over the series and the bytes that arrived. The model
never prints: each suspect carries its facts and a sentence for the front ends.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .jit import kernel
from .kernels import NO_EDGE
from .idspace import _positions
from .query import _source_of

# Node types whose new instances are the engine's own bookkeeping, not data a program keeps.
ENGINE_TYPES = {"code", "object shape", "synthetic", "hidden"}
# Classes under which nothing a developer wrote is held.
ENGINE_HOLDERS = re.compile(r"^\((?!object elements|object properties).*\)$|^system / (?!Context$)")
MIN_BYTES = 4096  # a group adding less than this over all rounds is noise, not a leak
PATH_STEPS = 8  # steps of a root-to-holder path shown before it is shortened


@dataclass(frozen=True)
class Holder:
    ordinal: int  # in the final snapshot
    id: int
    class_name: str
    name: str
    location: str  # file:line:column of its constructor or function, "" when unknown

    def as_json(self):
        return {"id": self.id, "class": self.class_name, "name": self.name,
                "location": self.location or None}


@dataclass
class Suspect:
    holder: Holder
    edge: str  # how the arrivals hang from the holder, readable: MemoryStore.sessions, Context.log
    count: int  # survivors (every object that arrived, nested ones included)
    bytes: int  # their shallow sizes: what they add since the baseline, counted once
    per_round: list  # [(count, bytes)] of the survivors allocated in each round
    classes: list  # [(class name, count, bytes)], biggest first
    holder_growth: list  # the holder's retained size in each snapshot, oldest first
    path: list = field(default_factory=list)  # root to holder, readable steps, noise trimmed
    source: str = ""  # file:line:column of the code involved, when the snapshot has locations
    example: int = -1  # one arriving object (ordinal in the final snapshot), to open in a UI
    user_code: bool = False  # the holder or the arrivals come from the program's own scripts
    own_sizes: list = field(default_factory=list)  # a growing collection's own size per snapshot

    @property
    def name(self):
        return self.edge

    @property
    def key(self):
        return f"{self.holder.id}:{self.edge}"

    @property
    def retained_size(self):
        return self.bytes

    @property
    def growth(self):
        return self.holder_growth[-1] - self.holder_growth[0] if self.holder_growth else 0

    def sentence(self):
        from ..format import human_size  # formatting shared with the front ends; prints nothing
        where = f" [{self.source}]" if self.source else ""
        if self.own_sizes:
            steps = " \u2192 ".join(human_size(x) for x in self.own_sizes)
            return (f"{self.edge} keeps growing: its own size grew in every snapshot ({steps}) with no "
                    f"new objects under it (values it stores inline, such as numbers){where}")
        kinds = ", ".join(f"{n:,} {name}" for name, n, _b in self.classes[:3])
        rounds = len(self.per_round)
        per = ", ".join(f"+{c:,} ({human_size(b)})" for c, b in self.per_round)
        return (f"{self.edge} keeps growing: {self.count:,} objects ({human_size(self.bytes)}) arrived "
                f"there after the baseline and stayed, in each of {rounds} round{'s' if rounds != 1 else ''} "
                f"({per}); mostly {kinds}; the holder now retains {human_size(self.holder_growth[-1])} "
                f"(+{human_size(self.growth)}){where}")

    def as_json(self):
        return {"holder": self.holder.as_json(), "edge": self.edge, "path": self.path,
                "count": self.count, "bytes": self.bytes,
                "per_round": [{"count": c, "bytes": b} for c, b in self.per_round],
                "classes": [{"name": n, "count": c, "bytes": b} for n, c, b in self.classes],
                "holder_retained": self.holder_growth, "own_sizes": self.own_sizes or None,
                "source": self.source,
                "example": self.example, "sentence": self.sentence()}


def max_js_id(snap):
    """The largest odd (JS heap) object id in the snapshot: DevTools' maxJSObjectId."""
    ids = snap.heap.node_id
    odd = ids[(ids & 1) == 1]
    return int(odd.max()) if odd.size else 0


@kernel("(uint32[::1], bool[::1])")
def _arrival_tops(idom, is_new):
    """For each survivor, the top of its run of survivors in the dominator tree (itself when its
    dominator is not a survivor); -1 for other nodes. Linear: each chain is walked once."""
    n = idom.shape[0]
    top = np.full(n, -1, dtype=np.int64)
    chain = np.empty(n, dtype=np.int64)
    for v in range(n):
        if not is_new[v] or top[v] >= 0:
            continue
        k = 0
        u = v
        while True:
            chain[k] = u
            k += 1
            p = idom[u]
            if p == u or not is_new[p]:
                t = u
                break
            if top[p] >= 0:
                t = top[p]
                break
            u = p
        for i in range(k):
            top[chain[i]] = t
    return top


@kernel("(int64[::1], uint32[::1], uint32[::1], uint32[::1], bool[::1], int64)")
def _find_holders(tops, idom, bfs_edge, first_edge, nameable, root):
    """For each arrival top: its holder (the nearest nameable node above it in the dominator tree,
    else along the shortest retaining path) and the node just below the holder on that way; -1 when
    there is none. Walks from one dominator are shared (`seen`), so chains cost one walk."""
    n = idom.shape[0]
    holders = np.full(tops.shape[0], -1, dtype=np.int64)
    children = np.full(tops.shape[0], -1, dtype=np.int64)
    seen_holder = np.full(n, -2, dtype=np.int64)  # by the dominator a walk started from
    seen_child = np.full(n, -1, dtype=np.int64)  # -1: the child is the top itself
    for i in range(tops.shape[0]):
        t = tops[i]
        d = idom[t]
        if seen_holder[d] >= 0:
            holders[i] = seen_holder[d]
            children[i] = t if seen_child[d] < 0 else seen_child[d]
            continue
        if seen_holder[d] == -2:  # not walked from d yet
            child = t
            u = d
            found = -1
            while u != root:
                if nameable[u]:
                    found = u
                    break
                child = u
                u = idom[u]
            if found >= 0:
                seen_holder[d] = found
                seen_child[d] = -1 if child == t else child
                holders[i] = found
                children[i] = child
                continue
            seen_holder[d] = -1  # only the root dominates arrivals under d
        cur = t
        for _ in range(n):  # only the root dominates t there: the shortest path, back towards a root
            e = bfs_edge[cur]
            if e == 0xFFFFFFFF:
                break
            child = cur
            cur = _source_of(first_edge, np.int64(e))
            if nameable[cur]:
                holders[i] = cur
                children[i] = child
                break
    return holders, children


def find_suspects(snapshots, limit=20, min_bytes=MIN_BYTES):
    """Suspects, the strongest first, from snapshots [baseline, after round 1, ..., final]."""
    if len(snapshots) < 3:
        raise ValueError("leak hunting needs three snapshots at least (baseline, target, final)")
    from .idspace import require_same_session
    for earlier in snapshots[:-1]:
        require_same_session(earlier, snapshots[-1], "hunt over")
    final = snapshots[-1]
    bounds = [max_js_id(s) for s in snapshots]
    round_of = _rounds(final, bounds)
    if not round_of.any():
        return []
    rounds = len(snapshots) - 2
    suspects = []
    for holder, members, children in _groups(final, round_of, bounds[0], rounds, min_bytes):
        suspect = _suspect(final, holder, members, children, round_of, rounds)
        if suspect is not None:
            suspects.append(suspect)
    for s in suspects:
        s.holder_growth = _holder_growth(snapshots, s.holder)
    suspects = [s for s in suspects if _grew(s.holder_growth)]
    suspects += _growing_collections(snapshots, bounds[0], {s.holder.ordinal for s in suspects})
    suspects.sort(key=lambda s: (-min(s.growth, s.bytes), -s.bytes, s.edge))
    suspects = suspects[:limit]
    for s in suspects:
        s.path = path_steps(final, s.holder.ordinal)
    return suspects


def _rounds(final, bounds):
    """Per node of the final snapshot: the round that allocated it (1..n-2), 0 when it is not a
    survivor (older, allocated in the last round, empty, or the engine's own)."""
    h = final.heap
    ids = h.node_id.astype(np.int64)
    engine = np.isin(h.node_type, [h.node_types[t] for t in ENGINE_TYPES if t in h.node_type_names])
    eligible = (h.self_size != 0) & ~engine
    round_of = np.zeros(h.node_count, dtype=np.int8)
    for i in range(1, len(bounds) - 1):
        round_of[eligible & (ids > bounds[i - 1]) & (ids <= bounds[i])] = i
    return round_of


def _groups(snap, round_of, baseline, rounds, min_bytes):
    """[(holder, survivor ordinals, nodes just below the holder on the way to them)] for the holders
    under which something arrived in every round, min_bytes at least: every survivor goes with the
    top of its run of survivors, and that top with the holder above it."""
    h = snap.heap
    is_new = round_of > 0
    idom = np.ascontiguousarray(h.idom)
    top = _arrival_tops(idom, is_new)
    survivors = np.nonzero(is_new)[0]
    tops, inverse = np.unique(top[survivors], return_inverse=True)
    holders, children = _find_holders(tops, idom, np.ascontiguousarray(h.bfs_edge),
                                      np.ascontiguousarray(h.first_edge), _nameable_mask(snap, baseline),
                                      snap.root)
    survivor_holder = holders[inverse.reshape(-1)]
    keep = survivor_holder >= 0
    survivors, survivor_holder = survivors[keep], survivor_holder[keep]
    # Per holder, in one pass: bytes and arrivals in each round; only the passing ones go on.
    ids, group = np.unique(survivor_holder, return_inverse=True)
    group = group.reshape(-1)
    sizes = h.self_size[survivors].astype(np.float64)
    passing = np.bincount(group, weights=sizes, minlength=ids.shape[0]) >= min_bytes
    member_rounds = round_of[survivors]
    for r in range(1, rounds + 1):
        passing &= np.bincount(group[member_rounds == r], minlength=ids.shape[0]) > 0
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(ids.shape[0] + 1))
    out = []
    for g in np.nonzero(passing)[0].tolist():
        holder = int(ids[g])
        out.append((holder, survivors[order[starts[g]:starts[g + 1]]], children[holders == holder]))
    return out


COLLECTIONS = {"Array", "Map", "Set", "Object"}
MIN_OWN_GROWTH = 256  # bytes a collection's own size must gain over the series


def _growing_collections(snapshots, baseline, known):
    """Collections that existed at the baseline and whose own (shallow) size grew in every
    snapshot: memlab's unbound collections. This finds what arrives without new objects, such as
    numbers an array keeps unboxed in its backing store (DevTools counts the store in the array's
    shallow size). [Suspect], holders already suspected left out."""
    final = snapshots[-1]
    h = final.heap
    generic = np.array([name in COLLECTIONS or name.startswith("{") for name in h.class_names], dtype=bool)
    candidates = np.nonzero(_nameable_mask(final, baseline) & generic[h.class_id])[0]
    if not candidates.size:
        return []
    ids = h.node_id[candidates]
    order = np.argsort(ids)
    wanted = np.ascontiguousarray(ids[order], dtype=np.uint32)
    sizes = []
    for snap in snapshots:
        at = _positions(wanted, snap.heap.ordinals_by_id(), np.ascontiguousarray(snap.heap.node_id, dtype=np.uint32))
        sizes.append(np.where(at >= 0, snap.heap.self_size[np.maximum(at, 0)].astype(np.int64), -1))
    sizes = np.stack(sizes)  # snapshots x candidates (in id order)
    steady = (sizes[0] >= 0) & (np.diff(sizes, axis=0) > 0).all(axis=0)
    steady &= sizes[-1] - sizes[0] >= MIN_OWN_GROWTH
    out = []
    for k in np.nonzero(steady)[0].tolist():
        v = int(candidates[order[k]])
        if v in known:
            continue
        own = sizes[:, k].tolist()
        info = _describe_holder(final, v)
        source = next((loc for loc in (info.location, _owner_location(final, v)) if _user_script(loc)),
                      info.location or _owner_location(final, v))
        out.append(Suspect(holder=info, edge=_edge_name(final, v, ""), count=0, bytes=own[-1] - own[0],
                           per_round=[(0, own[i] - own[i - 1]) for i in range(1, len(own) - 1)], classes=[],
                           holder_growth=_holder_growth(snapshots, info), source=source, example=v,
                           user_code=_user_script(source), own_sizes=own))
    return out


def _nameable_mask(snap, baseline):
    """Nodes a developer can name as a holder: objects, functions and regexps that existed at the
    baseline, of a class that is not the engine's own (a closure's variables count)."""
    h = snap.heap
    kinds = [h.node_types[t] for t in ("object", "closure", "regexp")]
    ok_class = np.array([not ENGINE_HOLDERS.match(name) for name in h.class_names], dtype=bool)
    mask = (h.node_id.astype(np.int64) <= baseline) & np.isin(h.node_type, kinds) & ok_class[h.class_id]
    mask[snap.root] = False
    return mask


def _edge_into(snap, v):
    """The label of the edge by which the shortest retaining path reaches v ("" for a root)."""
    e = int(snap.heap.bfs_edge[v])
    return "" if e == NO_EDGE else snap.edge(e).label


def _suspect(snap, holder, members, tops, round_of, rounds):
    h = snap.heap
    sizes = h.self_size[members].astype(np.int64)
    member_rounds = round_of[members]
    per_round = [(int((member_rounds == r).sum()), int(sizes[member_rounds == r].sum()))
                 for r in range(1, rounds + 1)]
    class_ids = h.class_id[members]
    by_class = np.bincount(class_ids, weights=sizes, minlength=len(h.class_names))
    counts = np.bincount(class_ids, minlength=len(h.class_names))
    present = np.nonzero(counts)[0]
    own = np.array([_user_script(str(snap.class_location(c) or "")) for c in present.tolist()], dtype=bool)
    order = present[np.lexsort((-by_class[present], ~own))]  # the program's own classes first
    classes = [(h.class_names[c], int(counts[c]), int(by_class[c])) for c in order[:5].tolist()]
    info = _describe_holder(snap, holder)
    example = int(members[np.argmax(sizes)])
    found = [info.location, _owner_location(snap, holder), _closure_location(snap, members),
             _class_location(snap, members)]
    source = next((loc for loc in found if _user_script(loc)), next((loc for loc in found if loc), ""))
    return Suspect(holder=info, edge=_edge_name(snap, holder, _arrival_label(snap, tops)),
                   count=int(members.shape[0]), bytes=int(sizes.sum()), per_round=per_round,
                   classes=classes, holder_growth=[], source=source, example=example,
                   user_code=_user_script(source))


def _arrival_label(snap, tops, sample=200):
    """The name of the edge from the holder towards the arrivals, when most share one (a field such
    as `head`); "" when they hang from slots or from keys of their own (a dictionary's)."""
    picks = tops[np.linspace(0, tops.shape[0] - 1, min(sample, tops.shape[0])).astype(np.int64)]
    labels = {}
    for t in picks.tolist():
        label = _fold(_edge_into(snap, t))
        labels[label] = labels.get(label, 0) + 1
    label, n = max(labels.items(), key=lambda kv: kv[1])
    return label if n * 2 > len(picks) and label[:1] in (".", "-") else ""


def _describe_holder(snap, v):
    loc = snap.source_location(v)
    return Holder(ordinal=int(v), id=int(snap.heap.node_id[v]), class_name=snap.class_name(v),
                  name=snap.display_name(v)[:80], location=str(loc) if loc is not None else "")


GENERIC = {"Object", "Array", "Map", "Set", "system / Context"}  # containers named by their owner


def _edge_name(snap, holder, label):
    """The holder as a developer names it: an instance by its class (TimersList); a generic container
    by the way its owner holds it, climbing through containers to an object with a class of its own
    (EventEmitter._events.reload, MemoryStore.sessions) or to a closure's variable (`cache (variable)`);
    then the edge the arrivals hang from, when most share one."""
    if not _generic(snap.class_name(holder)):
        name = _short_class(snap.class_name(holder))
    else:
        parts = []
        v = holder
        for _ in range(4):
            e = int(snap.heap.bfs_edge[v])
            if e == NO_EDGE:
                parts.append(_short_class(snap.class_name(v)))
                break
            edge = snap.edge(e)
            owner_cls = snap.class_name(edge.source)
            parts.append(_step_name(edge))
            if owner_cls == "system / Context":
                parts[-1] += " (variable)"
                break
            if not _generic(owner_cls):
                parts.append(_short_class(owner_cls))
                break
            v = edge.source
        name = ".".join(reversed(parts))
    tail = _bare(label)
    if tail and not label.startswith(("{", "[")):
        name += "." + tail
    return name


def _generic(cls):
    return cls in GENERIC or cls.startswith("{")


def _step_name(edge):
    label = _bare(edge.label)
    return _fold(label) if edge.label.startswith(("[", "{")) else label


def _bare(label):
    """An edge label without DevTools' decorations: .x -> x, ->ctx -> ctx."""
    return label[2:] if label.startswith("->") else label[1:] if label.startswith(".") else label


def _short_class(name):
    return "Context" if name == "system / Context" else name


def _owner_location(snap, holder):
    """Where the holder's owner is defined (the class whose field holds a collection), or, for a
    closure's variable, where a function that closes over it is defined."""
    e = int(snap.heap.bfs_edge[holder])
    candidates = [holder]
    if e != NO_EDGE:
        candidates.append(snap.edge(e).source)
    for v in list(candidates):
        if snap.class_name(v) == "system / Context":
            candidates += [r.source for r in snap.retainers(v, limit=50) if r.name == "context"]
    for v in candidates[1:]:
        loc = snap.source_location(v)
        if loc is not None:
            return str(loc)
    return ""


def _closure_location(snap, members, sample=200):
    """Where most arriving functions are defined (a listener, an interval callback)."""
    h = snap.heap
    closures = members[h.node_type[members] == h.node_types["closure"]]
    if not closures.size:
        return ""
    picks = closures[np.linspace(0, closures.shape[0] - 1, min(sample, closures.shape[0])).astype(np.int64)]
    seen = {}
    for v in picks.tolist():
        loc = snap.source_location(v)
        if loc is not None:
            seen[str(loc)] = seen.get(str(loc), 0) + 1
    return max(seen.items(), key=lambda kv: kv[1])[0] if seen else ""


def _class_location(snap, members):
    """Where the arrivals' constructor or function is defined (the commonest located class)."""
    class_ids, counts = np.unique(snap.heap.class_id[members], return_counts=True)
    for c in class_ids[np.argsort(-counts, kind="stable")][:5].tolist():
        loc = snap.class_location(c)
        if loc is not None:
            return str(loc)
    return ""


def _user_script(location):
    return bool(location) and not location.startswith(("node:", "script "))


def _holder_growth(snapshots, holder):
    """The holder's retained size in each snapshot it is in (it existed at the baseline)."""
    sizes = []
    for s in snapshots:
        v = s.find_id(holder.id)
        sizes.append(int(s.heap.retained[v]) if v is not None else 0)
    return sizes


def _grew(sizes):
    """Grew over the series, and never shrank back to where it started."""
    return len(sizes) >= 2 and sizes[-1] > sizes[0] and min(sizes[1:]) > sizes[0]


_INDEX = re.compile(r"\[\d+\]|\{\d+\}|\.\d+$")


def _fold(label):
    """An edge label without its slot number: [12] -> [], {222} -> {}."""
    return _INDEX.sub(lambda m: "[]" if m.group().startswith(("[", ".")) else "{}", label)


def path_steps(snap, v, limit=PATH_STEPS):
    """Root-to-v as readable steps (Class.edge), engine-internal hops left out, runs folded
    (`Node.next × 80,000`), long paths shortened in the middle."""
    steps = []
    for edge, repeats in snap.retaining_path_runs(v):
        if edge.source == snap.root:
            continue
        cls = snap.class_name(edge.source)
        if ENGINE_HOLDERS.match(cls):
            continue
        label = edge.label if edge.label.startswith(("[", "{", ".", "->")) else "." + edge.label
        step = f"{_short_class(cls)}{_fold(label) if repeats > 1 else label}"
        steps.append(step + (f" × {repeats:,}" if repeats > 1 else ""))
    steps.append(_short_class(snap.class_name(v)))
    if len(steps) > limit:  # the end near the holder is what a developer acts on
        steps = [f"… {len(steps) - limit + 1} steps from a root"] + steps[-(limit - 1):]
    return steps
