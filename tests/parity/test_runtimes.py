"""Snapshots written by Bun and Deno, the runtimes installed from npm at pinned versions (conftest).

Their single snapshots join every parity test as the scenarios bun_service and deno_service (nodes,
class rows, statistics, filters, ignored retainers: equal to DevTools' own code). Here: what only a
series shows, and the terminal UI on both.

- Deno is V8: its object ids are kept between snapshots of one process, so a comparison is DevTools'.
- Bun (JavaScriptCore writing V8's format) numbers the objects of every snapshot afresh: its ids name
  nothing across snapshots, and every comparison refuses, saying so, where DevTools would show every
  object as deleted and new again.
"""
from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from conftest import run_heaptui, runtime_command, runtime_env

HERE = Path(__file__).parent
SERIES = HERE / "runtimes" / "series.cjs"
DIFF = HERE / "devtools_diff.mjs"


@pytest.fixture(scope="module", params=["bun", "deno"])
def series(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"{request.param}-series")
    proc = subprocess.run([*runtime_command(request.param), str(SERIES), str(out)], capture_output=True,
                          text=True, timeout=300, env=runtime_env(), cwd=out)
    assert proc.returncode == 0, proc.stderr
    return request.param, [out / f"{name}.heapsnapshot" for name in "abc"]


def test_a_deno_comparison_equals_devtools_and_bun_refuses(series, toolkit_dir):
    runtime, (a, b, _c) = series
    proc = run_heaptui("diff", a, b, "--json", "--no-cache")
    if runtime == "bun":
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.count("\n") == 1 and "numbers every snapshot afresh" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    dump = subprocess.run(["node", str(DIFF), str(a), str(b)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir)))
    assert dump.returncode == 0, dump.stderr
    keys = ("name", "new_count", "deleted_count", "count_delta", "alloc_size", "freed_size", "size_delta")
    ours = Counter(tuple(r[k] for k in keys) for r in json.loads(proc.stdout))
    theirs = Counter(tuple(r[k] for k in keys) for r in json.loads(dump.stdout)["rows"])
    assert ours == theirs, {"only heaptui": list((ours - theirs).elements())[:5],
                            "only DevTools": list((theirs - ours).elements())[:5]}
    items = [r for r in json.loads(proc.stdout) if r["name"] == "Item"]
    assert items and items[0]["new_count"] == 1000


def test_a_hunt_over_the_series(series):
    runtime, paths = series
    proc = run_heaptui("hunt", *paths, "--json", "--no-cache")
    if runtime == "bun":
        assert proc.returncode == 2 and "numbers every snapshot afresh" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    top = json.loads(proc.stdout)["suspects"][0]
    assert top["count"] >= 1000 and any(c["name"] == "Item" for c in top["classes"])


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_the_app_opens_both(series, size):
    from heaptui.tui.app import HeapApp
    from heaptui.tui.table import TreeTable
    from pilot import exploring, wait_for
    runtime, paths = series
    app = HeapApp([str(paths[-1])])
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: exploring(app), timeout=300)
        snap = app.screen.snap
        table = app.screen.query_one("#summary", TreeTable)
        await wait_for(pilot, lambda: bool(table.table_rows))
        item = next(r for r in snap.classes() if r.name == "Item")
        assert item.count == 2000  # c was written after two rounds of 1,000
        await pilot.press("slash", *"Item", "enter")  # the Summary's class filter
        await wait_for(pilot, lambda: [r.payload.name for r in table.table_rows] == ["Item"])
        await pilot.press("enter", "down")  # expand, first instance: its retainers fill the pane
        retainers = app.screen.query_one("#retainers", TreeTable)
        await wait_for(pilot, lambda: bool(retainers.table_rows))
