"""Latency of the query calls a UI makes on a keystroke, on an indexed snapshot (run on purpose).

    python tests/bench/query_latency.py FILE

Opens FILE through the index cache (indexing it first if needed), runs prepare() as the TUI does in
the background after opening, then times each call (median of 5) and prints a table.
"""
import statistics
import sys
import time

from heaptui.snapshot import open_snapshot


def timed(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, max(times) * 1000


def main(path):
    t = time.perf_counter()
    snap = open_snapshot(path)
    opened = time.perf_counter() - t
    t = time.perf_counter()
    snap.prepare()
    prepared = time.perf_counter() - t
    rows = snap.classes()
    big = max(rows, key=lambda r: r.count)
    top = rows[0]
    first, _ = snap.instances(top.index, limit=1)
    v = first[0]
    deep = v
    for _ in range(10):  # a node some hops away from a root
        children = [e.target for e in snap.edges(deep)]
        if not children:
            break
        deep = children[len(children) // 2]
    node_id = int(snap.heap.node_id[deep])
    calls = [
        ("classes() sorted by retained", lambda: snap.classes()),
        ("classes(sort=count, filter='a')", lambda: snap.classes(sort="count", name_filter="a")),
        (f"instances(biggest class: {big.count:,}) first page", lambda: snap.instances(big.index)),
        (f"instances(biggest class) sort=shallow, page 3", lambda: snap.instances(big.index, "shallow", 200, 100)),
        ("node(v)", lambda: snap.node(deep)),
        ("edges(v)", lambda: snap.edges(deep)),
        (f"retainers(v: {snap.retainer_count(deep):,} retainers), first page of 100",
         lambda: snap.retainers(deep, limit=100)),
        ("retainers(v), page 3", lambda: snap.retainers(deep, offset=200, limit=100)),
        ("retainer_count(v)", lambda: snap.retainer_count(deep)),
        ("retaining_path(v)", lambda: snap.retaining_path(deep)),
        ("dominator_chain(v)", lambda: snap.dominator_chain(deep)),
        ("find_id(@id)", lambda: snap.find_id(node_id)),
    ]
    print(f"{path}: {snap.node_count:,} nodes; open {opened:.2f} s (from cache: {snap.from_cache}), "
          f"prepare() {prepared:.2f} s")
    print("| call | median ms | max ms |\n|---|---|---|")
    for name, fn in calls:
        med, worst = timed(fn)
        print(f"| {name} | {med:.1f} | {worst:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1])
