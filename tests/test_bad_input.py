"""Bad input ends in one line `heaptui: error: ...` and exit status 2, never a traceback."""
import json
import subprocess
import sys

import pytest

from snapbuilder import Builder


def small_doc():
    b = Builder()
    b.node("synthetic", "")
    w = b.node("object", "Window", 10)
    a = b.node("object", "A", 20)
    b.edge(0, "shortcut", "w", w)
    b.edge(w, "property", "a", a)
    return b.document()


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True,
                          text=True, timeout=120, **kw)


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("heaptui: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    assert proc.stdout == ""


def write(tmp_path, text, name="bad.heapsnapshot"):
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def corrupt(doc, **changes):
    doc = json.loads(json.dumps(doc))
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for k in keys[:-1]:
            target = target[k]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return json.dumps(doc)


def test_good_file_works(tmp_path):
    p = write(tmp_path, json.dumps(small_doc()))
    proc = run("summary", p, "--json", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert {r["name"] for r in json.loads(proc.stdout)} == {"Window", "A"}


@pytest.mark.parametrize("command", ["summary", "stats", "nodes"])
def test_missing_file(tmp_path, command):
    assert_one_line_error(run(command, tmp_path / "nope.heapsnapshot", "--no-cache"), "no such file")


def test_directory(tmp_path):
    assert_one_line_error(run("summary", tmp_path), "directory")


@pytest.mark.parametrize("text,needle", [
    ("", "empty"),
    ("   \n", "white space"),
    ("hello", "not a heap snapshot"),
    ("[1, 2, 3]", "not a heap snapshot"),
    ('{"a": 1}', "no 'snapshot' header"),
    ('{"snapshot": {"node_count": 1}}', "meta"),
    ("\x00\x01\x02garbage", "not a heap snapshot"),
])
def test_not_a_snapshot(tmp_path, text, needle):
    assert_one_line_error(run("summary", write(tmp_path, text), "--no-cache"), needle)


def test_heapprofile_given_instead(tmp_path):
    profile = {"head": {"callFrame": {"functionName": "(root)", "scriptId": "0", "url": "",
                                      "lineNumber": -1, "columnNumber": -1},
                        "selfSize": 0, "id": 1, "children": []}, "samples": []}
    p = write(tmp_path, json.dumps(profile), "x.heapprofile")
    assert_one_line_error(run("summary", p, "--no-cache"), "heapprofile")


@pytest.mark.parametrize("cut", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_truncated(tmp_path, cut):
    text = json.dumps(small_doc())
    p = write(tmp_path, text[:int(len(text) * cut)])
    assert_one_line_error(run("summary", p, "--no-cache"))


def test_truncated_real_snapshot(tmp_path, parity_snapshots):
    data = parity_snapshots["graph"].read_bytes()
    for cut in (0.05, 0.5, 0.97):
        p = write(tmp_path, data[:int(len(data) * cut)])
        assert_one_line_error(run("summary", p, "--no-cache"))


@pytest.mark.parametrize("changes,needle", [
    ({"snapshot__node_count": 5}, "nodes array"),
    ({"snapshot__node_count": 2}, "more values"),
    ({"snapshot__edge_count": 7}, "edges array"),
    ({"snapshot__meta": None}, "meta"),
    ({"snapshot__meta__node_fields": ["type", "name", "id"]}, "edge_count"),
    ({"snapshot__meta__edge_fields": ["type", "to_node"]}, "name_or_index"),
    ({"nodes": [99, 0, 1, 0, 1, 0, 0] + [3, 1, 3, 10, 1, 0, 0] + [3, 2, 5, 20, 0, 0, 0]}, "types"),
    ({"strings": None}, "strings"),
    ({"nodes": None}, "nodes"),
    ({"snapshot__root_index": 5}, "root_index"),
])
def test_inconsistent(tmp_path, changes, needle):
    p = write(tmp_path, corrupt(small_doc(), **changes))
    assert_one_line_error(run("summary", p, "--no-cache"), needle)


def test_to_node_not_a_multiple(tmp_path):
    doc = small_doc()
    doc["edges"][2] = 8  # node field count is 7
    assert_one_line_error(run("summary", write(tmp_path, json.dumps(doc)), "--no-cache"),
                          "not a multiple")


def test_to_node_past_the_end(tmp_path):
    doc = small_doc()
    doc["edges"][2] = 7 * 40
    assert_one_line_error(run("summary", write(tmp_path, json.dumps(doc)), "--no-cache"), "past")


def test_edge_counts_do_not_add_up(tmp_path):
    doc = small_doc()
    doc["nodes"][4] = 3  # root claims three edges; the file has two in all
    doc["snapshot"]["edge_count"] = 2
    assert_one_line_error(run("summary", write(tmp_path, json.dumps(doc)), "--no-cache"), "add up")


def test_string_index_out_of_range(tmp_path):
    doc = small_doc()
    doc["nodes"][1] = 999
    assert_one_line_error(run("summary", write(tmp_path, json.dumps(doc)), "--no-cache"), "string")


def test_bad_usage_is_one_line(tmp_path):
    assert_one_line_error(run("summary"))
    assert_one_line_error(run("frobnicate"))
    p = write(tmp_path, json.dumps(small_doc()))
    assert_one_line_error(run("object", p, "@notanid", "--no-cache"), "object id")
    assert_one_line_error(run("object", p, "@123456", "--no-cache"), "no object")
