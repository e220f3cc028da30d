"""`heaptui dominators`: the dominator tree as DevTools' retained sizes define it, checked against the
model's own dominator of every node shown (and sizes that add up), on the demo snapshots."""
import json
import subprocess
import sys

from heaptui.demo import demo_paths
from heaptui.snapshot import open_snapshot


def heaptui(*args):
    r = subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_tree_is_the_dominator_tree_biggest_first():
    path = demo_paths()[1]
    snap = open_snapshot(path)
    tree = json.loads(heaptui("dominators", path, "--depth", "3", "--top", "5", "--json"))
    seen = 0

    def walk(t, parent):
        nonlocal seen
        v = snap.find_id(t["node"]["id"])
        if parent is not None:
            assert snap.dominator_chain(v)[1] == parent  # its immediate dominator is the parent shown
        sizes = [c["node"]["retained_size"] for c in t["children"]]
        assert sizes == sorted(sizes, reverse=True)
        assert sum(sizes) <= t["node"]["retained_size"] - t["node"]["self_size"]
        assert len(t["children"]) == min(5, t["children_total"]) or not t["children"]
        seen += 1
        for c in t["children"]:
            walk(c, v)

    walk(tree, None)
    assert tree["node"]["id"] == int(snap.heap.node_id[snap.root]) and seen > 20


def test_a_subtree_from_an_object_and_the_text_form():
    path = demo_paths()[1]
    snap = open_snapshot(path)
    biggest = snap.classes()[0]
    v = snap.instances(biggest.index, limit=1)[0][0]
    node_id = int(snap.heap.node_id[v])
    tree = json.loads(heaptui("dominators", path, f"@{node_id}", "--depth", "1", "--json"))
    assert tree["node"]["id"] == node_id
    assert tree["children_total"] == snap.dominated(v)[1]
    text = heaptui("dominators", path, "--depth", "1", "--top", "2")
    assert text.splitlines()[0].startswith("(root) @") and "more (--top)" in text
