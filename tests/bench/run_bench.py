#!/usr/bin/env python3
"""Benchmark heaptui against Chrome DevTools' heap snapshot code on big snapshots.

Not a pytest module (no ``test_`` prefix, and tests/bench is in norecursedirs): run it on
purpose::

    python tests/bench/run_bench.py [--sizes 250,1000] [--keep] [--workdir DIR]

For each size N it makes ``bench-N.heapsnapshot`` in the workdir with make_snapshot.js
(unless already there), then runs one after the other on that file:

* heaptui full index:   ``python -m heaptui summary FILE --no-cache --json``
* heaptui index + write cache, then reopen from the cache (twice; the 2nd is reported):
  ``python -m heaptui summary FILE --json``
* DevTools:             ``node --max-old-space-size=MB tests/bench/devtools_index.mjs FILE``

and records each child's wall time and peak RSS (``os.wait4`` rusage; plus a sampled sum
over the child's process tree, in case a tool uses several processes). It prints a
Markdown table with the ratios and the targets next to them (targets are reported, not
asserted) and writes it to ``WORKDIR/results.md``.

A tool that fails (nonzero exit, OOM, timeout, missing CLI) is reported in the table;
the runner itself carries on.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_WORKDIR = REPO / "tests" / ".work" / "bench"
DEFAULT_TOOLKIT_DIR = REPO / "tests" / ".work" / "npm"
MAKE_SNAPSHOT = HERE / "make_snapshot.js"
DEVTOOLS_INDEX = HERE / "devtools_index.mjs"
TOOLKIT = "heap-snapshot-toolkit"
TOOLKIT_VERSION = "1.1.3"

MB = 1e6          # file sizes: decimal megabytes, as the sizes are named
MIB = 1 << 20     # RSS: mebibytes (ru_maxrss is KiB)

# Targets (printed beside the numbers, never asserted).
# Issue 14's (round two); round one's were 0.3x, 0.6x, 12 s, 1.5x the file and 1 s.
SMALL_WALL_RATIO = 0.15    # heaptui wall / DevTools wall, ~250 MB file
SMALL_RSS_RATIO = 0.4      # heaptui RSS / DevTools RSS, ~250 MB file
BIG_WALL_S = 6.0           # heaptui full index, ~1 GB file
BIG_RSS_PER_FILE = 1.0     # heaptui peak RSS / file size, ~1 GB file
REOPEN_S = 0.3             # reopen from the index cache, Python's start-up included
BIG_FILE_MB = 600          # files at least this big get the "1 GB" targets, smaller the "250 MB" ones


# ------------------------------------------------------------------------------------ running
@dataclass
class Run:
    tool: str
    cmd: list[str]
    wall: float | None = None
    rss_kib: int | None = None        # ru_maxrss of the child (largest single process)
    tree_kib: int | None = None       # sampled peak of the summed RSS of the child's tree
    status: str = "not run"
    ok: bool = False
    stdout: str = ""
    stderr_tail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def peak_mib(self) -> float | None:
        vals = [v for v in (self.rss_kib, self.tree_kib) if v]
        return max(vals) / 1024 if vals else None


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    out.extend(int(x) for x in fh.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Polls the summed RSS of a process and its descendants (Linux /proc only)."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        if not os.path.isdir("/proc"):
            return
        while not self.stop.is_set():
            total, todo, seen = 0, [self.pid], set()
            while todo:
                p = todo.pop()
                if p in seen:
                    continue
                seen.add(p)
                total += _rss_kib(p)
                todo.extend(_children(p))
            self.peak = max(self.peak, total)
            self.stop.wait(self.interval)


def _describe_failure(status: int, stderr: str) -> str:
    text = stderr.lower()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGKILL:
            return f"killed by {name} (OOM killer?)"
        if "heap out of memory" in text or "allocation failed" in text:
            return f"OOM (JS heap; {name})"
        return f"killed by {name}"
    code = os.WEXITSTATUS(status)
    if "heap out of memory" in text or "allocation failed" in text:
        return f"OOM (JS heap; exit {code})"
    if "memoryerror" in text or "cannot allocate memory" in text:
        return f"OOM (exit {code})"
    if "no module named heaptui" in text or "no module named 'heaptui" in text:
        return "heaptui not importable"
    if "invalid choice: 'summary'" in text or "invalid choice" in text:
        return f"CLI lacks this command (exit {code})"
    return f"exit {code}"


def run_child(tool: str, cmd: list[str], *, stdout_path: str | None, timeout: float | None,
              env: dict | None = None, capture_stdout: bool = False, cwd: Path = REPO) -> Run:
    """Run cmd, wait with os.wait4, return wall time, peak RSS and a status."""
    r = Run(tool=tool, cmd=cmd)
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        if capture_stdout:
            out_target = out
        elif stdout_path:
            out_target = open(stdout_path, "wb")
        else:
            out_target = subprocess.DEVNULL
        try:
            t0 = time.perf_counter()
            try:
                proc = subprocess.Popen(cmd, stdout=out_target, stderr=err, stdin=subprocess.DEVNULL,
                                        env=env, cwd=cwd, start_new_session=True)
            except OSError as exc:
                r.status = f"cannot start: {exc}"
                return r
            sampler = TreeSampler(proc.pid)
            sampler.start()
            timer = None
            timed_out = threading.Event()
            if timeout:
                def _kill():
                    timed_out.set()
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                timer = threading.Timer(timeout, _kill)
                timer.daemon = True
                timer.start()
            try:
                while True:
                    try:
                        _, status, usage = os.wait4(proc.pid, 0)
                        break
                    except InterruptedError:
                        continue
                    except KeyboardInterrupt:
                        os.killpg(proc.pid, signal.SIGKILL)
                        raise
            finally:
                if timer:
                    timer.cancel()
                sampler.stop.set()
                sampler.join()
            r.wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
            r.rss_kib = int(usage.ru_maxrss)
            r.tree_kib = sampler.peak or None
            err.seek(0)
            stderr = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", err.read().decode("utf-8", "backslashreplace"))
            r.stderr_tail = stderr[-1500:]
            m = re.search(r"^.*(?:FATAL ERROR|Traceback|Error:|error:|Killed).*$", stderr, re.M)
            if m:
                r.extra["error_line"] = m.group(0).strip()[:300]
            if capture_stdout:
                out.seek(0)
                r.stdout = out.read().decode("utf-8", "backslashreplace")
            if timed_out.is_set():
                r.status = f"timeout after {timeout:.0f} s"
            elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                r.status, r.ok = "ok", True
            else:
                r.status = _describe_failure(status, stderr)
        finally:
            if stdout_path and not capture_stdout and out_target is not subprocess.DEVNULL:
                out_target.close()
    return r


# ----------------------------------------------------------------------------------- snapshots
def read_header(path: Path) -> tuple[int | None, int | None]:
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024).decode("utf-8", "replace")
    nc = re.search(r'"node_count":(\d+)', head)
    ec = re.search(r'"edge_count":(\d+)', head)
    return (int(nc.group(1)) if nc else None, int(ec.group(1)) if ec else None)


def ensure_snapshot(node: str, size: int, workdir: Path, gen_heap_mb: int, log) -> tuple[Path, bool]:
    """bench-<size>.heapsnapshot in workdir; (path, generated_now)."""
    path = workdir / f"bench-{size}.heapsnapshot"
    if path.is_file() and path.stat().st_size > 0:
        log(f"using existing {path} ({path.stat().st_size / MB:.1f} MB)")
        return path, False
    log(f"generating {path} (--size {size}) ...")
    t0 = time.perf_counter()
    cmd = [node, f"--max-old-space-size={gen_heap_mb}", str(MAKE_SNAPSHOT), "--size", str(size), str(path)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"make_snapshot.js failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    log(proc.stdout.rstrip())
    log(f"generated in {time.perf_counter() - t0:.1f} s")
    return path, True


def ensure_toolkit(npm: str | None, toolkit_dir: Path, log) -> str | None:
    """Install heap-snapshot-toolkit if missing; returns an error string or None."""
    pkg = toolkit_dir / "node_modules" / TOOLKIT / "package.json"
    try:
        if json.loads(pkg.read_text())["version"] == TOOLKIT_VERSION:
            return None
    except (OSError, ValueError, KeyError):
        pass
    if not npm:
        return "npm not found; cannot install the DevTools toolkit"
    log(f"installing {TOOLKIT}@{TOOLKIT_VERSION} into {toolkit_dir} ...")
    toolkit_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix",
                           str(toolkit_dir), f"{TOOLKIT}@{TOOLKIT_VERSION}"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return f"npm install failed: {proc.stderr[-500:]}"
    return None


# ------------------------------------------------------------------------------------ context
def import_overhead(python: str, env: dict, repeat: int = 5) -> dict:
    """Median wall time of `python -c pass` and `python -c 'import heaptui.snapshot'`."""
    res = {}
    for label, code in (("python -c pass", "pass"), ("import heaptui.snapshot", "import heaptui.snapshot")):
        times, rss, status = [], [], "ok"
        for _ in range(repeat):
            r = run_child(label, [python, "-c", code], stdout_path=None, timeout=120, env=env)
            if not r.ok:
                status = r.status + (": " + r.stderr_tail.strip().splitlines()[-1] if r.stderr_tail.strip() else "")
                break
            times.append(r.wall)
            rss.append(r.peak_mib)
        res[label] = {"wall": statistics.median(times) if times else None,
                      "rss": max(rss) if rss else None, "status": status}
    return res


def git_rev() -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


# ------------------------------------------------------------------------------------- report
def fmt_s(v):
    return "—" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def fmt_mb(v):
    return "—" if v is None else f"{v:,.0f}"


def fmt_int(v):
    return "—" if v is None else f"{v:,}"


def fmt_x(v):
    return "—" if v is None else f"{v:.2f}×"


def verdict(ok: bool | None) -> str:
    return "" if ok is None else (" ✅ met" if ok else " ❌ missed")


def summary_sums(text: str):
    """(objects, self size) summed over heaptui's JSON class rows, or None."""
    try:
        rows = json.loads(text)
        return (sum(int(r["count"]) for r in rows), sum(int(r["self_size"]) for r in rows))
    except (ValueError, TypeError, KeyError):
        return None


def repeated(n: int, fn) -> Run:
    """Call fn() up to n times (stopping at a failure); the run with the median wall time, with the
    largest peak RSS seen over all runs."""
    runs = []
    for _ in range(max(1, n)):
        r = fn()
        runs.append(r)
        if not r.ok:
            return r
    runs.sort(key=lambda r: r.wall)
    pick = runs[(len(runs) - 1) // 2]
    pick.rss_kib = max(r.rss_kib or 0 for r in runs) or None
    pick.tree_kib = max(r.tree_kib or 0 for r in runs) or None
    if len(runs) > 1:
        pick.extra = dict(pick.extra, walls=[round(r.wall, 3) for r in runs])
    return pick


def build_table(results: list[dict]) -> str:
    head = ["file", "size MB", "nodes", "edges", "tool", "wall s", "peak RSS MB", "target", "status"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]

    def row(*cells):
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")

    for res in results:
        f, size_mb, nodes, edges = res["file"], res["size_mb"], res["nodes"], res["edges"]
        big = size_mb >= BIG_FILE_MB
        runs: dict[str, Run] = res["runs"]
        base = (f, f"{size_mb:,.1f}", fmt_int(nodes), fmt_int(edges))

        def tool_row(key, label, target=""):
            r = runs.get(key)
            if r is None:
                return
            status = r.status
            if r.tree_kib and r.rss_kib and r.tree_kib > r.rss_kib * 1.05:
                status += f" (RSS: sum over {r.tool} process tree; largest single process {r.rss_kib / 1024:,.0f})"
            row(*base, label, fmt_s(r.wall) if r.ok else (fmt_s(r.wall) + " (failed)" if r.wall else "—"),
                fmt_mb(r.peak_mib), target, status)

        hi = runs.get("heaptui")
        dt = runs.get("devtools")
        reo = runs.get("reopen2")
        hi_ok = bool(hi and hi.ok)
        dt_ok = bool(dt and dt.ok)

        tgt = ""
        if big:
            tgt = f"wall < {BIG_WALL_S:g} s" + verdict(hi.wall < BIG_WALL_S if hi_ok else None)
        tool_row("heaptui", "heaptui full index (--no-cache)", tgt)
        tool_row("reopen1", "heaptui index + write cache")
        tool_row("reopen2", "heaptui reopen from cache (2nd run)",
                 f"< {REOPEN_S:g} s" + verdict(reo.wall < REOPEN_S if reo and reo.ok else None))
        tool_row("devtools", "DevTools (heap-snapshot-toolkit)")

        wall_ratio = hi.wall / dt.wall if hi_ok and dt_ok else None
        rss_ratio = hi.peak_mib / dt.peak_mib if hi_ok and dt_ok and hi.peak_mib and dt.peak_mib else None
        if big:
            tgt = "—"
        else:
            tgt = (f"wall ≤ {SMALL_WALL_RATIO:g}×" +
                   verdict(wall_ratio <= SMALL_WALL_RATIO if wall_ratio is not None else None) +
                   f", RSS ≤ {SMALL_RSS_RATIO:g}×" +
                   verdict(rss_ratio <= SMALL_RSS_RATIO if rss_ratio is not None else None))
        why = "" if (hi_ok and dt_ok) else "n/a: " + ", ".join(
            f"{n} {'not run' if r is None else 'failed'}"
            for n, r, ok in (("heaptui", hi, hi_ok), ("DevTools", dt, dt_ok)) if not ok)
        row(*base, "**ratio heaptui / DevTools**", fmt_x(wall_ratio), fmt_x(rss_ratio), tgt, why)

        per_file = (hi.peak_mib * MIB) / (size_mb * MB) if hi_ok and hi.peak_mib else None
        tgt = (f"< {BIG_RSS_PER_FILE:g}×" + verdict(per_file < BIG_RSS_PER_FILE if per_file is not None else None)) \
            if big else "—"
        row(*base, "**heaptui peak RSS / file size**", "", fmt_x(per_file), tgt, "" if hi_ok else "n/a")
    return "\n".join(lines)


def build_notes(results: list[dict]) -> list[str]:
    notes = []
    for res in results:
        runs: dict[str, Run] = res["runs"]
        dt = runs.get("devtools")
        for key in ("heaptui", "reopen1", "reopen2", "devtools"):
            r = runs.get(key)
            if r is not None and not r.ok and r.status != "not run":
                lines = [ln for ln in r.stderr_tail.strip().splitlines() if ln.strip()]
                key_lines = [ln for ln in lines if re.search(r"FATAL|Error|error:|Killed", ln)]
                tail = key_lines[-2:] or lines[-3:]
                if r.extra.get("error_line") and r.extra["error_line"] not in tail:
                    tail = [r.extra["error_line"]] + tail[-1:]
                notes.append(f"- {res['file']}: {r.tool} failed ({r.status})" +
                             (": `" + " / ".join(t.strip() for t in tail)[:400] + "`" if tail else ""))
        if dt and dt.ok and dt.extra:
            secs = dt.extra.get("seconds", {})
            notes.append(f"- {res['file']}: DevTools phases: parse+index {secs.get('parse_and_index', '?')} s, "
                         f"aggregates {secs.get('aggregates', '?')} s; {dt.extra.get('classes', '?')} classes, "
                         f"{fmt_int(dt.extra.get('summary_objects'))} objects, "
                         f"self size {fmt_int(dt.extra.get('summary_self_size'))} B")
        for key in ("heaptui", "reopen2", "devtools"):
            r = runs.get(key)
            if r is not None and r.ok and r.extra.get("walls"):
                notes.append(f"- {res['file']}: {key} wall times: {', '.join(f'{w:.2f}' for w in r.extra['walls'])} s")
        sums = res.get("heaptui_sums")
        if sums and dt and dt.ok and dt.extra:
            same = sums == (dt.extra.get("summary_objects"), dt.extra.get("summary_self_size"))
            notes.append(f"- {res['file']}: summary totals heaptui {fmt_int(sums[0])} objects / "
                         f"{fmt_int(sums[1])} B vs DevTools: " + ("identical" if same else "**DIFFERENT**"))
    return notes


# --------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="250,1000", help="snapshot sizes in MB, comma-separated (default 250,1000)")
    ap.add_argument("--keep", action="store_true",
                    help="keep snapshots generated by this run and the index cache (default: delete them at the end; "
                         "snapshots that were already in the workdir are never deleted)")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"default {DEFAULT_WORKDIR}")
    ap.add_argument("--tools", default="heaptui,devtools", help="subset of heaptui,devtools")
    ap.add_argument("--python", default=sys.executable, help="interpreter for heaptui (default: this one)")
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--devtools-heap-mb", type=int, default=16000,
                    help="--max-old-space-size for DevTools (default 16000)")
    ap.add_argument("--gen-heap-mb", type=int, default=16000, help="--max-old-space-size for make_snapshot.js")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each measurement N times; report the median wall time and the largest RSS (default 1)")
    ap.add_argument("--timeout", type=float, default=1800, help="per tool run, seconds (default 1800)")
    ap.add_argument("--toolkit-dir", type=Path,
                    default=Path(os.environ.get("HEAPTUI_TOOLKIT_DIR") or DEFAULT_TOOLKIT_DIR))
    args = ap.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    tools = {t.strip() for t in args.tools.split(",") if t.strip()}
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    cache_dir = workdir / "index-cache"

    def log(msg):
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    # heaptui runs from the repo checkout, with its index cache kept inside the workdir.
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["HEAPTUI_CACHE_DIR"] = str(cache_dir)
    node_env = dict(os.environ)
    node_env["HEAPTUI_TOOLKIT_DIR"] = str(args.toolkit_dir)

    toolkit_error = None
    if "devtools" in tools:
        toolkit_error = ensure_toolkit(shutil.which("npm"), args.toolkit_dir, log)
        if toolkit_error:
            log(toolkit_error)

    overhead = {}
    warmup = None
    generated_tiny = False
    if "heaptui" in tools:
        log("timing python start-up and `import heaptui.snapshot` ...")
        overhead = import_overhead(args.python, env)
        # Warm-up on a tiny snapshot: compiles/caches any JIT kernels so the big runs measure indexing.
        tiny = workdir / "bench-warmup.heapsnapshot"
        if not tiny.is_file():
            generated_tiny = True
            subprocess.run([args.node, str(MAKE_SNAPSHOT), "--units", "20", str(tiny)], cwd=REPO,
                           capture_output=True, text=True)
        if tiny.is_file():
            log("heaptui warm-up run on a tiny snapshot ...")
            warmup = run_child("heaptui warm-up", [args.python, "-m", "heaptui", "summary", str(tiny),
                                                   "--no-cache", "--json"],
                               stdout_path=None, timeout=args.timeout, env=env)
            log(f"  warm-up: {warmup.status}, {fmt_s(warmup.wall)} s")

    results, generated = [], []
    for size in sizes:
        try:
            path, made = ensure_snapshot(args.node, size, workdir, args.gen_heap_mb, log)
        except RuntimeError as exc:
            log(str(exc))
            results.append({"file": f"bench-{size}.heapsnapshot", "size_mb": float(size), "nodes": None,
                            "edges": None, "runs": {"devtools": Run("generate", [], status="generation failed")}})
            continue
        if made:
            generated.append(path)
        nodes, edges = read_header(path)
        res = {"file": path.name, "size_mb": path.stat().st_size / MB, "nodes": nodes, "edges": edges, "runs": {}}
        runs = res["runs"]
        hcmd = [args.python, "-m", "heaptui", "summary", str(path)]

        if "heaptui" in tools:
            log(f"{path.name}: heaptui full index ...")
            runs["heaptui"] = repeated(args.repeat, lambda: run_child(
                "heaptui", hcmd + ["--no-cache", "--json"], stdout_path=None, timeout=args.timeout, env=env))
            log(f"  {runs['heaptui'].status}, {fmt_s(runs['heaptui'].wall)} s, {fmt_mb(runs['heaptui'].peak_mib)} MB")
            if runs["heaptui"].ok:
                shutil.rmtree(cache_dir, ignore_errors=True)   # the next run indexes and writes the cache
                for key in ("reopen1", "reopen2"):
                    log(f"{path.name}: heaptui summary with cache ({key}) ...")
                    runs[key] = repeated(args.repeat if key == "reopen2" else 1, lambda: run_child(
                        "heaptui", hcmd + ["--json"], stdout_path=None, timeout=args.timeout,
                        env=env, capture_stdout=(key == "reopen2")))
                    log(f"  {runs[key].status}, {fmt_s(runs[key].wall)} s, {fmt_mb(runs[key].peak_mib)} MB")
                    if not runs[key].ok:
                        break
                if runs.get("reopen2") and runs["reopen2"].ok:
                    res["heaptui_sums"] = summary_sums(runs["reopen2"].stdout)
                    runs["reopen2"].stdout = ""

        if "devtools" in tools:
            if toolkit_error:
                runs["devtools"] = Run("DevTools", [], status=toolkit_error)
            else:
                log(f"{path.name}: DevTools ...")
                dcmd = [args.node, f"--max-old-space-size={args.devtools_heap_mb}", str(DEVTOOLS_INDEX), str(path)]
                def devtools_once():
                    r = run_child("DevTools", dcmd, stdout_path=None, timeout=args.timeout, env=node_env,
                                  capture_stdout=True)
                    if r.ok:
                        try:
                            r.extra = json.loads(r.stdout.strip().splitlines()[-1])
                        except (ValueError, IndexError):
                            r.extra = {}
                    return r
                r = runs["devtools"] = repeated(args.repeat, devtools_once)
                log(f"  {r.status}, {fmt_s(r.wall)} s, {fmt_mb(r.peak_mib)} MB")
        results.append(res)

    # ---- report
    out = []
    out.append(f"## heaptui benchmark — {_dt.datetime.now().isoformat(timespec='seconds')}")
    out.append("")
    out.append(f"- machine: {platform.platform()}, {os.cpu_count()} CPUs, "
               f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / (1 << 30):.0f} GiB RAM"
               if hasattr(os, "sysconf") else f"- machine: {platform.platform()}")
    node_ver = subprocess.run([args.node, "--version"], capture_output=True, text=True).stdout.strip()
    out.append(f"- python {platform.python_version()}, node {node_ver}, heaptui @ {git_rev()}, "
               f"DevTools = {TOOLKIT}@{TOOLKIT_VERSION} with --max-old-space-size={args.devtools_heap_mb}")
    if overhead:
        a, b = overhead.get("python -c pass", {}), overhead.get("import heaptui.snapshot", {})
        line = f"- start-up overhead (median of 5): `python -c pass` {fmt_s(a.get('wall'))} s"
        if b.get("status") == "ok":
            extra = (b["wall"] - a["wall"]) if a.get("wall") is not None else None
            line += (f", `python -c 'import heaptui.snapshot'` {fmt_s(b['wall'])} s "
                     f"(imports +{fmt_s(extra)} s, {fmt_mb(b['rss'])} MB RSS); included in every heaptui wall time")
        else:
            line += f", `import heaptui.snapshot` failed: {b.get('status')}"
        out.append(line)
    if args.repeat > 1:
        out.append(f"- each measurement repeated {args.repeat}×: median wall time, largest peak RSS "
                   f"(the reopen row repeats the cached run after one indexing run)")
    if warmup is not None:
        out.append(f"- heaptui warm-up on a tiny snapshot (JIT/caches): {warmup.status}, {fmt_s(warmup.wall)} s")
    out.append("- peak RSS = max(ru_maxrss of the child, sampled sum over its process tree); MB = MiB; "
               "file sizes in 10^6 bytes")
    out.append("")
    out.append(build_table(results))
    notes = build_notes(results)
    if notes:
        out.append("")
        out.append("Notes:")
        out.extend(notes)
    out.append("")
    out.append(f"Targets (reported, not asserted): files < {BIG_FILE_MB} MB: heaptui wall ≤ {SMALL_WALL_RATIO:g}× "
               f"DevTools and peak RSS ≤ {SMALL_RSS_RATIO:g}× DevTools; files ≥ {BIG_FILE_MB} MB: heaptui full "
               f"index < {BIG_WALL_S:g} s and peak RSS < {BIG_RSS_PER_FILE:g}× file size; reopen from the "
               f"index cache < {REOPEN_S:g} s.")
    report = "\n".join(out) + "\n"
    print(report)
    results_md = workdir / "results.md"
    results_md.write_text(report, encoding="utf-8")
    log(f"wrote {results_md}")

    if not args.keep:
        for p in generated:
            p.unlink(missing_ok=True)
            log(f"removed {p} (use --keep to keep it)")
        if generated_tiny:
            (workdir / "bench-warmup.heapsnapshot").unlink(missing_ok=True)
        shutil.rmtree(cache_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
