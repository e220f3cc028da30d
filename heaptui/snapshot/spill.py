"""Columns parked on disk while a pass needs the room: written once to a private, already unlinked
file and mapped back copy-on-write, so they read and index as before, and their pages come back (from
the page cache) only when something reads them."""
from __future__ import annotations

import mmap
import os
import tempfile

import numpy as np

from ..paths import cache_home

PAGE = mmap.PAGESIZE


def spill_arrays(arrays):
    """({name: an equal array backed by a private file}, the mapping), or ({}, None) when it cannot
    be done. The caller may drop() the mapping's pages from memory whenever no array of it is being
    read: they must never be written (a dropped page reverts to what was spilled)."""
    if not arrays:
        return {}, None
    directory = os.path.join(cache_home(), "spill")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix="columns-", dir=directory)  # 0600: the columns hold names
    except OSError:
        return {}, None
    try:
        os.unlink(path)  # nothing else ever sees it; the mapping keeps it alive
        places = {}
        offset = 0
        with os.fdopen(fd, "r+b", closefd=False) as f:
            for name, a in arrays.items():
                a = np.ascontiguousarray(a)
                places[name] = (offset, a.dtype, a.shape)
                f.write(memoryview(a).cast("B"))
                offset += a.nbytes
                pad = -offset % PAGE
                if pad:
                    f.write(b"\0" * pad)
                    offset += pad
        mapping = mmap.mmap(fd, offset, access=mmap.ACCESS_COPY)
    except OSError:
        return {}, None
    finally:
        os.close(fd)
    out = {}
    for name, (at, dtype, shape) in places.items():
        count = int(np.prod(shape, dtype=np.int64))
        out[name] = np.frombuffer(mapping, dtype=dtype, count=count, offset=at).reshape(shape)
    return out, mapping


def drop(mapping):
    """Hands the mapping's resident pages back; they are read again from the page cache on use."""
    if mapping is not None:
        try:
            mapping.madvise(mmap.MADV_DONTNEED)
        except (AttributeError, OSError, ValueError):
            pass
