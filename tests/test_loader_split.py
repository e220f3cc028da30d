"""The nodes and edges arrays are parsed on two threads, the edges cut in two at a record boundary that
a comma count finds. Every cut must give the arrays one thread gives, and bad bytes anywhere must still
end in one SnapshotError."""
import numpy as np
import pytest

from heaptui.snapshot import SnapshotError, loader

COLUMNS = ("node_type", "node_name", "node_id", "node_self", "first_edge", "edge_type", "edge_name", "edge_to",
           "node_detachedness", "locations")


def _load(path, monkeypatch, fraction):
    """Loads `path` cutting the edges array at `fraction` of its bytes (None: no cut)."""
    if fraction is None:
        monkeypatch.setattr(loader, "_split_target", lambda nodes_bytes, opened, close: None)
    else:
        monkeypatch.setattr(loader, "_split_target",
                            lambda nodes_bytes, opened, close: opened + int(fraction * (close - opened)))
    return loader.load(path)


@pytest.mark.parametrize("name", ["large", "graph", "collections"])
def test_every_cut_gives_the_same_arrays(parity_snapshots, monkeypatch, name):
    path = parity_snapshots[name]
    whole = _load(path, monkeypatch, None)
    assert whole.edge_count > 1000
    for fraction in (0.0, 1e-6, 0.13, 0.5, 0.77, 0.999999, 1.0):
        cut = _load(path, monkeypatch, fraction)
        for column in COLUMNS:
            a, b = getattr(whole, column), getattr(cut, column)
            assert (a is None) == (b is None), column
            if a is not None:
                assert a.dtype == b.dtype and np.array_equal(a, b), (fraction, column)


def _edges_span(data):
    opened = data.index(b'"edges"')
    opened = data.index(b"[", opened) + 1
    return opened, data.index(b"]", opened)


@pytest.mark.parametrize("where", [0.05, 0.5, 0.95])
@pytest.mark.parametrize("bad", [b"x", b"1 2", b",,", b"-1", b"99999999999999999999999"])
def test_bad_bytes_on_either_side_of_a_cut(parity_snapshots, monkeypatch, tmp_path, where, bad):
    data = parity_snapshots["graph"].read_bytes()
    opened, close = _edges_span(data)
    at = data.index(b",", opened + int(where * (close - opened))) + 1
    broken = tmp_path / "broken.heapsnapshot"
    broken.write_bytes(data[:at] + bad + b"," + data[at:])
    for fraction in (None, 0.3, 0.6):
        with pytest.raises(SnapshotError) as e:
            _load(broken, monkeypatch, fraction)
        assert "edges" in str(e.value) or "values" in str(e.value), str(e.value)


def test_a_record_cut_across_the_end_of_the_edges(parity_snapshots, monkeypatch, tmp_path):
    data = parity_snapshots["graph"].read_bytes()
    opened, close = _edges_span(data)
    last = data.rindex(b",", opened, close)
    broken = tmp_path / "short.heapsnapshot"
    broken.write_bytes(data[:last] + data[close:])  # one value fewer: a partial last record
    for fraction in (None, 0.5, 0.999):
        with pytest.raises(SnapshotError, match="not a multiple of its 3 fields|header's counts"):
            _load(broken, monkeypatch, fraction)


@pytest.mark.parametrize("edges", [b"[]", b"[ ]", b"[\n]"])
def test_a_snapshot_without_edges(tmp_path, edges):
    """One node and no edges (the smallest snapshot a builder makes): the empty array is read whole."""
    from snapbuilder import Builder
    b = Builder()
    b.node("synthetic", "")
    path = b.write(tmp_path / "s.heapsnapshot")
    data = path.read_bytes().replace(b'"edges": []', b'"edges": ' + edges)
    assert edges in data
    path.write_bytes(data)
    snap = loader.load(path)
    assert snap.node_count == 1 and snap.edge_count == 0
    path.write_bytes(data.replace(b'"edges": ' + edges, b'"edges": [1, 2, 0]'))
    with pytest.raises(SnapshotError, match="more values than the header"):
        loader.load(path)
