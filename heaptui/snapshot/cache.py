"""On-disk index cache: a snapshot indexed once reopens by memory-mapping its arrays.

One entry per snapshot path, a directory of .npy files and a manifest. The manifest records what the
file was (size, mtime, inode, and a digest of its first and last MiB): a changed, truncated or replaced
file does not match and is indexed again. A manifest or array that cannot be read, or whose shape does
not fit, makes the entry count as absent. Entries are written to a temporary directory and renamed
into place, so a reader never sees half an entry. Indexes hold the snapshot's strings (secrets), so
directories are 0700 and files 0600.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile

import numpy as np

from .jit import cache_home
from .model import HeapSnapshot, Statistics, TypeCodes
from .strings import StringTable

FORMAT = 7  # 6: the trace tree as arrays, not JSON in the manifest; 7: with allocation counts and sizes
KEEP_ENTRIES = 8
DIGEST_BYTES = 1 << 20

ARRAYS = (
    "node_type", "node_name", "node_id", "self_size", "first_edge", "edge_type", "edge_name",
    "edge_to", "idom", "retained", "distance", "bfs_edge", "class_id",
    "flags", "loc_nodes", "loc_rows", "locations", "node_trace",
    "samples", "trace_function_infos", "trace_ids", "trace_functions", "trace_parents",
    "trace_counts", "trace_sizes", "class_count", "class_shallow", "class_distance",
    "class_first", "class_retained", "class_visible",
)
SCALARS = (
    "meta", "node_type_names", "edge_type_names", "node_count", "edge_count", "root",
    "extra_native_bytes", "class_names", "class_keys", "interface_definitions", "has_user_roots",
    "location_fields", "node_field_count",
)
# Arrays whose length must be node_count, edge_count, ... (checked when an entry is opened).
NODE_ARRAYS = ("node_type", "node_name", "node_id", "self_size", "idom", "retained", "distance", "bfs_edge",
               "class_id", "flags")
EDGE_ARRAYS = ("edge_type", "edge_name", "edge_to")
# Built on first use, saved when present, checked when found.
OPTIONAL = ("ret_first", "ret_edge", "member_first", "members", "id_order")




def default_root():
    return os.path.join(cache_home(), "index")


def file_key(path):
    """What identifies the file's content cheaply: stat fields plus a digest of both ends."""
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(DIGEST_BYTES))
        if st.st_size > DIGEST_BYTES:
            f.seek(max(DIGEST_BYTES, st.st_size - DIGEST_BYTES))
            h.update(f.read(DIGEST_BYTES))
    return {"format": FORMAT, "path": os.path.realpath(path), "size": st.st_size,
            "mtime_ns": st.st_mtime_ns, "inode": st.st_ino, "digest": h.hexdigest()}


class IndexCache:
    """Where entries live; falls back from the user cache directory to one beside the snapshot."""

    def __init__(self, root=None):
        self.root = root or default_root()

    def _entry_name(self, path):
        return hashlib.sha256(os.path.realpath(path).encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def _candidates(self, path):
        yield os.path.join(self.root, self._entry_name(path))
        here = os.path.dirname(os.path.realpath(path))
        yield os.path.join(here, ".heaptui-index", self._entry_name(path))

    def load(self, path):
        """(HeapSnapshot, entry directory) from the cache for this file, or (None, None)."""
        try:
            key = file_key(path)
        except OSError:
            return None, None
        for entry in self._candidates(path):
            heap = _read_entry(entry, key)
            if heap is not None:
                return heap, entry
        return None, None

    @staticmethod
    def add_arrays(entry, arrays):
        """Adds arrays computed later (the retainer index) to an entry; best effort."""
        try:
            for name, array in arrays.items():
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=entry)
                try:
                    with os.fdopen(fd, "wb") as f:
                        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
                    os.replace(tmp, os.path.join(entry, name + ".npy"))
                except BaseException:
                    os.unlink(tmp)
                    raise
        except OSError:
            pass

    def save(self, path, heap):
        """Writes the entry; returns its directory, or None when no location is writable."""
        try:
            key = file_key(path)
        except OSError:
            return None
        for entry in self._candidates(path):
            try:
                _write_entry(entry, key, heap)
                _evict(os.path.dirname(entry), keep=entry)
                return entry
            except OSError:
                continue
        return None


def _read_entry(entry, key):
    try:
        # The manifest is the entry's header: the key, the snapshot's meta, counts and class names (some
        # kB). Everything that grows with the snapshot is an .npy array, memory-mapped below.
        with open(os.path.join(entry, "manifest.json"), "r", encoding="utf-8") as f:
            manifest = json.load(f)
        if manifest.get("key") != key:
            return None
        heap = HeapSnapshot()
        for name in SCALARS:
            setattr(heap, name, manifest[name])
        for name in ARRAYS:
            setattr(heap, name, np.load(os.path.join(entry, name + ".npy"), mmap_mode="c").view(np.ndarray))
        det = os.path.join(entry, "detachedness.npy")
        heap.detachedness = np.load(det, mmap_mode="c").view(np.ndarray) if os.path.exists(det) else None
        for name in OPTIONAL:
            f = os.path.join(entry, name + ".npy")
            setattr(heap, name, np.load(f, mmap_mode="c").view(np.ndarray) if os.path.exists(f) else None)
        if (heap.ret_first is None) != (heap.ret_edge is None):
            raise ValueError("retainers")
        if heap.ret_first is not None and (heap.ret_first.shape != (heap.node_count + 1,)
                                           or heap.ret_edge.shape != (heap.edge_count,)):
            raise ValueError("retainers")
        if (heap.member_first is None) != (heap.members is None):
            raise ValueError("members")
        if heap.members is not None and (heap.member_first.shape != (len(heap.class_names) + 1,)
                                         or heap.members.shape != (int(heap.member_first[-1]),)):
            raise ValueError("members")
        if heap.id_order is not None and heap.id_order.shape != (heap.node_count,):
            raise ValueError("id_order")
        blob = np.load(os.path.join(entry, "strings_blob.npy"), mmap_mode="c")
        offsets = np.load(os.path.join(entry, "strings_offsets.npy"), mmap_mode="c")
        heap.strings = StringTable(blob, offsets)
        heap.statistics = Statistics(**manifest["statistics"])
        heap.node_types = TypeCodes(heap.node_type_names)
        heap.edge_types = TypeCodes(heap.edge_type_names)
        _check_shapes(heap, offsets)
        os.utime(entry)  # most recently used: kept longest
        return heap
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError, EOFError):
        return None


def _check_shapes(heap, offsets):
    n, e = heap.node_count, heap.edge_count
    for name in NODE_ARRAYS:
        if getattr(heap, name).shape != (n,):
            raise ValueError(name)
    for name in EDGE_ARRAYS:
        if getattr(heap, name).shape != (e,):
            raise ValueError(name)
    for name in ("first_edge",):
        if getattr(heap, name).shape != (n + 1,):
            raise ValueError(name)
    classes = len(heap.class_names)
    for name in ("class_count", "class_shallow", "class_distance", "class_first", "class_retained",
                 "class_visible"):
        if getattr(heap, name).shape != (classes,):
            raise ValueError(name)
    if len(heap.class_keys) != classes or offsets.shape[0] < 1:
        raise ValueError("classes")
    if heap.class_id.size and int(np.max(heap.class_id)) >= classes:
        raise ValueError("class_id")
    if int(offsets[-1]) != heap.strings.blob.shape[0]:
        raise ValueError("strings")


def _write_entry(entry, key, heap):
    parent = os.path.dirname(entry)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=parent)
    try:
        os.chmod(tmp, 0o700)
        for name in ARRAYS:
            _save(tmp, name, getattr(heap, name))
        if heap.detachedness is not None:
            _save(tmp, "detachedness", heap.detachedness)
        for name in OPTIONAL:
            if getattr(heap, name, None) is not None:
                _save(tmp, name, getattr(heap, name))
        blob, offsets = heap.strings.flattened()
        _save(tmp, "strings_blob", np.frombuffer(blob, dtype=np.uint8) if not isinstance(blob, np.ndarray) else blob)
        _save(tmp, "strings_offsets", offsets)
        manifest = {name: _jsonable(getattr(heap, name)) for name in SCALARS}
        manifest["statistics"] = vars(heap.statistics)
        manifest["key"] = key
        fd = os.open(os.path.join(tmp, "manifest.json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(manifest, f)
        old = None
        if os.path.exists(entry):
            old = entry + ".old-%d" % os.getpid()
            os.replace(entry, old)
        os.replace(tmp, entry)
        tmp = None
        if old:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _save(directory, name, array):
    path = os.path.join(directory, name + ".npy")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _evict(parent, keep):
    """Keeps the most recently used entries; removes stale temporary directories too."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    entries = []
    for name in names:
        full = os.path.join(parent, name)
        # Only ever touch what heaptui made here: entry directories (32 hex digits) with a manifest,
        # and its own temporary directories.
        base = name.split(".old-")[0]
        if not (_is_entry_name(base) or (name.startswith(".tmp-") and len(name) > 5)):
            continue
        if name.startswith(".tmp-") or ".old-" in name:
            try:
                if os.path.getmtime(full) < _now() - 3600:
                    shutil.rmtree(full, ignore_errors=True)
            except OSError:
                pass
            continue
        if os.path.isdir(full) and full != keep and os.path.exists(os.path.join(full, "manifest.json")):
            try:
                entries.append((os.path.getmtime(full), full))
            except OSError:
                pass
    entries.sort(reverse=True)
    for _mtime, full in entries[KEEP_ENTRIES - 1:]:
        shutil.rmtree(full, ignore_errors=True)


def _is_entry_name(name):
    return len(name) == 32 and all(c in "0123456789abcdef" for c in name)


def _now():
    import time
    return time.time()
