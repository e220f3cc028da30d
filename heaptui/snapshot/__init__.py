"""The snapshot model: load, index and query V8 heap snapshots. No UI, no printing, no network."""
from __future__ import annotations

import os

from . import jit  # noqa: F401  (first: puts numba's cache in heaptui's cache directory)
from .cache import IndexCache
from .diff import DiffRow, SnapshotDiff
from .errors import Cancelled, SnapshotError
from .model import HeapSnapshot, Statistics
from .query import (ClassRow, EdgeInfo, NodeInfo, RetainerRow, RetainersView, SnapshotQuery, edge_label,
                    format_distance)


class Snapshot(SnapshotQuery):
    """An opened snapshot: the query API plus where it came from."""

    def __init__(self, heap, path, from_cache=False, cache_entry=None):
        super().__init__(heap)
        self.path = path
        self.from_cache = from_cache
        self.cache_entry = cache_entry


def load(path, progress=None):
    """The loader's columns of a file (heaptui.snapshot.loader.load); imported on first use."""
    from .loader import load as load_file
    return load_file(path, progress)


def open_snapshot(path, progress=None, use_cache=True, cache=None, before_indexing=None) -> Snapshot:
    """Opens a .heapsnapshot: from the index cache when it has a current entry, else by indexing it.

    `progress(phase, done, total)` is called as work proceeds; it may raise Cancelled to stop.
    `before_indexing()` is called when the file must be indexed (no usable cache entry), first.
    Raises SnapshotError (one line, says what is wrong) for a file that is not a usable snapshot.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise SnapshotError(f"{path}: no such file")
    if os.path.isdir(path):
        raise SnapshotError(f"{path}: is a directory, not a snapshot file")
    cache = cache if cache is not None else (IndexCache() if use_cache else None)
    if cache is not None:
        heap, entry = cache.load(path)
        if heap is not None:
            heap.persist = lambda arrays: cache.add_arrays(entry, arrays)  # what it builds later is kept
            return Snapshot(heap, path, from_cache=True, cache_entry=entry)
    if before_indexing is not None:
        before_indexing()
    heap = HeapSnapshot.build(load(path, progress), progress)
    entry = None
    if cache is not None:
        if progress:
            progress("saving index", 0, 1)
        heap.class_members()  # saved with the rest: a class's instances are then listed without kernels
        entry = cache.save(path, heap)
        if entry is not None:
            heap.persist = lambda arrays: cache.add_arrays(entry, arrays)
    return Snapshot(heap, path, from_cache=False, cache_entry=entry)


__all__ = ["SnapshotDiff", "DiffRow", "open_snapshot", "Snapshot", "SnapshotError", "Cancelled", "IndexCache", "HeapSnapshot",
           "Statistics", "ClassRow", "EdgeInfo", "NodeInfo", "RetainerRow", "RetainersView", "edge_label", "format_distance", "load"]
