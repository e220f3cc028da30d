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


@kernel("(uint32[::1], uint32[::1], int32[::1], int64[::1], uint32[::1],"
        " uint32[::1], uint32[::1], int32[::1], int64[::1], uint32[::1], int64)",
        "(uint32[::1], uint32[::1], int32[::1], int64[::1], int64[::1],"
        " uint32[::1], uint32[::1], int32[::1], int64[::1], int64[::1], int64)")
def _merge(a_order, a_id, a_class, a_key, a_size, b_order, b_id, b_class, b_key, b_size, keys):
    """Walks both snapshots in object-id order (a_order, b_order: ordinals sorted by id). An object
    takes part when its self size is not 0 and its class has a key (a_key[class] >= 0). An id on one
    side only, or on both under different keys, is deleted (a) or new (b) in its key. Returns per key
    new count, allocated size, deleted count, freed size; then the ordinals of a's deleted objects and
    of b's new ones, each in id order."""
    deleted = np.zeros(keys, dtype=np.int64)
    freed = np.zeros(keys, dtype=np.int64)
    new = np.zeros(keys, dtype=np.int64)
    alloc = np.zeros(keys, dtype=np.int64)
    na = a_order.shape[0]
    nb = b_order.shape[0]
    only_a = np.empty(na, dtype=np.uint32)
    only_b = np.empty(nb, dtype=np.uint32)
    ka = kb = 0
    i = j = 0
    while True:
        while i < na and (a_size[a_order[i]] == 0 or a_key[a_class[a_order[i]]] < 0):
            i += 1
        while j < nb and (b_size[b_order[j]] == 0 or b_key[b_class[b_order[j]]] < 0):
            j += 1
        if i >= na and j >= nb:
            break
        va = a_order[i] if i < na else 0
        vb = b_order[j] if j < nb else 0
        take_a = j >= nb or (i < na and a_id[va] <= b_id[vb])
        take_b = i >= na or (j < nb and b_id[vb] <= a_id[va])
        if take_a and take_b and a_key[a_class[va]] == b_key[b_class[vb]]:
            i += 1  # the same object in both
            j += 1
            continue
        if take_a:
            k = a_key[a_class[va]]
            deleted[k] += 1
            freed[k] += a_size[va]
            only_a[ka] = va
            ka += 1
            i += 1
        if take_b:
            k = b_key[b_class[vb]]
            new[k] += 1
            alloc[k] += b_size[vb]
            only_b[kb] = vb
            kb += 1
            j += 1
    return new, alloc, deleted, freed, only_a[:ka].copy(), only_b[:kb].copy()


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
        if b_side[4].dtype != c_side[4].dtype:  # one snapshot has a self size of 4 GiB or more
            b_side, c_side = (side[:4] + (side[4].astype(np.int64),) for side in (b_side, c_side))
        new, alloc, deleted, freed, self._deleted, self._new = _merge(*b_side, *c_side, len(keys))
        self._b_key = b_side[3][b_side[2][self._deleted]]
        self._c_key = c_side[3][c_side[2][self._new]]
        self._by_key = {}
        self.rows = [DiffRow(key=k, name=self._key_names[k], new_count=int(new[i]),
                             deleted_count=int(deleted[i]), alloc_size=int(alloc[i]),
                             freed_size=int(freed[i]))
                     for i, k in enumerate(self._keys) if new[i] or deleted[i]]

    @staticmethod
    def _side(heap, class_id, class_keys, visible, keys):
        """(ordinals by id, ids, class per node, key per class (-1: not compared), self sizes)."""
        lut = np.array([keys[k] if visible[c] else -1 for c, k in enumerate(class_keys)], dtype=np.int64)
        size = heap.self_size
        if size.dtype != np.int64:
            size = np.ascontiguousarray(size, dtype=np.uint32)
        return (heap.ordinals_by_id(), np.ascontiguousarray(heap.node_id, dtype=np.uint32),
                np.ascontiguousarray(class_id, dtype=np.int32), lut, size)

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
        return self._members("new", self._new, self._c_key, key)

    def deleted_ordinals(self, key):
        return self._members("deleted", self._deleted, self._b_key, key)

    def _members(self, side, ordinals, ordinal_keys, key):
        """The ordinals of one side's new or deleted objects of class `key`, in id order."""
        if side not in self._by_key:
            order = np.argsort(ordinal_keys, kind="stable")  # keeps id order within a key
            self._by_key[side] = (ordinal_keys[order], ordinals[order])
        keys, grouped = self._by_key[side]
        k = self._keys.index(key)
        lo, hi = np.searchsorted(keys, [k, k + 1])
        return grouped[lo:hi]
