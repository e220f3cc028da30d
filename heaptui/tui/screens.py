"""The app's screens: loading, explore (Summary + Retainers + detail), comparison, statistics,
containment, capture, help."""
from __future__ import annotations

import os
import re
import threading
import time

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, OptionList, ProgressBar, Static

from ..format import format_distance, human_size, node_label
from ..snapshot import Cancelled, SnapshotDiff, SnapshotError, open_snapshot
from .models import (BottomUpModel, ComparisonModel, ContainmentModel, RetainersModel, SummaryModel,
                     SuspectsModel, TopDownModel)
from .table import TableHeader, TreeTable

UNREACHABLE_BASE = 200000000


# -- loading -------------------------------------------------------------------------------------------
class LoadingScreen(Screen):
    """Indexes the snapshots in a worker thread (the kernels release the GIL); Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, paths, on_done):
        super().__init__()
        self.paths = list(paths)
        self.on_done = on_done
        self.cancelled = threading.Event()
        self.started = time.monotonic()

    def compose(self):
        with Vertical(id="loading"):
            yield Label("Opening", id="loading-title")
            yield ProgressBar(total=1.0, show_eta=False, id="loading-bar")
            yield Label("", id="loading-phase")
        yield Footer()

    def on_mount(self):
        self.phase, self.eta = "starting", ""
        self.set_interval(0.5, self._tick)  # the clock keeps moving through long phases
        self.load()

    def _tick(self):
        elapsed = time.monotonic() - self.started
        note = "  cancelling\u2026" if self.cancelled.is_set() else "  (Esc cancels)"
        self.query_one("#loading-phase", Label).update(f"{self.phase} \u2014 {elapsed:.1f} s{self.eta}{note}")

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self):
        if not self._compile_kernels():
            return
        done = []
        for i, path in enumerate(self.paths):
            name = os.path.basename(path)
            self.app.call_from_thread(self.query_one("#loading-title", Label).update,
                                      f"Opening {name} ({i + 1} of {len(self.paths)})")
            phase_started = [time.monotonic()]

            def progress(phase, d, total, _start=phase_started):
                if self.cancelled.is_set():
                    raise Cancelled()
                frac = (d / total) if total else 0.0
                elapsed = time.monotonic() - self.started
                self.app.call_from_thread(self._show, phase, frac, elapsed)

            try:
                snap = open_snapshot(path, progress=progress)
            except Cancelled:
                self.app.call_from_thread(self.on_done, None, "cancelled")
                return
            except SnapshotError as e:
                self.app.call_from_thread(self.on_done, None, str(e))
                return
            done.append((path, snap))
            threading.Thread(target=snap.prepare, daemon=True).start()
        self.app.call_from_thread(self.on_done, done, None)

    def _compile_kernels(self):
        """First run only: numba compiles the kernels in two child processes while this screen
        shows progress (the UI keeps its interpreter). False when cancelled or failed."""
        from ..firstrun import COMPILING, CompileError, compile_kernels, needed
        if not needed():
            return True
        self.app.call_from_thread(self.query_one("#loading-title", Label).update, "First run")

        def progress(step, d, total):
            self.app.call_from_thread(self._show, COMPILING, d / total if total else 0.0,
                                      time.monotonic() - self.started)
        try:
            if compile_kernels(progress, cancelled=self.cancelled.is_set):
                return True
            self.app.call_from_thread(self.on_done, None, "cancelled")
        except CompileError as e:
            self.app.call_from_thread(self.on_done, None, str(e))
        return False

    def _show(self, phase, frac, elapsed):
        self.query_one("#loading-bar", ProgressBar).update(progress=frac)
        if phase != self.phase:
            self.phase, self.phase_started, self.eta = phase, elapsed, ""
        if 0.05 < frac < 1 and phase in ("nodes", "edges"):
            spent = elapsed - self.phase_started
            self.eta = f", about {spent / frac * (1 - frac):.0f} s left in this phase"
        self._tick()

    def action_cancel(self):
        self.cancelled.set()


# -- exploring one snapshot --------------------------------------------------------------------------
class ObjectDetail(Static):
    """Everything about one object: identity, sizes, distance, dominators, why it is alive."""

    def show_node(self, snap, v):
        if v is None:
            self.update("")
            return
        h = snap.heap
        info = snap.node(v)
        lines = [f"[b]{_esc(snap.class_name(v))}[/b] @{info.id}  ({info.type})"]
        name = info.name
        if info.type in ("string", "concatenated string", "sliced string"):
            preview = name if len(name) <= 300 else name[:300] + "\u2026"
            lines.append("value: " + _esc(repr(preview)))
        elif name and name != snap.class_name(v):
            lines.append("name: " + _esc(name[:200]))
        lines.append(f"shallow {human_size(info.self_size)} ({info.self_size:,} B)")
        lines.append(f"retained {human_size(info.retained_size)} ({info.retained_size:,} B)")
        lines.append(f"distance {format_distance(info.distance)}")
        loc = h.location_of(v) if hasattr(h, "location_of") else None
        if loc:
            lines.append(f"defined at script {loc[0]}, line {loc[1] + 1}, column {loc[2] + 1}")
        chain = snap.dominator_chain(v)[1:6]
        if chain:
            lines.append("[b]dominators[/b] (freeing one frees this):")
            lines += ["  " + _esc(node_label(snap, d, 40)) for d in chain]
        traces = snap.allocation_traces()
        if traces.available:
            stack = traces.stack(v)
            lines.append("[b]allocated by[/b]:" if stack else "[dim]allocation stack not recorded[/dim]")
            lines += ["  " + _esc(f.label) for f in stack[:8]]
        path = snap.retaining_path(v)
        if path:
            lines.append("[b]held by[/b] (shortest path from a root):")
            for p in path[-6:]:
                lines.append("  " + _esc(f"{node_label(snap, p.source, 30)} {p.label}"))
        elif v != snap.root:
            lines.append("[dim]no strong path from a root (unreachable or weak only)[/dim]")
        self.update("\n".join(lines))

    def show_class(self, row, total):
        self.update("\n".join([
            f"[b]{_esc(row.name)}[/b]",
            f"{row.count:,} objects, distance {format_distance(row.distance)}",
            f"shallow {human_size(row.self_size)} ({row.self_size:,} B)",
            f"retained {human_size(row.retained_size)} ({row.retained_size:,} B)",
            f"{row.retained_size / total * 100 if total else 0:.1f} % of the heap" if total else "",
            "[dim]Enter expands into instances[/dim]"]))


def _esc(text):
    return str(text).replace("[", "\\[")


class SortableTable:
    """Sorting for a screen's main tree-table (`s` next column, `r` reverse, a click on a title).
    The screen names its table in TABLE and keeps its row model in self.model."""

    TABLE = ""

    def on_table_header_sort_requested(self, event):
        if event.header.table.id == self.TABLE:
            self.model.set_sort(event.key)
            self._resort()

    def action_sort(self):
        keys = [c.sort_key for c in self.model.columns]
        i = keys.index(self.model.sort_key) if self.model.sort_key in keys else -1
        key = keys[(i + 1) % len(keys)]
        self.model.set_sort(key, descending=key != "name")
        self._resort()

    def action_reverse(self):
        self.model.set_sort(self.model.sort_key)
        self._resort()

    def _resort(self):
        table = self.query_one("#" + self.TABLE, TreeTable)
        table.reload()
        self.query_one(f"#{self.TABLE}-header", TableHeader).refresh()


class ExploreScreen(SortableTable, Screen):
    TABLE = "summary"
    AUTO_FOCUS = "#summary"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("r", "reverse", "Reverse", show=False),
        Binding("g", "goto", "Go @id"),
        Binding("at", "goto", "Go @id", show=False),
        Binding("left_square_bracket", "back", "Back", show=False),
        Binding("right_square_bracket", "forward", "Forward", show=False),
        Binding("c", "compare", "Compare"),
        Binding("b", "between", "Between", show=False),
        Binding("a", "allocated_by", "Allocated by", show=False),
        Binding("0", "clear_filter", "All objects", show=False),
        Binding("t", "statistics", "Stats"),
        Binding("o", "containment", "Containment", show=False),
        Binding("p", "capture", "Capture"),
        Binding("escape", "close_inputs", "Close", show=False),
    ]

    def __init__(self, path, snap):
        super().__init__()
        self.path, self.snap = path, snap
        self.model = SummaryModel(snap)
        self.history, self.history_at = [], -1
        self.focus_node = None

    def compose(self):
        s = self.snap
        stats = s.statistics()
        yield Static(f"[b]{_esc(os.path.basename(self.path))}[/b]  {s.node_count:,} objects, "
                     f"{human_size(stats.total)}" + ("  (index cache)" if s.from_cache else ""),
                     id="title")
        yield Input(placeholder="filter classes (Esc closes)", id="filter", classes="hidden")
        yield Input(placeholder="object id, e.g. @12345 (Enter goes, Esc closes)", id="goto",
                    classes="hidden")
        yield Input(placeholder="function name: objects it allocated (Enter applies, Esc closes)",
                    id="allocated", classes="hidden")
        table = TreeTable(self.model, id="summary")
        yield TableHeader(table, id="summary-header")
        yield table
        with Horizontal(id="lower"):
            with Vertical(id="retainers-pane"):
                yield Label("Retainers", id="retainers-title")
                rt = TreeTable(RetainersModel(self.snap, None), id="retainers")
                yield TableHeader(rt, id="retainers-header")
                yield rt
            yield ObjectDetail(id="detail")
        yield Footer()

    def on_mount(self):
        self.query_one("#summary", TreeTable).focus()

    # -- reacting to the cursor --------------------------------------------------------------------
    @on(TreeTable.Highlighted, "#summary")
    def summary_moved(self, event):
        row = event.row
        if row.node is not None:
            self.show_object(row.node)
        elif row.kind == "class":
            self.query_one(ObjectDetail).show_class(row.payload, self.snap.statistics().total)

    @on(TreeTable.Highlighted, "#retainers")
    def retainer_moved(self, event):
        if event.row.node is not None and event.table.has_focus:
            self.query_one(ObjectDetail).show_node(self.snap, event.row.node)

    def show_object(self, v, record=True):
        if v == self.focus_node:
            return
        self.focus_node = v
        if record:
            del self.history[self.history_at + 1:]
            self.history.append(v)
            self.history_at = len(self.history) - 1
        self.query_one(ObjectDetail).show_node(self.snap, v)
        self.query_one("#retainers-title", Label).update(
            f"Retainers of {_esc(node_label(self.snap, v, 50))} ({self.snap.retainer_count(v):,})")
        rt = self.query_one("#retainers", TreeTable)
        rt.set_model(RetainersModel(self.snap, v))
        self._expand_shortest(rt)

    def _expand_shortest(self, rt):
        """Like DevTools: open the first retainer repeatedly (20 levels at most) while it is not a
        global; the first retainers are the closest to a root, so this shows one shortest path."""
        index = 0
        for _ in range(20):
            if index >= len(rt.table_rows):
                break
            row = rt.table_rows[index]
            d = int(self.snap.heap.distance[row.node]) if row.node is not None else -1
            if not row.expandable or not 1 < d < UNREACHABLE_BASE:
                break
            rt.expand(index)
            index += 1

    # -- actions -----------------------------------------------------------------------------------
    def action_filter(self):
        box = self.query_one("#filter", Input)
        box.display = True  # an inline style applies at once, so the box can take focus now
        box.focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event):
        self.model.name_filter = event.value
        self.query_one("#summary", TreeTable).reload()

    @on(Input.Submitted, "#filter")
    def filter_done(self, event):
        self.query_one("#summary", TreeTable).focus()

    def action_goto(self):
        box = self.query_one("#goto", Input)
        box.display = True
        box.value = "@"
        box.focus()

    @on(Input.Submitted, "#goto")
    def goto_submitted(self, event):
        self.query_one("#goto", Input).display = False
        self.jump_to_id(event.value)

    def jump_to_id(self, text):
        m = re.fullmatch(r"\s*@?(\d+)\s*", text or "")
        if not m:
            self.notify(f"not an object id: {text!r}", severity="error")
            return False
        v = self.snap.find_id(int(m.group(1)))
        if v is None:
            self.notify(f"no object @{m.group(1)} in this snapshot", severity="error")
            return False
        self.reveal(v)
        return True

    def reveal(self, v):
        """Shows v in the Summary: its class expanded at the page holding it, the cursor on it."""
        table = self.query_one("#summary", TreeTable)
        self.show_object(v)
        if int(self.snap.heap.self_size[v]) == 0:
            table.focus()
            return  # like DevTools, zero-size objects are not listed in the Summary
        self.model.name_filter = ""
        self.query_one("#filter", Input).value = ""
        table.reload()
        class_id = int(self.snap.heap.class_id[v])
        for i, row in enumerate(table.table_rows):
            if row.kind == "class" and row.payload.index == class_id:
                pos = self.model.position_of(row.payload, v) or 0
                offset = pos - pos % 100
                row.expanded = True
                table.table_rows[i + 1:i + 1] = self.model.instance_rows(row, offset)
                table._resize()
                for j in range(i + 1, len(table.table_rows)):
                    if table.table_rows[j].node == v:
                        table.select_index(j)
                        break
                break
        table.refresh()
        table.focus()

    # -- Summary filters: DevTools' "Objects allocated between snapshots" and allocation functions
    def _apply_filter(self, mask, label):
        self.model.mask, self.model.mask_label = mask, label
        self.query_one("#summary", TreeTable).reload()
        stats = self.snap.statistics()
        title = (f"[b]{_esc(os.path.basename(self.path))}[/b]  {self.snap.node_count:,} objects, "
                 f"{human_size(stats.total)}")
        if label:
            title += f"  [reverse] {_esc(label)} [/reverse] (0 shows all)"
        self.query_one("#title", Static).update(title)

    def action_between(self):
        """Objects allocated after the previous loaded snapshot (of the same process) and up to this
        one; pressing again steps back to earlier snapshots."""
        from ..snapshot.hunt import max_js_id
        earlier = [(p, s) for p, s in self.app.loaded if s is not self.snap]
        if not earlier:
            self.notify("needs another snapshot of the same process loaded", severity="warning")
            return
        step = getattr(self, "_between_step", 0) % len(earlier)
        self._between_step = step + 1
        path, base = earlier[-1 - step]
        low, high = max_js_id(base), max_js_id(self.snap)
        ids = self.snap.heap.node_id.astype("int64")
        self._apply_filter((ids > low) & (ids <= high),
                           f"allocated after {os.path.basename(path)}")

    def action_allocated_by(self):
        if not self.snap.allocation_traces().available:
            self.notify("this snapshot has no allocation stacks (capture with --track-allocations)",
                        severity="warning")
            return
        box = self.query_one("#allocated", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#allocated")
    def allocated_submitted(self, event):
        self.query_one("#allocated", Input).display = False
        name = event.value.strip()
        traces = self.snap.allocation_traces()
        if not traces.function_indexes(name):
            self.notify(f"no function named {name!r} in the allocation stacks", severity="error")
            return
        self._apply_filter(traces.allocated_by_mask(name), f"allocated by {name}")
        self.query_one("#summary", TreeTable).focus()

    def action_clear_filter(self):
        self._between_step = 0
        self._apply_filter(None, "")

    def action_back(self):
        if self.history_at > 0:
            self.history_at -= 1
            self.focus_node = None
            self.show_object(self.history[self.history_at], record=False)

    def action_forward(self):
        if self.history_at + 1 < len(self.history):
            self.history_at += 1
            self.focus_node = None
            self.show_object(self.history[self.history_at], record=False)

    def action_close_inputs(self):
        """Esc: close the id box; close the filter box and drop the filter."""
        box = self.query_one("#filter", Input)
        if box.display and box.value:
            box.value = ""
        for box in self.query(Input):
            box.display = False
        self.query_one("#summary", TreeTable).focus()

    def action_compare(self):
        self.app.action_compare()

    def action_statistics(self):
        self.app.push_screen(StatisticsScreen(self.snap))

    def action_containment(self):
        self.app.push_screen(ContainmentScreen(self.path, self.snap))

    def action_capture(self):
        self.app.push_screen(CaptureScreen())


# -- comparison ---------------------------------------------------------------------------------------
class CompareScreen(SortableTable, Screen):
    TABLE = "diff"
    AUTO_FOCUS = "#diff"
    BINDINGS = [
        Binding("b", "base", "Base"),
        Binding("l", "suspects", "Suspects"),
        Binding("s", "sort", "Sort"),
        Binding("r", "reverse", "Reverse"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, loaded, current_index):
        super().__init__()
        self.loaded = loaded
        self.current_index = current_index
        self.base_index = current_index - 1 if current_index > 0 else 1

    def compose(self):
        yield Static("", id="title")
        table = TreeTable(None, id="diff")
        yield TableHeader(table, id="diff-header")
        yield table
        with Horizontal(id="lower"):
            with Vertical(id="retainers-pane"):
                yield Label("Retainers", id="retainers-title")
                rt = TreeTable(None, id="retainers")
                yield TableHeader(rt, id="retainers-header")
                yield rt
            yield ObjectDetail(id="detail")
        yield Footer()

    def on_mount(self):
        self.recompute()
        self.query_one("#diff", TreeTable).focus()

    def recompute(self):
        base_path, base = self.loaded[self.base_index]
        cur_path, cur = self.loaded[self.current_index]
        self.diff = SnapshotDiff(base, cur)
        self.model = ComparisonModel(self.diff)
        self.query_one("#title", Static).update(
            f"[b]Comparison[/b]  base {_esc(os.path.basename(base_path))} \u2192 current "
            f"{_esc(os.path.basename(cur_path))}   ({len(self.diff.rows)} classes changed; b: other base)")
        self.query_one("#diff", TreeTable).set_model(self.model)
        self.query_one("#diff-header", TableHeader).refresh()

    @on(TreeTable.Highlighted, "#diff")
    def moved(self, event):
        row = event.row
        if row.node is None:
            return
        snap = row.payload
        self.query_one(ObjectDetail).show_node(snap, row.node)
        rt = self.query_one("#retainers", TreeTable)
        rt.set_model(RetainersModel(snap, row.node))
        self.query_one("#retainers-title", Label).update(
            f"Retainers of {_esc(node_label(snap, row.node, 50))}"
            + (" (in the base snapshot)" if snap is self.diff.base else ""))

    @on(TreeTable.Highlighted, "#retainers")
    def retainer_moved(self, event):
        if event.row.node is not None and event.table.has_focus:
            self.query_one(ObjectDetail).show_node(event.table.model.snap, event.row.node)

    def action_suspects(self):
        """Leak suspects across all loaded snapshots, in the order they were opened."""
        if len(self.loaded) < 3:
            self.notify("suspects need three snapshots of one process (baseline, target, final); "
                        "this comparison has two", severity="warning")
            return
        from ..snapshot.hunt import find_suspects
        suspects = find_suspects([snap for _p, snap in self.loaded])
        screen = SuspectsScreen(self.loaded[-1], suspects)
        self.app.push_screen(screen)

    def action_base(self):
        others = [i for i in range(len(self.loaded)) if i != self.current_index]
        if len(others) > 1:
            self.base_index = others[(others.index(self.base_index) + 1) % len(others)]
            self.recompute()



# -- statistics, containment -----------------------------------------------------------------------
class StatisticsScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("t", "app.pop_screen", "Back", show=False)]

    def __init__(self, snap):
        super().__init__()
        self.snap = snap

    def compose(self):
        s = self.snap.statistics()
        other_js = s.v8heap - s.code - s.strings - s.js_arrays - s.system
        rows = [("Code", s.code), ("Strings", s.strings), ("JS arrays", s.js_arrays),
                ("Typed arrays", s.typed_arrays), ("System objects", s.system),
                ("Other JS objects", other_js), ("Other non-JS objects", s.native - s.typed_arrays)]
        lines = ["[b]Statistics[/b] (DevTools' categories)", ""]
        for name, v in rows:
            frac = v / s.total if s.total else 0
            bar = "\u2588" * int(round(frac * 30))
            lines.append(f"{name:<22}{human_size(v):>10} {frac * 100:5.1f} %  {bar}")
        lines += ["", f"{'Total':<22}{human_size(s.total):>10}  ({s.total:,} bytes)",
                  f"V8 heap {human_size(s.v8heap)}, native {human_size(s.native)}"]
        yield Static("\n".join(lines), id="statistics")
        yield Footer()


class ContainmentScreen(Screen):
    AUTO_FOCUS = "#containment"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, path, snap):
        super().__init__()
        self.path, self.snap = path, snap

    def compose(self):
        yield Static(f"[b]Containment[/b] of {_esc(os.path.basename(self.path))}: the root's edges",
                     id="title")
        table = TreeTable(ContainmentModel(self.snap), id="containment")
        yield TableHeader(table)
        yield table
        yield ObjectDetail(id="detail")
        yield Footer()

    def on_mount(self):
        self.query_one(TreeTable).focus()

    @on(TreeTable.Highlighted)
    def moved(self, event):
        if event.row.node is not None:
            self.query_one(ObjectDetail).show_node(self.snap, event.row.node)


# -- capture -------------------------------------------------------------------------------------------
class CaptureScreen(Screen):
    """Node processes on this host; capture one (by pid: its inspector is opened if closed)."""

    AUTO_FOCUS = "#processes"

    BINDINGS = [
        Binding("r", "refresh", "Refresh"),
        Binding("c", "capture", "Capture"),
        Binding("f", "force", "Force", show=False),
        Binding("o", "open", "Open"),
        Binding("h", "hunt", "Leak hunt"),
        Binding("s", "sample", "Sample start/stop"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self):
        super().__init__()
        self.sampling = None  # an Event that stops the running sampler
        self.force_next = False
        self.capturing = False

    def compose(self):
        yield Static("[b]Capture[/b]  Node.js processes on this host (loopback inspectors only)", id="title")
        yield DataTable(id="processes", cursor_type="row")
        yield Label("", id="capture-status")
        yield ProgressBar(total=1.0, show_eta=False, id="capture-bar")
        yield Label("Snapshots taken in this session (o opens):")
        yield OptionList(id="captured")
        yield Footer()

    def on_mount(self):
        table = self.query_one("#processes", DataTable)
        table.add_columns("PID", "Inspector", "Command")
        self.action_refresh()
        table.focus()

    def action_refresh(self):
        from ..inspector import node_processes
        table = self.query_one("#processes", DataTable)
        table.clear()
        self.pids = []
        for p in node_processes():
            table.add_row(str(p.pid), str(p.inspector_port or "closed"), p.command[:80], key=str(p.pid))
            self.pids.append(p.pid)
        if not self.pids:
            self._status("No Node.js processes found for this user. r refreshes.")

    def _status(self, text):
        self.query_one("#capture-status", Label).update(text)

    def action_force(self):
        self.force_next = True
        self.action_capture()

    def action_capture(self):
        if self.capturing:
            return
        table = self.query_one("#processes", DataTable)
        if not self.pids:
            return
        pid = self.pids[table.cursor_row]
        self.capturing = True
        self.capture(pid, self.force_next)
        self.force_next = False

    @work(thread=True, exclusive=True, group="capture", exit_on_error=False)
    def capture(self, pid, force):
        from .. import inspector
        call = self.app.call_from_thread
        try:
            call(self._status, f"connecting to process {pid}\u2026")
            with inspector.connect(pid=pid) as session:
                check = inspector.preflight(session)
                if check.verdict == "refuse" and not force:
                    call(self._status, "[b]refused[/b]: " + check.message() +
                         " (it could exhaust the host's memory; f captures anyway)")
                    return
                warning = ("[b]warning[/b]: " + check.message() + "\n") if check.verdict != "ok" else ""
                out = inspector.default_snapshot_name(pid)

                def progress(phase, done, total):
                    frac = done / total if total else 0.0
                    text = f"{phase}: {human_size(done)} written" if phase == "writing" else f"{phase}"
                    call(self._progress, warning + text, frac if phase != "writing" else None)

                inspector.take_snapshot(session, out, progress=progress, force=True)
            call(self._captured, os.path.abspath(out))
        except inspector.InspectorError as e:
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        finally:
            self.capturing = False

    def _progress(self, text, frac):
        self._status(text)
        bar = self.query_one("#capture-bar", ProgressBar)
        if frac is None:
            bar.update(total=None)
        else:
            bar.update(total=1.0, progress=frac)

    def _captured(self, path):
        self.query_one("#captured", OptionList).add_option(path)
        self.query_one("#capture-bar", ProgressBar).update(total=1.0, progress=1.0)
        self._status(f"wrote {path} ({human_size(os.path.getsize(path))}); o opens it")
        self.app.captured.append(path)

    def action_open(self):
        options = self.query_one("#captured", OptionList)
        if options.option_count == 0:
            return
        index = options.highlighted if options.highlighted is not None else options.option_count - 1
        self.app.open_paths([str(options.get_option_at_index(index).prompt)])

    def action_sample(self):
        if self.sampling is not None:
            self.sampling.set()
            self._status("stopping the sampler\u2026")
            return
        if not self.pids or self.capturing:
            return
        pid = self.pids[self.query_one("#processes", DataTable).cursor_row]
        self.sampling = threading.Event()
        self._sample(pid, self.sampling)

    @work(thread=True, exclusive=True, group="sample", exit_on_error=False)
    def _sample(self, pid, stop):
        from .. import inspector
        from ..profile import ProfileError, load_profile
        call = self.app.call_from_thread
        try:
            call(self._status, f"sampling allocations in process {pid}; s stops")
            out = inspector.default_snapshot_name(pid).replace(".heapsnapshot", ".heapprofile")
            with inspector.connect(pid=pid) as session:
                inspector.sample_heap(session, out, stop=stop.is_set)
            call(self._status, f"wrote {out}")
            call(self.app.push_screen, ProfileScreen(os.path.abspath(out), load_profile(out)))
        except (inspector.InspectorError, ProfileError) as e:
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        finally:
            self.sampling = None

    def action_hunt(self):
        if self.pids:
            table = self.query_one("#processes", DataTable)
            self.app.push_screen(HuntScreen(self.pids[table.cursor_row]))

    def action_back(self):
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()


class HuntScreen(Screen):
    """The Node docs' leak hunt with a live process: baseline, exercise, snapshot, again, analyse.

    One inspector session for all snapshots, so object ids stay comparable."""

    AUTO_FOCUS = "#exercise"
    BINDINGS = [
        Binding("ctrl+b", "baseline", "Baseline", priority=True),
        Binding("ctrl+n", "next", "Exercise+snapshot", priority=True),
        Binding("ctrl+a", "analyse", "Analyse", priority=True),
        Binding("ctrl+o", "open_suspect", "Open", priority=True),
        Binding("escape", "back", "Back"),
    ]
    STEPS = ("[b]Leak hunt[/b] for process {pid}\n"
             "1. Warm the service up, then [b]ctrl+b[/b] takes the baseline snapshot.\n"
             "2. Type the command that exercises the suspect feature below (or exercise it yourself);\n"
             "   [b]ctrl+n[/b] runs it, then takes the next snapshot. Do this twice or more.\n"
             "3. [b]ctrl+a[/b] analyses: objects allocated after the baseline that survive every round.\n"
             "   Enter expands a suspect's retaining path; [b]ctrl+o[/b] opens it in the Summary.")

    def __init__(self, pid):
        super().__init__()
        self.pid = pid
        self.session = None
        self.paths = []
        self.busy = False
        self.final = None

    def compose(self):
        yield Static(self.STEPS.format(pid=self.pid), id="hunt-steps")
        yield Input(placeholder="exercise command, e.g. curl -s localhost:3000/orders (optional)", id="exercise")
        yield Label("", id="hunt-status")
        yield ProgressBar(total=1.0, show_eta=False, id="hunt-bar")
        table = TreeTable(None, id="suspects")
        yield TableHeader(table)
        yield table
        yield Footer()

    def _status(self, text):
        self.query_one("#hunt-status", Label).update(text)

    def action_baseline(self):
        if self.busy:
            return
        self.paths = []
        self.busy = True
        self._round(None, "baseline")

    def action_next(self):
        if self.busy:
            return
        if not self.paths:
            self._status("take the baseline first (ctrl+b)")
            return
        self.busy = True
        command = self.query_one("#exercise", Input).value.strip() or None
        self._round(command, f"round{len(self.paths)}")

    @work(thread=True, exclusive=True, group="hunt", exit_on_error=False)
    def _round(self, command, label):
        import subprocess
        from .. import inspector
        call = self.app.call_from_thread
        try:
            if self.session is None:
                call(self._status, f"connecting to process {self.pid}\u2026")
                self.session = inspector.connect(pid=self.pid)
            if command:
                call(self._status, f"running: {_esc(command)}")
                done = subprocess.run(command, shell=True, capture_output=True, timeout=600)
                if done.returncode != 0:
                    call(self._status, f"[b]the exercise command failed[/b] (exit status {done.returncode})")
                    return
            path = inspector.default_snapshot_name(self.pid).replace("Heap.", f"Hunt.{label}.")

            def progress(phase, d, total):
                call(self._progress, phase, d / total if total else None)

            inspector.take_snapshot(self.session, path, progress=progress, force=True)
            self.paths.append(os.path.abspath(path))
            n = len(self.paths)
            hint = "ctrl+n for another round" if n < 3 else "ctrl+n for another round, ctrl+a to analyse"
            call(self._status, f"{n} snapshot{'s' if n > 1 else ''}: {os.path.basename(path)}; {hint}")
        except (inspector.InspectorError, OSError, subprocess.SubprocessError) as e:
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        finally:
            self.busy = False

    def _progress(self, phase, frac):
        bar = self.query_one("#hunt-bar", ProgressBar)
        bar.update(total=None) if frac is None else bar.update(total=1.0, progress=frac)

    def action_analyse(self):
        if self.busy or len(self.paths) < 3:
            self._status("analysing needs a baseline and two snapshots after it")
            return
        self.busy = True
        self._analyse(list(self.paths))

    @work(thread=True, exclusive=True, group="hunt", exit_on_error=False)
    def _analyse(self, paths):
        from ..snapshot.hunt import find_suspects
        call = self.app.call_from_thread
        try:
            call(self._status, "indexing the snapshots\u2026")
            snaps = [open_snapshot(p) for p in paths]
            suspects = find_suspects(snaps)
            self.final = (paths[-1], snaps[-1])
            call(self._show, suspects)
        except (SnapshotError, ValueError) as e:
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        finally:
            self.busy = False

    def _show(self, suspects):
        table = self.query_one("#suspects", TreeTable)
        table.set_model(SuspectsModel(suspects))
        self.query_one(TableHeader).refresh()
        self._status(f"{len(suspects)} suspect{'s' if len(suspects) != 1 else ''}" if suspects else
                     "no leak suspects: nothing allocated after the baseline survived every round")
        table.focus()

    def action_open_suspect(self):
        row = self.query_one("#suspects", TreeTable).current
        if row is None or self.final is None or row.kind != "class":
            return
        path, snap = self.final
        if not any(s is snap for _p, s in self.app.loaded):
            self.app.loaded.append((path, snap))
        screen = ExploreScreen(path, snap)
        self.app.push_screen(screen)
        screen.call_after_refresh(screen.reveal, row.payload.example)

    def action_back(self):
        if self.session is not None:
            self.session.close()
        self.app.pop_screen()


class SuspectsScreen(Screen):
    """Suspects found from the loaded snapshots (offered after a comparison)."""

    AUTO_FOCUS = "#suspects"
    BINDINGS = [Binding("o", "open_suspect", "Open"), Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, final, suspects):
        super().__init__()
        self.final, self.suspects = final, suspects

    def compose(self):
        n = len(self.suspects)
        yield Static(f"[b]Leak suspects[/b]: {n} class{'es' if n != 1 else ''} allocated after the first "
                     "snapshot and alive in every later one (Enter: path, o: open)" if n else
                     "[b]No leak suspects[/b] in the loaded snapshots", id="title")
        table = TreeTable(SuspectsModel(self.suspects), id="suspects")
        yield TableHeader(table)
        yield table
        yield Footer()

    def action_open_suspect(self):
        row = self.query_one("#suspects", TreeTable).current
        if row is None or row.kind != "class":
            return
        path, snap = self.final
        screen = ExploreScreen(path, snap)
        self.app.push_screen(screen)
        screen.call_after_refresh(screen.reveal, row.payload.example)


class ProfileScreen(SortableTable, Screen):
    """A sampling heap profile: Heavy (Bottom Up) by default, `v` switches to Tree (Top Down)."""

    TABLE = "profile"
    AUTO_FOCUS = "#profile"
    BINDINGS = [Binding("v", "switch_view", "Top down/Bottom up"), Binding("s", "sort", "Sort"),
                Binding("r", "reverse", "Reverse", show=False), Binding("escape", "back", "Back")]

    def __init__(self, path, profile):
        super().__init__()
        self.path, self.profile = path, profile
        self.model = BottomUpModel(profile)

    def compose(self):
        yield Static("", id="title")
        table = TreeTable(self.model, id="profile")
        yield TableHeader(table, id="profile-header")
        yield table
        yield Footer()

    def on_mount(self):
        self._title()

    def _title(self):
        view = "Heavy (Bottom Up)" if isinstance(self.model, BottomUpModel) else "Tree (Top Down)"
        self.query_one("#title", Static).update(
            f"[b]{_esc(os.path.basename(self.path))}[/b]  sampling heap profile, "
            f"{human_size(self.profile.total)} sampled  \u2014 {view}")

    def action_switch_view(self):
        self.model = TopDownModel(self.profile) if isinstance(self.model, BottomUpModel) \
            else BottomUpModel(self.profile)
        self.query_one("#profile", TreeTable).set_model(self.model)
        self.query_one("#profile-header", TableHeader).refresh()
        self._title()

    def action_back(self):
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("q", "app.pop_screen", "Close"),
                Binding("question_mark", "app.pop_screen", "Close", show=False)]

    TEXT = """[b]heaptui[/b]: DevTools' Memory panel in a terminal

[b]Summary[/b] (classes)    Enter/\u2192 expand  \u2190 collapse  s sort by next column  r reverse
                     / filter classes   g or @ go to an object id   [ ] back/forward
                     b objects allocated between the previous snapshot and this one
                     a objects allocated by a function (tracked snapshots)   0 all objects
[b]Retainers[/b]            who holds the selected object; the shortest path from a root opens
                     by itself. Weak edges and edges from the root are hidden; (cycle) marks loops
[b]Views[/b]                c compare two snapshots   t statistics   o containment from the root
                     p capture from a live Node process (h there: a guided leak hunt)
                     l in a comparison: leak suspects across 3+ loaded snapshots
                     ctrl+p command palette
[b]Anywhere[/b]             tab moves between panes   ? or F1 this help   q quit

Columns are DevTools' own numbers: Shallow Size after folding internal stores into their owner,
Retained Size from the dominator tree, Distance from a global object (\u2212 for system objects)."""

    def compose(self):
        yield Static(self.TEXT, id="help")
