"""Compiling heaptui's numeric kernels before they are needed.

numba compiles a kernel the first time it is called with a given set of argument types and keeps the
machine code in heaptui's cache directory (see jit.py). Left to itself, a first run would stall
wherever a kernel is first used: at "dominators" while loading, at the first instance expanded, at the
first comparison. Instead every kernel the front ends call is declared with its argument types
(`jit.kernel`), `warm_up()` compiles them all, and a marker records that it was done for these sources.
heaptui/firstrun.py runs the two halves in two processes at once for the front ends.

`exercise()` asks every question the front ends ask, on the demo snapshots: the tests run it to check that
nothing outside the declared signatures is ever compiled. No printing here.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile

from . import jit

PARTS = ("0", "1")  # halves of the declared signatures, for two processes
_SOURCES = ("_bytes.py", "kernels.py", "query.py", "diff.py", "idspace.py", "hunt.py", "jit.py",
            "warmup.py")


def _marker_path():
    """The marker names the kernel sources' sizes and times (numba's own test for a stale cache), the
    numba and Python versions and the CPU, so any change that makes numba recompile asks again."""
    import numba
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for name in _SOURCES:
        st = os.stat(os.path.join(here, name))
        h.update(f"{name}:{st.st_size}:{st.st_mtime_ns};".encode())
    h.update(f"{numba.__version__};{sys.version};{jit.cpu_name()}".encode())
    return os.path.join(jit.cache_dir(), "compiled-" + h.hexdigest()[:24])


def needed():
    """True when the kernels may not have been compiled for these sources yet (a first run)."""
    try:
        return not os.path.exists(_marker_path())
    except OSError:
        return True


def mark_done():
    try:
        os.close(os.open(_marker_path(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    except OSError:
        pass


def warm_up(part=None, progress=None):
    """Compiles (or loads from numba's cache) every declared kernel signature, or one of PARTS;
    `progress(kernel, done, total)`. Marks the work done when it did all of it."""
    share = (0, 1) if part is None else (PARTS.index(part), len(PARTS))
    total = jit.compile_declared(share, progress)
    if progress:
        progress("done", total, total)
    if part is None:
        mark_done()


def exercise(paths):
    """Opens the snapshots at `paths` (two at least) fresh and from an index, and asks them every
    question the command line and the terminal UI ask: the pipeline, queries, comparison, hunt."""
    import shutil
    from . import IndexCache, SnapshotDiff, open_snapshot
    from .hunt import find_suspects
    index_dir = tempfile.mkdtemp(prefix="heaptui-exercise-")
    try:
        cache = IndexCache(index_dir)
        fresh = [open_snapshot(p, cache=cache) for p in paths]
        cached = [open_snapshot(p, cache=cache) for p in paths]
        for snap in fresh + cached:
            exercise_queries(snap)
        for a, b in ((fresh[0], fresh[1]), (cached[1], cached[0])):
            d = SnapshotDiff(a, b)
            for row in d.rows[:3]:
                d.added(row.key), d.deleted(row.key)
        find_suspects([fresh[0], fresh[1], fresh[1]], min_bytes=0)
        find_suspects([cached[0], cached[0], cached[1]], min_bytes=0)
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)


def exercise_queries(snap):
    """Every question the front ends ask of one snapshot, each way it can be asked."""
    import numpy as np
    snap.prepare()
    rows = snap.classes()
    for sort in ("retained", "shallow", "count", "distance", "name"):
        snap.classes(sort=sort)
    snap.classes(name_filter="a")
    ids = snap.heap.node_id
    snap.classes(id_range=(int(ids.min()), int(ids.max())))
    snap.classes(mask=np.ones(snap.node_count, dtype=bool))
    for row in rows[:4]:
        for sort in ("retained", "shallow", "distance", "id"):
            snap.instances(row.index, sort=sort, offset=0, limit=5)
            snap.instances(row.index, sort=sort, offset=0, limit=100000)
        members, _total = snap.instances(row.index, limit=3)
        for v in members:
            snap.node(v)
            snap.edges(v)
            snap.retainers(v, limit=10)
            snap.retainers(v, include_weak=True)
            snap.retainer_count(v)
            snap.retaining_path(v)
            snap.retaining_path_runs(v)
            snap.dominator_chain(v)
            snap.dominator_runs(v)
            snap.find_id(int(snap.heap.node_id[v]))
            if hasattr(snap, "source_location"):
                snap.source_location(v)
    snap.node_columns(0, min(snap.node_count, 5000))
    snap.statistics()
    snap.heap.dominated_children()
    for name in snap.FILTERS:
        snap.classes(mask=snap.filter_mask(name))
    snap.duplicated_strings(limit=5)
    traces = snap.allocation_traces()
    if traces.available:
        traces.allocated_by_mask("x")


def undeclared():
    """Signatures compiled or loaded in this process that no kernel declares: [(name, types)]."""
    declared = {(id(d), tuple(a)) for d, a in jit.declared()}
    with_signatures = {id(d) for d, sigs in jit.KERNELS if sigs}
    return [(d.py_func.__name__, sig) for d, _sigs in jit.KERNELS if id(d) in with_signatures
            for sig in d.signatures if (id(d), tuple(sig)) not in declared]
