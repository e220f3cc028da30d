"""How long the leak hunt takes on big series (run on purpose, not by pytest).

    python tests/bench/hunt_bench.py [--size-mb 250] [--list 1000000] [--keep DIR]

Two series, each written by one node process with v8.writeHeapSnapshot() (one id space):
  1. a service-like heap of about --size-mb MB per snapshot (a few million nodes) that leaks
     session strings into a store and records into a module-level array, four snapshots;
  2. a queue (linked list) that grows by --list / 3 nodes a round, four snapshots.
For each it prints the time to index the snapshots (heaptui's open, cache off) and the time of the
hunt's analysis itself (find_suspects on the opened snapshots), with the top suspect.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from heaptui.snapshot import open_snapshot
from heaptui.snapshot.hunt import find_suspects

SERVICE = r"""
const v8 = require('v8');
const [out, unitsArg] = process.argv.slice(2);
const units = Number(unitsArg);
class User { constructor(i) { this.id = i; this.name = 'user ' + i; this.tags = ['a' + i, 'b' + (i % 97)];
  this.profile = { age: i % 90, city: 'city ' + (i % 1000), score: i * 1.5 }; } }
class Order { constructor(u, i) { this.user = u; this.lines = [{ sku: 'sku' + i, n: i % 7 }]; this.total = i; } }
const users = [], orders = new Map(), index = {};
function unit(i) {
  const u = new User(i);
  users.push(u);
  for (let k = 0; k < 4; k++) orders.set('o' + i + '-' + k, new Order(u, k));
  index['k' + i] = () => u.name + k;
  let k = i;
}
for (let i = 0; i < units; i++) unit(i);
class MemoryStore { constructor() { this.sessions = Object.create(null); } set(id, s) { this.sessions[id] = JSON.stringify(s); } }
const store = new MemoryStore();
const records = [];
let next = 0;
function exercise(n) {
  for (let i = 0; i < n; i++) {
    const id = 'sid-' + (next++);
    store.set(id, { id, cookie: { path: '/', maxAge: 86400 }, user: 'u' + (next % 1000) });
    records.push('GET /item/' + next + ' 200 ' + (next % 17) + 'ms');
  }
}
exercise(100);
v8.writeHeapSnapshot(out + '-0.heapsnapshot');
for (let r = 1; r <= 3; r++) { exercise(20000); v8.writeHeapSnapshot(out + '-' + r + '.heapsnapshot'); }
"""

QUEUE = r"""
const v8 = require('v8');
const [out, perRoundArg] = process.argv.slice(2);
const perRound = Number(perRoundArg);
class Job { constructor(n, next) { this.n = n; this.next = next; } }
class Queue { constructor() { this.head = null; } push(n) { this.head = new Job(n, this.head); } }
const queue = new Queue();
globalThis.queue = queue;
for (let i = 0; i < 1000; i++) queue.push(i);
v8.writeHeapSnapshot(out + '-0.heapsnapshot');
for (let r = 1; r <= 3; r++) { for (let i = 0; i < perRound; i++) queue.push(i); v8.writeHeapSnapshot(out + '-' + r + '.heapsnapshot'); }
"""


def make(directory, name, script, *args):
    path = os.path.join(directory, name + ".js")
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["node", "--max-old-space-size=16000", path, os.path.join(directory, name), *map(str, args)],
                   check=True, cwd=directory)
    return [os.path.join(directory, f"{name}-{i}.heapsnapshot") for i in range(4)]


def measure(label, paths):
    t = time.perf_counter()
    snaps = [open_snapshot(p, use_cache=False) for p in paths]
    indexed = time.perf_counter() - t
    t = time.perf_counter()
    suspects = find_suspects(snaps)
    hunted = time.perf_counter() - t
    mb = sum(os.path.getsize(p) for p in paths) / 1e6
    nodes = snaps[-1].node_count
    top = suspects[0].sentence()[:110] if suspects else "(no suspect)"
    print(f"{label}: 4 snapshots, {mb:,.0f} MB in all, {nodes:,} nodes in the last")
    print(f"  index all four: {indexed:.1f} s   hunt analysis: {hunted:.2f} s")
    print(f"  top suspect: {top}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=float, default=250)
    ap.add_argument("--list", type=int, default=1_000_000)
    ap.add_argument("--keep", help="keep the snapshots in this directory")
    args = ap.parse_args()
    directory = args.keep or tempfile.mkdtemp(prefix="heaptui-hunt-bench-")
    os.makedirs(directory, exist_ok=True)
    try:
        units = int(args.size_mb * 1e6 / 2300)  # about 2.3 kB of snapshot per unit (measured)
        measure("service heap", make(directory, "service", SERVICE, units))
        measure("linked list", make(directory, "queue", QUEUE, args.list // 3))
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
