"""The service layer: every answer heaptui gives, as plain JSON-ready objects, computed in one place.

The command line's `--json`, the terminal UI and the agent server (`heaptui mcp`) call these functions;
none of them computes a number itself, so all of them print the same numbers. Functions take opened
snapshots (a `Workspace` opens and keeps them, with the index cache) and return lists and dicts of
str, int, float, bool and None. A request that cannot be answered raises `RequestError` with one line
that says why. Nothing here prints.
"""
from __future__ import annotations

import os
import re
import threading

from .snapshot.filter_names import NAMES as FILTER_NAMES

SORTS = ("retained", "shallow", "count", "distance", "name")


class RequestError(Exception):
    """A request that cannot be answered as asked (a bad id, an unknown class, a missing feature)."""


# -- opening --------------------------------------------------------------------------------------
class Workspace:
    """Opened snapshots kept for later requests (an agent asks many questions of one file). A file is
    opened again when it changed on disk. Thread-safe."""

    def __init__(self, use_cache=True, progress=None, keep=4):
        self.use_cache = use_cache
        self.progress = progress
        self.keep = keep
        self._open = {}  # realpath -> (mtime_ns, size, Snapshot), most recently used last
        self._lock = threading.Lock()

    def open(self, path):
        from .snapshot import open_snapshot
        real = os.path.realpath(os.fspath(path))
        try:
            st = os.stat(real)
        except OSError as e:
            raise RequestError(f"{path}: {e.strerror.lower() if e.strerror else e}") from None
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._open.pop(real, None)
            if hit is not None and hit[:2] == key:
                self._open[real] = hit
                return hit[2]
        snap = open_snapshot(real, progress=self.progress, use_cache=self.use_cache)
        with self._lock:
            self._open[real] = key + (snap,)
            while len(self._open) > self.keep:
                self._open.pop(next(iter(self._open)))
        return snap

    def opened(self):
        with self._lock:
            return list(self._open)


def find_object(snap, node_id, where="the snapshot"):
    """The ordinal of the object with this id ("@123", "123" or 123), or RequestError."""
    text = str(node_id).strip()
    digits = text[1:] if text.startswith("@") else text
    if not digits.isdigit():
        raise RequestError(f"'{text}' is not an object id (expected @12345)")
    v = snap.find_id(int(digits))
    if v is None:
        raise RequestError(f"no object with id @{digits} in {where}")
    return v


def ref(snap, v):
    """A short description of one object, enough to follow it up by id."""
    n = snap.node(v)
    return {"id": n.id, "type": n.type, "name": n.name, "class": n.class_name, "self_size": n.self_size,
            "retained_size": n.retained_size, "distance": n.distance}


# -- one snapshot -----------------------------------------------------------------------------------
def overview(snap):
    stats = snap.statistics()
    return {"file": getattr(snap, "path", None), "nodes": snap.node_count, "edges": int(snap.heap.edge_count),
            "total_size": int(stats.total), "statistics": stats.as_devtools(),
            "classes": len(snap.classes()), "from_cache": bool(getattr(snap, "from_cache", False))}


def summary_mask(snap, filter=None, context=None):
    if filter is not None and context is not None:
        raise RequestError("a filter and a context are two of DevTools' filters: choose one")
    if filter is not None:
        if filter not in FILTER_NAMES:
            raise RequestError(f"no filter {filter!r}; the filters are: {', '.join(FILTER_NAMES)}")
        return snap.filter_mask(filter)
    if context is not None:
        try:
            return snap.context_mask(context)
        except ValueError as e:
            raise RequestError(str(e)) from None
    return None


def node_lines(snap):
    """Every node as a JSON line, in ordinal order: buffers of whole lines, each valid until the next."""
    from .snapshot.export import node_lines as lines
    return lines(snap)


def summary_rows(snap, sort="retained", filter=None, context=None, earlier=None, during=None,
                 allocated_by=None):
    """DevTools' Summary: ClassRow objects. `earlier` (a snapshot of the same process) keeps the objects
    allocated after it; `during` = (start_s, end_s) of an allocation timeline; `allocated_by` a
    function of the allocation stacks; `filter` one of DevTools' named filters; `context` a realm."""
    if sort not in SORTS:
        raise RequestError(f"no sort {sort!r}; the sorts are: {', '.join(SORTS)}")
    id_range = None
    if earlier is not None:
        from .snapshot.hunt import max_js_id
        from .snapshot.idspace import DifferentSessions, require_same_session
        try:
            require_same_session(earlier, snap)
        except DifferentSessions as e:
            raise RequestError(str(e)) from None
        id_range = (max_js_id(earlier), max_js_id(snap))
    if allocated_by is not None and not snap.allocation_traces().available:
        raise RequestError("the snapshot has no allocation stacks (capture it with --track-allocations)")
    if during is not None:
        if id_range is not None:
            raise RequestError("a time range does not combine with 'allocated between'")
        try:
            id_range = snap.ids_allocated_during(during[0] * 1000, during[1] * 1000)
        except ValueError:
            raise RequestError("the snapshot has no allocation timeline (capture it with "
                               "--track-allocations)") from None
    if (filter is not None or context is not None) and (id_range is not None or allocated_by is not None):
        raise RequestError("a named filter or a context does not combine with 'allocated between' or "
                           "'allocated by' (as in DevTools)")
    mask = summary_mask(snap, filter, context)
    return snap.classes(sort=sort, id_range=id_range, allocated_by=allocated_by, mask=mask)


def summary(snap, top=0, offset=0, **kw):
    rows = summary_rows(snap, **kw)
    return [r.as_json() for r in _page(rows, top, offset)]


def classes_named(snap, name):
    rows = [r for r in snap.classes() if r.name == name]
    if not rows:
        import difflib
        near = difflib.get_close_matches(name, sorted({r.name for r in snap.classes()}), n=3)
        hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
        raise RequestError(f"no class named {name!r}{hint}")
    return rows


def instances(snap, class_name, sort="retained", top=0, offset=0):
    """A class's objects, biggest first (two constructors with one name are two classes)."""
    out = []
    for row in classes_named(snap, class_name):
        want = (offset + top) if top else row.count
        members, _total = snap.instances(row.index, sort=sort, limit=want)
        out.extend(dict(snap.node(v).as_json(), class_key=row.key) for v in members[offset:])
    return out


def object_detail(snap, node_id, limit=20, ignore=(), full=False):
    """One object: what it is, its dominators, retainers (a page), the shortest retaining path (runs
    folded unless `full`), where it was defined and its allocation stack. `ignore`: DevTools' "Ignore
    this retainer" for each id."""
    v = find_object(snap, node_id)
    ignored = [find_object(snap, i) for i in ignore]
    view = snap.retainers_view(ignored)
    if full:
        path = [(p, 1) for p in view.path(v)]
        dominators = [(o, 1) for o in snap.dominator_chain(v)[1:]]
    else:
        path, dominators = view.path_runs(v), snap.dominator_runs(v)
    location = snap.source_location(v)
    doc = dict(snap.node(v).as_json())
    doc["location"] = location.as_json() if location is not None else None
    doc["dominators"] = [dict(ref(snap, o), repeats=n) for o, n in dominators]
    doc["ignored"] = [int(snap.heap.node_id[o]) for o in ignored]
    doc["retainers"] = retainer_rows(snap, view, v, limit)
    doc["retainer_count"] = view.count(v)
    doc["path"] = [dict(edge=p.label, edge_type=p.type, edge_name=p.name, repeats=n, **{"from": ref(snap, p.source)})
                   for p, n in path]
    doc["allocation_stack"] = [{"function": f.function, "script": f.script, "line": f.line, "column": f.column}
                               for f in snap.allocation_traces().stack(v)]
    return doc


def retainer_rows(snap, view, v, limit=20, offset=0):
    return [dict(edge=r.edge.label, edge_type=r.edge.type, edge_name=r.edge.name, distance=r.distance,
                 ignored=r.edge_ignored or r.node_ignored, **{"from": ref(snap, r.edge.source)})
            for r in view.rows(v, offset=offset, limit=limit)]


def retainers(snap, node_id, limit=20, offset=0, ignore=()):
    """A page of an object's retainers, in DevTools' order."""
    v = find_object(snap, node_id)
    view = snap.retainers_view([find_object(snap, i) for i in ignore])
    return {"object": ref(snap, v), "retainer_count": view.count(v), "offset": offset,
            "retainers": retainer_rows(snap, view, v, limit, offset)}


def statistics(snap):
    return snap.statistics().as_devtools()


def dominators(snap, node_id=None, depth=1, top=10):
    """The dominator tree from the root or from one object, children by retained size, `top` per node."""
    start = snap.root if node_id is None else find_object(snap, node_id)

    def subtree(v, level):
        kids, total = snap.dominated(v, top) if level < depth else ([], snap.dominated(v, 1)[1])
        return {"node": snap.node(v).as_json(), "children_total": total,
                "children": [subtree(c, level + 1) for c in kids]}
    return subtree(start, 0)


def search(snap, query, case_sensitive=False, regex=False, top=0, offset=0):
    try:
        found = snap.search(query, case_sensitive=case_sensitive, regex=regex)
    except re.error as e:
        raise RequestError(f"not a regular expression: {e}") from None
    return {"matches": len(found), "objects": [snap.node(v).as_json() for v in _page(found, top, offset)]}


def closure(snap, node_id):
    v = find_object(snap, node_id)
    try:
        info = snap.closure(v)
    except ValueError:
        raise RequestError(f"@{int(snap.heap.node_id[v])} is a {snap.class_name(v)}, not a function") from None
    h = snap.heap

    def value(w):
        return {"id": int(h.node_id[w]), "class": snap.class_name(w), "value": snap.display_name(w)[:200],
                "retained_size": int(h.retained[w])}
    return {"function": snap.node(v).as_json(),
            "location": str(info.location) if info.location else None,
            "source": [{"line": n, "text": t} for n, t in info.source_lines],
            "scopes": [{"context": int(h.node_id[sc.context]),
                        "variables": [dict(name=name, **value(w)) for name, w in sc.variables]}
                       for sc in info.scopes]}


def timeline(snap):
    t = snap.timeline()
    if t is None:
        raise RequestError("the snapshot has no allocation timeline (capture it with --track-allocations)")
    return [{"time_ms": float(ms), "last_assigned_id": int(i), "live_size": int(n)}
            for ms, i, n in zip(t.times_ms.tolist(), t.last_ids.tolist(), t.sizes.tolist())]


def detached(snap, top=0):
    return [t.as_json(snap) for t in _page(snap.detached_trees(), top, 0)]


def contexts(snap):
    return [{"key": r.key, "id": int(snap.heap.node_id[r.context]) if r.context is not None else None,
             "label": r.label, "objects": r.objects, "size": r.size, "retained_size": r.retained_size}
            for r in snap.native_contexts()]


def duplicated_strings(snap, top=50):
    return [d.as_json(snap) for d in snap.duplicated_strings(limit=top)]


# -- several snapshots ----------------------------------------------------------------------------
def diff(base, current, sort="size_delta", top=0):
    """DevTools' Comparison view of two snapshots of one process (refuses snapshots whose ids differ)."""
    from .snapshot import SnapshotDiff
    from .snapshot.idspace import DifferentSessions
    try:
        rows = SnapshotDiff(base, current).sorted_rows(sort, descending=sort != "name")
    except DifferentSessions as e:
        raise RequestError(str(e)) from None
    return [r.as_json() for r in _page(rows, top, 0)]


def hunt(snaps, paths):
    """Leak suspects over a series of snapshots of one process: baseline, rounds, final."""
    from .snapshot.hunt import find_suspects
    from .snapshot.idspace import DifferentSessions
    if len(snaps) < 3:
        raise RequestError("a hunt from files needs three snapshots at least: baseline, target, final")
    try:
        suspects = find_suspects(snaps)
    except DifferentSessions as e:
        raise RequestError(str(e)) from None
    return {"snapshots": [os.path.abspath(p) for p in paths], "suspects": [s.as_json() for s in suspects]}


def live_hunt(session, pid, exercise, rounds=3, warmup=None, out_dir=None, force=False, progress=None,
              say=None, command_timeout=600.0, use_cache=True):
    """The leak hunt on a live process (heaptui.hunting): warm-up, baseline, `rounds` rounds of
    `exercise` (a shell command) each followed by a snapshot, then the suspects. Returns (the answer,
    the suspects)."""
    from . import hunting
    if not exercise:
        raise RequestError("an exercise command is needed: the command that drives the suspect feature")
    if rounds < 2:
        raise RequestError("rounds must be 2 or more (a target and a final snapshot)")
    if out_dir and not os.path.isdir(out_dir):
        raise RequestError(f"{out_dir}: no such directory")
    try:
        hunt = hunting.run(session, pid, exercise, rounds, warmup=warmup, out_dir=out_dir, force=force,
                           progress=progress, say=say, command_timeout=command_timeout, use_cache=use_cache)
        suspects = hunt.suspects()
    except hunting.HuntError as e:
        raise RequestError(str(e)) from None
    doc = {"snapshots": [os.path.abspath(p) for p in hunt.paths], "suspects": [s.as_json() for s in suspects]}
    return doc, suspects


# -- profiles -------------------------------------------------------------------------------------
def allocations(profile, top=0):
    """A sampling heap profile's Bottom Up rows: the functions that allocated most, self and total."""
    return [r.as_json() for r in _page(profile.bottom_up(), top, 0)]


def is_snapshot_file(path):
    """The file starts as a heap snapshot does (plain or gzip-compressed), rather than as a profile."""
    import gzip
    try:
        with open(path, "rb") as f:
            head = f.read(2)
            f.seek(0)
            text = gzip.GzipFile(fileobj=f).read(64) if head == b"\x1f\x8b" else f.read(64)
    except (OSError, EOFError):
        return False
    return text.replace(b" ", b"").lstrip(b"\xef\xbb\xbf\r\n\t").startswith(b'{"snapshot"')


def allocation_stacks(snap, top=0, offset=0):
    """A tracked snapshot's allocations per allocating function, as DevTools' Allocation view lists
    them (its bottom-up tops): what each function allocated while tracking ran, and what of that is
    still alive; biggest allocations first."""
    traces = snap.allocation_traces()
    if not traces.available:
        raise RequestError(f"{snap.path} has no allocation stacks (capture it with --track-allocations)")
    functions, _parents, counts, sizes, live_counts, live_sizes = traces.tree()
    rows = {}
    for k in range(functions.shape[0]):
        fi = int(functions[k])
        if not 0 <= fi < len(traces.functions):
            continue
        r = rows.setdefault(fi, [0, 0, 0, 0])
        r[0] += int(counts[k])
        r[1] += int(sizes[k])
        r[2] += int(live_counts[k])
        r[3] += int(live_sizes[k])
    out = []
    for fi, (count, size, live_count, live_size) in rows.items():
        if not (count or size or live_count or live_size):
            continue  # only a caller: DevTools lists allocating functions
        f = traces.functions[fi]
        out.append({"function": f.function, "script": f.script, "line": f.line, "column": f.column,
                    "count": count, "size": size, "live_count": live_count, "live_size": live_size})
    out.sort(key=lambda r: (-r["size"], -r["count"], r["function"], r["script"], r["line"], r["column"]))
    return _page(out, top, offset)


# -- live processes --------------------------------------------------------------------------------
def process_report(proc):
    """One Node process as `targets` reports it: where it runs, its memory, its worker threads."""
    from . import inspector
    usage = inspector.HeapUsage(rss=proc.memory.rss if proc.memory else None)
    workers = []
    # Reading heap figures opens and closes an inspector session, and closing one makes V8 renumber
    # objects for every session: beside an attached client (a hunt, DevTools) heaptui only looks.
    clients = inspector.procfs.inspector_clients(proc.pid, proc.inspector_port) if proc.inspector_port else 0
    if proc.inspector_port and not clients:
        try:
            with inspector.connect(pid=proc.pid, idle_timeout=5, connect_timeout=2) as session:
                usage = inspector.usage_from(session, usage.rss)
                workers = inspector.list_workers(session, idle_timeout=5)
        except inspector.InspectorError:
            pass  # the process went away, or its inspector is busy: RSS alone
    c = proc.container
    return {"pid": proc.pid, "inspector_port": proc.inspector_port, "cwd": proc.cwd, "command": proc.command,
            "container": None if c is None else {"label": c.label(), "id": c.id, "pod": c.pod,
                                                 "hostname": c.hostname, "pid_inside": c.pid_inside},
            "memory": usage.as_json(), "inspector_clients": clients,
            "workers": [{"worker_id": w.worker_id, "title": w.title, "url": w.url} for w in workers]}


def targets(host="127.0.0.1", port=None, allow_remote=False):
    """Node processes on this host (from /proc; an inspector is only asked when it is already open)
    and, with `port`, the targets an inspector port lists."""
    from . import inspector
    inspector.check_host(host, allow_remote)
    reports = [process_report(p) for p in inspector.node_processes()]
    listed, problem = [], None
    if port:
        try:
            listed = inspector.list_targets(host, port, allow_remote=allow_remote)
        except inspector.InspectorError as e:
            problem = str(e)
    return {"processes": reports, "problem": problem,
            "targets": [{"id": t.id, "title": t.title, "url": t.url, "type": t.type, "host": t.host,
                         "port": t.port, "webSocketDebuggerUrl": t.ws_url} for t in listed]}


def capture(session, pid, output=None, force=False, gc=True, say=None, progress=None, redact=None, **options):
    """A heap snapshot of the process behind `session`, streamed to `output` (0600, renamed when
    complete), after the preflight: refused (inspector.TooRisky) when it could run the host or the
    container out of memory, unless `force`. `say(check)` hears the preflight before anything heavy;
    `options` go to inspector.take_snapshot (expose_internals, track_allocations_for). With `redact`
    (a redaction Policy) the stream is redacted on its way to disk: only the redacted file is written.
    Returns what was written and what the preflight said."""
    from . import inspector
    out = output or inspector.default_snapshot_name(pid)
    check = inspector.preflight(session)
    if check.verdict == "refuse" and not force:
        raise inspector.TooRisky(check.refusal())
    if say is not None:
        say(check)
    redactor = None
    if redact is not None:
        from .snapshot.redact import Redactor
        redactor = Redactor(redact, label="the captured snapshot")
    _check, size = inspector.take_snapshot(session, out, gc=gc, progress=progress, force=True,
                                           transform=redactor, **options)
    done = {"file": os.path.abspath(out), "size": int(size), "preflight": check.verdict,
            "preflight_message": check.message()}
    if redactor is not None:
        done["redaction"] = redactor.report.as_dict()
    return done


# -- sharing ----------------------------------------------------------------------------------------
def redaction_policy(names=False, keep=(), keep_file=None, key_file=None):
    """What `redact` and `capture --redact` replace: string values always; with `names`, the user's
    names too (tokens keyed by `key_file`, else this user's own key); `keep` strings stay as they are."""
    from .snapshot.redact import Policy, user_key
    kept = list(keep or ())
    if keep_file:
        try:
            with open(keep_file, encoding="utf-8") as f:
                kept += [line.rstrip("\n") for line in f if line.strip()]
        except OSError as e:
            raise RequestError(f"{keep_file}: cannot read: {e.strerror}") from None
        except UnicodeDecodeError:
            raise RequestError(f"{keep_file}: not UTF-8 text") from None
    return Policy(names=bool(names), keep=tuple(kept), key=user_key(key_file) if names else b"")


def redact(src, dst, policy=None, progress=None):
    """A shareable copy of the snapshot `src` at `dst` (see heaptui.snapshot.redact): what it did."""
    from .snapshot.redact import redact_file
    report = redact_file(src, dst, policy, progress=progress)
    return {"input": os.path.abspath(src), "output": os.path.abspath(dst), **report.as_dict(),
            "names_redacted": bool(policy and policy.names)}


# -- helpers -------------------------------------------------------------------------------------
def _page(rows, top, offset):
    rows = rows[offset:] if offset else rows
    return rows[:top] if top else rows
