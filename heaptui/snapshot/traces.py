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
    """The trace tree of one snapshot: trace node id -> (function info, parent trace node id)."""

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
        self.parent = {}
        self.function_of = {}
        tree_fields = meta.get("trace_node_fields") or ["id", "function_info_index", "count", "size", "children"]
        width = len(tree_fields)
        id_at, fi_at, ch_at = (tree_fields.index(n) for n in ("id", "function_info_index", "children"))
        stack = [(heap.trace_tree, 0)] if heap.trace_tree else []
        while stack:
            flat, parent = stack.pop()
            for i in range(0, len(flat) - width + 1, width):
                node_id, fi, children = int(flat[i + id_at]), int(flat[i + fi_at]), flat[i + ch_at]
                self.parent[node_id] = parent
                self.function_of[node_id] = fi
                if children:
                    stack.append((children, node_id))

    @property
    def available(self):
        return bool(self.function_of) and self.heap.node_trace.shape[0] > 0

    def stack(self, v):
        """Frames from the allocating function outwards; [] when the object's stack was not
        recorded (allocated before tracking started)."""
        if not self.available:
            return []
        trace = int(self.heap.node_trace[v])
        frames = []
        while trace and trace in self.function_of and len(frames) < 256:
            fi = self.function_of[trace]
            if 0 <= fi < len(self.functions):
                frame = self.functions[fi]
                if frame.function != "(root)":
                    frames.append(frame)
            trace = self.parent.get(trace, 0)
        return frames

    def function_indexes(self, name):
        return [i for i, f in enumerate(self.functions) if f.function == name]

    def allocated_by_mask(self, function_name):
        """Objects whose allocating (innermost) function is `function_name`."""
        wanted = set(self.function_indexes(function_name))
        tops = np.array([t for t, fi in self.function_of.items() if fi in wanted], dtype=np.int64)
        if not tops.size or not self.available:
            return np.zeros(self.heap.node_count, dtype=bool)
        return np.isin(self.heap.node_trace, tops)
