"""Differential parity: heaptui's numbers must equal Chrome DevTools' on real Node snapshots.

For every scenario in ``tests/parity/scenarios/*.js`` a snapshot is written by Node and
analysed twice: by DevTools' own code (``devtools_dump.mjs`` via heap-snapshot-toolkit)
and by ``python -m heaptui``. Compared:

* ``heaptui nodes FILE --no-cache``: one JSON object per line per node, in ordinal order,
  keys exactly ``id, type, name, class, self_size, retained_size, distance, dominator``;
* ``heaptui summary FILE --json --no-cache``: JSON array of class rows
  ``{name, count, distance, self_size, retained_size}`` (all rows, compared as a multiset);
* ``heaptui stats FILE --json --no-cache``: JSON object equal to DevTools' getStatistics().
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import run_devtools_dump, run_heaptui, scenario_names

NODE_FIELDS = ("id", "type", "name", "class", "self_size", "retained_size", "distance", "dominator")
SUMMARY_FIELDS = ("name", "count", "distance", "self_size", "retained_size")
BASE_SYSTEM_DISTANCE = 100_000_000
MAX_SHOWN = 10


# --------------------------------------------------------------------------------------
# What each scenario must have produced (checked on DevTools' output, so a scenario that
# silently creates nothing fails even before heaptui exists).
#   ("row", name, min_count)        a Summary row with this exact class name and >= min_count
#   ("rows", name, n)               at least n Summary rows share this class name
#   ("row_prefix", prefix, min)     Summary rows whose name starts with prefix
#   ("row_any", names, min)         Summary rows named any of names
#   ("node", predicate, what)       some node satisfies predicate(node)
#   ("all_nodes", predicate, what)  every node satisfies predicate(node)
#   ("min_nodes", n)                the snapshot has at least n nodes
# --------------------------------------------------------------------------------------
EXPECTED = {
    "chromium_detached_dom": [  # tests/fixtures: a real Chromium page with detached DOM
        ("row", "PanelCache", 1),
        ("row", "Detached <li>", 20),
        ("row", "Detached <td>", 15),
        ("row", "Detached <table>", 1),
        ("row", "Detached <ul>", 1),
        ("node", lambda n: n["name"] == "Window / file://", "the page's Window"),
    ],
    "bun_service": [  # tests/parity/runtimes/service.cjs run by Bun (JavaScriptCore writing V8's format)
        ("row", "Session", 300),
        ("row", "OrderLine", 300),
        ("row", "GlobalObject", 1),  # Bun's global, as JavaScriptCore names it
        ("node", lambda n: n["type"] == "string" and n["name"] == "sid-000001", "a session id"),
    ],
    "deno_service": [  # the same service run by Deno
        ("row", "Session", 300),
        ("row", "OrderLine", 300),
        ("row", "Window [JSGlobalObject]", 1),  # Deno's global
        ("node", lambda n: n["type"] == "string" and n["name"] == "sid-000001", "a session id"),
    ],
    "classes": [
        ("row", "Animal", 3),
        ("row", "Dog", 41),
        ("row", "Puppy", 16),
        ("row", "LegacyPoint", 50),
        ("row", "NamedExpr", 1),
        ("rows", "Item", 3),  # three different `class Item` (two positions, two scripts)
        ("node", lambda n: n["type"] == "closure" and n["name"] == "counter", "closure `counter`"),
        ("row", "Generator", 1),
    ],
    "collections": [
        ("row", "Map", 1),
        ("row", "Set", 1),
        ("row", "WeakMap", 1),
        ("row", "WeakSet", 1),
        ("row", "WeakRef", 11),
        ("row", "FinalizationRegistry", 1),
        ("row", "WeakMapKey", 40),
        ("row", "WeakMapValue", 40),
        ("row", "WeakSetMember", 20),
        ("row", "WeakRefTarget", 11),
        ("row", "Finalizable", 10),
        ("row", "HeldValue", 10),
        ("row", "MapKey", 50),
        ("row", "{member}", 2000),
        ("row", "{index}", 3000),
        ("row", "ArrayBuffer", 1),
        ("row", "SharedArrayBuffer", 1),
        ("row", "DataView", 1),
        ("row", "BigInt64Array", 1),
        ("row", "Float64Array", 1),
        ("row", "Buffer", 30),
        ("row", "system / JSArrayBufferData", 1),
    ],
    "strings": [
        ("row", "(string)", 1),
        ("row", "(concatenated string)", 1),
        ("row", "(sliced string)", 1),
        ("row", "KeyHolder", 1),
        ("row", '{"x,y", "{z}"}', 6),
        ("row", '{"say \\"hi\\"", plain}', 5),
        ("row_prefix", '{"comma,key", "quote\\"key"', 4),
        ("node", lambda n: n["type"] == "concatenated string" and n["name"].startswith("start:seg0;seg1;")
         and len(n["name"]) >= 1024, "deep cons string rebuilt by DevTools"),
        ("node", lambda n: n["type"] == "sliced string", "a sliced string"),
        ("node", lambda n: n["type"] == "string" and n["name"].startswith("line1\nline2"), "string with newlines"),
        ("node", lambda n: n["type"] == "string" and "\u6f22\u5b57" in n["name"], "two-byte CJK string"),
    ],
    "values": [
        ("row", "(symbol)", 30),
        ("row", "(bigint)", 20),
        ("row", "(number)", 40),
        ("row", "RegExp", 20),
        ("row", "Date", 10),
        ("row", "ValueBox", 40),
        ("row", "CustomError", 1),
        ("row", "AggregateError", 1),
        ("row", "Promise", 3),
        ("row", "Arguments", 1),
        ("row", "{<symbol plain-description>, tag}", 12),
        ("node", lambda n: n["type"] == "regexp" and n["name"] == "(?<year>\\d{4})-(?<month>\\d{2})", "named-group regexp"),
    ],
    "shapes": [
        ("row", "{a, b}", 340),
        ("row", "{a, b, c}", 120),
        ("row", "{a, b, c, d}", 60),
        ("row", "{x, y, z}", 80),
        ("row_any", ("{np, other}", "{other, np}"), 30),  # dictionary mode: edge order follows the hash seed
        ("row", "{made}", 10),
        ("row", "{p}", 6),
        ("row_prefix", '{"a,b", "\\"q\\"", "\'s\'", "{br}", "}{", sp ace, ok}', 8),
        ("row_prefix", "{rather_long_property_name_number_0, ", 10),
        ("row", "MyArray", 1),
        ("node", lambda n: n["name"] == "{a, b, x}" and n["class"] == "{a, b}", "rare superset shape classed as {a, b}"),
    ],
    "graph": [
        ("row", "ListNode", 5000),
        ("row", "TreeNode", 1000),
        ("row", "CycleNode", 1003),
        ("row", "Diamond", 50),
        ("row", "WeakOnly", 25),
        ("row", "Shared", 1),
        ("node", lambda n: n["class"] == "ListNode" and 5000 <= n["distance"] < BASE_SYSTEM_DISTANCE,
         "ListNode at distance >= 5000 (deep list)"),
        ("node", lambda n: n["class"] == "WeakOnly" and n["distance"] >= BASE_SYSTEM_DISTANCE,
         "WeakOnly object reachable only via system roots"),
    ],
    "vm_contexts": [
        ("rows", "Widget", 4),  # three sandboxes + another script/context
        ("row", "HostThing", 3),
        ("row", "{v}", 900),
        ("row", "{part}", 90),
        ("node", lambda n: n["class"] == "{secretPayload}" or n["name"] == "{secretPayload}", "object of a new context"),
    ],
    "expose_internals": [
        ("row", "Account", 40),
        ("row", "SavingsAccount", 20),
        ("row", "{x, y}", 200),
        ("row", "{next, i}", 500),
        ("row", "{cachedFor, blob}", 20),
        ("all_nodes", lambda n: n["distance"] < BASE_SYSTEM_DISTANCE,
         "no 'system' (>= 1e8) distances: the snapshot has no user roots"),
    ],
    "weak_only": [
        ("row", "OnlyWeak", 12),
        ("row", "OnlyWeakCycle", 2),
        ("row", "StrongHolder", 4),
        ("node", lambda n: n["class"] == "OnlyWeak" and n["distance"] == -5 and n["dominator"] == 1,
         "OnlyWeak object that is unreachable (-5) and an orphan dominated by the root"),
        ("node", lambda n: n["class"] == "OnlyWeakCycle" and n["distance"] == -5 and n["dominator"] == 1,
         "member of the weakly-held 2-cycle, dominated by the root"),
        ("node", lambda n: n["class"] == "{only, list}" and n["distance"] == -5 and n["dominator"] != 1,
         "payload reachable only through a weakly-held object"),
    ],
    "large": [
        ("min_nodes", 200_000),
        ("row", "Record", 80_000),
        ("row", "Category", 50),
        ("row", "{id, label}", 20_000),
    ],
}


@pytest.fixture(scope="module", params=scenario_names())
def scenario(request) -> str:
    # Module-scoped parametrization makes pytest run all tests of one scenario together,
    # so only one DevTools dump is held in memory at a time.
    return request.param


@pytest.fixture(scope="module")
def snapshot_path(scenario, parity_snapshots):
    return parity_snapshots[scenario]


@pytest.fixture(scope="module")
def devtools(snapshot_path, toolkit_dir) -> dict:
    """DevTools' dump for this scenario's snapshot, computed once and shared by the tests."""
    return run_devtools_dump(toolkit_dir, snapshot_path)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _short(value, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _heaptui_failure(proc, what: str) -> str:
    return (
        f"`python -m heaptui {what}` exited with {proc.returncode}\n"
        f"stderr (tail):\n{proc.stderr[-3000:]}\nstdout (head):\n{proc.stdout[:1000]}"
    )


def _run_heaptui_ok(*args):
    proc = run_heaptui(*args)
    if proc.returncode != 0:
        pytest.fail(_heaptui_failure(proc, " ".join(map(str, args))), pytrace=False)
    return proc


def _parse_node_lines(stdout: str) -> list[dict]:
    nodes = []
    # split on "\n" only: str.splitlines() would also split inside names containing U+2028 etc.
    for lineno, line in enumerate(stdout.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            pytest.fail(f"heaptui nodes: line {lineno} is not JSON ({exc}): {line[:200]!r}", pytrace=False)
        if not isinstance(obj, dict):
            pytest.fail(f"heaptui nodes: line {lineno} is not a JSON object: {line[:200]!r}", pytrace=False)
        nodes.append(obj)
    return nodes


def _flatten(obj, prefix=""):
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: obj}


# --------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------
def test_all_scenarios_have_expectations():
    missing = sorted(set(scenario_names()) - set(EXPECTED))
    assert not missing, f"add sanity expectations to EXPECTED for scenario(s): {missing}"


def test_scenario_created_objects(scenario, devtools):
    """The scenario's snapshot contains what the scenario meant to create."""
    checks = EXPECTED.get(scenario)
    assert checks, f"no expectations for scenario {scenario!r} in EXPECTED"
    rows = devtools["summary"]
    nodes = devtools["nodes"]
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(row["name"], []).append(row)
    problems = []
    for check in checks:
        kind = check[0]
        if kind == "row":
            _, name, min_count = check
            got = sum(r["count"] for r in by_name.get(name, []))
            if got < min_count:
                problems.append(f"Summary row {name!r}: count {got} < expected {min_count}")
        elif kind == "rows":
            _, name, n = check
            got = len(by_name.get(name, []))
            if got < n:
                keys = [r["key"] for r in by_name.get(name, [])]
                problems.append(f"expected >= {n} distinct Summary rows named {name!r}, got {got}: {keys}")
        elif kind == "row_prefix":
            _, prefix, min_count = check
            got = sum(r["count"] for r in rows if r["name"].startswith(prefix))
            if got < min_count:
                problems.append(f"Summary rows starting with {prefix!r}: count {got} < expected {min_count}")
        elif kind == "row_any":
            _, names, min_count = check
            got = sum(r["count"] for name in names for r in by_name.get(name, []))
            if got < min_count:
                problems.append(f"Summary rows named any of {names!r}: count {got} < expected {min_count}")
        elif kind == "node":
            _, predicate, what = check
            if not any(predicate(n) for n in nodes):
                problems.append(f"no node found: {what}")
        elif kind == "all_nodes":
            _, predicate, what = check
            bad = [n for n in nodes if not predicate(n)]
            if bad:
                problems.append(f"{len(bad)} node(s) violate: {what}; first: {_short(bad[0], 300)}")
        elif kind == "min_nodes":
            if len(nodes) < check[1]:
                problems.append(f"snapshot has {len(nodes)} nodes, expected >= {check[1]}")
        else:  # pragma: no cover - typo in EXPECTED
            problems.append(f"unknown check kind {kind!r}")
    if problems:
        pytest.fail(
            f"scenario {scenario!r} did not produce what it should:\n  " + "\n  ".join(problems), pytrace=False
        )


def test_nodes(snapshot_path, devtools):
    proc = _run_heaptui_ok("nodes", str(snapshot_path), "--no-cache")
    ours = _parse_node_lines(proc.stdout)
    theirs = devtools["nodes"]

    problems = []
    bad_keys = [(i, sorted(n)) for i, n in enumerate(ours) if set(n) != set(NODE_FIELDS)]
    if bad_keys:
        first = "; ".join(f"ordinal {i}: {keys}" for i, keys in bad_keys[:3])
        problems.append(f"{len(bad_keys)} line(s) do not have exactly the keys {list(NODE_FIELDS)}: {first}")
    if len(ours) != len(theirs):
        problems.append(f"node count: heaptui {len(ours)} != DevTools {len(theirs)}")
        our_ids = {n.get("id") for n in ours}
        their_ids = {n["id"] for n in theirs}
        only_theirs = sorted(their_ids - our_ids)[:MAX_SHOWN]
        only_ours = sorted((i for i in our_ids - their_ids if isinstance(i, int)), key=int)[:MAX_SHOWN]
        if only_theirs:
            problems.append(f"  ids only in DevTools (first {len(only_theirs)}): {only_theirs}")
        if only_ours:
            problems.append(f"  ids only in heaptui (first {len(only_ours)}): {only_ours}")

    per_field = Counter()
    examples = []
    mismatching = 0
    for ordinal, (mine, ref) in enumerate(zip(ours, theirs)):
        diffs = [f for f in NODE_FIELDS if mine.get(f) != ref[f]]
        if not diffs:
            continue
        mismatching += 1
        per_field.update(diffs)
        if len(examples) < MAX_SHOWN:
            detail = ", ".join(f"{f}: heaptui={_short(mine.get(f))} devtools={_short(ref[f])}" for f in diffs)
            examples.append(
                f"  ordinal {ordinal} @{ref['id']} {ref['type']} {_short(ref['name'], 60)}: {detail}"
            )
    if mismatching:
        counts = ", ".join(f"{f}={per_field[f]}" for f in NODE_FIELDS if per_field[f])
        problems.append(
            f"{mismatching} of {min(len(ours), len(theirs))} nodes differ; mismatches per field: {counts}\n"
            f"first {len(examples)} mismatching nodes:\n" + "\n".join(examples)
        )
    if problems:
        pytest.fail("heaptui nodes != DevTools:\n" + "\n".join(problems), pytrace=False)


def _row_tuple(row) -> tuple:
    return tuple(row.get(f) for f in SUMMARY_FIELDS)


def _format_rows(title: str, rows: Counter) -> list[str]:
    if not rows:
        return []
    ordered = sorted(rows.elements(), key=lambda t: (-(t[4] or 0), str(t[0])))
    lines = [f"{title} ({sum(rows.values())}):"]
    for name, count, distance, self_size, retained in ordered[:20]:
        lines.append(
            f"  {_short(name, 80)}  count={count} distance={distance} self={self_size} retained={retained}"
        )
    if len(ordered) > 20:
        lines.append(f"  ... and {len(ordered) - 20} more")
    return lines


def test_summary(snapshot_path, devtools):
    proc = _run_heaptui_ok("summary", str(snapshot_path), "--json", "--no-cache")
    try:
        ours = json.loads(proc.stdout)
    except ValueError as exc:
        pytest.fail(f"heaptui summary --json printed invalid JSON: {exc}; head: {proc.stdout[:300]!r}", pytrace=False)
    if not isinstance(ours, list):
        pytest.fail(f"heaptui summary --json must print a JSON array, got {type(ours).__name__}", pytrace=False)
    bad = [r for r in ours if not isinstance(r, dict) or not set(SUMMARY_FIELDS) <= set(r)]
    if bad:
        pytest.fail(
            f"{len(bad)} summary row(s) lack keys {list(SUMMARY_FIELDS)}; first: {_short(bad[0], 300)}", pytrace=False
        )

    mine = Counter(_row_tuple(r) for r in ours)
    ref = Counter(_row_tuple(r) for r in devtools["summary"])
    only_ref = ref - mine
    only_mine = mine - ref
    if not only_ref and not only_mine:
        return
    lines = [
        f"summary rows differ: heaptui has {len(ours)} rows, DevTools {len(devtools['summary'])}; "
        f"{sum(only_ref.values())} DevTools row(s) unmatched, {sum(only_mine.values())} heaptui row(s) unmatched"
    ]
    lines += _format_rows("only in DevTools", only_ref)
    lines += _format_rows("only in heaptui", only_mine)
    # Pair up unmatched rows by class name to show which fields differ.
    theirs_by_name: dict = {}
    for t in only_ref.elements():
        theirs_by_name.setdefault(t[0], []).append(t)
    paired = []
    for t in only_mine.elements():
        if theirs_by_name.get(t[0]):
            r = theirs_by_name[t[0]].pop(0)
            diffs = [f"{f}: heaptui={a} devtools={b}" for f, a, b in zip(SUMMARY_FIELDS[1:], t[1:], r[1:]) if a != b]
            paired.append(f"  {_short(t[0], 80)}: " + ", ".join(diffs))
    if paired:
        lines.append(f"same-name rows that differ ({len(paired)}; first {MAX_SHOWN}):")
        lines += paired[:MAX_SHOWN]
    pytest.fail("\n".join(lines), pytrace=False)


def test_stats(snapshot_path, devtools):
    proc = _run_heaptui_ok("stats", str(snapshot_path), "--json", "--no-cache")
    try:
        ours = json.loads(proc.stdout)
    except ValueError as exc:
        pytest.fail(f"heaptui stats --json printed invalid JSON: {exc}; head: {proc.stdout[:300]!r}", pytrace=False)
    ref = devtools["statistics"]
    if ours == ref:
        return
    a, b = _flatten(ours), _flatten(ref)
    diffs = [
        f"  {key}: heaptui={a.get(key, '<missing>')} devtools={b.get(key, '<missing>')}"
        for key in sorted(set(a) | set(b))
        if a.get(key, object()) != b.get(key, object())
    ]
    pytest.fail("heaptui stats != DevTools getStatistics():\n" + "\n".join(diffs), pytrace=False)
