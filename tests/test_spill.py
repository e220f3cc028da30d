"""Big snapshots park the columns the dominator pass does not read in a private file while it runs
(model.SPILLED). Forced onto small snapshots, that path must give every array the in-memory path gives,
and the parked columns must really be file-backed."""
import numpy as np
import pytest

from heaptui.snapshot import HeapSnapshot, load, model


def _arrays(heap):
    out = {name: value for name, value in vars(heap).items() if isinstance(value, np.ndarray)}
    out["strings.blob"] = np.asarray(heap.strings.blob)
    out["strings.offsets"] = heap.strings.offsets
    return out


@pytest.mark.parametrize("name", ["large", "graph", "collections", "strings", "chromium_detached_dom"])
def test_spilled_build_equals_the_in_memory_one(parity_snapshots, monkeypatch, tmp_path, name):
    path = parity_snapshots[name]
    monkeypatch.setenv("HEAPTUI_CACHE_DIR", str(tmp_path))
    plain = HeapSnapshot.build(load(path))
    assert plain._spill_map is None
    monkeypatch.setattr(model, "OVERLAP_MAX_NODES", 0)
    monkeypatch.setattr(model, "SPILL_MIN_BYTES", 0)
    spilled = HeapSnapshot.build(load(path))
    assert spilled._spill_map is not None
    assert not spilled.edge_name.flags.owndata and not spilled.node_name.flags.owndata or \
        spilled.node_name.base is not None
    a, b = _arrays(plain), _arrays(spilled)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key
    assert plain.class_names == spilled.class_names and plain.class_keys == spilled.class_keys
    assert list(tmp_path.joinpath("spill").iterdir()) == []  # unlinked at once: nothing is left behind
