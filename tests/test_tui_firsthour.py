"""Issue #9, "a newcomer's first hour", on the app's side: the ansi theme, keys that terminal
multiplexers keep, the detail pane and history after jumps, the layout at 80x24 and wider, exit
statuses, and a race when a snapshot opens from the capture pane. Driven with Pilot; assertions are
on state, waits are on conditions."""
import inspect
import threading

import pytest
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList

import heaptui.tui.screens as screens
from heaptui.demo import demo_paths
from heaptui.tui.app import HeapApp
from heaptui.tui.screens import (CaptureScreen, CompareScreen, ExploreScreen, HelpScreen, HuntScreen,
                                 ObjectDetail)
from heaptui.tui.table import TreeTable
from pilot import open_demo, showing, wait_for






@pytest.fixture
def demo():
    return demo_paths()


@pytest.fixture
def no_processes(monkeypatch):
    """The capture pane lists no process: no test here may touch a real Node process."""
    import heaptui.inspector as inspector
    monkeypatch.setattr(inspector, "node_processes", lambda: [])


def node_id(screen, v):
    return int(screen.snap.heap.node_id[v])


def describes(screen, v):
    """The detail pane's first line names object v."""
    lines = screen.detail.text.splitlines()
    return bool(lines) and f"@{node_id(screen, v)}" in lines[0]


async def goto(pilot, screen, v):
    """Jumps to object v with `g` and waits until the Summary's cursor is on it."""
    await pilot.press("g", "backspace", *f"@{node_id(screen, v)}", "enter")
    await wait_for(pilot, lambda: screen.summary.current.node == v)


def an_instance(snap, cls, offset=0):
    row = next(r for r in snap.classes() if r.name == cls)
    page, _ = snap.instances(row.index, offset=offset, limit=1)
    return page[0]


# -- 3. the ansi theme -------------------------------------------------------------------------------
async def test_ansi_theme_mounts_and_renders(demo):
    app = HeapApp(demo, ansi=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_demo(pilot, app)
        assert app.theme == "ansi-dark" and app.current_theme.ansi
        assert "Constructor" in app.export_screenshot()
        assert app._exception is None


# -- 4. no key that tmux or GNU screen keeps -----------------------------------------------------------
def all_bindings():
    """(class, Binding) for the app, every screen heaptui defines and its table widget, with what they
    inherit (Textual's own App and Screen bindings included)."""
    classes = [HeapApp, TreeTable] + [c for _n, c in inspect.getmembers(screens, inspect.isclass)
                                      if issubclass(c, Screen) and c.__module__ == screens.__name__]
    assert HuntScreen in classes and ExploreScreen in classes
    for cls in classes:
        for owner in cls.__mro__:
            for b in owner.__dict__.get("BINDINGS", []):
                binding = b if isinstance(b, Binding) else Binding(*b)
                yield owner, binding


def test_no_binding_uses_a_multiplexer_prefix():
    for owner, binding in all_bindings():
        for key in binding.key.split(","):
            assert key.strip() not in ("ctrl+a", "ctrl+b"), f"{owner.__name__} binds {key}"


def test_heaptui_binds_no_terminal_control_key():
    """ctrl+s/ctrl+q are flow control on many terminals, ctrl+z suspends, ctrl+\\ quits with a core:
    heaptui's own bindings stay off them (ctrl+q is Textual's own quit, left as it is)."""
    reserved = {"ctrl+s", "ctrl+q", "ctrl+z", "ctrl+backslash", "ctrl+a", "ctrl+b"}
    for owner, binding in all_bindings():
        if owner.__module__.startswith("heaptui"):
            for key in binding.key.split(","):
                assert key.strip() not in reserved, f"{owner.__name__} binds {key}"


# -- 5. the detail pane and the history ------------------------------------------------------------------
async def test_goto_id_describes_the_object(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo(pilot, app)
        v = an_instance(screen.snap, "Order", offset=150)
        await goto(pilot, screen, v)
        await pilot.pause()
        assert describes(screen, v), screen.detail.text
        assert screen.focus_node == v


async def test_command_palette_jump_describes_the_object(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo(pilot, app)
        v = an_instance(screen.snap, "Session", offset=120)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press(*f"@{node_id(screen, v)}")
        hits = app.screen.query_one(OptionList)  # the palette searches as it is typed
        await wait_for(pilot, lambda: hits.option_count == 1 and hits.highlighted == 0
                       and "Go to object" in str(hits.get_option_at_index(0).prompt))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.summary.current.node == v)
        await pilot.pause()
        assert describes(screen, v), screen.detail.text


async def test_history_moves_the_summary_cursor(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo(pilot, app)
        table = screen.summary
        first = an_instance(screen.snap, "Order", offset=150)
        second = an_instance(screen.snap, "Session", offset=5)
        for v in (first, second):
            await pilot.press("g", "backspace", *f"@{node_id(screen, v)}", "enter")
            await wait_for(pilot, lambda: table.current.node == v)
        await pilot.press("s")  # a re-sort collapses every class: going back must expand Order again
        await pilot.pause()
        assert all(r.kind == "class" for r in table.table_rows)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: table.current.node == first)
        await pilot.pause()
        assert describes(screen, first) and screen.focus_node == first
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: table.current.node == second)
        await pilot.pause()
        assert describes(screen, second) and screen.focus_node == second


async def test_following_a_retainer_enters_the_history(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo(pilot, app)
        v = an_instance(screen.snap, "Session")
        await goto(pilot, screen, v)
        retainers = screen.retainers
        await wait_for(pilot, lambda: len(retainers.table_rows) > 2)
        retainers.focus()
        await pilot.press("down")
        held_by = retainers.current.node
        await wait_for(pilot, lambda: screen.history[-1] == held_by)
        assert describes(screen, held_by)
        assert retainers.table_rows[0].node != v  # the pane stays on v's retainers
        await pilot.press("left_square_bracket")  # back to v, in the Summary too
        await wait_for(pilot, lambda: screen.summary.current.node == v)
        await pilot.pause()
        assert describes(screen, v)
        await pilot.press("right_square_bracket")  # and forward to the retainer, its class expanded
        await wait_for(pilot, lambda: screen.summary.current.node == held_by)
        await pilot.pause()
        assert describes(screen, held_by) and screen.focus_node == held_by


# -- 6. layout at 80x24, and wider ---------------------------------------------------------------------
def assert_fits(screen):
    """Every widget shown lies within the screen (what scrolls inside a pane: the pane does)."""
    area = screen.region
    for widget in screen.walk_children():
        if any(isinstance(a, ScrollableContainer) for a in widget.ancestors):
            continue
        if widget.display and widget.region.area:
            assert area.contains_region(widget.region), (widget, widget.region, area)


async def test_summary_panes_fit_80x24_and_take_turns(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_demo(pilot, app)
        v = an_instance(screen.snap, "Session")
        await goto(pilot, screen, v)
        await pilot.pause()
        assert_fits(screen)
        retainers = screen.retainers
        assert retainers.region.width == 80 and not screen.detail.region.area  # one pane at a time
        name_width = retainers.column_widths(retainers.content_width)[0]
        assert name_width >= 50  # the Retainers use the width they have
        assert all(len(r.cells[0]) + 2 * r.depth + 2 <= name_width for r in retainers.table_rows[:3])
        await pilot.press("d")  # the detail, at the full width, every line whole
        await pilot.pause()
        detail = screen.detail
        assert detail.region.width == 80 and not retainers.region.area
        assert_fits(screen)
        lines = detail.text.splitlines()
        assert detail.body.size.height == len(lines)  # nothing wrapped
        assert max(len(line) for line in lines) <= detail.body.size.width
        assert not any(line.endswith("\u2026") for line in lines[:6])  # nor cut
        await pilot.press("d")
        await pilot.pause()
        assert retainers.region.width == 80


async def test_summary_panes_side_by_side_when_wide(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_demo(pilot, app)
        v = an_instance(screen.snap, "Session")
        await goto(pilot, screen, v)
        await pilot.pause()
        assert_fits(screen)
        detail, retainers = screen.detail, screen.retainers
        assert detail.region.width >= 44 and retainers.region.width >= 100
        lines = detail.text.splitlines()
        assert detail.body.size.height == len(lines)
        await pilot.press("d")  # hides the detail: the Retainers take the whole width
        await pilot.pause()
        assert not detail.region.area and retainers.region.width == 160


async def test_held_by_shows_the_whole_path(demo, monkeypatch):
    app = HeapApp(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_demo(pilot, app)
        v = an_instance(screen.snap, "Session")
        runs = screen.snap.retaining_path_runs(v)
        assert len(runs) > 6  # longer than the six steps shown before
        await pilot.press("g", "backspace", *f"@{node_id(screen, v)}", "enter")
        await wait_for(pilot, lambda: describes(screen, v))
        lines = screen.detail.text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("held by"))
        steps = lines[start + 1:]
        assert len(steps) == len(runs)
        assert runs[0][0].label in steps[0] and runs[-1][0].label in steps[-1]
        monkeypatch.setattr(ObjectDetail, "PATH_STEPS", 3)  # a path too long to list says so
        screen.detail.show_node(screen.snap, v)
        await pilot.pause()
        lines = screen.detail.text.splitlines()
        earlier = sum(n for _e, n in runs[:-3])
        assert f"({earlier:,} earlier steps not shown)" in screen.detail.text
        assert len(lines) - next(i for i, line in enumerate(lines) if line.startswith("held by")) == 5


async def test_comparison_names_get_the_spare_width(demo):
    for size in ((80, 24), (160, 48)):
        app = HeapApp(demo)
        async with app.run_test(size=size) as pilot:
            await open_demo(pilot, app)
            await pilot.press("c")
            await wait_for(pilot, lambda: showing(app, CompareScreen))
            screen = app.screen
            table = screen.query_one("#diff", TreeTable)
            names = [r.payload.name for r in table.table_rows]
            table.select_index(names.index("Session"))
            await pilot.press("enter", "down")
            await pilot.pause()
            widths = table.column_widths(table.content_width)
            assert sum(widths) + len(widths) <= table.content_width
            label = table.current.cells[0]  # "Session @91467": the id is visible whole
            assert 2 * table.current.depth + 2 + len(label) <= widths[0]
            if size[0] == 80:
                assert widths[0] >= 26
            else:
                assert widths[0] >= 160 - 2 - sum(c.width for c in table.model.columns) - len(widths)
            assert_fits(screen)


async def test_help_fits_and_scrolls_to_its_last_line(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_demo(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: showing(app, HelpScreen))
        await pilot.pause()
        screen = app.screen
        box = screen.query_one("#help-scroll")
        text = screen.query_one("#help")
        assert_fits(screen)
        lines = str(text.render()).splitlines()
        assert text.size.height == len(lines)  # no line wrapped
        assert box.max_scroll_y > 0  # taller than 24 lines: it scrolls
        await pilot.press("end")
        await wait_for(pilot, lambda: box.scroll_y == box.max_scroll_y)
        last = text.region.y + text.region.height - 1 - int(box.scroll_y)
        assert last <= box.content_region.bottom
        assert "ctrl+c" in str(text.render())  # documents how ctrl+c ends the app


async def test_capture_pane_fits_80x24(no_processes):
    app = HeapApp([])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: showing(app, CaptureScreen))
        await pilot.pause()
        screen = app.screen
        assert_fits(screen)
        status = screen.query_one("#capture-status")
        assert "No Node.js processes" in str(status.render()) and status.region.height >= 1
        footer = screen.query_one(Footer)
        keys = [w for w in footer.walk_children() if w.region.area]
        assert keys and all(screen.region.contains_region(w.region) for w in keys)
        shown = " ".join(str(w.render()) for w in keys)
        assert "Quit" in shown and "Help" in shown  # the footer is not cut


# -- 8. exit statuses ------------------------------------------------------------------------------------
async def test_a_crash_ends_with_status_1(demo, monkeypatch):
    def boom(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(ExploreScreen, "action_statistics", boom)
    app = HeapApp(demo)
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=(80, 24)) as pilot:
            await open_demo(pilot, app)
            await pilot.press("t")
            await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 1


async def test_ctrl_c_quits_with_status_130(demo):
    app = HeapApp(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_demo(pilot, app)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 130 and app._exception is None


@pytest.mark.parametrize("content", ["just some notes\n", '{"snapshot": {"meta": {"node_fields": ['])
async def test_a_file_that_does_not_load_ends_the_app_with_status_2(tmp_path, content):
    bad = tmp_path / "bad.heapsnapshot"
    bad.write_text(content)
    app = HeapApp([str(bad)])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 2 and app._exception is None
    assert app.failure.startswith(str(bad)) and "\n" not in app.failure


async def test_a_profile_that_does_not_load_ends_the_app_with_status_2(tmp_path):
    bad = tmp_path / "bad.heapprofile"
    bad.write_text("not json")
    app = HeapApp([str(bad)])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 2 and app.failure and "\n" not in app.failure


async def test_a_bad_file_from_the_capture_pane_keeps_the_app(tmp_path, no_processes):
    bad = tmp_path / "bad.heapsnapshot"
    bad.write_text("just some notes\n")
    app = HeapApp([])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: showing(app, CaptureScreen))
        app.screen.query_one("#captured", OptionList).add_option(str(bad))
        await pilot.press("o")
        await wait_for(pilot, lambda: any("not a heap snapshot" in n.message for n in app._notifications))
        await wait_for(pilot, lambda: showing(app, CaptureScreen))
        assert app.return_code is None and app.failure is None


# -- 11. opening from the capture pane and moving at once ---------------------------------------------------
async def test_open_from_capture_pane_then_move_at_once(demo, no_processes):
    app = HeapApp([])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: showing(app, CaptureScreen))
        app.screen.query_one("#captured", OptionList).add_option(demo[1])
        await pilot.press("o")
        for _ in range(2000):  # keys go in while the snapshot opens and its screen mounts
            if isinstance(app.screen, ExploreScreen):
                break
            await pilot.press("down")
        screen = app.screen
        assert isinstance(screen, ExploreScreen)
        await pilot.press("down", "right", "down", "down", "up", "left_square_bracket")
        await pilot.pause()
        assert app._exception is None and app.return_code is None
        row = screen.summary.current  # and the detail describes the row under the cursor
        first = screen.detail.text.splitlines()[0]
        assert f"@{node_id(screen, row.node)}" in first if row.node is not None else first == row.payload.name


async def test_help_over_a_loading_screen_does_not_strand_it(demo, monkeypatch):
    """The load ends while help is open: help closes with the loading screen, the Summary shows."""
    started, release = [], threading.Event()
    real_open = screens.open_snapshot

    def held_open(path, progress=None, **kw):
        started.append(path)
        release.wait(timeout=120)
        return real_open(path, progress=progress, **kw)

    monkeypatch.setattr(screens, "open_snapshot", held_open)
    app = HeapApp([demo[0]])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: started)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: showing(app, HelpScreen))
        release.set()
        await wait_for(pilot, lambda: showing(app, ExploreScreen))
        assert not any(isinstance(s, (screens.LoadingScreen, HelpScreen)) for s in app.screen_stack)
        assert not isinstance(app.focused, Input)
