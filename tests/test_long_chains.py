"""Linked lists and queues of many thousands of nodes: `object` prints a bounded, folded path and
dominator chain, and the hunt attributes a growing list to the list, in one pass (no walk per node).
The snapshots are made by node itself (v8.writeHeapSnapshot, one id space)."""
import json
import subprocess
import sys

import pytest

from heaptui.snapshot import open_snapshot

LIST = """
const v8 = require('v8');
class Job { constructor(n, next) { this.n = n; this.next = next; this.note = 'job ' + n; } }
class Queue { constructor() { this.head = null; this.size = 0; }
  push(n) { this.head = new Job(n, this.head); this.size++; } }
const queue = new Queue();
globalThis.keep = queue;
const out = process.argv[2];
const N = Number(process.argv[3]);
for (let i = 0; i < 1000; i++) queue.push(i);
v8.writeHeapSnapshot(out + '-0.heapsnapshot');
for (let round = 1; round <= 3; round++) {
  for (let i = 0; i < N; i++) queue.push(round * N + i);
  v8.writeHeapSnapshot(out + '-' + round + '.heapsnapshot');
}
"""
PER_ROUND = 60000


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    d = tmp_path_factory.mktemp("chains")
    script = d / "list.js"
    script.write_text(LIST)
    subprocess.run(["node", str(script), str(d / "q"), str(PER_ROUND)], check=True, timeout=600, cwd=d)
    return [str(d / f"q-{i}.heapsnapshot") for i in range(4)]


def heaptui(*args):
    return subprocess.run([sys.executable, "-m", "heaptui", *args], capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)


def test_object_at_the_end_of_a_long_list_is_bounded_and_folded(series):
    snap = open_snapshot(series[-1])
    jobs = [r for r in snap.classes() if r.name == "Job"][0]
    members, _total = snap.instances(jobs.index, sort="id", limit=jobs.count)
    tail = max(members, key=lambda v: int(snap.heap.distance[v]))  # the oldest job, deepest in the list
    assert snap.heap.distance[tail] > 3 * PER_ROUND
    done = heaptui("object", series[-1], f"@{int(snap.heap.node_id[tail])}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) < 80, len(lines)
    assert any("Job" in line and "\u00d7" in line for line in lines)  # the run of Job.next, folded
    doc = json.loads(heaptui("object", series[-1], f"@{int(snap.heap.node_id[tail])}", "--json").stdout)
    assert sum(step["repeats"] for step in doc["path"]) == snap.heap.distance[tail]
    assert len(doc["path"]) < 20 and len(doc["dominators"]) < 20


def test_hunt_names_the_growing_list(series):
    done = heaptui("hunt", *series, "--json")
    assert done.returncode == 0, done.stderr
    top = json.loads(done.stdout)["suspects"][0]
    assert top["edge"].startswith(("Queue.head", "Job")), top["edge"]
    jobs = {c["name"]: c["count"] for c in top["classes"]}
    assert jobs.get("Job") == 2 * PER_ROUND  # rounds 1 and 2; the last round's are not counted
    assert [r["count"] >= PER_ROUND for r in top["per_round"]] == [True, True]
    assert len(top["path"]) <= 8
