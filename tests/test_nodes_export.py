"""`heaptui nodes` lines come from a compiled kernel (heaptui/snapshot/export.py). They must be byte for
byte what the straightforward Python below writes (the implementation the kernel replaced), on every
scenario snapshot: names rebuilt for concatenated strings, `{a, b, …}` previews for plain objects,
escapes as json.dumps writes them. (test_parity compares the same lines with DevTools' values.)"""
import json

import numpy as np
import pytest

from conftest import scenario_names
from heaptui.snapshot import IndexCache, open_snapshot
from heaptui.snapshot.export import node_lines


def _quote(text):
    quoted = json.dumps(text, ensure_ascii=False)
    # a lone surrogate cannot be written as UTF-8: the export escapes it (\udxxx), still valid JSON
    return "".join(ch if not 0xD800 <= ord(ch) <= 0xDFFF else "\\u%04x" % ord(ch) for ch in quoted)


def reference_lines(snap):
    out = []
    step = 4096
    for lo in range(0, snap.node_count, step):
        c = snap.node_columns(lo, min(lo + step, snap.node_count))
        for i, t, n, k, s, r, d, m in zip(c["id"], c["type"], c["name"], c["class"], c["self_size"],
                                          c["retained_size"], c["distance"], c["dominator"]):
            out.append(f'{{"id": {i}, "type": {_quote(t)}, "name": {_quote(n)}, "class": {_quote(k)}, '
                       f'"self_size": {s}, "retained_size": {r}, "distance": {d}, "dominator": {m}}}\n')
    return "".join(out).encode("utf-8")


@pytest.mark.parametrize("name", scenario_names())
def test_kernel_lines_equal_the_python_ones(parity_snapshots, tmp_path, name):
    snap = open_snapshot(parity_snapshots[name], cache=IndexCache(str(tmp_path)))
    expected = reference_lines(snap)
    assert b"".join(bytes(c) for c in node_lines(snap)) == expected
    # tiny buffers: lines that do not fit are retried in a bigger one, never cut
    assert b"".join(bytes(c) for c in node_lines(snap, chunk_bytes=64)) == expected
    # from the index cache (memory-mapped arrays) too
    again = open_snapshot(parity_snapshots[name], cache=IndexCache(str(tmp_path)))
    assert again.from_cache
    assert b"".join(bytes(c) for c in node_lines(again)) == expected


def test_previews_and_concatenations_are_exercised(parity_snapshots, tmp_path):
    """The scenarios hold what the kernel's special cases handle (else the test above proves little)."""
    kinds = set()
    for name in scenario_names():
        snap = open_snapshot(parity_snapshots[name], cache=IndexCache(str(tmp_path)))
        h = snap.heap
        cons = h.node_type == h.node_types["concatenated string"]
        plain = (h.node_type == h.node_types["object"]) & (h.node_name == h.string_id("Object"))
        if cons.any():
            kinds.add("cons")
        if plain.any():
            kinds.add("plain")
        for v in np.nonzero(plain)[0][:200]:
            if "\u2026" in snap.display_name(int(v)):
                kinds.add("cut preview")
    assert kinds == {"cons", "plain", "cut preview"}
