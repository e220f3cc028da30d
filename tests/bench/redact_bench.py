"""How fast `heaptui redact` makes a shareable copy of a big snapshot, and with how much memory.

    python tests/bench/redact_bench.py FILE [--repeat 3] [--devtools-heap-mb 16000]

Runs, one after the other on FILE, --repeat times each (medians printed, every run listed):
* `heaptui redact FILE OUT --json` as a new process (Python's start-up included): wall time, MB/s of
  input, peak RSS (the child's ru_maxrss), and the streaming rate the command itself reports;
* the same with --redact-names (keyed tokens for names);
* `cp FILE OUT`: the disk's own rate, the floor for any tool that reads and writes the file;
* DevTools' code opening the same file (tests/bench/devtools_index.mjs, heap-snapshot-toolkit@1.1.3):
  DevTools has no redaction, so the ratio says what sharing a redacted copy costs next to opening the
  file in DevTools once.
Not a test: nothing is asserted; the figures go to the README.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEVTOOLS_INDEX = Path(__file__).resolve().parent / "devtools_index.mjs"


def timed(cmd, env=None):
    """(wall seconds, peak RSS in MiB, stdout) of one child process (reaped by os.wait4 for its rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}): {err.read().decode()[-500:]}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def one(cmd, out, env=None):
    if os.path.exists(out):
        os.unlink(out)
    try:
        return timed(cmd, env)
    finally:
        if os.path.exists(out):
            os.unlink(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--devtools-heap-mb", type=int, default=16000)
    p.add_argument("--no-devtools", action="store_true")
    args = p.parse_args()
    size = os.path.getsize(args.file)
    mb = size / 1e6
    work = tempfile.mkdtemp(prefix="heaptui-redact-bench-", dir=os.path.dirname(os.path.abspath(args.file)))
    out = os.path.join(work, "out.heapsnapshot")
    key = os.path.join(work, "key")
    Path(key).write_text("00112233445566778899aabbccddeeff\n")
    py = [sys.executable, "-m", "heaptui", "redact"]
    # A first run loads (or compiles) the redaction kernels; it is not counted.
    one(py + [args.file, out, "--json"], out)
    results = {"redact": [], "redact --redact-names": [], "cp": [], "DevTools opens the file": []}
    reported = []
    try:
        for _ in range(args.repeat):
            wall, rss, text = one(py + [args.file, out, "--json"], out)
            results["redact"].append((wall, rss))
            reported.append(json.loads(text)["mb_per_second"])
            wall, rss, _ = one(py + [args.file, out, "--json", "--redact-names", "--key-file", key], out)
            results["redact --redact-names"].append((wall, rss))
            results["cp"].append(one(["cp", args.file, out], out)[:2])
            if not args.no_devtools:
                cmd = ["node", f"--max-old-space-size={args.devtools_heap_mb}", str(DEVTOOLS_INDEX), args.file]
                results["DevTools opens the file"].append(timed(cmd)[:2])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    print(f"{args.file}: {mb:,.0f} MB; medians of {args.repeat}")
    base = med(w for w, _ in results["redact"])
    for name, runs in results.items():
        if not runs:
            continue
        wall = med(w for w, _ in runs)
        rss = med(r for _, r in runs)
        ratio = f"  redact/this {base / wall:.2f}x" if name != "redact" else ""
        print(f"  {name:<26} {wall:7.2f} s  {mb / wall:7.0f} MB/s  peak RSS {rss:7.0f} MiB"
              f" ({rss * 1.048576 / mb:.2f}x the file){ratio}   runs: " + ", ".join(f"{w:.2f}" for w, _ in runs))
    print(f"  streaming rate reported by redact itself (start-up excluded): {med(reported):,.0f} MB/s")


if __name__ == "__main__":
    main()
