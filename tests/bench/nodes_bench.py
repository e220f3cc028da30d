#!/usr/bin/env python3
"""`heaptui nodes` (every node as a line of JSON) against DevTools' code doing the same.

    python tests/bench/nodes_bench.py FILE [--repeat 3] [--out DIR]

heaptui runs from its index cache (built first if missing, not timed), a new process each run, Python's
start-up included: `heaptui nodes FILE > /dev/null`, and once more into a file under --out when given.
DevTools (tests/bench/devtools_nodes.mjs) parses the file, then iterates every node and writes the same
objects with JSON.stringify; its export is timed apart from its parse. Prints medians, lines per
second and heaptui's time over DevTools' export time (and over its parse plus export).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def timed(cmd, stdout, env=None):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, env=env, cwd=REPO)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{cmd[:4]} failed with {proc.returncode}")
    return wall, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", help="directory for a run that writes the lines to a file")
    ap.add_argument("--node", default="node")
    ap.add_argument("--devtools-heap-mb", type=int, default=16000)
    args = ap.parse_args()
    heaptui = [sys.executable, "-m", "heaptui", "nodes", args.file]
    subprocess.run([sys.executable, "-m", "heaptui", "summary", args.file, "--top", "1"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)  # the index cache
    lines = sum(1 for _ in subprocess.Popen(heaptui, stdout=subprocess.PIPE, cwd=REPO).stdout)
    runs = []
    with open(os.devnull, "wb") as null:
        for _ in range(args.repeat):
            runs.append(timed(heaptui, null))
    h_wall = statistics.median(w for w, _ in runs)
    h_rss = max(r for _, r in runs)
    print(f"{args.file}: {lines:,} nodes")
    print(f"  heaptui nodes > /dev/null     {h_wall:7.2f} s  {lines / h_wall / 1e6:5.2f} M lines/s  "
          f"peak RSS {h_rss:,.0f} MiB   runs: {', '.join(f'{w:.2f}' for w, _ in runs)}")
    if args.out:
        target = Path(args.out) / "nodes.jsonl"
        with open(target, "wb") as f:
            wall, _rss = timed(heaptui, f)
        print(f"  heaptui nodes > file          {wall:7.2f} s  ({target.stat().st_size / 1e6:,.0f} MB)")
        target.unlink()
    devtools = []
    for _ in range(args.repeat):
        proc = subprocess.run([args.node, f"--max-old-space-size={args.devtools_heap_mb}",
                               str(HERE / "devtools_nodes.mjs"), args.file], cwd=REPO, capture_output=True, text=True,
                              check=True)
        devtools.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    d_export = statistics.median(d["export_s"] for d in devtools)
    d_parse = statistics.median(d["parse_s"] for d in devtools)
    print(f"  DevTools export (after parse) {d_export:7.2f} s  {lines / d_export / 1e6:5.2f} M lines/s   "
          f"its parse {d_parse:.2f} s")
    print(f"  heaptui / DevTools export     {h_wall / d_export:7.2f}x  ({d_export / h_wall:.1f}x faster; "
          f"target >= 5x)")
    print(f"  heaptui / DevTools parse+export {h_wall / (d_parse + d_export):5.2f}x")


if __name__ == "__main__":
    main()
