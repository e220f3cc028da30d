"""Leak suspects from a series of snapshots of one process (baseline, then after each exercise).

The technique memlab made known: objects allocated after the baseline that are still alive in the
last snapshot are suspects. Object ids grow with allocation order within one profiler session, so
"allocated during round i" is an id range (max JS id of snapshot i-1, max JS id of snapshot i]. A
class is reported when its objects from *every* round survive to the end (a leak grows with each
exercise; one-off warm-up allocations do not), and it is not an engine internal. Each suspect's
survivors are grouped by the shape of their retaining path (holder classes and edge names, with
array indexes folded), and the most common shape is shown with readable edge names.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

# Node types and class names a developer cannot act on directly.
INTERNAL_TYPES = {"hidden", "code", "synthetic", "object shape", "array", "number", "native",
                  "concatenated string", "sliced string", "symbol"}
INTERNAL_NAME = re.compile(r"^(\(.*\)|system / .*)$")
USER_COLLECTIONS = {"Map", "Set", "Array", "Object", "WeakMap", "WeakSet", "Function"}
PATH_SAMPLE = 2000  # survivors whose paths are clustered per class


@dataclass
class Suspect:
    name: str
    key: str
    count: int  # survivors in the final snapshot allocated after the baseline
    retained_size: int  # sum of their retained sizes in the final snapshot
    size_delta: int  # their shallow size (what they add since the baseline)
    per_round: list  # survivors allocated in each round
    path: list = field(default_factory=list)  # representative path, root first, readable steps
    similar_paths: int = 0  # survivors sharing that path's shape
    clusters: list = field(default_factory=list)  # (count, path) of the other shapes
    user_code: bool = True
    script: str = ""  # where the class is defined, when known
    example: int = -1  # one survivor (ordinal in the final snapshot), to open in a UI

    def as_json(self):
        return {"name": self.name, "script": self.script, "count": self.count, "retained_size": self.retained_size,
                "size_delta": self.size_delta, "path": self.path, "similar_paths": self.similar_paths,
                "per_round": self.per_round,
                "other_paths": [{"count": c, "path": p} for c, p in self.clusters]}


def max_js_id(snap):
    """The largest odd (JS heap) object id in the snapshot: DevTools' maxJSObjectId."""
    ids = snap.heap.node_id
    odd = ids[(ids & 1) == 1]
    return int(odd.max()) if odd.size else 0


def _internal(snap, class_index):
    h = snap.heap
    name = h.class_names[class_index]
    return bool(INTERNAL_NAME.match(name)) or name.startswith("Detached ")


def find_suspects(snapshots, min_per_round=2, limit=20):
    """Suspects, most actionable first, from snapshots [baseline, after round 1, ..., final]."""
    if len(snapshots) < 3:
        raise ValueError("leak hunting needs three snapshots at least (baseline, target, final)")
    bounds = [max_js_id(s) for s in snapshots]
    final = snapshots[-1]
    h = final.heap
    ids = h.node_id.astype(np.int64)
    alive = h.self_size != 0
    rounds = len(snapshots) - 2  # rounds whose allocations had a later snapshot to survive into
    per_round = []
    for i in range(1, rounds + 1):
        per_round.append(alive & (ids > bounds[i - 1]) & (ids <= bounds[i]))
    any_round = np.logical_or.reduce(per_round)
    if not any_round.any():
        return []
    class_id = h.class_id
    n_classes = len(h.class_names)
    counts = np.stack([np.bincount(class_id[m], minlength=n_classes) for m in per_round])
    suspects = []
    types = h.node_type_names
    for c in np.nonzero((counts >= min_per_round).all(axis=0))[0]:
        if not h.class_visible[c] or _internal(final, c):
            continue
        members = np.nonzero(any_round & (class_id == c))[0]
        node_types = {types[t] for t in np.unique(h.node_type[members])}
        if node_types <= INTERNAL_TYPES:
            continue
        suspects.append(Suspect(
            name=h.class_names[c], key=h.class_keys[c], count=int(members.shape[0]),
            retained_size=int(h.retained[members].sum()),
            size_delta=int(h.self_size[members].astype(np.int64).sum()),
            per_round=[int(x) for x in counts[:, c]],
            user_code="object" in node_types and h.class_keys[c][0] != ","))
        suspects[-1]._members = members
        suspects[-1].example = int(members[-1])
    # What a developer can act on first: their own constructors (defined in their scripts), then
    # collections, functions and plain objects, then Node's own classes and the rest; within a
    # group, the biggest retained size first.
    scripts = script_names(final)
    for sus in suspects:
        script_id = sus.key.split(",", 1)[0]
        name = scripts.get(int(script_id), "") if script_id.isdigit() else ""
        sus.user_code = sus.user_code and bool(name) and not name.startswith("node:")
        sus.script = name

    def rank(s):
        group = 0 if s.user_code else (1 if s.name in USER_COLLECTIONS or s.name.startswith("{") else 2)
        return (group, -s.retained_size, s.name)

    suspects.sort(key=rank)
    suspects = suspects[:limit]
    for s in suspects:
        _cluster_paths(final, s)
    return suspects


_INDEX = re.compile(r"\[\d+\]|\{\d+\}")


def script_names(snap):
    """script id -> script name (file path or node:internal/...), found through functions' shared
    info: a JSFunction's `shared` edge leads to its SharedFunctionInfo, whose script edge leads to
    a Script node named after the script."""
    h = snap.heap
    out = {}
    if not h.location_fields:
        return out
    closure = h.node_types["closure"]
    for k in range(h.loc_nodes.shape[0]):
        v = int(h.loc_nodes[k])
        if h.node_type[v] != closure:
            continue
        loc = h.location_of(v)
        if loc is None or loc[0] in out:
            continue
        shared = next((e.target for e in snap.edges(v) if e.name == "shared"), None)
        if shared is None:
            continue
        script = next((e.target for e in snap.edges(shared)
                       if e.name in ("script_or_debug_info", "script")), None)
        if script is not None:
            out[loc[0]] = snap.raw_name(script)
    return out


def _cluster_paths(snap, suspect):
    members = suspect._members
    del suspect._members
    if members.shape[0] > PATH_SAMPLE:
        members = members[np.linspace(0, members.shape[0] - 1, PATH_SAMPLE).astype(np.int64)]
    shapes = Counter()
    example = {}
    for v in members:
        path = snap.retaining_path(int(v))
        steps = _collapse_runs([(snap.class_name(p.source) if p.source != snap.root else "(root)", p.label)
                                for p in path])
        shape = tuple((holder, _fold(label)) for holder, label, _n in steps)
        shapes[shape] += 1
        example.setdefault(shape, steps)
    if not shapes:
        return
    ordered = shapes.most_common()
    best, count = ordered[0]
    suspect.path = _readable(example[best]) + [suspect.name]
    suspect.similar_paths = count
    suspect.clusters = [(c, _readable(example[s]) + [suspect.name]) for s, c in ordered[1:4]]


def _fold(label):
    """An edge label without its slot number: [12] -> [], {222} -> {}."""
    return _INDEX.sub(lambda m: m.group()[0] + m.group()[-1], label)


def _collapse_runs(steps):
    """Folds a run of identical steps (a linked list: Timeout._idlePrev, Timeout._idlePrev, ...)
    into one step with a count, so every element of one list has the same path shape."""
    out = []
    for holder, label in steps:
        key = (holder, _fold(label))
        if out and (out[-1][0], _fold(out[-1][1])) == key:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + 1)
        else:
            out.append((holder, label, 1))
    return out


def _readable(steps):
    """[(holder class, edge label, repeats)] as 'holder.edge' steps, e.g. 'EventEmitter._events'."""
    out = []
    for holder, label, n in steps:
        if holder == "(root)":
            continue
        step = f"{holder}{label}" if label.startswith((".", "[")) else f"{holder} {label}"
        out.append(step + (f" (\u00d7{n}, a linked list)" if n > 1 else ""))
    return out
