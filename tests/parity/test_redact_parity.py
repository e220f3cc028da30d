"""`heaptui redact`: a snapshot with known secrets, redacted, holds none of them, and DevTools' own code
computes the same numbers from it as from the original.

tests/redact/service.js is an express login service on real npm packages (express-session's
MemoryStore, lru-cache; the leak corpus's pinned install): the session secret sits in the cookie
signer's closure, a database password in a closure (part of it written in the source), e-mail
addresses, API tokens, password digests and non-ASCII notes in user records and caches. It writes two
snapshots of one process and the list of the secrets its heap holds. Every secret is first checked to
be in the original (so that "not in the output" can fail), in each way V8 writes a string.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import run_devtools_dump
from test_leak_corpus import leaks_npm  # noqa: F401  (the pinned npm packages)

ROOT = Path(__file__).resolve().parent.parent.parent
SERVICE = ROOT / "tests" / "redact" / "service.js"
DIFF = Path(__file__).parent / "devtools_diff.mjs"
VALUE_TYPES = {"string", "concatenated string", "sliced string", "regexp", "number", "bigint"}
KEY_HEX = "00112233445566778899aabbccddeeff"


def heaptui(*args, check=True):
    r = subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True, text=True,
                       timeout=600, cwd=ROOT, stdin=subprocess.DEVNULL)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def v8_forms(text):
    """The byte strings a snapshot may hold `text` as: UTF-8, and V8's JSON escapes (\\uXXXX per UTF-16
    unit, in either case of hex; V8 writes a character outside the BMP as its low 16 bits)."""
    def escaped(units, upper):
        out = []
        for u in units:
            out.append(chr(u) if 32 <= u < 127 and chr(u) not in '"\\' else ("\\u%04X" if upper else "\\u%04x") % u)
        return "".join(out).encode()
    utf16 = text.encode("utf-16-le", "surrogatepass")
    units = [int.from_bytes(utf16[i:i + 2], "little") for i in range(0, len(utf16), 2)]
    truncated = [ord(c) & 0xFFFF for c in text]
    return {text.encode(), escaped(units, True), escaped(units, False), escaped(truncated, True),
            escaped(truncated, False)}


def holds(data, text):
    return any(form in data for form in v8_forms(text))


@pytest.fixture(scope="module")
def service(tmp_path_factory, leaks_npm):  # noqa: F811
    out = tmp_path_factory.mktemp("redact")
    a, b, secrets = out / "a.heapsnapshot", out / "b.heapsnapshot", out / "secrets.json"
    subprocess.run(["node", str(SERVICE), str(a), str(b), str(secrets)], check=True, timeout=300,
                   env=dict(os.environ, NODE_PATH=str(leaks_npm)), cwd=out)
    key = out / "team.key"
    key.write_text(KEY_HEX + "\n")
    made = {"dir": out, "a": a, "b": b, "secrets": json.loads(secrets.read_text()), "key": key}
    for name, src in (("a", a), ("b", b)):
        made["r" + name] = out / f"redacted-{name}.heapsnapshot"
        heaptui("redact", src, made["r" + name])
        made["n" + name] = out / f"names-{name}.heapsnapshot"
        heaptui("redact", src, made["n" + name], "--redact-names", "--key-file", key)
    return made


@pytest.fixture(scope="module")
def devtools(service, toolkit_dir):
    return {k: run_devtools_dump(toolkit_dir, service[k]) for k in ("b", "rb", "nb")}


def devtools_diff(toolkit_dir, a, b):
    r = subprocess.run(["node", str(DIFF), str(a), str(b)], capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)), check=True)
    return json.loads(r.stdout)


def rows(items, keys):
    return Counter(tuple(r[k] for k in keys) for r in items)


def test_the_secrets_are_in_the_original_and_in_no_redacted_file(service):
    secrets = service["secrets"]
    original = service["b"].read_bytes()
    every = secrets["values"] + secrets["literal"]
    assert len(secrets["values"]) > 150 and any(ord(c) > 0xFFFF for c in "".join(every))
    missing = [s for s in every + secrets["session_ids"] if not holds(original, s)]
    assert not missing, f"the service's heap should hold these: {missing[:5]}"
    for key in ("ra", "rb", "na", "nb"):
        data = service[key].read_bytes()
        leaked = [s for s in every if holds(data, s)]
        assert not leaked, f"{key} holds {leaked[:5]}"
    # Session ids are the keys of MemoryStore.sessions: property names, readable by default (as the
    # issue asks of property names), replaced with --redact-names.
    assert all(holds(service["rb"].read_bytes(), s) for s in secrets["session_ids"])
    names = service["nb"].read_bytes()
    assert not [s for s in secrets["session_ids"] if holds(names, s)]


def test_names_stay_readable_by_default_and_are_tokens_with_redact_names(service):
    plain, names = service["rb"].read_bytes(), service["nb"].read_bytes()
    for name in (b'"UserDirectory"', b'"DatabaseClient"', b'"MemoryStore"', b'"records"', b'"sessions"',
                 b"service.js"):
        assert name in plain and name in service["b"].read_bytes()
        assert name not in names
    for name in (b'"Object"', b'"Array"', b'"__proto__"', b'"(GC roots)"', b'"system / Context"'):
        assert name in names


def test_devtools_computes_the_same_numbers_from_the_redacted_file(service, devtools):
    original, redacted = devtools["b"], devtools["rb"]
    assert redacted["statistics"] == original["statistics"]
    keys = ("key", "name", "count", "distance", "self_size", "retained_size")
    assert rows(redacted["summary"], keys) == rows(original["summary"], keys)
    assert len(redacted["nodes"]) == len(original["nodes"]) > 50_000
    changed = 0
    for o, r in zip(original["nodes"], redacted["nodes"]):
        for field in ("id", "type", "class", "self_size", "retained_size", "distance", "dominator"):
            assert r[field] == o[field], (field, o, r)
        if o["type"] in VALUE_TYPES and r["name"] != o["name"]:
            # Same length, each character kept or starred (a concatenation can join a name, kept,
            # to a value, redacted).
            assert len(r["name"]) == len(o["name"]), (o, r)
            assert all(x == "*" or x == y for x, y in zip(r["name"], o["name"])), (o, r)
            changed += 1
        elif o["type"] not in VALUE_TYPES:
            assert r["name"] == o["name"], (o, r)
    assert changed > 5000


def test_devtools_compares_the_redacted_pair_as_the_original_pair(service, toolkit_dir):
    keys = ("name", "new_count", "deleted_count", "count_delta", "alloc_size", "freed_size", "size_delta")
    original = devtools_diff(toolkit_dir, service["a"], service["b"])
    redacted = devtools_diff(toolkit_dir, service["ra"], service["rb"])
    assert rows(redacted["rows"], keys) == rows(original["rows"], keys)
    assert any(r["name"] == "UserDirectory" or r["count_delta"] >= 25 for r in original["rows"])
    ours = json.loads(heaptui("diff", service["ra"], service["rb"], "--json", "--no-cache").stdout)
    assert rows(ours, keys) == rows(original["rows"], keys)


def test_heaptui_reads_the_same_numbers_from_the_redacted_file(service):
    keys = ("name", "count", "distance", "self_size", "retained_size")
    for a, b in (("a", "ra"), ("b", "rb")):
        mine = json.loads(heaptui("summary", service[a], "--json", "--no-cache").stdout)
        theirs = json.loads(heaptui("summary", service[b], "--json", "--no-cache").stdout)
        assert rows(theirs, keys) == rows(mine, keys)


def test_with_redact_names_every_node_keeps_its_numbers(service, devtools):
    original, redacted = devtools["b"], devtools["nb"]
    assert redacted["statistics"] == original["statistics"]
    tokens = set()
    for o, r in zip(original["nodes"], redacted["nodes"], strict=True):
        for field in ("id", "type", "self_size", "retained_size", "distance", "dominator"):
            assert r[field] == o[field], (field, o, r)
        if o["type"] == "object" and o["class"] in ("UserDirectory", "DatabaseClient", "MemoryStore"):
            assert r["class"].startswith("_") and len(r["class"]) == 13, r
            tokens.add((o["class"], r["class"]))
    assert len(tokens) == 3 and len({t for _, t in tokens}) == 3
    # Classes other than plain-object shapes (whose `{a, b}` labels are cut by length) keep their rows.
    keys = ("count", "distance", "self_size", "retained_size")
    plain = [r for r in original["summary"] if not r["name"].startswith("{")]
    assert len(plain) > 100
    assert rows(plain, keys) <= rows(redacted["summary"], keys)


def test_two_files_redacted_with_one_key_still_compare(service, toolkit_dir):
    keys = ("new_count", "deleted_count", "count_delta", "alloc_size", "freed_size", "size_delta")
    original = devtools_diff(toolkit_dir, service["a"], service["b"])
    redacted = devtools_diff(toolkit_dir, service["na"], service["nb"])
    grew = [r for r in original["rows"] if r["name"] == "UserDirectory"]
    tokens = {r["name"] for r in redacted["rows"] if r["name"].startswith("_")}
    assert tokens and not any(r["name"] == "UserDirectory" for r in redacted["rows"])
    plain = [r for r in original["rows"] if not r["name"].startswith("{")]
    assert rows(plain, keys) <= rows(redacted["rows"], keys)
    assert not grew or rows(grew, keys) <= rows(redacted["rows"], keys)


def test_chosen_strings_are_kept(service, tmp_path):
    secrets = service["secrets"]["values"]
    kept, other = secrets[0], secrets[1]
    listed = tmp_path / "keep.txt"
    listed.write_text(secrets[2] + "\n")
    out = tmp_path / "kept.heapsnapshot"
    done = json.loads(heaptui("redact", service["b"], out, "--keep", kept, "--keep-file", listed, "--json").stdout)
    data = out.read_bytes()
    assert holds(data, kept) and holds(data, secrets[2]) and not holds(data, other)
    assert done["values_redacted"] > 5000 and done["strings"] > done["values_redacted"]


def test_streaming_in_any_pieces_gives_the_same_bytes(service, monkeypatch):
    """The redactor's state survives every cut: fed in random pieces (a byte to 64 kB, each processed
    at once) it writes exactly what the whole-file pass wrote."""
    from heaptui.snapshot import redact
    monkeypatch.setattr(redact, "BATCH", 1)
    data = service["b"].read_bytes()
    pieces, r, pos = [], redact.Redactor(redact.Policy()), 0
    rng = random.Random(7)
    while pos < len(data):
        n = rng.choice((1, 2, 3, 7, 100, 4096, 65536))
        pieces.append(r.feed(data[pos:pos + n]))
        pos += n
    pieces.append(r.finish())
    assert b"".join(pieces) == service["rb"].read_bytes()


def test_a_gzip_snapshot_redacts_to_gzip(service, tmp_path):
    import gzip
    packed = tmp_path / "b.heapsnapshot.gz"
    packed.write_bytes(gzip.compress(service["b"].read_bytes()))
    out = tmp_path / "r.heapsnapshot.gz"
    heaptui("redact", packed, out)
    assert gzip.decompress(out.read_bytes()) == service["rb"].read_bytes()
    assert (out.stat().st_mode & 0o777) == 0o600


def test_capture_redact_writes_only_the_redacted_file(tmp_path, leaks_npm):  # noqa: F811
    """`capture --redact` redacts the stream on its way to disk: no file in the directory ever holds
    a secret but the service's own list of them, and the snapshot opens with its numbers."""
    import re
    import signal
    import time
    secrets_file = tmp_path / "secrets.json"
    log = open(tmp_path / "service.log", "w+")
    proc = subprocess.Popen(["node", "--inspect=127.0.0.1:0", str(SERVICE), "--serve", str(secrets_file)],
                            cwd=tmp_path, stdout=log, stderr=log, start_new_session=True,
                            env=dict(os.environ, NODE_PATH=str(leaks_npm)))
    try:
        port, deadline = None, time.monotonic() + 300
        while (port is None or not secrets_file.exists()) and time.monotonic() < deadline:
            assert proc.poll() is None, log.seek(0) or log.read()
            log.seek(0)
            m = re.search(r"ws://127\.0\.0\.1:(\d+)/", log.read())
            port = int(m.group(1)) if m else None
            time.sleep(0.05)
        assert port and secrets_file.exists(), "the service did not come up"
        secrets = json.loads(secrets_file.read_text())
        plain, names = tmp_path / "plain.heapsnapshot", tmp_path / "names.heapsnapshot"
        heaptui("capture", "--port", port, "--redact", "-o", plain)
        heaptui("capture", "--port", port, "--redact-names", "--key-file", service_key(tmp_path), "-o", names)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        log.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key", "names.heapsnapshot", "plain.heapsnapshot",
                                                          "secrets.json", "service.log"]
    for path in (plain, names):
        assert (path.stat().st_mode & 0o777) == 0o600
        data = path.read_bytes()
        leaked = [s for s in secrets["values"] + secrets["literal"] if holds(data, s)]
        assert not leaked, (path.name, leaked[:5])
        summary = json.loads(heaptui("summary", path, "--json", "--no-cache").stdout)
        assert sum(r["count"] for r in summary) > 50_000
    assert all(holds(plain.read_bytes(), s) for s in secrets["session_ids"])
    assert not any(holds(names.read_bytes(), s) for s in secrets["session_ids"])
    assert b'"UserDirectory"' in plain.read_bytes() and b'"UserDirectory"' not in names.read_bytes()


def service_key(directory):
    key = directory / "key"
    key.write_text(KEY_HEX + "\n")
    return key
