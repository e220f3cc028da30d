"""Allocation stacks in snapshots taken while allocations were tracked (trace_function_infos and
trace_tree): which function allocated an object, and the stack that called it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TraceFrame:
    function: str
    script: str
    line: int  # 1-based; 0 when unknown (the snapshot's own convention)
    column: int

    @property
    def label(self):
        where = f"{self.script}:{self.line}:{self.column}" if self.script and self.line else self.script
        return f"{self.function or '(anonymous)'}  {where}".rstrip()


class AllocationTraces:
    """The trace tree of one snapshot: trace node id -> (function info, parent trace node id), from the
    three arrays the loader flattened it into."""

    def __init__(self, heap):
        self.heap = heap
        meta = heap.meta
        fields = meta.get("trace_function_info_fields") or []
        infos = np.asarray(heap.trace_function_infos)
        self.functions = []
        if fields and infos.size:
            rows = infos.reshape(-1, len(fields))
            at = {f: fields.index(f) for f in fields}
            for r in rows:
                self.functions.append(TraceFrame(
                    heap.strings[int(r[at["name"]])] if "name" in at else "",
                    heap.strings[int(r[at["script_name"]])] if "script_name" in at else "",
                    int(r[at["line"]]) if "line" in at else 0, int(r[at["column"]]) if "column" in at else 0))
        # Trace nodes sorted by id, so a lookup is a binary search (no dict of millions of entries).
        ids = np.asarray(heap.trace_ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        self._ids = ids[order]
        self._functions = np.asarray(heap.trace_functions, dtype=np.int64)[order]
        self._parents = np.asarray(heap.trace_parents, dtype=np.int64)[order]
        self._counts = np.asarray(getattr(heap, "trace_counts", np.zeros(0)), dtype=np.int64)
        self._sizes = np.asarray(getattr(heap, "trace_sizes", np.zeros(0)), dtype=np.int64)
        if self._counts.shape == ids.shape:
            self._counts, self._sizes = self._counts[order], self._sizes[order]
        else:
            self._counts = self._sizes = np.zeros(ids.shape[0], np.int64)

    def _find(self, trace):
        k = int(np.searchsorted(self._ids, trace))
        return k if k < self._ids.shape[0] and self._ids[k] == trace else None

    @property
    def available(self):
        return self._ids.shape[0] > 0 and self.heap.node_trace.shape[0] > 0

    def stack(self, v):
        """Frames from the allocating function outwards; [] when the object's stack was not
        recorded (allocated before tracking started)."""
        if not self.available:
            return []
        trace = int(self.heap.node_trace[v])
        frames = []
        k = self._find(trace) if trace else None
        while k is not None and len(frames) < 256:
            fi = int(self._functions[k])
            if 0 <= fi < len(self.functions):
                frame = self.functions[fi]
                if frame.function != "(root)":
                    frames.append(frame)
            parent = int(self._parents[k])
            k = self._find(parent) if parent else None
        return frames

    def function_indexes(self, name):
        return [i for i, f in enumerate(self.functions) if f.function == name]

    def allocated_by_mask(self, function_name):
        """Objects whose allocating (innermost) function is `function_name`."""
        wanted = set(self.function_indexes(function_name))
        tops = self._ids[np.isin(self._functions, list(wanted))] if wanted else np.zeros(0, np.int64)
        if not tops.size or not self.available:
            return np.zeros(self.heap.node_count, dtype=bool)
        return np.isin(self.heap.node_trace, tops)

    def tree(self):
        """The trace tree as DevTools' Allocation view reads it, one entry per trace node (sorted by
        id): (function info indexes, parent positions (-1 at the top), objects and bytes allocated
        there while tracking ran, objects and bytes of those still alive in the snapshot)."""
        n = self._ids.shape[0]
        parents = np.searchsorted(self._ids, self._parents)
        known = (self._parents != 0) & (parents < n)
        known[known] = self._ids[parents[known]] == self._parents[known]
        parents = np.where(known, parents, -1)
        live_count = np.zeros(n, np.int64)
        live_size = np.zeros(n, np.int64)
        trace = np.asarray(self.heap.node_trace, dtype=np.int64)
        if n and trace.shape[0]:
            at = np.minimum(np.searchsorted(self._ids, trace), n - 1)
            hit = (trace != 0) & (self._ids[at] == trace)
            live_count = np.bincount(at[hit], minlength=n).astype(np.int64)
            sizes = np.asarray(self.heap.self_size, dtype=np.int64)[hit]
            live_size = np.bincount(at[hit], weights=sizes, minlength=n).astype(np.int64)
        return self._functions, parents, self._counts, self._sizes, live_count, live_size
