"""Bad input ends in one line `heaptui: error: ...` and exit status 2, never a traceback."""
import json
import random
import re
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


def test_a_size_of_4_gib_or_more_is_read_in_full(tmp_path):
    """V8 writes self sizes as 64-bit numbers: a 5 GiB backing store is a size, not damage."""
    doc = small_doc()
    doc["nodes"][7 + 3] = 5 * 2**30  # Window's self_size
    proc = run("summary", write(tmp_path, json.dumps(doc)), "--json", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert {r["name"]: r["self_size"] for r in json.loads(proc.stdout)}["Window"] == 5 * 2**30


@pytest.mark.parametrize("field,value,needle", [
    (2, 2**32 + 1, "id"),                 # any other field still has to fit in 32 bits
    (4, 2**40, "edge_count"),
    (3, 2**60, "not a size"),             # past what a JSON reader keeps exactly
    (3, 10**25, "too large"),             # past 64 bits altogether
])
def test_numbers_too_large_for_their_field(tmp_path, field, value, needle):
    doc = small_doc()
    doc["nodes"][7 + field] = value
    assert_one_line_error(run("summary", write(tmp_path, json.dumps(doc)), "--no-cache"), needle)


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


# -- mutations of a real snapshot's header ------------------------------------------------------------
# Every damaged file must end as one line `heaptui: error: ...` and exit status 2 (or, when the damage
# left a valid snapshot, exit status 0), in every command that opens snapshots. The mutations are
# deterministic: a fixed list, then seeded random ones.

def _split_header(data):
    """(prefix, header object, suffix) of a snapshot file: prefix + json(header) + suffix == file."""
    text = data.decode("utf-8")
    start = text.index("{", 1)
    header, end = json.JSONDecoder().raw_decode(text, start)
    return data[:start], header, data[len(text[:end].encode()):]


def _edit(fn):
    def mutate(data):
        prefix, header, suffix = _split_header(data)
        fn(header)
        return prefix + json.dumps(header).encode() + suffix
    return mutate


def _set(path, value):
    """A mutation that sets header[path...] to value (None deletes the key)."""
    def change(header):
        *parents, last = path
        target = header
        for key in parents:
            target = target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return _edit(change)


def _drop_name(list_key, name):
    return _edit(lambda h: h["meta"][list_key].remove(name))


def _rename(list_key, name, new):
    return _edit(lambda h: h["meta"][list_key].__setitem__(h["meta"][list_key].index(name), new))


def _structured_mutations():
    m = {}
    for name in ("type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"):
        m[f"node_fields without {name}"] = _drop_name("node_fields", name)
    for name in ("type", "name_or_index", "to_node"):
        m[f"edge_fields without {name}"] = _drop_name("edge_fields", name)
    for name in ("object_index", "script_id", "line", "column"):
        m[f"location_fields without {name}"] = _drop_name("location_fields", name)
    m["location_fields renamed"] = _rename("location_fields", "object_index", "object_indx")
    m["trace_node_fields without children"] = _drop_name("trace_node_fields", "children")
    m["to_node renamed"] = _rename("edge_fields", "to_node", "to")
    m["edge_count field renamed"] = _rename("node_fields", "edge_count", "edges")
    m["node_fields names id twice"] = _rename("node_fields", "self_size", "id")
    for key, value in [("node_fields", "type"), ("node_fields", []), ("node_fields", [1, 2, 3]),
                       ("node_fields", None), ("node_types", []), ("node_types", {}), ("node_types", "x"),
                       ("edge_types", [["context"]]), ("edge_types", [[1, 2]]), ("edge_types", None),
                       ("location_fields", 5), ("location_fields", ["object_index"]),
                       ("location_fields", ["a", "b", "c", "d"]), ("location_fields", []),
                       ("location_fields", None), ("trace_function_info_fields", "x"),
                       ("trace_node_fields", [{}]), ("sample_fields", [1]), ("sample_fields", None)]:
        m[f"meta.{key} = {json.dumps(value)}"] = _set(("meta", key), value)
    m["node_types enum is a string"] = _set(("meta", "node_types", 0), "hidden")
    m["node_types enum is empty"] = _set(("meta", "node_types", 0), [])
    m["300 node types"] = _set(("meta", "node_types", 0), [f"t{i}" for i in range(300)])
    for key, value in [("node_count", -1), ("node_count", "42494"), ("node_count", 1.5),
                       ("node_count", True), ("node_count", None), ("node_count", 0), ("node_count", 42495),
                       ("node_count", 42493), ("node_count", 10**12), ("edge_count", -5),
                       ("edge_count", 187459), ("edge_count", None), ("edge_count", [1]),
                       ("trace_function_count", -1), ("trace_function_count", "x"),
                       ("trace_function_count", 3), ("root_index", "0"), ("root_index", 7),
                       ("root_index", -7), ("root_index", 1.5), ("extra_native_bytes", "x"),
                       ("extra_native_bytes", -1), ("extra_native_bytes", 12345), ("meta", None),
                       ("meta", []), ("meta", "x")]:
        m[f"{key} = {json.dumps(value)}"] = _set((key,), value)
    return m


def _byte_mutations(data, seed=9):
    """Seeded damage to the raw header text, and truncations at many offsets."""
    rng = random.Random(seed)
    end = data.index(b'"nodes"')
    header = data[:end]
    m = {}

    def replaced(i, new):
        return lambda d: d[:i] + new + d[i + 1:]

    digits = [i for i, c in enumerate(header) if chr(c).isdigit()]
    for i in rng.sample(digits, 6):
        m[f"digit at {i} -> letter"] = replaced(i, b"x")
    m["every header digit -> letter"] = lambda d: re.sub(rb"\d", b"q", d[:end]) + d[end:]
    brackets = [i for i, c in enumerate(header) if c in b"[]{}"]
    for _ in range(6):
        a, b = sorted(rng.sample(brackets, 2))
        m[f"brackets at {a} and {b} swapped"] = (
            lambda d, a=a, b=b: d[:a] + d[b:b + 1] + d[a + 1:b] + d[a:a + 1] + d[b + 1:])
    for i in rng.sample(brackets, 4):
        m[f"bracket at {i} deleted"] = lambda d, i=i: d[:i] + d[i + 1:]
        m[f"bracket at {i} doubled"] = lambda d, i=i: d[:i] + d[i:i + 1] + d[i:]
    for i in rng.sample(range(1, end), 6):
        m[f"byte at {i} flipped"] = replaced(i, bytes([header[i] ^ rng.choice([1, 2, 4, 32, 64, 128])]))
    quotes = [i for i, c in enumerate(header) if c == ord('"')]
    for i in rng.sample(quotes, 3):
        m[f"quote at {i} deleted"] = lambda d, i=i: d[:i] + d[i + 1:]
    m["newline inside a field name"] = lambda d: d.replace(b'"object_index"', b'"object\nindex"', 1)
    m["control bytes in a field name"] = lambda d: d.replace(b'"to_node"', b'"to\x00\x1b[2J"', 1)
    m["header twice"] = lambda d: d[:end] + d[1:end] + d[end:]
    for cut in (1, 11, 40, 200, end // 2, end - 1, end + 20):
        m[f"truncated at byte {cut}"] = lambda d, cut=cut: d[:cut]
    for frac in (0.3, 0.6, 0.9, 0.999):
        m[f"truncated at {frac:.1%}"] = lambda d, frac=frac: d[:int(len(d) * frac)]
    return m


@pytest.fixture(scope="module")
def demo_snapshot():
    from heaptui.cli import compile_kernels
    from heaptui.demo import demo_paths
    compile_kernels()  # a first run says so on stderr: not part of what is tested here
    return demo_paths()[0]


def _run_in_process(capsys, argv):
    from heaptui.cli import main
    capsys.readouterr()
    status = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return status, out, err


def _check_outcome(name, status, out, err):
    where = f"[{name}] status {status}, stderr {err!r}"
    assert "Traceback" not in err, where
    if status == 0:
        assert err == "", where
        return
    assert status == 2, where
    assert err.endswith("\n") and err.count("\n") == 1, where
    assert err.startswith("heaptui: error: "), where
    assert out == "", where


def test_header_mutations_end_in_one_line(tmp_path, capsys, demo_snapshot):
    data = open(demo_snapshot, "rb").read()
    mutations = {**_structured_mutations(), **_byte_mutations(data)}
    assert len(mutations) > 90
    outcomes = {}
    for name, mutate in mutations.items():
        path = write(tmp_path, mutate(data))
        status, out, err = _run_in_process(capsys, ["summary", path, "--no-cache", "--top", "3"])
        _check_outcome(name, status, out, err)
        outcomes[name] = status
    # The damage that matters is caught, and named: not just any failure.
    assert sum(s == 2 for s in outcomes.values()) > 0.8 * len(outcomes)
    for fine in ("meta.location_fields = []", "meta.location_fields = null", "meta.sample_fields = null",
                 "extra_native_bytes = 12345"):
        assert outcomes[fine] == 0, fine


@pytest.mark.parametrize("mutation", ["location_fields renamed", "node_count = \"42494\"",
                                      "meta.node_types = {}", "edge_fields without to_node"])
def test_every_command_gives_one_line(tmp_path, capsys, demo_snapshot, mutation):
    data = open(demo_snapshot, "rb").read()
    bad = write(tmp_path, _structured_mutations()[mutation](data))
    for argv in (["summary", bad], ["object", bad, "@1"], ["stats", bad], ["nodes", bad],
                 ["instances", bad, "Object"], ["diff", demo_snapshot, bad], ["diff", bad, demo_snapshot],
                 ["hunt", demo_snapshot, demo_snapshot, bad], ["dominators", bad], ["search", bad, "x"],
                 ["closure", bad, "@1"], ["timeline", bad], ["strings", bad],
                 ["summary", bad, "--filter", "duplicated-strings"]):
        status, out, err = _run_in_process(capsys, argv + ["--no-cache"])
        _check_outcome(f"{mutation}: {argv[0]}", status, out, err)
        assert status == 2, (argv, err)


def test_damaged_location_fields_named_in_the_error(tmp_path, demo_snapshot):
    """Issue #9's traceback (`ValueError: 'object_index' is not in list`), in a real process."""
    data = open(demo_snapshot, "rb").read()
    bad = write(tmp_path, _structured_mutations()["location_fields renamed"](data))
    assert_one_line_error(run("summary", bad, "--no-cache"), "location_fields", "object_index")
    cut = write(tmp_path, _byte_mutations(data)["truncated at byte 200"](data), "cut.heapsnapshot")
    assert_one_line_error(run("stats", cut, "--no-cache"), "header")
    unclosed = write(tmp_path, data.replace(b'"line","column"]}', b'"line","column"}', 1), "b.heapsnapshot")
    assert_one_line_error(run("nodes", unclosed, "--no-cache"), "not valid JSON")


def test_byte_order_mark_is_accepted(tmp_path, capsys, demo_snapshot):
    data = open(demo_snapshot, "rb").read()
    marked = write(tmp_path, b"\xef\xbb\xbf" + data, "bom.heapsnapshot")
    plain = _run_in_process(capsys, ["summary", demo_snapshot, "--no-cache", "--json"])
    with_bom = _run_in_process(capsys, ["summary", marked, "--no-cache", "--json"])
    assert with_bom == plain and plain[0] == 0


def test_new_views_refuse_what_they_cannot_show(demo_snapshot):
    """Asked of a snapshot that has no such thing, each says so in one line."""
    assert_one_line_error(run("timeline", demo_snapshot), "no allocation timeline")
    assert_one_line_error(run("summary", demo_snapshot, "--during", "0:1"), "no allocation timeline")
    assert_one_line_error(run("summary", demo_snapshot, "--during", "soon"), "START:END")
    assert_one_line_error(run("search", demo_snapshot, "(", "--regex"), "not a regular expression")
    assert_one_line_error(run("closure", demo_snapshot, "@1"), "not a function")
    assert_one_line_error(run("dominators", demo_snapshot, "@999999999"), "no object with id")


def test_redact_of_damaged_input_is_one_line_and_leaves_nothing(tmp_path, capsys, demo_snapshot):
    """`heaptui redact` on every mutation: a whole output, or one line and no file at all (neither
    under the final name nor a temporary one)."""
    data = open(demo_snapshot, "rb").read()
    mutations = {**_structured_mutations(), **_byte_mutations(data)}
    failed = 0
    for i, (name, mutate) in enumerate(mutations.items()):
        work = tmp_path / f"m{i}"
        work.mkdir()
        src = write(work, mutate(data), "in.heapsnapshot")
        out = work / "out.heapsnapshot"
        status, stdout, err = _run_in_process(capsys, ["redact", src, out])
        assert "Traceback" not in err, name
        left = sorted(p.name for p in work.iterdir())
        if status == 0:
            assert left == ["in.heapsnapshot", "out.heapsnapshot"], name
            continue
        failed += 1
        assert status == 2 and err.count("\n") == 1 and err.startswith("heaptui: error: "), (name, err)
        assert stdout == "" and left == ["in.heapsnapshot"], (name, left)
    assert failed > 0.3 * len(mutations)


def test_redact_refuses_what_it_must_not_overwrite(tmp_path, demo_snapshot):
    plain = tmp_path / "demo.heapsnapshot"
    plain.write_bytes(open(demo_snapshot, "rb").read())
    existing = write(tmp_path, "keep me", "existing.heapsnapshot")
    assert_one_line_error(run("redact", plain, existing), "already exists")
    assert existing.read_text() == "keep me"
    assert_one_line_error(run("redact", plain, plain), "not the input")
    assert_one_line_error(run("redact", tmp_path / "nope", tmp_path / "x"), "no such file")
    assert_one_line_error(run("redact", plain, tmp_path / "no" / "x"), "no such directory")
    profile = write(tmp_path, json.dumps({"head": {}, "samples": []}), "p.heapprofile")
    assert_one_line_error(run("redact", profile, tmp_path / "y"), "sampling heap profile")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.heapsnapshot", "existing.heapsnapshot",
                                                          "p.heapprofile"]
