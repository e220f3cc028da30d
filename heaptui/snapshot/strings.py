"""The snapshot's string table, kept as one UTF-8 blob plus offsets instead of millions of Python strs."""
from __future__ import annotations

import numpy as np


class StringTable:
    """Read-mostly table: strings from the file, plus a few appended by the analysis (class names)."""

    __slots__ = ("blob", "offsets", "_count", "added", "_cache")

    def __init__(self, blob, offsets, added=None):
        self.blob = blob  # bytes-like (bytes, or a memory-mapped uint8 array)
        self.offsets = offsets  # uint64, count + 1
        self._count = int(offsets.shape[0]) - 1
        self.added = list(added or [])
        self._cache = {}

    @property
    def file_count(self):
        """How many strings came from the file (the rest were added by the analysis)."""
        return self._count

    def __len__(self):
        return self._count + len(self.added)

    def __getitem__(self, i):
        i = int(i)
        if i >= self._count:
            return self.added[i - self._count]
        if i < 0:
            raise IndexError(i)
        s = self._cache.get(i)
        if s is None:
            a, b = int(self.offsets[i]), int(self.offsets[i + 1])
            raw = bytes(self.blob[a:b])
            try:
                s = raw.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                s = raw.decode("utf-8", "replace")
            if len(self._cache) < 100000:
                self._cache[i] = s
        return s

    def append(self, s):
        self.added.append(s)
        return len(self) - 1

    def find(self, text):
        """Index of the first file string equal to `text`, or -1."""
        b = text.encode("utf-8", "surrogatepass")
        arr = self.blob if isinstance(self.blob, np.ndarray) else np.frombuffer(self.blob, np.uint8)
        starts = self.offsets[:-1]
        cand = np.nonzero(np.diff(self.offsets) == len(b))[0]
        for k in range(min(len(b), 8)):
            cand = cand[arr[starts[cand] + np.uint64(k)] == b[k]]
        for i in cand:
            a = int(self.offsets[i])
            if bytes(self.blob[a:a + len(b)]) == b:
                return int(i)
        return -1

    def starting_with(self, prefix):
        """Indexes of the file strings that start with `prefix` (or equal it), found with vector compares
        over the blob, one per byte of the prefix."""
        b = prefix.encode("utf-8", "surrogatepass")
        arr = self.blob if isinstance(self.blob, np.ndarray) else np.frombuffer(self.blob, np.uint8)
        starts = self.offsets[:-1]
        cand = np.nonzero(np.diff(self.offsets) >= len(b))[0]
        for k in range(len(b)):
            cand = cand[arr[starts[cand] + np.uint64(k)] == b[k]]
        return cand

    def flattened(self):
        """(blob, offsets) including appended strings, for saving."""
        if not self.added:
            return self.blob, self.offsets
        extra = [s.encode("utf-8", "surrogatepass") for s in self.added]
        lengths = np.array([len(b) for b in extra], dtype=np.uint64)
        offsets = np.concatenate([self.offsets, self.offsets[-1] + np.cumsum(lengths, dtype=np.uint64)])
        blob = np.concatenate([np.asarray(self.blob, dtype=np.uint8),
                               np.frombuffer(b"".join(extra), dtype=np.uint8)])
        return blob, offsets
