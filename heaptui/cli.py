"""The `heaptui` command. The only module that prints; every error a user can cause ends as one line
`heaptui: error: ...` on stderr with exit status 2."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from urllib.parse import urlsplit

from .format import human_size, node_label, percent
from .snapshot.filter_names import NAMES as FILTER_NAMES

PROG = "heaptui"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def fail(message, status=2):
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    return status


# -- formatting ---------------------------------------------------------------------------------
def table(headers, rows, align):
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r)]
    out = []
    for r in [headers] + rows:
        cells = [c.rjust(w) if a == ">" else c.ljust(w) for c, w, a in zip(r, widths, align)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def count(text):
    """argparse type: a whole number, 0 or more."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return n


class Progress:
    """Phase progress on stderr, only when stderr is a terminal."""

    def __init__(self, label, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.label = label
        self.last = 0.0
        self.started = time.monotonic()

    def __call__(self, phase, done, total):
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        if total and phase == "snapshot":  # V8 counts the objects it walks
            pct = f" {100 * done / total:3.0f}% of {total:,} objects"
        elif total:
            pct = f" {100 * done / total:3.0f}%"
        elif phase == "writing":  # a stream of unknown length: how much, how fast
            pct = f" {done / 1e6:,.0f} MB ({done / 1e6 / max(now - self.started, 1e-3):,.0f} MB/s)"
        else:
            pct = ""
        self.stream.write(f"\r\x1b[K{self.label}: {phase}{pct}  {now - self.started:.1f}s")
        self.stream.flush()

    def done(self):
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def compile_kernels():
    """First run only: compile heaptui's kernels (two processes), saying so."""
    from .firstrun import COMPILING, CompileError, compile_kernels as compile_all, needed
    if not needed():
        return
    progress = Progress("first run")  # on a terminal only: a line that is erased when done
    try:
        compile_all(lambda step, done, total: progress(COMPILING, done, total))
    except CompileError as e:
        raise UsageError(str(e)) from None
    finally:
        progress.done()


def open_with_progress(path, no_cache=False):
    from .snapshot import open_snapshot
    progress = Progress(os.path.basename(path))
    try:
        # The kernels are compiled (first run) only when the file must be indexed: a snapshot served
        # from the index cache needs none, nor numba.
        return open_snapshot(path, progress=progress, use_cache=not no_cache, before_indexing=compile_kernels)
    finally:
        progress.done()


# -- subcommands ----------------------------------------------------------------------------------
def cmd_summary(args):
    from . import service
    snap = open_with_progress(args.file, args.no_cache)
    earlier = open_with_progress(args.between, args.no_cache) if getattr(args, "between", None) else None
    during = getattr(args, "during", None)
    if during is not None:
        try:
            during = tuple(float(x) for x in during.split(":"))
            assert len(during) == 2
        except (ValueError, AssertionError):
            raise UsageError(f"--during wants START:END in seconds, not {args.during!r}") from None
    rows = service.summary_rows(snap, sort=args.sort, filter=getattr(args, "filter", None),
                                context=getattr(args, "context", None), earlier=earlier, during=during,
                                allocated_by=getattr(args, "allocated_by", None))
    top = args.top if args.top is not None else (0 if args.json else 30)
    shown = rows[:top] if top > 0 else rows
    if args.json:
        json.dump([r.as_json() for r in shown], sys.stdout)
        sys.stdout.write("\n")
        return 0
    from .snapshot import format_distance
    total = snap.statistics().total
    body = [[r.name if len(r.name) <= 60 else r.name[:59] + "\u2026", format_distance(r.distance),
             f"{r.count:,}", human_size(r.self_size), percent(r.self_size, total),
             human_size(r.retained_size), percent(r.retained_size, total)] for r in shown]
    print(table(["Constructor", "Distance", "Count", "Shallow", "%", "Retained", "%"], body,
                ["<", ">", ">", ">", ">", ">", ">"]))
    if len(shown) < len(rows):
        print(f"... {len(rows) - len(shown)} more classes (--top 0 shows all)")
    print(f"{snap.node_count:,} nodes, total {human_size(total)} ({total:,} bytes)")
    return 0


def cmd_instances(args):
    """A class's objects, biggest first: the way from a summary row to an @id."""
    from . import service
    snap = open_with_progress(args.file, args.no_cache)
    if args.json:
        json.dump(service.instances(snap, args.cls, sort=args.sort, top=args.top or 0), sys.stdout,
                  ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    found = []
    for row in service.classes_named(snap, args.cls):  # two constructors with one name are two classes
        members, total = snap.instances(row.index, sort=args.sort, limit=args.top or row.count)
        found.append((row, members, total))
    from .format import node_label
    from .snapshot import format_distance
    for row, members, total in found:
        body = [[node_label(snap, v, 60), format_distance(int(snap.heap.distance[v])),
                 human_size(snap.heap.self_size[v]), human_size(snap.heap.retained[v])] for v in members]
        print(table(["Object", "Distance", "Shallow", "Retained"], body, ["<", ">", ">", ">"]))
        if len(members) < total:
            print(f"... {total - len(members):,} more of {total:,} (--top 0 shows all)")
    return 0


def cmd_nodes(args):
    from . import service
    snap = open_with_progress(args.file, args.no_cache)
    sys.stdout.flush()
    out = sys.stdout.buffer
    for chunk in service.node_lines(snap):
        out.write(chunk)
    out.flush()
    return 0


def _snapshot_allocations(args):
    """`allocations` of a snapshot taken with --track-allocations: DevTools' Allocation view."""
    from . import service
    snap = open_with_progress(args.file, getattr(args, "no_cache", False))
    rows = service.allocation_stacks(snap)
    if args.format == "pprof":
        from .profile.pprof import write_pprof
        size = write_pprof(snap.allocation_traces(), args.output)
        _say(f"wrote {args.output} ({human_size(size)}, pprof: alloc_objects, alloc_space, inuse_objects, "
             "inuse_space)")
        return 0
    shown = rows[:args.top] if args.top else rows
    if args.json:
        json.dump(shown, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    body = [[(r["function"] or "(anonymous)")[:40], f"{r['count']:,}", human_size(r["size"]), f"{r['live_count']:,}",
             human_size(r["live_size"]), f"{r['script']}:{r['line']}:{r['column']}"[-50:]] for r in shown]
    print(table(["Function", "Count", "Size", "Live count", "Live size", "Location"], body,
                ["<", ">", ">", ">", ">", "<"]))
    if len(shown) < len(rows):
        print(f"... {len(rows) - len(shown)} more functions (--top 0 shows all)")
    print(f"allocated {human_size(sum(r['size'] for r in rows))} while tracking; "
          f"{human_size(sum(r['live_size'] for r in rows))} of it still alive")
    return 0


def cmd_allocations(args):
    from .profile import load_profile
    if args.format == "pprof" and not args.output:
        raise UsageError("--format pprof writes a file: give -o FILE.pb.gz")
    from . import service
    if service.is_snapshot_file(args.file):
        return _snapshot_allocations(args)
    profile = load_profile(args.file)
    if args.format == "pprof":
        from .profile.pprof import write_pprof
        size = write_pprof(profile, args.output)
        _say(f"wrote {args.output} ({human_size(size)}, pprof)")
        return 0
    rows = profile.bottom_up()
    shown = rows[:args.top] if args.top else rows
    if args.json:
        from . import service
        json.dump(service.allocations(profile, top=args.top or 0), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    total = profile.total
    body = [[r.frame.label[:40], human_size(r.self_size), percent(r.self_size, total),
             human_size(r.total_size), percent(r.total_size, total), r.frame.location[-50:]] for r in shown]
    print(table(["Function", "Self", "%", "Total", "%", "Location"], body, ["<", ">", ">", ">", ">", "<"]))
    if len(shown) < len(rows):
        print(f"... {len(rows) - len(shown)} more functions (--top 0 shows all)")
    print(f"sampled {human_size(total)} in all")
    return 0


def cmd_diff(args):
    from . import service
    from .snapshot import SnapshotDiff
    base = open_with_progress(args.old, args.no_cache)
    current = open_with_progress(args.new, args.no_cache)
    if args.json:
        json.dump(service.diff(base, current, sort=args.sort, top=args.top or 0), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    diff = SnapshotDiff(base, current)
    rows = diff.sorted_rows(args.sort, descending=args.sort != "name")
    shown = rows[:args.top] if args.top else rows
    from .format import signed
    fmt = lambda n: f"{n:,}"
    body = [[r.name if len(r.name) <= 50 else r.name[:49] + "\u2026", fmt(r.new_count), fmt(r.deleted_count),
             signed(r.count_delta, fmt), human_size(r.alloc_size), human_size(r.freed_size),
             signed(r.size_delta, human_size)] for r in shown]
    print(table(["Constructor", "# New", "# Deleted", "# Delta", "Alloc. Size", "Freed Size", "Size Delta"],
                body, ["<", ">", ">", ">", ">", ">", ">"]))
    if len(shown) < len(rows):
        print(f"... {len(rows) - len(shown)} more classes changed (--top 0 shows all)")
    return 0


def cmd_hunt(args):
    from . import service
    from .snapshot.hunt import find_suspects
    if args.files:
        if args.port is not None or args.pid is not None or args.exercise:
            raise UsageError("give snapshot files, or --port/--pid with --exercise, not both")
        if len(args.files) < 3:
            raise UsageError("a hunt from files needs three snapshots at least: baseline, target, final")
        paths = list(args.files)
        doc = service.hunt([open_with_progress(p, args.no_cache) for p in paths], paths)
        suspects = None
    else:
        if args.port is None and args.pid is None:
            raise UsageError("give three snapshot files, or --port/--pid and --exercise")
        if not args.exercise:
            raise UsageError("--exercise CMD is needed: the command that drives the suspect feature")
        doc, suspects = _live_hunt(args)
        paths = doc["snapshots"]
    if args.json:
        json.dump(doc, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        if suspects is None:
            suspects = find_suspects([open_with_progress(p, args.no_cache) for p in paths])  # cached now
        print_suspects(suspects, len(paths))
        print("Snapshots: " + " ".join(paths))
    return 1 if (args.fail_on_leak and doc["suspects"]) else 0


def print_suspects(suspects, snapshots):
    if not suspects:
        print(f"No leak suspects: nothing kept arriving under a holder in every round "
              f"({snapshots} snapshots).")
    for i, s in enumerate(suspects, 1):
        print(f"{i}. {s.sentence()}")
        print(f"   holder: {s.holder.class_name} @{s.holder.id}"
              + (f", defined at {s.holder.location}" if s.holder.location else ""))
        print("   held by:")
        for step in s.path:
            print(f"     {step}")


def _live_hunt(args):
    """Warm-up, baseline, rounds: the hunting workflow, with progress on stderr."""
    from . import service
    session, pid = _connect(args, args.timeout)
    progress = Progress("hunt")
    try:
        with session:
            return service.live_hunt(session, pid, args.exercise, args.rounds, warmup=args.warmup,
                                     out_dir=args.out_dir, force=args.force, progress=progress,
                                     say=lambda m: (progress.done(), _say(m)),
                                     command_timeout=args.command_timeout, use_cache=not args.no_cache)
    finally:
        progress.done()


def _parse_id(text):
    t = text[1:] if text.startswith("@") else text
    if not t.isdigit():
        raise UsageError(f"'{text}' is not an object id (expected @12345)")
    return int(t)


def _open_object(args):
    """(snapshot, id, ordinal) of the object args.id names in args.file; a usage error if none."""
    snap = open_with_progress(args.file, args.no_cache)
    node_id = _parse_id(args.id)
    v = snap.find_id(node_id)
    if v is None:
        raise UsageError(f"no object with id @{node_id} in {args.file}")
    return snap, node_id, v


def cmd_object(args):
    from . import service
    snap, node_id, v = _open_object(args)
    ignored_ids = (args.ignore or "").replace(",", " ").split()
    for text in ignored_ids:
        if snap.find_id(_parse_id(text)) is None:
            raise UsageError(f"--ignore: no object with id {text} in {args.file}")
    if args.json:
        doc = service.object_detail(snap, node_id, limit=args.limit, ignore=ignored_ids, full=args.full)
        json.dump(doc, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    info = snap.node(v)
    ignored = [snap.find_id(_parse_id(text)) for text in ignored_ids]
    view = snap.retainers_view(ignored)  # DevTools' "Ignore this retainer" for each --ignore
    retainers = view.rows(v, limit=args.limit)
    retainer_count = view.count(v)
    location = snap.source_location(v)
    # Runs folded (the tail of a linked list has millions of steps) unless --full.
    if args.full:
        path = [(p, 1) for p in view.path(v)]
        dominators = [(o, 1) for o in snap.dominator_chain(v)[1:]]
    else:
        path, dominators = view.path_runs(v), snap.dominator_runs(v)
    from .snapshot import format_distance

    def line(o):
        n = snap.node(o)
        name = n.name if len(n.name) <= 70 else n.name[:69] + "\u2026"
        return f"{n.class_name} {name!r} @{n.id}" if n.name != n.class_name else f"{n.class_name} @{n.id}"

    def times(n):
        return f" \u00d7 {n:,}" if n > 1 else ""

    print(f"{line(v)}")
    print(f"  type {info.type}, shallow {info.self_size:,} B, retained {info.retained_size:,} B, "
          f"distance {format_distance(info.distance)}")
    if location is not None:
        print(f"  defined at {location}")
    print("Dominators (who frees it when freed):")
    for o, n in _bounded(dominators, args.full):
        print(f"  {line(o)}{times(n)}  retained {human_size(snap.heap.retained[o])}" if o is not None else
              f"  \u2026 {n:,} more (--full shows all)")
    print(f"Retainers ({retainer_count:,}):" if not ignored else
          f"Retainers ({retainer_count:,}), with {', '.join(line(o) for o in ignored)} ignored:")
    for r in retainers:
        shown = "ignored" if r.edge_ignored or r.node_ignored else format_distance(r.distance)
        print(f"  {r.edge.label} in {line(r.edge.source)}  distance {shown}")
    if retainer_count > len(retainers):
        print(f"  ... {retainer_count - len(retainers):,} more (--limit)")
    print("Shortest retaining path:" if not ignored else "Shortest retaining path avoiding the ignored:")
    if not path:
        print("  (none: it is a root, or only weak references reach it)" if not ignored else
              "  (none: nothing else holds it; freeing the ignored objects frees it)")
    for p, n in _bounded(path, args.full):
        if p is None:
            print(f"  \u2026 {n:,} more steps (--full shows all)")
            continue
        print(f"  {line(p.source)}{' and the same way on' if n > 1 else ''}")
        print(f"    {p.label}{times(n)} \u2192")
    if path:
        print(f"  {line(v)}")
    traces = snap.allocation_traces()
    if traces.available:
        stack = traces.stack(v)
        print("Allocation stack:" if stack else
              "Allocation stack: not recorded (allocated before tracking started)")
        for frame in stack:
            print(f"  {frame.label}")
    return 0


def _bounded(runs, full, keep=12):
    """At most `keep` runs, the first and last halves, with (None, omitted steps) between."""
    if full or len(runs) <= keep:
        return runs
    head, tail = runs[:keep // 2], runs[-(keep // 2):]
    return head + [(None, sum(n for _o, n in runs[keep // 2:-(keep // 2)]))] + tail


def cmd_stats(args):
    snap = open_with_progress(args.file, args.no_cache)
    s = snap.statistics()
    if args.json:
        from . import service
        json.dump(service.statistics(snap), sys.stdout)
        sys.stdout.write("\n")
        return 0
    other_js = s.v8heap - s.code - s.strings - s.js_arrays - s.system
    rows = [("Code", s.code), ("Strings", s.strings), ("JS arrays", s.js_arrays),
            ("Typed arrays", s.typed_arrays), ("System objects", s.system),
            ("Other JS objects", other_js), ("Other non-JS objects", s.native - s.typed_arrays)]
    body = [[name, human_size(v), f"{v:,}", percent(v, s.total)] for name, v in rows]
    body.append(["Total", human_size(s.total), f"{s.total:,}", "100 %"])
    print(table(["Category", "Size", "Bytes", "%"], body, ["<", ">", ">", ">"]))
    print(f"V8 heap {human_size(s.v8heap)}, native {human_size(s.native)}")
    return 0


def cmd_dominators(args):
    """The dominator tree from the root, or from one object: what each object alone keeps alive."""
    if args.id is not None:
        snap, _node_id, start = _open_object(args)
    else:
        snap = open_with_progress(args.file, args.no_cache)
        start = snap.root

    from . import service
    tree = service.dominators(snap, None if args.id is None else int(snap.heap.node_id[start]),
                              depth=args.depth, top=args.top)
    t_root_id = int(snap.heap.node_id[snap.root])
    if args.json:
        json.dump(tree, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    total = snap.statistics().total

    def show(t, prefix, last, top):
        n = t["node"]
        name = n["name"] or ("(root)" if n["id"] == t_root_id else n.get("class", ""))
        name = name if len(name) <= 50 else name[:49] + "\u2026"
        line = (f"{name} @{n['id']}  retained {human_size(n['retained_size'])} "
                f"({percent(n['retained_size'], total).strip()}), shallow {human_size(n['self_size'])}")
        print(line if top else prefix + ("\u2514\u2500 " if last else "\u251c\u2500 ") + line)
        inner = prefix if top else prefix + ("   " if last else "\u2502  ")
        for i, c in enumerate(t["children"]):
            show(c, inner, i == len(t["children"]) - 1 and len(t["children"]) == t["children_total"], False)
        more = t["children_total"] - len(t["children"])
        if t["children"] and more > 0:
            print(inner + f"\u2514\u2500 \u2026 {more:,} more (--top)")

    show(tree, "", True, True)
    return 0


def cmd_search(args):
    """DevTools' Summary search: objects whose name contains the text (or matches --regex)."""
    from . import service
    snap = open_with_progress(args.file, args.no_cache)
    if args.json:
        found = service.search(snap, args.query, args.case_sensitive, args.regex, top=args.top or 0)
        json.dump(found["objects"], sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    import re
    try:
        found = snap.search(args.query, case_sensitive=args.case_sensitive, regex=args.regex)
    except re.error as e:
        raise UsageError(f"not a regular expression: {e}") from None
    shown = found[:args.top] if args.top else found
    body = []
    for v in shown:
        n = snap.node(v)
        name = snap.display_name(v).replace("\n", "\\n")
        body.append([f"@{n.id}", n.class_name[:30], name if len(name) <= 50 else name[:49] + "\u2026",
                     human_size(n.retained_size)])
    if body:
        print(table(["Id", "Class", "Name", "Retained"], body, [">", "<", "<", ">"]))
    more = len(found) - len(shown)
    print(f"{len(found):,} objects match" + (f" ({more:,} more: --top 0 shows all)" if more > 0 else "")
          + "; heaptui object FILE @ID shows one")
    return 0


def cmd_closure(args):
    """A function's source and what its scopes keep alive."""
    from . import service
    snap, node_id, v = _open_object(args)
    try:
        doc = service.closure(snap, node_id)
    except service.RequestError as e:
        raise UsageError(f"{e} (heaptui search FILE NAME finds functions by name)") from None
    info = snap.closure(v)
    if args.json:
        json.dump(doc, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    name = snap.display_name(v) or "(anonymous)"
    print(f"{name} @{node_id}" + (f"  defined at {info.location}" if info.location else ""))
    for n, text in info.source_lines:
        mark = ">" if info.location and n == info.location.line else " "
        print(f" {mark}{n:>6} | {text[:120]}")
    if not info.scopes:
        print("Its scope holds no variables of its own (only the global scope).")
    for depth, sc in enumerate(doc["scopes"], 1):
        kept = sum(x["retained_size"] for x in sc["variables"])
        print(f"Scope {depth} (context @{sc['context']}): {len(sc['variables'])} variables")
        body = [[x["name"], f"{x['class'][:28]} @{x['id']}", human_size(x["retained_size"])]
                for x in sorted(sc["variables"], key=lambda x: -x["retained_size"])]
        if body:
            print(table(["  Variable", "Value", "Retained"], [["  " + b[0]] + b[1:] for b in body],
                        ["<", "<", ">"]))
    return 0


def cmd_timeline(args):
    """DevTools' allocation timeline: per interval, what was allocated then and is still alive."""
    snap = open_with_progress(args.file, args.no_cache)
    t = snap.timeline()
    if t is None:
        raise UsageError(f"{args.file} has no allocation timeline (capture it with --track-allocations)")
    if args.json:
        from . import service
        json.dump(service.timeline(snap), sys.stdout)
        sys.stdout.write("\n")
        return 0
    # Intervals grouped into at most --rows bars, so a long recording stays readable.
    import numpy as np
    n = len(t.sizes)
    rows = max(1, min(args.rows, n))
    edges = np.linspace(0, n, rows + 1).astype(int)
    sums = [int(t.sizes[a:b].sum()) for a, b in zip(edges[:-1], edges[1:])]
    peak = max(sums) or 1
    body = []
    for (a, b), size in zip(zip(edges[:-1], edges[1:]), sums):
        span = f"{t.times_ms[a] / 1000:7.2f}\u2013{t.times_ms[b - 1] / 1000:.2f} s"
        body.append([span, human_size(size), "\u2588" * int(round(size / peak * 40))])
    print(table(["Allocated during", "Still alive", ""], body, ["<", ">", "<"]))
    print(f"{n:,} samples, {human_size(int(t.sizes.sum()))} still alive in all; "
          f"heaptui summary FILE --during START:END (seconds) shows what an interval allocated")
    return 0


def cmd_detached(args):
    """DevTools' "Detached elements": detached DOM trees still alive, and the JS that holds each."""
    from .snapshot.filters import is_element
    snap = open_with_progress(args.file, args.no_cache)
    trees = snap.detached_trees()
    if args.json:
        from . import service
        json.dump(service.detached(snap), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not trees:
        print("No detached DOM nodes (a snapshot of a page keeps them; Node.js has no DOM).")
        return 0
    shown = trees[:args.top] if args.top else trees
    for t in shown:
        top = snap.node(t.top)
        kinds = [(c, n) for c, n in t.kinds(snap, most=None) if is_element(c)][:5] or t.kinds(snap, most=3)
        kinds = ", ".join(f"{n} \u00d7 {c if len(c) <= 40 else c[:39] + chr(0x2026)}" for c, n in kinds)
        print(f"{top.name} @{top.id}: {len(t.nodes):,} detached nodes, {human_size(t.size)}, "
              f"frees {human_size(t.retained_size)}")
        print(f"  made of {kinds}")
        path = snap.retaining_path(t.top)
        if path:
            holder = path[-1]
            print(f"  held by {holder.label} in {node_label(snap, holder.source)}"
                  f"  (heaptui object FILE @{top.id} shows the whole path)")
    if len(shown) < len(trees):
        print(f"... {len(trees) - len(shown):,} more trees (--top 0 shows all)")
    return 0


def cmd_contexts(args):
    snap = open_with_progress(args.file, args.no_cache)
    rows = snap.native_contexts()
    if args.json:
        from . import service
        json.dump(service.contexts(snap), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    total = sum(r.size for r in rows)
    body = [[r.key, r.label[:60], f"{r.objects:,}", human_size(r.size), f"{r.size / total * 100:.1f} %" if total else "",
             human_size(r.retained_size) if r.context is not None else ""] for r in rows]
    print(table(["Context", "Global object", "Objects", "Size", "Share", "Retained"], body,
                ["<", "<", ">", ">", ">", ">"]))
    print("Size: the shallow sizes of the objects each context alone reaches (DevTools' attribution). "
          "heaptui summary FILE --context KEY shows one context's objects.")
    return 0


def cmd_strings(args):
    snap = open_with_progress(args.file, args.no_cache)
    dups = snap.duplicated_strings(limit=args.top)
    if args.json:
        from . import service
        json.dump(service.duplicated_strings(snap, top=args.top), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not dups:
        print("No string content is held by more than one string object.")
        return 0
    body = []
    for d in dups:
        text = d.text.replace("\n", "\\n")
        text = json.dumps(text if len(text) <= 48 else text[:47] + "\u2026", ensure_ascii=False)
        holders = []
        for v in d.examples[:2]:
            ret = snap.retainers(v, limit=1)
            if ret:
                edge = ret[0]
                holder = snap.display_name(edge.source) or snap.class_name(edge.source)
                holders.append(f"{edge.label} in {holder}"[:40])
        body.append([text, f"{d.count:,}", human_size(d.total_size), human_size(d.wasted), "; ".join(holders)])
    print(table(["String", "Copies", "Total", "Wasted", "Held by (examples)"], body, ["<", ">", ">", ">", "<"]))
    wasted = sum(d.wasted for d in snap.duplicated_strings(limit=0))
    print(f"Interning every duplicated string would save {human_size(wasted)} ({wasted:,} bytes); "
          f"heaptui summary FILE --filter duplicated-strings shows them as DevTools does.")
    return 0


# -- live processes ----------------------------------------------------------------------------------
def _say(message):
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


def cmd_targets(args):
    from . import service
    found = service.targets(args.host, args.port, args.allow_remote)
    reports, problem = found["processes"], found["problem"]
    targets = found["targets"]
    if args.json:
        json.dump({"processes": reports, "targets": targets}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if reports:
        def mb(n):
            return human_size(n) if n is not None else "-"
        body = []
        for r in reports:
            m = r["memory"]
            where = r["container"]["label"] if r["container"] else "host"
            body.append([str(r["pid"]), where[:20], str(r["inspector_port"] or "closed"), mb(m["rss"]),
                         f"{mb(m['heap_used'])} / {mb(m['heap_total'])}" if m["heap_total"] is not None else "-",
                         mb(m["outside_heap"]), r["command"]])
        columns = shutil.get_terminal_size((200, 24)).columns if sys.stdout.isatty() else 200
        width = max(20, columns - 1 - sum(max(len(row[i]) for row in body) + 2 for i in range(6)))
        for row in body:
            row[6] = row[6] if len(row[6]) <= width else row[6][:width - 1] + "\u2026"
        print(table(["PID", "Where", "Inspector", "RSS", "Heap used / total", "Outside heap", "Command"], body,
                    [">", "<", ">", ">", ">", ">", "<"]))
        for r in reports:
            for w in r["workers"]:
                print(f"  {r['pid']} worker {w['worker_id']}: {w['title'] or w['url']}"
                      f"   (heaptui capture --pid {r['pid']} --worker {w['worker_id']})")
        print("Capture with: heaptui capture --pid PID   (opens a closed inspector with SIGUSR1)")
        if any(r["inspector_port"] is None for r in reports):
            print("Heap figures need the inspector open; RSS is from /proc.")
        for r in reports:
            if r["inspector_clients"]:
                print(f"Process {r['pid']}: another client is attached to its inspector; heap figures not "
                      "read (closing a session of ours would renumber its objects).")
    else:
        print("No Node.js processes found on this host (for this user).")
    if targets:
        print(f"\nTargets on {args.host}:{args.port}:")
        for i, t in enumerate(targets, 1):
            print(f"  {i}. {t['title'] or t['url']}  ({t['type'] or 'target'}, id {t['id']})")
        if len(targets) > 1:
            print(f"Choose one with: heaptui capture --port {args.port} --target N|ID|TITLE")
    elif args.port:
        print(f"\nNo targets on {args.host}:{args.port}: {problem}")
    return 0


def _connect(args, idle_timeout):
    """The session to capture from: --pid or --host/--port, --target among several targets of one port,
    --worker for one of the target's worker threads. Names what was chosen when there was a choice."""
    from . import inspector
    if args.pid is not None and args.port is not None:
        raise UsageError("give --port or --pid, not both")
    inspector.check_host(args.host, args.allow_remote)  # before anything is sent
    session = inspector.connect(args.host, args.port, args.pid, args.allow_remote, idle_timeout,
                                target=args.target)
    pid = session.pid
    port = urlsplit(session.url).port
    if pid is not None and port and inspector.procfs.inspector_clients(pid, port, {session.local_port}):
        _say("note: another client is attached to this inspector (a debugger, DevTools, a hunt?); when "
             "this session closes, V8 renumbers objects for it too")
    if args.target is not None:
        t = session.target
        _say(f"target: {t.title or t.url} ({t.type or 'target'}, id {t.id})")
    if args.worker is not None:
        try:
            worker = inspector.choose_worker(inspector.list_workers(session), args.worker)
        except BaseException:
            session.close()
            raise
        _say(f"worker {worker.worker_id}: {worker.title or worker.url}")
        session = inspector.WorkerSession(session, worker)
    return session, pid


def cmd_capture(args):
    from . import inspector
    started = time.monotonic()
    if args.signal:
        if args.pid is None:
            raise UsageError("--signal needs --pid")
        progress = Progress("snapshot")
        try:
            path = inspector.snapshot_by_signal(args.pid, args.signal, args.timeout, progress,
                                                output=args.output)
        finally:
            progress.done()
        print(path)
        _say(f"wrote {path} ({human_size(os.path.getsize(path))}) in {time.monotonic() - started:.1f} s")
        return 0
    from . import service

    def say(check):
        # Before anything heavy: what the capture will cost the target, so it can still be called off
        # (said to a person at a terminal; scripts hear only warnings).
        if check.verdict != "ok":
            _say("warning: " + check.message())
        elif sys.stderr.isatty():
            _say(check.message())

    redaction = _redaction(args) if (args.redact or args.redact_names) else None
    session, pid = _connect(args, args.timeout)
    with session:
        out = args.output or inspector.default_snapshot_name(pid)
        progress = Progress(os.path.basename(out))
        try:
            done = service.capture(session, pid, out, force=args.force, gc=not args.no_gc, say=say,
                                   progress=progress, expose_internals=args.expose_internals, redact=redaction,
                                   track_allocations_for=args.duration if args.track_allocations else None)
        finally:
            progress.done()
    print(out)
    what = ", redacted" if redaction is not None else ""
    _say(f"wrote {out} ({human_size(done['size'])}{what}) in {time.monotonic() - started:.1f} s")
    return 0


def cmd_profile(args):
    import select
    import signal
    from . import inspector
    session, pid = _connect(args, max(60.0, (args.duration or 0) + 30))
    out = args.output or inspector.default_snapshot_name(pid).replace(".heapsnapshot", ".heapprofile")
    if not out.endswith(".heapprofile"):
        out += ".heapprofile"
    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    interactive = args.duration is None and sys.stdin.isatty()
    if args.duration is None:
        _say("sampling; press Enter or Ctrl-C to stop" if interactive else "sampling; Ctrl-C stops")

    def stop():
        if interrupted:
            return True
        if interactive and select.select([sys.stdin], [], [], 0)[0]:
            sys.stdin.readline()
            return True
        return False

    try:
        with session:
            size = inspector.sample_heap(session, out, args.duration, args.interval, stop)
    finally:
        signal.signal(signal.SIGINT, previous)
    print(out)
    _say(f"wrote {out} ({human_size(size)})")
    return 0


def _redaction(args):
    from . import service
    return service.redaction_policy(names=args.redact_names, keep=args.keep, keep_file=args.keep_file,
                                    key_file=args.key_file)


def cmd_redact(args):
    from . import service
    policy = _redaction(args)
    progress = Progress(os.path.basename(args.file))
    try:
        done = service.redact(args.file, args.output, policy, progress=progress)
    finally:
        progress.done()
    if args.json:
        json.dump(done, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(args.output)
    names = f", {done['names_replaced']:,} names replaced by tokens" if policy.names else ", names kept readable"
    _say(f"wrote {args.output}: {done['values_redacted']:,} of {done['strings']:,} strings redacted{names} "
         f"({human_size(done['bytes_in'])} at {done['mb_per_second'] or 0:,.0f} MB/s)")
    return 0


def cmd_mcp(args):
    """`heaptui mcp`: serve heaptui's tools to an agent over stdin/stdout until it disconnects."""
    try:
        from .agent import serve
    except ImportError as e:
        raise UsageError(f"heaptui mcp needs the mcp package ({e}): pip install 'mcp>=1.20,<2'") from None
    if sys.stdin.isatty() and sys.stdout.isatty():
        _say("serving MCP on stdin/stdout: an agent starts this command itself (see README, "
             "'heaptui for agents'); Ctrl-C stops")
    serve()
    return 0


def cmd_open(argv):
    """`heaptui [FILE ...] [--demo]`: the terminal UI (or, without a terminal, the summaries)."""
    p = _Parser(prog=PROG, description="Open snapshots in the terminal UI: one to explore, two (base "
                "then current) to compare; none opens the capture pane.")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument("--demo", action="store_true", help="open the bundled demo snapshots")
    p.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    p.add_argument("--theme", choices=["default", "ansi"], default="default",
                   help="ansi: use the terminal's own 16 colours")
    args = p.parse_args(argv)
    files = list(args.files)
    if args.demo:
        from .demo import demo_paths
        files = demo_paths() + files
    import re

    def not_a_snapshot(path):
        """Why the file cannot be a heap snapshot, judged from its first bytes only (the full check
        is the loader's, while the app indexes it); None when it may be one."""
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        if head[:2] == b"\x1f\x8b":  # a .heapsnapshot.gz: judged by what it holds
            import gzip
            try:
                with gzip.open(path, "rb") as fh:
                    head = fh.read(1 << 16)
            except (OSError, EOFError) as e:
                return f"the gzip stream is damaged or truncated ({e})"
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip()  # a byte order mark is accepted
        if not text:
            return "the file is empty" if not head else "the file holds only white space"
        if not text.startswith(b"{"):
            return "not a heap snapshot (it is not a JSON object)"
        if re.match(rb'\{\s*"head"\s*:', text):
            return ("this is a sampling heap profile (.heapprofile), not a heap snapshot; "
                    "use 'heaptui allocations'")
        return None

    for f in files:
        if not os.path.exists(f):
            raise UsageError(f"{f}: no such file")
        if os.path.isdir(f):
            raise UsageError(f"{f}: is a directory, not a snapshot file")
        reason = None if f.endswith(".heapprofile") else not_a_snapshot(f)
        if reason:
            raise UsageError(f"{f}: {reason}")
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        if not files:
            raise UsageError("the terminal UI needs a terminal; see 'heaptui --help' for commands")
        for f in files:
            print(f"== {f}")
            if f.endswith(".heapprofile"):
                cmd_allocations(argparse.Namespace(file=f, top=15, json=False))
            else:
                cmd_summary(argparse.Namespace(file=f, no_cache=False, sort="retained", top=15, json=False))
        return 0
    from .tui import OpenFailed, run
    try:
        # The app's own status: 1 after a crash, 130 after ctrl+c.
        return run(files, mouse=not args.no_mouse, ansi=args.theme == "ansi")
    except OpenFailed as e:  # raised once the terminal is restored, so the line stays readable
        raise UsageError(str(e)) from None


# -- parser ---------------------------------------------------------------------------------------
def build_parser():
    p = _Parser(prog=PROG, description="Understand V8 / Node.js heap snapshots from a terminal.")
    p.add_argument("--version", action=_VersionAction)
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    def with_file(sp):
        sp.add_argument("file", metavar="FILE", help="a .heapsnapshot file")
        sp.add_argument("--no-cache", action="store_true",
                        help="index the file afresh, neither reading nor writing the index cache")
        return sp

    def with_target(sp):
        sp.add_argument("--host", default="127.0.0.1", help="inspector host (default 127.0.0.1)")
        sp.add_argument("--port", type=int, help="inspector port (default 9229)")
        sp.add_argument("--pid", type=int, help="a local Node process (its inspector is opened with SIGUSR1)")
        sp.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback host (the inspector runs any code for whoever reaches it)")
        sp.add_argument("--target", metavar="N|ID|TITLE",
                        help="which target when the port lists several (a browser's tabs): its number in "
                             "'heaptui targets --port P', its id, or part of its title or URL")
        if sp.prog.split()[-1] != "hunt":
            sp.add_argument("--worker", metavar="ID|N|TITLE",
                            help="a worker thread of the target (its worker id as 'heaptui targets' lists it)")
        else:
            sp.set_defaults(worker=None)
        return sp

    def with_redaction(sp):
        sp.add_argument("--redact-names", action="store_true",
                        help="also replace constructor, function, script, property and variable names by keyed "
                             "tokens (the same in every file redacted with the same key)")
        sp.add_argument("--keep", action="append", default=[], metavar="TEXT",
                        help="leave this string as it is (repeatable)")
        sp.add_argument("--keep-file", metavar="FILE", help="leave the strings listed in FILE (one per line)")
        sp.add_argument("--key-file", metavar="FILE",
                        help="the key for --redact-names (default: yours, made on first use in ~/.config/heaptui)")
        return sp

    s = with_file(sub.add_parser("summary", help="classes with counts, shallow and retained sizes"))
    s.add_argument("--top", type=count, default=None, help="rows to show (0 = all; default 30, all with --json)")
    s.add_argument("--sort", choices=["retained", "shallow", "count", "distance", "name"],
                   default="retained")
    s.add_argument("--json", action="store_true", help="a JSON array of class rows")
    s.set_defaults(func=cmd_summary)

    s.add_argument("--between", metavar="EARLIER",
                   help="only objects allocated after the snapshot EARLIER (same process) and before FILE")
    s.add_argument("--during", metavar="START:END",
                   help="only objects allocated between START and END seconds of an allocation timeline "
                        "(snapshots taken with --track-allocations)")
    s.add_argument("--filter", choices=FILTER_NAMES,
                   help="DevTools' named Summary filters: duplicated strings, objects retained by detached DOM "
                        "nodes, by the DevTools console, by event handlers, by contexts (closures' scopes)")
    s.add_argument("--context", metavar="@ID|shared|none",
                   help="only the objects of one realm, as 'heaptui contexts' lists them (DevTools' "
                        "native-context filters)")
    s.add_argument("--allocated-by", metavar="FUNCTION",
                   help="only objects FUNCTION allocated (snapshots taken with --track-allocations)")

    s = sub.add_parser("allocations", help="a sampling heap profile's heaviest allocating functions, or the "
                                           "allocation stacks of a snapshot taken with --track-allocations")
    s.add_argument("file", metavar="FILE", help="a .heapprofile, or a .heapsnapshot with allocation stacks")
    s.add_argument("--no-cache", action="store_true", help="for a snapshot: do not use the index cache")
    s.add_argument("--top", type=count, default=0, help="rows to show (default all)")
    s.add_argument("--json", action="store_true", help="a JSON array of bottom-up rows")
    s.add_argument("--format", choices=["table", "pprof"], default="table",
                   help="pprof: write the profile as gzipped pprof (go tool pprof, Pyroscope, speedscope) "
                        "to -o")
    s.add_argument("-o", "--output", metavar="FILE.pb.gz", help="where --format pprof writes")
    s.set_defaults(func=cmd_allocations)

    s = sub.add_parser("diff", help="compare two snapshots of one process (DevTools' Comparison view)")
    s.add_argument("old", metavar="OLD")
    s.add_argument("new", metavar="NEW")
    s.add_argument("--json", action="store_true", help="a JSON array of class rows")
    s.add_argument("--top", type=count, default=0, help="rows to show (default all)")
    s.add_argument("--sort", default="alloc_size",
                   choices=["alloc_size", "freed_size", "size_delta", "new_count", "deleted_count",
                            "count_delta", "name"])
    s.add_argument("--no-cache", action="store_true")
    s.set_defaults(func=cmd_diff)

    s = with_target(sub.add_parser("hunt", help="find leaks: snapshots around repeated exercise, suspects "
                                                "that survive every round"))
    s.add_argument("files", nargs="*", metavar="SNAPSHOT", help="baseline, target, final (, ...) snapshots")
    s.add_argument("--exercise", metavar="CMD", help="shell command that drives the suspect feature")
    s.add_argument("--warmup", metavar="CMD", help="shell command run once before the baseline")
    s.add_argument("--rounds", type=int, default=3, help="exercise rounds after the baseline (default 3)")
    s.add_argument("--out-dir", help="where the snapshots go (default: a new directory "
                                     "heaptui-hunt-PID-TIME in the current directory)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--fail-on-leak", action="store_true", help="exit status 1 when there is a suspect")
    s.add_argument("--force", action="store_true", help="capture even when memory looks short")
    s.add_argument("--timeout", type=float, default=60.0, help="give up when the target is silent this long (s)")
    s.add_argument("--command-timeout", type=float, default=600.0, help="limit for each command (s)")
    s.add_argument("--no-cache", action="store_true")
    s.set_defaults(func=cmd_hunt)

    s = with_file(sub.add_parser("instances", help="a class's objects with their @ids, biggest first"))
    s.add_argument("cls", metavar="CLASS", help="the class (constructor) name as the summary shows it")
    s.add_argument("--sort", choices=["retained", "shallow", "distance", "id"], default="retained")
    s.add_argument("--top", type=count, default=20, help="objects to show (0 = all; default 20)")
    s.add_argument("--json", action="store_true", help="a JSON array of objects")
    s.set_defaults(func=cmd_instances)

    s = with_file(sub.add_parser("nodes", help="every node as one JSON object per line"))
    s.set_defaults(func=cmd_nodes)

    s = with_file(sub.add_parser("object", help="one object: dominators, retainers, retaining path"))
    s.add_argument("id", metavar="@ID", help="the object's id, as @12345")
    s.add_argument("--json", action="store_true")
    s.add_argument("--limit", type=count, default=20, help="retainers to list (default 20)")
    s.add_argument("--full", action="store_true",
                   help="every step of the path and the dominator chain, runs not folded")
    s.add_argument("--ignore", metavar="@ID,...",
                   help="ignore these retainers, as DevTools' \"Ignore this retainer\": distances, "
                        "retainers and the path recomputed without them")
    s.set_defaults(func=cmd_object)

    s = with_file(sub.add_parser("dominators", help="the dominator tree: what each object alone keeps alive"))
    s.add_argument("id", metavar="@ID", nargs="?", help="start at this object (default: the root)")
    s.add_argument("--depth", type=count, default=3, help="levels to show (default 3)")
    s.add_argument("--top", type=count, default=10, help="children per object, biggest first (default 10)")
    s.add_argument("--json", action="store_true", help="the tree as nested JSON objects")
    s.set_defaults(func=cmd_dominators)

    s = with_file(sub.add_parser("search", help="objects by name, string content or plain-object properties "
                                                "(DevTools' Summary search)"))
    s.add_argument("query", metavar="TEXT")
    s.add_argument("--case-sensitive", action="store_true")
    s.add_argument("--regex", action="store_true", help="TEXT is a regular expression")
    s.add_argument("--top", type=count, default=30, help="objects to show (0 = all; default 30)")
    s.add_argument("--json", action="store_true", help="a JSON array of objects, in snapshot order")
    s.set_defaults(func=cmd_search)

    s = with_file(sub.add_parser("closure", help="a function: its source, and what its scopes keep alive"))
    s.add_argument("id", metavar="@ID", help="the function's id, as @12345")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_closure)

    s = with_file(sub.add_parser("timeline", help="the allocation timeline of a tracked snapshot: per interval, "
                                                  "what was allocated then and is still alive"))
    s.add_argument("--rows", type=count, default=20, help="bars to show (default 20)")
    s.add_argument("--json", action="store_true", help="every sample: time, last id, live size")
    s.set_defaults(func=cmd_timeline)

    s = with_file(sub.add_parser("detached", help="detached DOM trees still alive, and what holds each "
                                                  "(browser snapshots; DevTools' Detached elements)"))
    s.add_argument("--top", type=count, default=20, help="trees to show (0 = all; default 20)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_detached)

    s = with_file(sub.add_parser("contexts", help="realms: the main context, each vm context, iframe or "
                                                  "worker realm, and the objects each holds"))
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_contexts)

    s = with_file(sub.add_parser("strings", help="duplicated strings: contents held more than once, the bytes "
                                                 "interning would save, and who holds them"))
    s.add_argument("--top", type=count, default=20, help="contents to show (0 = all; default 20)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_strings)

    s = with_file(sub.add_parser("stats", help="DevTools' statistics: code, strings, arrays, system..."))
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)


    s = sub.add_parser("mcp", help="a Model Context Protocol server over stdio: heaptui's tools for agents")
    s.set_defaults(func=cmd_mcp)

    s = sub.add_parser("targets", help="Node processes on this host and their inspectors")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, help="also list the targets on this inspector port")
    s.add_argument("--allow-remote", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_targets)

    s = with_target(sub.add_parser("capture", help="take a heap snapshot of a live Node process"))
    s.add_argument("-o", "--output", metavar="FILE", help="where to write it (default: Heap.<date>.<time>.<pid>.0.<n>.heapsnapshot)")
    s.add_argument("--no-gc", action="store_true", help="do not collect garbage first")
    s.add_argument("--force", action="store_true", help="capture even when it could exhaust the host's memory")
    s.add_argument("--signal", metavar="SIG", help="for a process started with --heapsnapshot-signal=SIG: send it and wait for the file")
    s.add_argument("--timeout", type=float, default=60.0, help="give up when the target is silent this long (s)")
    s.add_argument("--expose-internals", action="store_true", help="snapshot with V8 internals exposed")
    s.add_argument("--track-allocations", action="store_true",
                   help="record allocation stacks for --duration seconds, then snapshot (stacks included)")
    s.add_argument("--duration", type=float, default=10.0, help="with --track-allocations: seconds (default 10)")
    s.add_argument("--redact", action="store_true",
                   help="redact the snapshot as it streams in (see 'heaptui redact'): only the redacted file is written")
    with_redaction(s)
    s.set_defaults(func=cmd_capture)

    s = sub.add_parser("redact", help="a copy of a snapshot that can be shared: string values replaced, "
                                      "every size and count unchanged")
    s.add_argument("file", metavar="IN", help="the snapshot (.heapsnapshot, or gzip-compressed)")
    s.add_argument("output", metavar="OUT", help="the new file (gzip-compressed when it ends in .gz)")
    with_redaction(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_redact)

    s = with_target(sub.add_parser("profile", help="record a sampling heap profile (.heapprofile)"))
    s.add_argument("--duration", type=float, help="seconds to sample (default: until Enter or Ctrl-C)")
    s.add_argument("-o", "--output", metavar="FILE", help="where to write it (.heapprofile is added)")
    s.add_argument("--interval", type=int, default=32768, help="mean bytes between samples (default 32768)")
    s.set_defaults(func=cmd_profile)

    p.epilog = ("heaptui FILE opens the terminal UI on a snapshot; heaptui BASE CURRENT opens two for "
                "comparison; heaptui --demo opens the bundled demo; heaptui alone opens the capture pane.")
    return p


def _profile_error():
    from .profile import ProfileError
    return ProfileError


def _inspector_error():
    from .inspector import InspectorError
    return InspectorError


class _VersionAction(argparse.Action):
    """--version, looked up only when asked for (importlib.metadata costs tens of ms at every start)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        parser.exit(message=f"{PROG} {_version()}\n")


def _version():
    try:
        from importlib.metadata import version
        return version("heaptui")
    except Exception:
        return "dev"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    from .service import RequestError
    from .snapshot import Cancelled, SnapshotError
    try:
        parser = build_parser()
        commands = set(parser._subparsers._group_actions[0].choices)
        if not argv or (argv[0] not in commands and argv[0] not in ("-h", "--help", "--version")):
            return cmd_open(argv)
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return args.func(args)
    except (UsageError, RequestError) as e:
        return fail(str(e))
    except SnapshotError as e:
        return fail(str(e))
    except _inspector_error() as e:
        return fail(str(e))
    except _profile_error() as e:
        return fail(str(e))
    except Cancelled:
        return fail("cancelled")
    except KeyboardInterrupt:
        sys.stderr.write(("\n" if sys.stderr.isatty() else "") + f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except MemoryError:
        return fail("out of memory while indexing; try a machine with more memory")
    except OSError as e:
        return fail(f"{getattr(e, 'filename', '') or ''}: {e.strerror or e}".lstrip(": "))


if __name__ == "__main__":
    sys.exit(main())
