"""Comparing two snapshots of one process, as DevTools' Comparison view does.

Objects are matched by id (stable within one profiler session) inside each class key. The base
snapshot is classified with the current snapshot's interface definitions (so `{a, b}` means the same
in both), then per class: ids only in the base were deleted, ids only in the current one are new.
Only objects with a non-zero self size take part, as in DevTools' Summary.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .jit import kernel


@dataclass(frozen=True)
class DiffRow:
    key: str
    name: str
    new_count: int
    deleted_count: int
    alloc_size: int
    freed_size: int

    @property
    def count_delta(self):
        return self.new_count - self.deleted_count

    @property
    def size_delta(self):
        return self.alloc_size - self.freed_size

    def as_json(self):
        return {"name": self.name, "new_count": self.new_count, "deleted_count": self.deleted_count,
                "count_delta": self.count_delta, "alloc_size": self.alloc_size,
                "freed_size": self.freed_size, "size_delta": self.size_delta}


@kernel("(int64[::1], int64[::1], int64[::1], int64[::1], int64[::1], int64[::1], int64)")
def _merge(a_key, a_id, a_size, b_key, b_id, b_size, keys):
    """Both sides sorted by (key, id). Per key: deleted (only in a) and new (only in b) counts/sizes."""
    deleted = np.zeros(keys, dtype=np.int64)
    freed = np.zeros(keys, dtype=np.int64)
    new = np.zeros(keys, dtype=np.int64)
    alloc = np.zeros(keys, dtype=np.int64)
    i = 0
    j = 0
    na = a_key.shape[0]
    nb = b_key.shape[0]
    while i < na or j < nb:
        if j >= nb or (i < na and (a_key[i] < b_key[j] or (a_key[i] == b_key[j] and a_id[i] < b_id[j]))):
            deleted[a_key[i]] += 1
            freed[a_key[i]] += a_size[i]
            i += 1
        elif i >= na or (b_key[j] < a_key[i] or (b_key[j] == a_key[i] and b_id[j] < a_id[i])):
            new[b_key[j]] += 1
            alloc[b_key[j]] += b_size[j]
            j += 1
        else:
            i += 1
            j += 1
    return new, alloc, deleted, freed


class SnapshotDiff:
    """The comparison of `current` against `base` (both opened Snapshot/SnapshotQuery objects)."""

    def __init__(self, base, current, check_ids=True):
        """Raises idspace.DifferentSessions when the two do not share object ids (unless told not to
        check: a comparison by id of snapshots from two sessions is meaningless)."""
        if check_ids:
            from .idspace import require_same_session
            self.id_check = require_same_session(base, current)
        self.base, self.current = base, current
        defs = current.heap.interface_definitions
        b_class, _b_names, b_keys, b_visible = base.classify_with(defs)
        c = current.heap
        c_class, c_keys, c_visible = c.class_id, c.class_keys, c.class_visible
        keys = {}
        for k in list(c_keys) + list(b_keys):
            keys.setdefault(k, len(keys))
        self._key_names = {}
        for k, n in zip(b_keys, _b_names):
            self._key_names[k] = n
        for k, n in zip(c_keys, c.class_names):
            self._key_names[k] = n
        self._keys = list(keys)
        b_side = self._side(base.heap, b_class, b_keys, b_visible, keys)
        c_side = self._side(c, c_class, c_keys, c_visible, keys)
        self._b, self._c = b_side, c_side
        new, alloc, deleted, freed = _merge(*b_side, *c_side, len(keys))
        self.rows = [DiffRow(key=k, name=self._key_names[k], new_count=int(new[i]),
                             deleted_count=int(deleted[i]), alloc_size=int(alloc[i]),
                             freed_size=int(freed[i]))
                     for i, k in enumerate(self._keys) if new[i] or deleted[i]]

    @staticmethod
    def _side(heap, class_id, class_keys, visible, keys):
        """(key id, object id, self size) of every object with a size, sorted by key then id."""
        lut = np.array([keys[k] if visible[c] else -1 for c, k in enumerate(class_keys)], dtype=np.int64)
        key = lut[class_id]
        keep = (heap.self_size != 0) & (key >= 0)
        key = key[keep]
        ids = heap.node_id[keep]
        size = heap.self_size[keep].astype(np.int64)
        order = np.lexsort((ids, key))
        return key[order], ids[order].astype(np.int64), size[order]

    def sorted_rows(self, sort="alloc_size", descending=True):
        """DevTools' default: Alloc. Size, largest first, then name."""
        value = {"name": lambda r: r.name, "new_count": lambda r: r.new_count,
                 "deleted_count": lambda r: r.deleted_count, "count_delta": lambda r: r.count_delta,
                 "alloc_size": lambda r: r.alloc_size, "freed_size": lambda r: r.freed_size,
                 "size_delta": lambda r: r.size_delta}[sort]
        if sort == "name":
            return sorted(self.rows, key=lambda r: r.name, reverse=descending)
        sign = -1 if descending else 1
        return sorted(self.rows, key=lambda r: (sign * value(r), r.name))

    def added(self, key):
        """Ordinals (in the current snapshot) of the class's new objects, by id."""
        return self.added_ordinals(key).tolist()

    def deleted(self, key):
        """Ordinals (in the base snapshot) of the class's deleted objects, by id."""
        return self.deleted_ordinals(key).tolist()

    def added_ordinals(self, key):
        """added(key) as an array (a list of millions of ints costs every garbage collection)."""
        return self._only(self._c, self._b, key, self.current)

    def deleted_ordinals(self, key):
        return self._only(self._b, self._c, key, self.base)

    def _only(self, mine, other, key, snap):
        k = self._keys.index(key)
        lo, hi = np.searchsorted(mine[0], [k, k + 1])
        olo, ohi = np.searchsorted(other[0], [k, k + 1])
        ids = mine[1][lo:hi]
        only = ids[~np.isin(ids, other[1][olo:ohi])]
        if not only.size:
            return np.zeros(0, dtype=np.uint32)
        return snap.ordinals_of_ids(only)  # the snapshot's id index, built once
