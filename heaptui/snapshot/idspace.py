"""Whether two snapshots share one object-id space, so that comparing them by id means something.

V8 gives each object an id the first time a heap profiler sees it, and keeps the id for the object's
life, but only while the profiler's id map lives: when an inspector session closes, V8 clears it
(HeapProfiler::ClearObjectIds) and the next session numbers objects from the start again. Two
snapshots from two sessions (two `heaptui capture` runs, or a debugger that attached in between), or
from two processes, reuse the same ids for unrelated objects. DevTools' Comparison view, "objects
allocated between snapshots" and a leak hunt would then print confident, wrong numbers.

The test: ids present in both snapshots must name the same object in both. In one session that holds
for every shared id (an object keeps its type and name for life); across sessions, measured on Node
20, only 30-75 % agree. A sample of shared ids is compared by node type and name.

And the snapshots must share ids at all: in one V8 process the engine's own objects (builtins, code,
shapes) outlive any snapshot, so a good part of the earlier snapshot's ids are in the later one.
Bun numbers the objects of every snapshot afresh (1, 2, 3, ... continuing from the last snapshot), so
two Bun snapshots share only the ids of the two roots: nothing in them can be compared by id.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SnapshotError
from .jit import kernel

SAMPLE = 2000  # ids compared; agreement is ~100 % or well below 90 %, so two thousand decide it
AGREEMENT = 0.97  # below this, the snapshots do not share an id space
MIN_SHARED = 50  # fewer shared ids than this (or than a quarter of the sample, if smaller): no id space


@dataclass(frozen=True)
class IdCheck:
    shared: int  # ids present in both snapshots
    compared: int  # of those, how many were compared
    agreeing: int  # compared ids naming an object of the same type and name in both
    sampled: int = 0  # ids of the first snapshot looked for in the second

    @property
    def agreement(self):
        return self.agreeing / self.compared if self.compared else 0.0

    @property
    def enough_shared(self):
        return self.compared >= min(MIN_SHARED, max(1, self.sampled // 4))

    @property
    def same_session(self):
        return self.compared > 0 and self.enough_shared and self.agreement >= AGREEMENT


class DifferentSessions(SnapshotError):
    """The snapshots' object ids do not name the same objects."""


@kernel("(uint32[::1], uint32[::1], uint32[::1])")
def _positions(wanted, order, node_id):
    """For each id in `wanted`, the ordinal holding it, or -1: a binary search of the snapshot's
    ordinals sorted by id (`order`)."""
    out = np.full(wanted.shape[0], -1, dtype=np.int64)
    n = order.shape[0]
    for k in range(wanted.shape[0]):
        x = wanted[k]
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if node_id[order[mid]] < x:
                lo = mid + 1
            else:
                hi = mid
        if lo < n and node_id[order[lo]] == x:
            out[k] = order[lo]
    return out


def check_ids(a, b, sample=SAMPLE):
    """IdCheck for snapshots a and b (opened Snapshot objects)."""
    ids_a = a.heap.node_id
    picks = np.linspace(0, ids_a.shape[0] - 1, num=min(sample * 4, ids_a.shape[0])).astype(np.int64)
    wanted, first = np.unique(ids_a[picks], return_index=True)
    in_a = picks[first]
    in_b = _positions(np.ascontiguousarray(wanted, dtype=np.uint32), b.heap.ordinals_by_id(),
                      np.ascontiguousarray(b.heap.node_id, dtype=np.uint32))
    both = np.nonzero((in_a >= 0) & (in_b >= 0))[0]
    shared_fraction = both.shape[0] / max(1, wanted.shape[0])
    both = both[np.linspace(0, both.shape[0] - 1, num=min(sample, both.shape[0])).astype(np.int64)] \
        if both.shape[0] else both
    agreeing = sum(1 for k in both.tolist()
                   if _same_object(a, int(in_a[k]), b, int(in_b[k])))
    return IdCheck(shared=int(round(shared_fraction * ids_a.shape[0])), compared=int(both.shape[0]),
                   agreeing=agreeing, sampled=int(wanted.shape[0]))


def _same_object(a, va, b, vb):
    return a.node_type_name(va) == b.node_type_name(vb) and a.raw_name(va) == b.raw_name(vb)


def require_same_session(a, b, what="compare"):
    """Raises DifferentSessions, with a message that says what to do, unless a and b share ids."""
    check = check_ids(a, b)
    if check.same_session:
        return check
    name_a, name_b = getattr(a, "path", "the first snapshot"), getattr(b, "path", "the second snapshot")
    if check.compared and not check.enough_shared:
        raise DifferentSessions(
            f"cannot {what} {name_a} and {name_b}: they have almost no object ids in common ({check.compared} "
            f"of {check.sampled:,} looked for), so they are not two snapshots of one process's heap: "
            f"different processes, or a runtime that numbers every snapshot afresh (Bun does; its "
            f"snapshots cannot be compared by id)")
    if check.compared:
        evidence = (f"only {check.agreement:.0%} of {check.compared:,} object ids present in both "
                    f"name the same object")
    else:
        evidence = "they have no object ids in common"
    raise DifferentSessions(
        f"cannot {what} {name_a} and {name_b}: they were taken in different inspector sessions or "
        f"processes, so their object ids do not match ({evidence}); take the snapshots in one session: "
        f"heaptui hunt, the capture pane of the terminal UI, or --heapsnapshot-signal / "
        f"v8.writeHeapSnapshot() in the process")
