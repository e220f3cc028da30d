"""The terminal UI, driven headlessly with Textual's Pilot; assertions are on widget state."""
import os
import re
import signal
import subprocess
import time

import pytest

from heaptui.demo import demo_paths
from heaptui.tui.app import HeapApp
from heaptui.tui.screens import (CaptureScreen, CompareScreen, ContainmentScreen, ExploreScreen,
                                 HelpScreen, StatisticsScreen)
from heaptui.tui.table import TreeTable
from pilot import exploring, open_demo, showing, wait_for




def summary(app):
    return app.screen.query_one("#summary", TreeTable)




@pytest.fixture
def demo():
    return demo_paths()


async def test_load_sort_filter_expand(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo(pilot, app)
        table = summary(app)
        rows = table.table_rows
        assert [r.kind for r in rows[:3]] == ["class"] * 3
        retained = [r.payload.retained_size for r in rows]
        assert retained == sorted(retained, reverse=True)  # biggest by retained size first
        assert len(app.loaded) == 2

        await pilot.press("s")  # next sort column: name
        assert screen.model.sort_key == "name"
        names = [r.payload.name for r in table.table_rows]
        assert names == sorted(names)
        await pilot.press("r")
        assert [r.payload.name for r in table.table_rows] == sorted(names, reverse=True)
        for _ in range(4):  # back round to retained
            await pilot.press("s")
        assert screen.model.sort_key == "retained"

        await pilot.press("slash", *"session")
        await pilot.pause()
        assert [r.payload.name for r in table.table_rows] == ["Session"]
        await pilot.press("enter")  # leave the filter box
        await pilot.press("enter")  # expand the class
        await pilot.pause()
        rows = table.table_rows
        assert rows[0].expanded and rows[1].kind == "instance"
        assert len(rows) == 1 + 100 + 1 and rows[-1].kind == "more"
        assert "3,100 more" in rows[-1].cells[0]
        sizes = [int(screen.snap.heap.retained[r.node]) for r in rows[1:-1]]
        assert sizes == sorted(sizes, reverse=True)
        table.select_index(len(rows) - 1)
        await pilot.press("enter")  # the next page
        assert len(table.table_rows) == 1 + 200 + 1
        table.select_index(1)
        await pilot.press("right")  # an instance expands into its edges
        await pilot.pause()
        assert table.table_rows[2].kind == "edge" and table.table_rows[2].depth == 2


async def test_retainers_show_the_shortest_path(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo(pilot, app)
        await pilot.press("slash", *"Session", "enter", "enter", "down")
        await pilot.pause()
        row = summary(app).current
        assert row.kind == "instance"
        retainers = screen.query_one("#retainers", TreeTable)
        rows = retainers.table_rows
        assert rows and all(r.payload.edge.type != "weak" for r in rows if r.kind == "edge")
        opened = [r for r in rows if r.expanded]
        assert len(opened) >= 3  # the first retainer chain opened by itself
        dist = screen.snap.heap.distance
        chain = [int(dist[r.node]) for r in opened]
        assert chain == sorted(chain, reverse=True)  # walking towards a root
        path = screen.snap.retaining_path(row.node)
        assert int(dist[path[0].target]) == 1  # and a root is reachable
        detail = screen.detail.text
        assert "Session" in detail and "retained" in detail


async def test_jump_to_id_and_history(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo(pilot, app)
        snap = screen.snap
        rows = snap.classes()
        target_row = next(r for r in rows if r.name == "Order")
        page, _ = snap.instances(target_row.index, offset=150, limit=1)
        v = page[0]
        node_id = int(snap.heap.node_id[v])
        await pilot.press("g", "backspace", *f"@{node_id}", "enter")
        await pilot.pause()
        table = summary(app)
        assert table.current.node == v  # revealed in its class, on the right page
        assert screen.focus_node == v
        first = v
        await pilot.press("down")
        await pilot.pause()
        assert screen.focus_node != first
        await pilot.press("left_square_bracket")
        assert screen.focus_node == first
        await pilot.press("right_square_bracket")
        assert screen.focus_node != first
        await pilot.press("g", "backspace", *"@999999999", "enter")
        await pilot.pause()
        assert any("no object" in n.message for n in app._notifications)


async def test_comparison(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_demo(pilot, app)
        await pilot.press("c")
        await wait_for(pilot, lambda: showing(app, CompareScreen))
        screen = app.screen
        table = screen.query_one("#diff", TreeTable)
        rows = table.table_rows
        names = [r.payload.name for r in rows]
        assert "Session" in names and "Order" in names
        session = next(r for r in rows if r.payload.name == "Session")
        assert session.payload.new_count == 3000 and session.payload.deleted_count == 0
        allocs = [r.payload.alloc_size for r in rows]
        assert allocs == sorted(allocs, reverse=True)
        table.select_index(rows.index(session))
        await pilot.press("enter", "down")
        await pilot.pause()
        row = table.current
        assert row.kind == "instance" and row.style == "new"
        retainers = screen.query_one("#retainers", TreeTable)
        assert retainers.table_rows  # the retainers panel works on added instances
        await pilot.press("escape")
        assert isinstance(app.screen, ExploreScreen)


async def test_statistics_containment_help_quit(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_demo(pilot, app)
        await pilot.press("t")
        assert isinstance(app.screen, StatisticsScreen)
        text = str(app.screen.query_one("#statistics").render())
        assert "Strings" in text and "Total" in text
        await pilot.press("escape", "o")
        assert isinstance(app.screen, ContainmentScreen)
        table = app.screen.query_one(TreeTable)
        assert table.table_rows and all(r.kind == "edge" for r in table.table_rows if r.kind != "more")
        await pilot.press("enter")
        assert table.table_rows[0].expanded
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("q")
    assert app.return_code == 0 or app.return_code is None


async def test_mouse_click_selects_and_sorts(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo(pilot, app)
        table = summary(app)
        await pilot.pause()
        await pilot.click("#summary", offset=(5, 3))
        assert table.cursor == 3
        await pilot.click("#summary-header", offset=(2, 0))  # the Constructor title sorts by name
        assert screen.model.sort_key == "name"


APP = "class CaptureMarker { constructor(i) { this.i = i; } }\n" \
      "globalThis.m = Array.from({length: 777}, (_, i) => new CaptureMarker(i));\n" \
      "setInterval(() => {}, 1000); console.log('ready');\n"


async def test_capture_pane_with_a_live_process(tmp_path, monkeypatch):
    script = tmp_path / "app.js"
    script.write_text(APP)
    node = subprocess.Popen(["node", "--inspect-port=0", str(script)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert b"ready" in node.stdout.readline()
        monkeypatch.chdir(tmp_path)  # captures land in the current directory, as Node's do
        app = HeapApp([])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, CaptureScreen)
                           and node.pid in getattr(app.screen, "pids", ()), timeout=300)
            screen = app.screen
            screen.query_one("#processes").move_cursor(row=screen.pids.index(node.pid))
            await pilot.press("c")
            await wait_for(pilot, lambda: app.captured, timeout=300)
            _pid, path = app.captured[0]
            assert re.match(rf".*/Heap\.\d{{8}}\.\d{{6}}\.{node.pid}\.0\.001\.heapsnapshot$", path)
            # The capture opened the inspector: after r, the row says where the memory is.
            table = screen.query_one("#processes")
            await pilot.press("r")
            await wait_for(pilot, lambda: str(node.pid) in table.rows
                           and " / " in str(table.get_cell(str(node.pid), "heap")), timeout=300)
            rss = str(table.get_cell(str(node.pid), "rss"))
            off_heap = str(table.get_cell(str(node.pid), "outside"))
            assert rss.endswith("MB") and off_heap.endswith("MB"), (rss, off_heap)
            screen.query_one("#processes").move_cursor(row=screen.pids.index(node.pid))
            await pilot.press("o")
            await wait_for(pilot, lambda: exploring(app))
            names = {r.payload.name: r.payload.count for r in summary(app).table_rows}
            assert names["CaptureMarker"] == 777
    finally:
        os.killpg(node.pid, signal.SIGKILL)
        node.wait()


async def test_loading_can_be_cancelled(monkeypatch, demo):
    """Esc during a long load: the worker stops at its next progress report, nothing is opened."""
    import heaptui.tui.screens as screens

    def slow_open(path, progress=None, **kw):  # reports progress the way open_snapshot does
        for i in range(600):
            progress("nodes", i, 600)
            time.sleep(0.05)
        raise AssertionError("the load was not cancelled")

    monkeypatch.setattr(screens, "open_snapshot", slow_open)
    app = HeapApp([demo[0]])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, screens.LoadingScreen), timeout=10)
        await pilot.pause(0.3)
        assert "nodes" in str(app.screen.query_one("#loading-phase").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CaptureScreen), timeout=10)
        assert not app.loaded
        # the worker says so at its next progress report, which may come after the screen went
        await wait_for(pilot, lambda: any("cancelled" in n.message for n in app._notifications), timeout=30)


async def test_guided_leak_hunt(tmp_path, monkeypatch):
    """The hunt screen against a service that leaks a listener per request: baseline, two rounds
    of exercise run for the user, analysis, and the suspect opened in the Summary."""
    from heaptui.tui.screens import HuntScreen
    here = os.path.dirname(os.path.abspath(__file__))
    service = subprocess.Popen(["node", "--inspect=127.0.0.1:0", os.path.join(here, "hunt", "service.js"),
                                "listeners"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               start_new_session=True, text=True)
    try:
        port = int(service.stdout.readline())
        load = f"node {os.path.join(here, 'hunt', 'load.js')} {port}"
        subprocess.run(f"{load} 30", shell=True, check=True, timeout=60)  # warm-up
        monkeypatch.chdir(tmp_path)
        app = HeapApp([])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: showing(app, CaptureScreen))
            screen = HuntScreen(service.pid)
            app.push_screen(screen)
            await pilot.pause()
            await pilot.press("b")
            await wait_for(pilot, lambda: len(screen.paths) == 1 and not screen.busy)
            screen.query_one("#exercise").value = f"{load} 40"
            for n in (2, 3):
                await pilot.press("n")
                await wait_for(pilot, lambda: len(screen.paths) == n and not screen.busy)
            await pilot.press("a")
            await wait_for(pilot, lambda: screen.final is not None and not screen.busy, timeout=120)
            table = screen.query_one("#suspects", TreeTable)
            suspects = [r.payload for r in table.table_rows]
            found = next(i for i, s in enumerate(suspects[:3])
                         if "RequestContext" in [name for name, _n, _b in s.classes])
            assert "EventEmitter._events" in suspects[found].edge
            table.select_index(found)
            await pilot.press("enter")  # what arrives, the holder and its path
            texts = " ".join(r.cells[0] for r in table.table_rows if r.kind == "info")
            assert "RequestContext" in texts
            table.select_index(found)
            await pilot.press("o")
            await wait_for(pilot, lambda: exploring(app))
            explore = app.screen
            example = suspects[found].example
            await wait_for(pilot, lambda: explore.summary.current is not None
                           and explore.summary.current.node == example)
            await pilot.pause()
            # The detail describes the object opened, not its class row.
            assert f"@{int(explore.snap.heap.node_id[example])}" in explore.detail.text.splitlines()[0]
    finally:
        os.killpg(service.pid, signal.SIGKILL)
        service.wait()


async def test_suspects_offered_after_comparing_three_snapshots(tmp_path):
    from heaptui.tui.screens import SuspectsScreen
    script = tmp_path / "grow.js"
    script.write_text("const v8 = require('v8');\n"
                      "class Leaky { constructor(i) { this.i = i; this.data = new Array(50).fill(i); } }\n"
                      "globalThis.kept = [];\n"
                      "for (let r = 0; r < 3; r++) {\n"
                      "  for (let i = 0; i < 500; i++) kept.push(new Leaky(i));\n"
                      "  v8.writeHeapSnapshot(process.argv[2 + r]);\n}\n")
    paths = [str(tmp_path / f"s{i}.heapsnapshot") for i in range(3)]
    subprocess.run(["node", str(script), *paths], check=True, timeout=120)
    app = HeapApp(paths)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_demo(pilot, app)
        await pilot.press("c")
        await wait_for(pilot, lambda: showing(app, CompareScreen))
        await pilot.press("l")
        await wait_for(pilot, lambda: showing(app, SuspectsScreen))
        rows = app.screen.query_one("#suspects", TreeTable).table_rows
        top = rows[0].payload  # what arrived after the first snapshot and stayed, by holder
        assert top.edge == "global.kept" and ("Leaky", 500) in [(name, n) for name, n, _b in top.classes]
        await pilot.press("o")  # the Summary of the last snapshot, on one object that arrived
        await wait_for(pilot, lambda: exploring(app))
        explore = app.screen
        await wait_for(pilot, lambda: explore.summary.current is not None
                       and explore.summary.current.node == top.example)
        await pilot.pause()
        node_id = int(explore.snap.heap.node_id[top.example])
        assert f"@{node_id}" in explore.detail.text.splitlines()[0]  # the object, not its class


# allocateLots is never optimized: inlined into the interval's callback (which TurboFan does after a
# few seconds, sooner or later depending on the machine's load) its allocations would be the caller's.
PROFILE_APP = ("function allocateLots() { const a = []; for (let i = 0; i < 2000; i++) a.push({v: i, w: [i]});"
               " return a; }\n%NeverOptimizeFunction(allocateLots);\nglobalThis.churn = [];\nlet told = false;\n"
               "setInterval(() => { churn.push(allocateLots()); if (churn.length > 50) churn.shift();"
               " if (!told) { told = true; console.log('ready'); } }, 5);\n")


async def test_sampling_from_the_capture_pane_opens_the_profile(tmp_path, monkeypatch):
    from heaptui.tui.screens import ProfileScreen
    from heaptui.tui.models import BottomUpModel, TopDownModel
    script = tmp_path / "alloc.js"
    script.write_text(PROFILE_APP)
    node = subprocess.Popen(["node", "--allow-natives-syntax", "--inspect-port=0", str(script)], cwd=tmp_path,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert b"ready" in node.stdout.readline()
        monkeypatch.chdir(tmp_path)
        app = HeapApp([])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, CaptureScreen)
                           and node.pid in getattr(app.screen, "pids", ()), timeout=300)
            screen = app.screen
            screen.query_one("#processes").move_cursor(row=screen.pids.index(node.pid))
            await pilot.press("s")
            await wait_for(pilot, lambda: screen.sampling is not None)
            await pilot.pause(1.5)
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, ProfileScreen)
                           and app.screen.query("#profile"), timeout=300)
            table = app.screen.query_one("#profile", TreeTable)
            assert isinstance(app.screen.model, BottomUpModel)
            assert table.table_rows[0].payload.frame.function == "allocateLots"
            assert table.table_rows[0].cells[3].endswith("alloc.js:1")
            await pilot.press("v")
            assert isinstance(app.screen.model, TopDownModel)
            await pilot.press("enter")
            assert table.table_rows[0].expanded
            profiles = [f for f in os.listdir(tmp_path) if f.endswith(".heapprofile")]
            assert len(profiles) == 1
    finally:
        os.killpg(node.pid, signal.SIGKILL)
        node.wait()


async def test_summary_filter_allocated_between(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_demo(pilot, app)
        await pilot.press("b")
        rows = {r.payload.name: r.payload.count for r in summary(app).table_rows}
        assert rows["Session"] == 3000  # the leak: all allocated after the baseline
        assert "global" not in rows  # long-lived objects are filtered out
        await pilot.press("enter")
        assert len(summary(app).table_rows) > 1
        await pilot.press("0")
        rows = {r.payload.name: r.payload.count for r in summary(app).table_rows}
        assert rows["Session"] == 3200 and "global" in rows


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_dominators_view_expands_and_reveals_in_the_summary(size):
    """m opens the dominator tree (from the root on a class row); children are biggest first, Enter
    expands, v reveals the object in the Summary with its detail."""
    from heaptui.tui.screens import DominatorsScreen
    app = HeapApp(demo_paths()[:1])
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        explore = app.screen
        await pilot.press("m")
        await wait_for(pilot, lambda: showing(app, DominatorsScreen))
        table = app.screen.query_one("#dominators", TreeTable)
        await wait_for(pilot, lambda: len(table.table_rows) > 1)
        snap = explore.snap
        tops = [r.node for r in table.table_rows if r.kind == "instance"]
        assert tops == snap.dominated(snap.root, len(tops))[0]  # the root's, biggest first
        first = table.table_rows[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: table.table_rows[1].depth == 1)
        assert table.table_rows[1].node in snap.dominated(first.node)[0]
        await pilot.press("down")
        chosen = table.current.node
        await pilot.press("v")
        await wait_for(pilot, lambda: app.screen is explore)
        await wait_for(pilot, lambda: summary(app).current is not None and summary(app).current.node == chosen)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_search_finds_objects_and_reveals_them(size):
    """ctrl+f searches like DevTools' Summary search; the results are the model's, v reveals one."""
    from heaptui.tui.screens import SearchScreen
    app = HeapApp(demo_paths()[:1])
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        explore = app.screen
        await pilot.press("ctrl+f")
        await pilot.press(*"session")
        await pilot.press("enter")
        await wait_for(pilot, lambda: showing(app, SearchScreen))
        screen = app.screen
        assert screen.found == explore.snap.search("session") and len(screen.found) > 100
        table = screen.query_one("#found", TreeTable)
        await wait_for(pilot, lambda: table.current is not None)
        chosen = table.current.node
        await pilot.press("v")
        await wait_for(pilot, lambda: app.screen is explore)
        await wait_for(pilot, lambda: summary(app).current is not None and summary(app).current.node == chosen)


async def test_detail_of_a_function_shows_its_source_and_scopes():
    """A closure's detail: its source line and the variables its scope keeps alive, biggest first."""
    app = HeapApp(demo_paths()[1:])
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        snap = app.screen.snap
        fn = next(v for v in snap.search("remember", case_sensitive=True) if snap.node_type_name(v) == "closure")
        app.screen.jump_to_id(str(int(snap.heap.node_id[fn])))
        detail = app.screen.query_one("ObjectDetail")
        await wait_for(pilot, lambda: "scope 1" in detail.text)
        text = detail.text
        assert "remember(key, body)" in text  # the source line
        assert text.index("bus = ") < text.index("cache = ")  # 1.9 MB before 1.1 MB


async def test_history_lists_visited_objects_most_recent_first():
    from heaptui.tui.screens import SearchScreen
    app = HeapApp(demo_paths()[:1])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        explore = app.screen
        snap = explore.snap
        await pilot.press("h")  # nothing visited yet: a notice, no screen
        await pilot.pause()
        assert app.screen is explore
        first, second = (snap.instances(r.index, limit=1)[0][0] for r in snap.classes()[:2])
        for v in (first, second, first):
            explore.jump_to_id(str(int(snap.heap.node_id[v])))
        await pilot.press("h")
        await wait_for(pilot, lambda: showing(app, SearchScreen))
        assert app.screen.found == [first, second]


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_ignore_this_retainer_recomputes_the_pane_and_x_restores(size):
    """x on a retainer: DevTools' "Ignore this retainer". The pane shows the recomputed view (the
    model's rows, the ignored one marked), the detail's path avoids it; X restores the plain view."""
    app = HeapApp(demo_paths()[:1])
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        screen = app.screen
        snap = screen.snap
        row = next(r for r in snap.classes() if r.name == "Session")
        v = snap.instances(row.index, limit=1)[0][0]
        screen.jump_to_id(str(int(snap.heap.node_id[v])))
        retainers = screen.retainers
        await wait_for(pilot, lambda: retainers.model is not None and retainers.model.node == v
                       and len(retainers.table_rows) > 0)
        if size[0] < 120:
            assert not screen.has_class("other-pane")  # the Retainers pane is the one shown
        retainers.focus()
        retainers.cursor = 0
        await pilot.pause()
        first = retainers.current.node
        before = snap.retainers_view().distances()
        await pilot.press("x")
        await wait_for(pilot, lambda: retainers.model.view.ignored == {first}
                       and retainers.model.node == v and retainers.table_rows)
        view = snap.retainers_view([first])
        assert (view.distances() != before).any()  # ignoring it changed distances
        shown = [(r.node, r.cells[1]) for r in retainers.table_rows if r.depth == 0 and r.node is not None]
        expected = [(r.edge.source, "ignored" if r.node_ignored or r.edge_ignored else
                     (str(r.distance) if r.distance < 100000000 else "\u2212")) for r in view.rows(v, limit=100)]
        assert shown == expected
        assert (first, "ignored") in shown
        assert "1 ignored" in str(screen.retainers_title.render())
        text = screen.detail.text
        assert "avoiding 1 ignored" in text or "without the ignored retainers" in text
        await pilot.press("X")
        await wait_for(pilot, lambda: not retainers.model.view.ignored and retainers.table_rows)
        assert "ignored" not in [r.cells[1] for r in retainers.table_rows if r.node is not None]


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_realms_list_and_filter_the_summary(size, parity_snapshots):
    """n lists the realms (the vm_contexts scenario has six); Enter on one filters the Summary to its
    objects, with the same rows as the model's mask; 0 shows all again."""
    from heaptui.tui.screens import ContextsScreen
    path = str(parity_snapshots["vm_contexts"])
    app = HeapApp([path])
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        explore = app.screen
        snap = explore.snap
        await pilot.press("n")
        await wait_for(pilot, lambda: showing(app, ContextsScreen))
        box = app.screen.query_one("#contexts")
        assert box.option_count == len(snap.native_contexts()) == 8
        assert app.screen.query_one("#contexts-box").region.right <= size[0]
        await pilot.press("enter")  # the biggest realm
        await wait_for(pilot, lambda: app.screen is explore and explore.model.mask is not None)
        chosen = snap.native_contexts()[0]
        expected = {r.name: r.count for r in snap.classes(mask=snap.context_mask(chosen.key))}
        await wait_for(pilot, lambda: {r.payload.name: r.payload.count for r in summary(app).table_rows
                                       if r.kind == "class"} == expected)
        assert "realm " + chosen.key in str(explore.query_one("#title").render())
        await pilot.press("0")
        await wait_for(pilot, lambda: explore.model.mask is None)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_f_steps_through_devtools_named_filters(size):
    """f: each of DevTools' named filters in turn, the Summary showing the model's rows for it and the
    title naming it; 0 shows all objects again."""
    from heaptui.snapshot.filter_names import LABELS
    app = HeapApp(demo_paths()[1:])
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: exploring(app))
        screen = app.screen
        snap = screen.snap
        table = screen.query_one("#summary", TreeTable)
        title = screen.query_one("#title")
        for name, label in LABELS.items():
            await pilot.press("f")
            want = sorted(r.name for r in snap.classes(mask=snap.filter_mask(name)))
            await wait_for(pilot, lambda: label in str(title.render())
                           and sorted(r.payload.name for r in table.table_rows) == want)
        await pilot.press("0")
        await wait_for(pilot, lambda: len(table.table_rows) == len(snap.classes()))
