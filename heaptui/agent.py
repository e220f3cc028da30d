"""`heaptui mcp`: heaptui for agents, as a Model Context Protocol server over stdio.

Built on the official `mcp` Python SDK (FastMCP). Every tool calls the service layer (heaptui/service.py),
so an agent gets the very objects `heaptui ... --json` prints, wrapped in a small envelope that says
how many rows there are in all and where the page starts. Answers are bounded: lists default to 20
rows and never exceed 500 (page with `offset`); every object carries its @id to follow up. Opened
snapshots are kept between calls (and indexed through heaptui's cache), so the first question about a
file pays for opening it and the next ones do not.

The live tools (list_targets, capture, sample) follow the command line's rules: loopback inspectors
only, never a byte to an application's own port, and the capture preflight that refuses when a
snapshot could run the host or the container out of memory (unless force=true).
"""
from __future__ import annotations

import os
from typing import Any

from . import service
from .format import human_size

TOP = 20  # rows per answer unless asked
MOST = 500  # never more rows than this in one answer

INSTRUCTIONS = """heaptui answers questions about V8 / Node.js heap snapshots (.heapsnapshot, also .gz) and
sampling heap profiles (.heapprofile) with Chrome DevTools' own numbers. Never read a snapshot file
yourself: they are large; ask these tools. A typical leak hunt: `summary` of the later snapshot, `diff`
of two snapshots of one process (large positive size_delta), `instances` of a growing class, then
`object` on one @id for its retainers and the path that keeps it alive; or `hunt` over three or more
snapshots of one process, which names the holders that keep growing. Sizes are bytes; ids are the
snapshot's object ids (use them as "@123" or 123)."""


def _clamp(top):
    top = TOP if top is None else int(top)
    return MOST if top <= 0 or top > MOST else top


def _paged(rows_total, offset, top, rows, **extra):
    return dict(extra, rows_total=rows_total, offset=offset, returned=len(rows),
                more=max(0, rows_total - offset - len(rows)), rows=rows)


def build_server(workspace=None):
    """The FastMCP server with heaptui's tools (not yet running)."""
    from mcp.server.fastmcp import FastMCP
    from mcp.server.fastmcp.exceptions import ToolError
    from mcp.types import ToolAnnotations

    from .inspector import InspectorError
    from .profile import ProfileError, load_profile
    from .snapshot import Cancelled, SnapshotError

    ws = workspace or service.Workspace()
    server = FastMCP("heaptui", instructions=INSTRUCTIONS, log_level="WARNING")
    reads = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)
    live = ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False)

    def answer(fn):
        """Runs a tool body; a request heaptui cannot answer becomes the tool's one-line error."""
        try:
            return fn()
        except (service.RequestError, SnapshotError, ProfileError, InspectorError) as e:
            raise ToolError(str(e)) from None
        except Cancelled:
            raise ToolError("cancelled") from None
        except MemoryError:
            raise ToolError("out of memory while indexing; try a machine with more memory") from None
        except OSError as e:
            raise ToolError(f"{getattr(e, 'filename', '') or ''}: {e.strerror or e}".lstrip(": ")) from None

    def opened(path):
        return ws.open(os.path.expanduser(path))

    @server.tool(annotations=reads)
    def open_snapshot(path: str) -> dict[str, Any]:
        """Open (index, or load from heaptui's cache) a .heapsnapshot or .heapsnapshot.gz: its node and
        edge counts, total size and DevTools' statistics. Other tools open files themselves; this one
        says what a file holds and warms it up."""
        def run():
            doc = service.overview(opened(path))
            doc["total_size_human"] = human_size(doc["total_size"])
            return doc
        return answer(run)

    @server.tool(annotations=reads)
    def summary(path: str, sort: str = "retained", top: int = TOP, offset: int = 0, filter: str | None = None,
                context: str | None = None, allocated_after: str | None = None) -> dict[str, Any]:
        """DevTools' Summary: one row per constructor (class) with count, distance, shallow (self) and
        retained size in bytes. sort: retained | shallow | count | distance | name. filter: one of
        DevTools' named filters (duplicated-strings, retained-by-detached-dom, retained-by-console,
        retained-by-event-handlers, retained-by-contexts). context: a realm key from `realms`.
        allocated_after: an earlier snapshot of the same process; only objects allocated since."""
        def run():
            snap = opened(path)
            earlier = opened(allocated_after) if allocated_after else None
            rows = service.summary_rows(snap, sort=sort, filter=filter, context=context, earlier=earlier)
            n = _clamp(top)
            total = snap.statistics().total
            return _paged(len(rows), offset, n, [r.as_json() for r in rows[offset:offset + n]],
                          file=snap.path, total_size=int(total), total_size_human=human_size(total))
        return answer(run)

    @server.tool(annotations=reads)
    def instances(path: str, class_name: str, sort: str = "retained", top: int = TOP, offset: int = 0) -> dict[str, Any]:
        """The objects of one class (as `summary` names it), biggest first, with their @ids.
        sort: retained | shallow | distance | id."""
        def run():
            snap = opened(path)
            n = _clamp(top)
            total = sum(r.count for r in service.classes_named(snap, class_name))
            rows = service.instances(snap, class_name, sort=sort, top=n, offset=offset)[:n]
            return _paged(total, offset, n, rows, class_name=class_name)
        return answer(run)

    @server.tool(name="object", annotations=reads)
    def object_(path: str, id: str, retainers: int = 10, ignore: list[str] | None = None) -> dict[str, Any]:
        """One object by @id: its sizes and distance, its dominators (who frees it when freed), the
        first retainers (what references it), the shortest retaining path from a root (runs folded),
        where its function or class is defined, and its allocation stack when recorded. ignore: ids
        to treat as DevTools' "Ignore this retainer" (distances and path recomputed without them)."""
        return answer(lambda: service.object_detail(opened(path), id, limit=_clamp(retainers),
                                                    ignore=ignore or ()))

    @server.tool(name="retainers", annotations=reads)
    def retainers_(path: str, id: str, top: int = TOP, offset: int = 0, ignore: list[str] | None = None) -> dict[str, Any]:
        """A page of the objects that reference this one, in DevTools' Retainers order (closest to a
        root first)."""
        return answer(lambda: service.retainers(opened(path), id, limit=_clamp(top), offset=offset,
                                                ignore=ignore or ()))

    @server.tool(name="dominators", annotations=reads)
    def dominators_(path: str, id: str | None = None, depth: int = 1, top: int = 10) -> dict[str, Any]:
        """The dominator tree from the root, or from one object: what each object alone keeps alive,
        children by retained size (top per node, depth levels, at most 3)."""
        return answer(lambda: service.dominators(opened(path), id, depth=max(0, min(int(depth), 3)),
                                                 top=min(_clamp(top), 50)))

    @server.tool(name="statistics", annotations=reads)
    def statistics_(path: str) -> dict[str, Any]:
        """DevTools' Statistics: bytes of code, strings, JS arrays, typed arrays, system objects, and
        the V8 heap against native memory."""
        return answer(lambda: service.statistics(opened(path)))

    @server.tool(name="search", annotations=reads)
    def search_(path: str, query: str, regex: bool = False, case_sensitive: bool = False, top: int = TOP,
                offset: int = 0) -> dict[str, Any]:
        """DevTools' search (Ctrl+F): objects whose name or string content contains `query` (or
        matches it, with regex=true)."""
        def run():
            n = _clamp(top)
            found = service.search(opened(path), query, case_sensitive, regex, top=n, offset=offset)
            return _paged(found["matches"], offset, n, found["objects"])
        return answer(run)

    @server.tool(annotations=reads)
    def duplicated_strings(path: str, top: int = TOP) -> dict[str, Any]:
        """String contents held by more than one string object: copies, total bytes, the bytes
        interning would save, and example holders' ids."""
        return answer(lambda: {"rows": service.duplicated_strings(opened(path), top=_clamp(top))})

    @server.tool(name="closure", annotations=reads)
    def closure_(path: str, id: str) -> dict[str, Any]:
        """A function by @id: where it is defined (file:line:column, with the source lines when the
        snapshot holds them) and the variables its scopes keep alive, with their retained sizes."""
        return answer(lambda: service.closure(opened(path), id))

    @server.tool(annotations=reads)
    def detached_elements(path: str, top: int = TOP) -> dict[str, Any]:
        """Browser snapshots: detached DOM trees still alive, what they are made of and their sizes
        (DevTools' Detached elements)."""
        return answer(lambda: {"rows": service.detached(opened(path), top=_clamp(top))})

    @server.tool(annotations=reads)
    def realms(path: str) -> dict[str, Any]:
        """Realms (native contexts: the main context, vm contexts, iframes, workers) with the objects
        and bytes each alone reaches; their keys filter `summary` (context=KEY)."""
        return answer(lambda: {"rows": service.contexts(opened(path))})

    @server.tool(name="diff", annotations=reads)
    def diff_(base: str, current: str, sort: str = "size_delta", top: int = TOP) -> dict[str, Any]:
        """DevTools' Comparison view of two snapshots of ONE process (refused when their object ids
        do not match): per class, new, deleted, count delta, allocated, freed and size delta bytes.
        sort: size_delta | count_delta | alloc_size | freed_size | new_count | deleted_count | name."""
        def run():
            rows = service.diff(opened(base), opened(current), sort=sort)
            n = _clamp(top)
            return _paged(len(rows), 0, n, rows[:n])
        return answer(run)

    @server.tool(name="hunt", annotations=reads)
    def hunt_(paths: list[str]) -> dict[str, Any]:
        """Leak suspects over three or more snapshots of one process (baseline, rounds, final): the
        holders that received objects in every round and kept them, with what arrived, bytes per
        round, the holder's retained size over the series and the path that holds it."""
        return answer(lambda: service.hunt([opened(p) for p in paths], paths))

    @server.tool(name="allocations", annotations=reads)
    def allocations_(profile: str, top: int = TOP) -> dict[str, Any]:
        """A sampling heap profile (.heapprofile): the functions that allocated most (DevTools' Bottom
        Up), self and total bytes, with file and 1-based line. Given a snapshot taken with allocation
        tracking instead: DevTools' Allocation view, per allocating function the objects and bytes
        allocated while tracking ran and what of them is still alive."""
        def run():
            path = os.path.expanduser(profile)
            if service.is_snapshot_file(path):
                rows = service.allocation_stacks(opened(path))
                return {"total_size": sum(r["size"] for r in rows), "rows": rows[:_clamp(top)]}
            loaded = load_profile(path)
            return {"total_size": int(loaded.total), "rows": service.allocations(loaded, top=_clamp(top))}
        return answer(run)

    @server.tool(annotations=live)
    def list_targets(port: int | None = None) -> dict[str, Any]:
        """Node processes on this host (pid, container, inspector port, RSS, V8 heap used and total,
        memory outside the V8 heap, worker threads) and, with `port`, the targets of an inspector on
        127.0.0.1:port. Reads /proc; asks only inspectors that are already open; sends nothing to an
        application's own port."""
        return answer(lambda: service.targets("127.0.0.1", port, False))

    def _session(pid, port, idle_timeout):
        from . import inspector
        if (pid is None) == (port is None):
            raise service.RequestError("give pid or port (an inspector on 127.0.0.1), one of them")
        return inspector.connect("127.0.0.1", port, pid, False, idle_timeout)

    def _policy(redact_names, keep):
        return service.redaction_policy(names=redact_names, keep=tuple(keep or ()))

    @server.tool(annotations=live)
    def capture(pid: int | None = None, port: int | None = None, output: str | None = None,
                force: bool = False, redact: bool = False, redact_names: bool = False) -> dict[str, Any]:
        """Take a heap snapshot of a live Node process (by pid: its inspector is opened with SIGUSR1
        if closed; or by an inspector port on 127.0.0.1), streamed to `output` (mode 0600). Refused,
        with the numbers, when the snapshot could run the host or the container out of memory, unless
        force=true; then prefer `sample`. The target pauses while V8 writes the snapshot. With
        redact=true the stream is redacted on its way to disk (see `redact`): only the redacted file
        is ever written."""
        def run():
            policy = _policy(redact_names, ()) if (redact or redact_names) else None
            session = _session(pid, port, 120.0)
            with session:
                return service.capture(session, session.pid, output and os.path.expanduser(output), force=force,
                                       redact=policy)
        return answer(run)

    @server.tool(name="redact", annotations=live)
    def redact_(path: str, output: str, redact_names: bool = False,
                keep: list[str] | None = None) -> dict[str, Any]:
        """Write a copy of a snapshot that can be shared: every string value (what the program's
        strings said: tokens, e-mail addresses, passwords, request bodies) replaced by '*' of the same
        length, so every size, count and retained size stays the same; constructor, function, script,
        property and variable names stay readable unless redact_names=true (then keyed tokens, the same
        in every file this user redacts). `keep` lists strings to leave. `output` must not exist."""
        return answer(lambda: service.redact(os.path.expanduser(path), os.path.expanduser(output),
                                             _policy(redact_names, keep)))

    @server.tool(annotations=live)
    def hunt_live(exercise: str, pid: int | None = None, port: int | None = None, rounds: int = 3,
                  warmup: str | None = None, out_dir: str | None = None,
                  force: bool = False) -> dict[str, Any]:
        """Hunt a leak in a live Node process, as the Node.js docs teach: run `warmup` (a shell
        command, optional), take a baseline snapshot, then `rounds` times run `exercise` (a shell
        command that drives the suspect feature, e.g. a load generator against the service) and take a
        snapshot, all in one inspector session; then name the suspects as `hunt` does. Snapshots go to
        `out_dir` (default: a new heaptui-hunt-* directory). Each snapshot passes the same memory
        preflight as `capture`."""
        def run():
            if not 2 <= rounds <= 20:
                raise service.RequestError("rounds must be from 2 to 20")
            session = _session(pid, port, 120.0)
            with session:
                doc, _suspects = service.live_hunt(session, session.pid, exercise, rounds, warmup=warmup,
                                                   out_dir=out_dir and os.path.expanduser(out_dir), force=force)
            return doc
        return answer(run)

    @server.tool(annotations=live)
    def sample(duration: float, pid: int | None = None, port: int | None = None, output: str | None = None) -> dict[str, Any]:
        """Record a sampling heap profile (.heapprofile) of a live process for `duration` seconds (at
        most 600): cheap, safe in production; `allocations` reads it."""
        def run():
            from . import inspector
            if not 0 < duration <= 600:
                raise service.RequestError("duration must be more than 0 and at most 600 seconds")
            session = _session(pid, port, duration + 60)
            with session:
                out = output and os.path.expanduser(output)
                out = out or inspector.default_snapshot_name(session.pid).replace(".heapsnapshot", ".heapprofile")
                size = inspector.sample_heap(session, out, duration)
            return {"file": os.path.abspath(out), "size": int(size)}
        return answer(run)

    return server


def serve():
    """Runs the server on stdin/stdout until the client closes it. Compiles heaptui's kernels first
    when this is the first run (quietly: stdout belongs to the protocol)."""
    from .firstrun import compile_kernels, needed
    if needed():
        compile_kernels(lambda step, done, total: None)
    build_server().run("stdio")
