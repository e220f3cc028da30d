"""The app's screens: loading, explore (Summary + Retainers + detail), comparison, statistics,
containment, capture, help."""
from __future__ import annotations

import gc
import os
import re
import threading
import time

from rich.cells import cell_len, set_cell_size
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, OptionList, ProgressBar, Static

from ..format import format_distance, human_size, node_label
from ..snapshot import Cancelled, SnapshotDiff, SnapshotError, open_snapshot
from ..snapshot.filter_names import LABELS as FILTER_LABELS
from .models import (PAGE, BottomUpModel, ComparisonModel, ContainmentModel, DominatorsModel, HistoryModel,
                     RetainersModel, SearchResultsModel, SummaryModel, SuspectsModel, TopDownModel,
                     expand_shortest_path)
from .table import FocusAtOnce, Row, TableHeader, TreeTable

CANCELLED = "cancelled"  # what a load reports when Esc stopped it


class _SizedByLayout:
    """For a widget sized by its content (height or width auto): when the layout gives it a new
    size, Textual also stores it as the widget's virtual size through a reactive that asks for one
    more layout, and the screen is drawn a second time one or two frames (17-33 ms) later for
    nothing. The layout that just ran is the one that sized it: store the size without asking."""

    def _size_updated(self, size, virtual_size, container_size, layout=True):
        return super()._size_updated(size, virtual_size, container_size, layout=False)


class DetailBody(_SizedByLayout, Static):
    pass


class PaneTitle(_SizedByLayout, Label):
    pass


class KeyFooter(Footer):
    """Textual's footer, rebuilt only when the keys it shows change. Textual's rebuilds itself (new
    widgets for every key, over three or four screen updates) whenever the focus moves, even between
    two tables whose visible keys are the same."""

    def _shown_keys(self, screen):
        return tuple((b.key, b.description, b.action, enabled, tooltip)
                     for _node, b, enabled, tooltip in screen.active_bindings.values() if b.show)

    def bindings_changed(self, screen):
        shown = self._shown_keys(screen) if screen is self.screen else None
        if shown is not None and self._bindings_ready and shown == getattr(self, "_shown", None):
            return
        self._shown = shown
        super().bindings_changed(screen)


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
        yield KeyFooter(compact=True)

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
                self.app.call_from_thread(self.on_done, None, CANCELLED)
                return
            except SnapshotError as e:
                self.app.call_from_thread(self.on_done, None, str(e))
                return
            done.append((path, snap))
        # What the first keystrokes would otherwise wait for: each snapshot's indexes (retainers,
        # class members, the dominator tree...) and every kernel's machine code, loaded from numba's
        # cache (the first comparison would wait for half a dozen of them). Then the objects made so
        # far are left out of Python's full garbage collections, which would otherwise walk them all
        # again and again (100-300 ms, at any keystroke).
        from ..snapshot import jit
        app = self.app

        def prepare():
            kernels = threading.Thread(target=jit.compile_declared, daemon=True, name="heaptui-kernels")
            kernels.start()
            for _path, snap in done:
                snap.prepare()
            kernels.join()
            try:
                app.call_from_thread(gc.freeze)
            except RuntimeError:  # the app has ended meanwhile
                pass

        threading.Thread(target=prepare, daemon=True, name="heaptui-prepare").start()
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
            self.app.call_from_thread(self.on_done, None, CANCELLED)
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
class ObjectDetail(_SizedByLayout, VerticalScroll):
    """Everything about one object: identity, sizes, distance, dominators, why it is alive.

    Lines are laid out for the pane's width (names are cut with an ellipsis, never wrapped) and laid
    out again when it changes; the pane scrolls when they are more than its height."""

    PATH_STEPS = 200  # folded steps of "held by" shown; a note says how many earlier ones are not
    DOMINATORS = 8

    def __init__(self, **kw):
        super().__init__(**kw)
        self.body = DetailBody("", classes="detail-body")
        self.shown = None  # (lines function, its arguments), laid out again on a resize
        self.view = None  # a Retainers view with ignored retainers: "held by" avoids them

    def compose(self):
        yield self.body

    @property
    def text(self):
        """What the pane shows, as plain text."""
        return str(self.body.render())

    def show_node(self, snap, v):
        self._show(None if v is None else (self._node_lines, (snap, v)))

    def show_class(self, row, total):
        self._show((self._class_lines, (row, total)))

    def _show(self, shown):
        self.shown = shown
        self._layout()
        self.scroll_home(animate=False)

    def on_resize(self, event):
        # Also sent when only the height of what it shows changed (another object): laid out
        # again only for a new width, or the same lines would be drawn twice, in two updates.
        if (self.scrollable_content_region.width or 60) != getattr(self, "_laid_out_width", None):
            self._layout()

    def _layout(self):
        if self.shown is None:
            self.body.update("")
            return
        lines, args = self.shown
        width = self._laid_out_width = self.scrollable_content_region.width or 60
        laid_out = lines(*args, max(20, width))
        self.body.update(Content("\n").join(laid_out))
        # The scroll size the layout will find (one line each, nothing wraps), set now: the
        # scrollbar then changes in this screen update, not in one of its own after the layout.
        size = Size(self.scrollable_content_region.width, len(laid_out))
        if self.is_mounted and size != self.virtual_size:
            self.virtual_size = size
            self._scroll_update(size)

    @staticmethod
    def _class_lines(row, total, width):
        share = f"{row.retained_size / total * 100:.1f} % of the heap" if total else ""
        return [_line(width, (row.name, "bold")),
                _line(width, f"{row.count:,} objects, distance {format_distance(row.distance)}"),
                _line(width, f"shallow  {human_size(row.self_size)} ({row.self_size:,} B)"),
                _line(width, f"retained {human_size(row.retained_size)} ({row.retained_size:,} B)"),
                _line(width, share), _line(width, ("Enter expands into instances", "dim"))]

    def _node_lines(self, snap, v, width):
        info = snap.node(v)
        cls = snap.class_name(v)
        lines = [_line(width, (cls, "bold"), f" @{info.id}  ({info.type})")]
        if info.type in ("string", "concatenated string", "sliced string"):
            lines += _wrapped(width, "value: ", repr(info.name[:400]), 4)
        elif info.name and info.name != cls:
            lines.append(_line(width, "name: " + info.name))
        lines.append(_line(width, f"shallow  {human_size(info.self_size)} ({info.self_size:,} B)"))
        lines.append(_line(width, f"retained {human_size(info.retained_size)} ({info.retained_size:,} B)"))
        lines.append(_line(width, f"distance {format_distance(info.distance)}"))
        loc = snap.source_location(v)
        if loc:
            lines.append(_line(width, "defined at ", (_clip_left(str(loc), width - 11), "")))
        lines += self._closure_lines(snap, v, width)
        lines += self._dominator_lines(snap, v, width)
        lines += self._allocation_lines(snap, v, width)
        lines += self._path_lines(snap, v, width)
        return lines

    @staticmethod
    def _closure_lines(snap, v, width):
        """For a function: the source line it is defined on, and what its scopes keep alive."""
        if snap.node_type_name(v) != "closure":
            return []
        info = snap.closure(v, context_lines=0)
        h = snap.heap
        lines = [_line(width, ("source", "bold"), ": " + text.strip()[:width]) for _n, text in info.source_lines]
        for depth, scope in enumerate(info.scopes, 1):
            kept = sorted(scope.variables, key=lambda nv: -int(h.retained[nv[1]]))
            lines.append(_line(width, (f"scope {depth}", "bold"), f" keeps {len(kept)} variable"
                               + ("s" if len(kept) != 1 else "") + (":" if kept else "")))
            for name, w in kept[:6]:
                size = human_size(int(h.retained[w]))
                lines.append(_line(width, f"  {name} = " + _label(snap, w, width - len(name) - len(size) - 7)
                                   + "  " + size))
            if len(kept) > 6:
                lines.append(_line(width, (f"  \u2026 {len(kept) - 6} more (heaptui closure)", "dim")))
        return lines

    def _dominator_lines(self, snap, v, width):
        chain = snap.dominator_chain(v)[1:]
        if not chain:
            return []
        lines = [_line(width, ("dominators", "bold"), " (freeing one frees this):")]
        shown = chain if len(chain) <= self.DOMINATORS + 1 else chain[:self.DOMINATORS]
        lines += [_line(width, "  " + _label(snap, d, width - 2)) for d in shown]
        if len(shown) < len(chain):
            lines.append(_line(width, (f"  \u2026 {len(chain) - len(shown)} more up to the root", "dim")))
        return lines

    @staticmethod
    def _allocation_lines(snap, v, width):
        traces = snap.allocation_traces()
        if not traces.available:
            return []
        stack = traces.stack(v)
        if not stack:
            return [_line(width, ("allocation stack not recorded", "dim"))]
        lines = [_line(width, ("allocated by", "bold"), ":")]
        lines += [_line(width, "  " + f.label) for f in stack[:8]]
        if len(stack) > 8:
            lines.append(_line(width, (f"  \u2026 {len(stack) - 8} more frames", "dim")))
        return lines

    def _path_lines(self, snap, v, width):
        """The shortest path from a root, root side first, every step (runs of one edge folded)."""
        view = self.view if self.view is not None and self.view.query is snap else None
        runs = view.path_runs(v) if view is not None else snap.retaining_path_runs(v)
        if not runs:
            return [] if v == snap.root else \
                [_line(width, ("no strong path from a root (unreachable or weak only)" if view is None else
                               "no path from a root without the ignored retainers", "dim"))]
        steps = sum(n for _e, n in runs)
        plural = "s" if steps != 1 else ""
        avoiding = f", avoiding {len(view.ignored)} ignored" if view is not None else ""
        lines = [_line(width, ("held by", "bold"),
                       f" (a shortest path from a root{avoiding}, {steps:,} step{plural}):")]
        hidden = runs[:-self.PATH_STEPS]
        if hidden:
            earlier = sum(n for _e, n in hidden)
            lines.append(_line(width, (f"  ({earlier:,} earlier steps not shown)", "dim")))
        for edge, n in runs[-self.PATH_STEPS:]:
            repeat = f" \u00d7{n:,}" if n > 1 else ""
            tail = " " + _clip(edge.label, 32) + repeat
            lines.append(_line(width, "  " + _label(snap, edge.source, width - 2 - len(tail)) + tail))
        return lines


def _line(width, *parts):
    """One line from plain parts or (text, style) parts, cut with an ellipsis at width cells."""
    out, room = [], width
    for part in parts:
        text, style = (part, "") if isinstance(part, str) else part
        if room <= 0 or not text:
            continue
        text = _clip(text, room)
        room -= cell_len(text)
        out.append((text, style) if style else text)
    return Content.assemble(*out)


def _clip(text, width):
    """text in at most `width` cells, an ellipsis marking a cut."""
    text = text.replace("\n", "\\n")
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)).rstrip() + "\u2026"


def _clip_left(text, width):
    """text in at most `width` cells, cut at the start (a path: its file name and line matter)."""
    if cell_len(text) <= width:
        return text
    return "\u2026" + text[len(text) - max(0, width - 1):]


def _label(snap, v, width):
    """An object's label (name and @id) cut to width cells, keeping the @id."""
    label = node_label(snap, v, max(4, width - 14))
    if cell_len(label) <= width:
        return label
    name, _at, node_id = label.rpartition(" @")
    return _clip(name, max(1, width - len(node_id) - 2)) + " @" + node_id


def _wrapped(width, head, text, most):
    """`head` then `text` over at most `most` lines of `width` cells, the last cut with an ellipsis."""
    text = text.replace("\n", "\\n")
    room = max(1, width - len(head))
    chunks = [text[i:i + room] for i in range(0, len(text), room)] or [""]
    if len(chunks) > most:
        chunks = chunks[:most]
        chunks[-1] = chunks[-1][:-1] + "\u2026"
    return [_line(width, (head if i == 0 else " " * len(head)) + chunk) for i, chunk in enumerate(chunks)]


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
        keys = [c.sort_key for c in self.model.columns if c.sort_key]  # a column may not sort
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


class ObjectPanes:
    """The lower half of the Summary and Comparison screens: who retains the selected object, beside
    its detail. Below 120 columns there is room for one at a time (`d` switches); from 120, `d` hides
    the detail to give the Retainers the whole width."""

    def compose_panes(self, retainers_model=None):
        self.retainers_title = PaneTitle("Retainers", id="retainers-title")
        self.retainers = TreeTable(retainers_model, id="retainers", on_highlight=self.retainer_moved)
        self.retainers_header = TableHeader(self.retainers, id="retainers-header")
        self.detail = ObjectDetail(id="detail")
        with Horizontal(id="lower"):
            with Vertical(id="retainers-pane"):
                yield self.retainers_title
                yield self.retainers_header
                yield self.retainers
            yield self.detail

    def show_retainers(self, snap, v, note="", shortest=False):
        """v's retainers in the Retainers pane; `shortest`: opened along a shortest path from a root
        (DevTools does so in the Summary). Retainers that take a pass over a long list (millions of
        them, or thousands whose names DevTools builds) are found in the background."""
        ignored = self._ignored(snap)
        if ignored:
            note += f", {len(ignored)} ignored (X restores)"
        label = f"Retainers of {_esc(node_label(snap, v, 50))} "
        view = snap.retainers_view(ignored)
        self.detail.view = view if ignored else None
        model = RetainersModel(snap, v, view)
        self.retainers_header.refresh()  # the columns appear with the first model
        if snap.answers_at_once(v, "retainers", PAGE):
            self.retainers_title.update(f"{label}({snap.retainer_count(v):,}){note}")
            rows = model.roots()
            stopped = expand_shortest_path(model, rows) if shortest else None
            self.retainers.set_rows(model, rows)
            if stopped is not None:
                self.retainers.expand(stopped)  # in the background
            return
        self.retainers_title.update(f"{label}(finding {snap.retainer_slots(v):,}\u2026){note}")
        self.retainers.set_rows(model, [Row(key=("loading",), kind="info", style="dim",
                                            cells=["\u2026 ordering the retainers"])])
        # One search at a time, the latest asked for: holding a key down over objects with many
        # retainers starts no pile of threads (a running one cannot be stopped).
        if not hasattr(self, "_retainers_lock"):
            self._retainers_lock, self._retainers_job, self._retainers_busy = threading.Lock(), None, False
        with self._retainers_lock:
            self._retainers_job = (model, f"{label}({{:,}}){note}", shortest)
            start, self._retainers_busy = not self._retainers_busy, True
        if start:
            self._find_retainers()

    @work(thread=True, group="retainers", exit_on_error=False)
    def _find_retainers(self):
        try:
            while True:
                with self._retainers_lock:
                    job, self._retainers_job = self._retainers_job, None
                    if job is None:
                        self._retainers_busy = False
                        return
                model, title, shortest = job
                if model is not self.retainers.model:
                    continue  # another object is shown already
                rows = model.roots()
                if shortest:
                    expand_shortest_path(model, rows, wait=True)
                count = model.view.count(model.node)
                self.app.call_from_thread(self._retainers_found, model, rows, title.format(count))
        except BaseException:
            with self._retainers_lock:
                self._retainers_busy = False
            raise

    def _retainers_found(self, model, rows, title):
        if self.retainers.model is model:  # still the object shown
            self.retainers_title.update(title)
            self.retainers.set_rows(model, rows)

    def _ignored(self, snap):
        """The retainers ignored in this snapshot's Retainers view (DevTools keeps one set per
        snapshot), as ordinals."""
        if not hasattr(self, "ignored_retainers"):
            self.ignored_retainers = {}
        return self.ignored_retainers.setdefault(id(snap), set())

    def action_ignore_retainer(self):
        """DevTools' "Ignore this retainer": the retainer under the cursor no longer counts; the
        distances, the order of the retainers and the path from a root are recomputed without it."""
        row = self.retainers.current
        model = self.retainers.model
        if row is None or row.node is None or model is None or model.node is None:
            self.notify("Move to a retainer (in the Retainers pane) to ignore it", timeout=3)
            return
        ignored = self._ignored(model.snap)
        ignored.symmetric_difference_update({row.node})  # on an ignored row: restore it
        self._recompute_retainers(model.snap, model.node, frozenset(ignored))

    def action_restore_retainers(self):
        model = self.retainers.model
        if model is None or model.node is None or not self._ignored(model.snap):
            return
        self._ignored(model.snap).clear()
        self._recompute_retainers(model.snap, model.node, frozenset())

    @work(thread=True, exclusive=True, group="ignore-retainer", exit_on_error=False)
    def _recompute_retainers(self, snap, v, ignored):
        self.app.call_from_thread(self.retainers_title.update, "Retainers: recomputing distances\u2026")
        snap.retainers_view(ignored)  # the whole graph is searched again: off the UI thread
        self.app.call_from_thread(self._shown_again, snap, v)

    def _shown_again(self, snap, v):
        note = " in the base snapshot" if getattr(self, "diff", None) is not None and snap is self.diff.base else ""
        self.show_retainers(snap, v, note, shortest=isinstance(self, ExploreScreen))
        self.detail.show_node(snap, v)

    def action_switch_panes(self):
        self.toggle_class("other-pane")


class ExploreScreen(ObjectPanes, SortableTable, FocusAtOnce, Screen):
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
        Binding("f", "named_filter", "DevTools filters", show=False),
        Binding("t", "statistics", "Stats"),
        Binding("d", "switch_panes", "Detail"),
        Binding("o", "containment", "Containment", show=False),
        Binding("m", "dominators", "Dominators", show=False),
        Binding("ctrl+f", "search", "Search", show=False),
        Binding("h", "history", "History", show=False),
        Binding("x", "ignore_retainer", "Ignore retainer", show=False),
        Binding("X", "restore_retainers", "Restore ignored", show=False),
        Binding("n", "contexts", "Realms", show=False),
        Binding("l", "timeline", "Timeline", show=False),
        Binding("e", "detached", "Detached elements", show=False),
        Binding("p", "capture", "Capture", show=False),
        Binding("escape", "close_inputs", "Close", show=False),
    ]

    def __init__(self, path, snap):
        super().__init__()
        self.path, self.snap = path, snap
        self.model = SummaryModel(snap)
        self.history, self.history_at = [], -1  # objects visited, for [ and ]
        self.focus_node = None  # the object whose retainers are shown

    def compose(self):
        s = self.snap
        stats = s.statistics()
        yield Static(f"[b]{_esc(os.path.basename(self.path))}[/b]  {s.node_count:,} objects, "
                     f"{human_size(stats.total)}" + ("  (index cache)" if s.from_cache else ""),
                     id="title")
        yield Input(placeholder="filter classes (Esc closes)", id="filter", classes="hidden")
        yield Input(placeholder="search objects by name or string content (Enter searches, Esc closes)",
                    id="search", classes="hidden")
        yield Input(placeholder="object id, e.g. @12345 (Enter goes, Esc closes)", id="goto",
                    classes="hidden")
        yield Input(placeholder="function name: objects it allocated (Enter applies, Esc closes)",
                    id="allocated", classes="hidden")
        self.summary = TreeTable(self.model, id="summary", on_highlight=self.summary_moved)
        yield TableHeader(self.summary, id="summary-header")
        yield self.summary
        yield from self.compose_panes(RetainersModel(self.snap, None))
        yield KeyFooter(compact=True)

    def on_mount(self):
        self.summary.focus()

    # -- reacting to the cursor --------------------------------------------------------------------
    # Handlers use the screen's own widget references: a message can arrive while the screen is
    # being mounted or replaced, when a query would find nothing.
    def summary_moved(self, event):
        row = event.row
        if row is not event.table.current:
            return  # the cursor has moved on since (a reveal reloads, then selects)
        if row.node is not None:
            self.show_object(row.node)
        elif row.kind == "class":
            self.detail.show_class(row.payload, self.snap.statistics().total)

    def retainer_moved(self, event):
        """Following a retainer: its detail, and a step in the history (the pane stays put)."""
        if event.row.node is not None and not event.reloaded and event.row is event.table.current:
            self.detail.show_node(self.snap, event.row.node)
            self._visit(event.row.node)

    def show_object(self, v, record=True):
        """Describes v and shows its retainers (unless they are shown already)."""
        self.detail.show_node(self.snap, v)  # always: a class row may have been described since
        if record:
            self._visit(v)
        if v == self.focus_node:
            return
        self.focus_node = v
        self.show_retainers(self.snap, v, shortest=True)

    def _visit(self, v):
        if self.history_at >= 0 and self.history[self.history_at] == v:
            return
        del self.history[self.history_at + 1:]
        self.history.append(v)
        self.history_at = len(self.history) - 1

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

    def reveal(self, v, record=True):
        """Shows v in the panes and puts the Summary cursor on it: its class expanded at the page
        holding it (the filters cleared if they hide it)."""
        self.show_object(v, record)
        table = self.summary
        index = self._summary_row_of(v)
        if index is None and int(self.snap.heap.self_size[v]) > 0:  # DevTools lists no zero-size objects
            index = self._list_instance(v)
        if index is not None:
            table.select_index(index)
        table.focus()

    def _summary_row_of(self, v):
        return next((i for i, row in enumerate(self.summary.table_rows)
                     if row.node == v and row.kind == "instance"), None)

    def _list_instance(self, v):
        """Expands v's class at the page holding v; the row index of v, or None."""
        table = self.summary
        if self.model.mask is not None and not self.model.mask[v]:
            self.action_clear_filter()
        class_id = int(self.snap.heap.class_id[v])
        i = self._class_row_index(class_id)
        if i is None and self.model.name_filter:
            self.model.name_filter = ""
            self.query_one("#filter", Input).value = ""
            table.reload()
            i = self._class_row_index(class_id)
        if i is None:
            return None
        row = table.table_rows[i]
        table.collapse(i)
        pos = self.model.position_of(row.payload, v) or 0
        row.expanded = True
        table.table_rows[i + 1:i + 1] = self.model.instance_rows(row, pos - pos % PAGE)
        table._resize()
        table.refresh()
        return self._summary_row_of(v)

    def _class_row_index(self, class_id):
        return next((i for i, row in enumerate(self.summary.table_rows)
                     if row.kind == "class" and row.payload.index == class_id), None)

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
        from ..snapshot.idspace import DifferentSessions, require_same_session
        try:
            require_same_session(base, self.snap)
        except DifferentSessions as e:
            self.notify(str(e), severity="error", timeout=15)
            return
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

    NAMED_FILTERS = FILTER_LABELS

    def action_named_filter(self):
        """DevTools' named Summary filters, one after the other (0 shows all objects again)."""
        names = list(self.NAMED_FILTERS)
        step = getattr(self, "_named_step", 0)
        self._named_step = step + 1
        name = names[step % len(names)]
        self._compute_named_filter(name)

    @work(thread=True, exclusive=True, group="named-filter", exit_on_error=False)
    def _compute_named_filter(self, name):
        mask = self.snap.filter_mask(name)  # cached once computed
        self.app.call_from_thread(self._apply_filter, mask, self.NAMED_FILTERS[name])

    def action_timeline(self):
        """DevTools' allocation timeline (tracked snapshots): select a time range, and the Summary
        shows what was allocated then and is still alive."""
        timeline = self.snap.timeline()
        if timeline is None or not len(timeline.sizes):
            self.notify("this snapshot has no allocation timeline (capture with --track-allocations)",
                        severity="warning")
            return
        self.app.push_screen(TimelineScreen(self.snap, timeline), self._range_chosen)

    def _range_chosen(self, chosen):
        if chosen is None:
            return
        start_ms, end_ms = chosen
        low, high = self.snap.ids_allocated_during(start_ms, end_ms)
        ids = self.snap.heap.node_id
        self._apply_filter((ids > low) & (ids <= high),
                           f"allocated {start_ms / 1000:.2f}\u2013{end_ms / 1000:.2f} s")

    def action_detached(self):
        """DevTools' Detached elements: the detached DOM trees still alive, most retained first (each
        by the node JS holds it by; v reveals it, its Retainers show what holds it)."""
        trees = self.snap.detached_trees()
        if not trees:
            self.notify("no detached DOM nodes in this snapshot (browser snapshots have them)", timeout=4)
            return
        self.app.push_screen(SearchScreen(
            self.path, self.snap, None, [t.top for t in trees], self,
            title=f"[b]Detached elements[/b]: {len(trees):,} detached DOM trees still alive, "
                  f"{sum(len(t.nodes) for t in trees):,} nodes (v reveals one)"))

    def action_contexts(self):
        """Realms (native contexts): pick one and the Summary shows only its objects."""
        self._compute_contexts()

    @work(thread=True, exclusive=True, group="contexts", exit_on_error=False)
    def _compute_contexts(self):
        rows = self.snap.native_contexts()
        self.app.call_from_thread(self.app.push_screen, ContextsScreen(self.snap, rows), self._context_chosen)

    def _context_chosen(self, row):
        if row is not None:
            self._apply_filter(self.snap.context_mask(row.key), f"realm {row.key}: {row.label}")

    def action_clear_filter(self):
        self._between_step = 0
        self._named_step = 0
        self._apply_filter(None, "")

    def action_back(self):
        if self.history_at > 0:
            self.history_at -= 1
            self.reveal(self.history[self.history_at], record=False)

    def action_forward(self):
        if self.history_at + 1 < len(self.history):
            self.history_at += 1
            self.reveal(self.history[self.history_at], record=False)

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

    def action_search(self):
        """DevTools' search (Ctrl+F): objects whose name or string content contains the text."""
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#search")
    def search_submitted(self, event):
        box = self.query_one("#search", Input)
        box.display = False
        text = event.value.strip()
        self.query_one("#summary", TreeTable).focus()
        if text:
            self._run_search(text)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _run_search(self, text):
        found = self.snap.search(text, mask=self.model.mask)
        self.app.call_from_thread(self.app.push_screen, SearchScreen(self.path, self.snap, text, found, self))

    def action_history(self):
        """The objects visited in this snapshot, most recent first; v goes back to one."""
        if not self.history:
            self.notify("no object visited yet: Enter on an instance, @id or a search shows one")
            return
        self.app.push_screen(SearchScreen(self.path, self.snap, None, HistoryModel(self.snap, self.history).found,
                                          self, title="[b]History[/b]: the objects visited, most recent first"))

    def action_dominators(self):
        """The dominator tree from the object under the cursor (from the root on a class row)."""
        row = self.query_one("#summary", TreeTable).current
        start = row.node if row is not None and row.node is not None else None
        self.app.push_screen(DominatorsScreen(self.path, self.snap, start, explore=self))

    def action_capture(self):
        self.app.push_screen(CaptureScreen())


# -- comparison ---------------------------------------------------------------------------------------
class CompareScreen(ObjectPanes, SortableTable, FocusAtOnce, Screen):
    TABLE = "diff"
    AUTO_FOCUS = "#diff"
    BINDINGS = [
        Binding("b", "base", "Base"),
        Binding("l", "suspects", "Suspects"),
        Binding("s", "sort", "Sort"),
        Binding("r", "reverse", "Reverse", show=False),
        Binding("d", "switch_panes", "Detail"),
        Binding("x", "ignore_retainer", "Ignore retainer", show=False),
        Binding("X", "restore_retainers", "Restore ignored", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, loaded, current_index, base_index=None, diff=None):
        """`diff`: the comparison of the two, computed already (the app computes it in the
        background before showing this screen); without it the screen computes it as it opens."""
        super().__init__()
        self.loaded = loaded
        self.current_index = current_index
        self.base_index = (current_index - 1 if current_index > 0 else 1) if base_index is None else base_index
        self.given = diff

    def compose(self):
        yield Static("", id="title")
        table = TreeTable(None, id="diff", on_highlight=self.moved)
        yield TableHeader(table, id="diff-header")
        yield table
        yield from self.compose_panes()
        yield KeyFooter(compact=True)

    def on_mount(self):
        if self.given is not None:
            self._show_diff(self.given)
        elif not self.recompute():
            self.app.pop_screen()
            return
        self.query_one("#diff", TreeTable).focus()

    def recompute(self):
        """The comparison with the current base; False (and a notice) when the two snapshots do not
        share object ids."""
        from ..snapshot.idspace import DifferentSessions
        try:
            diff = SnapshotDiff(self.loaded[self.base_index][1], self.loaded[self.current_index][1])
        except DifferentSessions as e:
            self.notify(str(e), severity="error", timeout=15)
            return False
        self._show_diff(diff)
        return True

    def _show_diff(self, diff):
        self.diff = diff
        self.model = ComparisonModel(diff)
        self._title()
        self.query_one("#diff", TreeTable).set_model(self.model)
        self.query_one("#diff-header", TableHeader).refresh()

    def _title(self):
        base_path, cur_path = self.loaded[self.base_index][0], self.loaded[self.current_index][0]
        self.query_one("#title", Static).update(
            f"[b]Comparison[/b]  base {_esc(os.path.basename(base_path))} \u2192 current "
            f"{_esc(os.path.basename(cur_path))}   ({len(self.diff.rows)} classes changed; b: other base)")

    def moved(self, event):
        row = event.row
        if row.node is None or row is not event.table.current:
            return
        snap = row.payload
        self.detail.show_node(snap, row.node)
        self.show_retainers(snap, row.node, " in the base snapshot" if snap is self.diff.base else "")

    def retainer_moved(self, event):
        if event.row.node is not None and not event.reloaded and event.row is event.table.current:
            self.detail.show_node(event.table.model.snap, event.row.node)

    def action_suspects(self):
        """Leak suspects across all loaded snapshots, in the order they were opened."""
        if len(self.loaded) < 3:
            self.notify("suspects need three snapshots of one process (baseline, target, final); "
                        "this comparison has two", severity="warning")
            return
        from ..snapshot.hunt import find_suspects
        from ..snapshot.idspace import DifferentSessions
        try:
            suspects = find_suspects([snap for _p, snap in self.loaded])
        except DifferentSessions as e:
            self.notify(str(e), severity="error", timeout=15)
            return
        screen = SuspectsScreen(self.loaded[-1], suspects)
        self.app.push_screen(screen)

    def action_base(self):
        others = [i for i in range(len(self.loaded)) if i != self.current_index]
        if len(others) > 1:
            base = others[(others.index(self.base_index) + 1) % len(others)]
            self.query_one("#title", Static).update(
                f"[b]Comparison[/b]  comparing with {_esc(os.path.basename(self.loaded[base][0]))}\u2026")
            self._compare_with(base)

    @work(thread=True, exclusive=True, group="comparison", exit_on_error=False)
    def _compare_with(self, base):
        from ..snapshot.idspace import DifferentSessions
        try:
            diff = self.app.comparison(base, self.current_index)
        except DifferentSessions as e:
            self.app.call_from_thread(self._not_compared, str(e))
            return
        self.app.call_from_thread(self._compared_with, base, diff)

    def _compared_with(self, base, diff):
        self.base_index = base
        self._show_diff(diff)

    def _not_compared(self, message):
        self.notify(message, severity="error", timeout=15)
        self._title()



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
        yield KeyFooter(compact=True)


class TimelineScreen(Screen):
    """The allocation timeline as a bar chart: one column per group of samples, its height the bytes
    allocated then and still alive. ← → move, shift+← → (or space, then ← →) select a range, Enter
    shows the range's objects in the Summary."""

    BINDINGS = [Binding("left", "move(-1)", "\u2190", show=False), Binding("right", "move(1)", "\u2192", show=False),
                Binding("shift+left", "extend(-1)", "Select", show=False),
                Binding("shift+right", "extend(1)", "Select", show=False),
                Binding("space", "anchor", "Mark start"), Binding("enter", "apply", "Show in Summary"),
                Binding("escape", "cancel", "Back"), Binding("l", "cancel", "Back", show=False)]
    HEIGHT = 8
    BLOCKS = " \u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"

    def __init__(self, snap, timeline):
        super().__init__()
        self.snap, self.timeline = snap, timeline
        self.cursor, self.anchor = 0, None
        self.columns = []  # (first sample, last sample) per column

    def compose(self):
        yield Static("", id="timeline-chart")
        yield KeyFooter(compact=True)

    def on_mount(self):
        self._layout()

    def on_resize(self, event):
        self._layout()

    def _layout(self):
        import numpy as np
        n = len(self.timeline.sizes)
        width = max(10, min(n, (self.size.width or 80) - 2))
        edges = np.linspace(0, n, width + 1).astype(int)
        self.columns = [(int(a), int(b) - 1) for a, b in zip(edges[:-1], edges[1:]) if b > a]
        self.cursor = min(self.cursor, len(self.columns) - 1)
        self._draw()

    def selection(self):
        """(first column, last column) selected: the marked range, or the cursor's column."""
        a = self.cursor if self.anchor is None else self.anchor
        return min(a, self.cursor), max(a, self.cursor)

    def selected_ms(self):
        lo, hi = self.selection()
        t = self.timeline.times_ms
        return float(t[self.columns[lo][0]]), float(t[self.columns[hi][1]])

    def _draw(self):
        t = self.timeline
        sums = [int(t.sizes[a:b + 1].sum()) for a, b in self.columns]
        # The first interval holds everything allocated before tracking began: drawn to scale it
        # would flatten the rest, so it is clipped (marked) when it dwarfs them.
        rest = max(sums[1:], default=0)
        clipped = len(sums) > 1 and rest > 0 and sums[0] > 2 * rest
        peak = (rest if clipped else max(sums)) or 1
        lo, hi = self.selection()
        rows = []
        for level in range(self.HEIGHT, 0, -1):
            parts = []
            for i, size in enumerate(sums):
                eighths = round(min(size, peak) / peak * self.HEIGHT * 8)
                block = self.BLOCKS[max(0, min(8, eighths - (level - 1) * 8))]
                if clipped and i == 0 and level == self.HEIGHT:
                    block = "\u25b2"
                parts.append((block, "reverse" if lo <= i <= hi else ""))
            rows.append(Content.assemble(*parts))
        start, end = self.selected_ms()
        chosen = int(sum(sums[lo:hi + 1]))
        total = int(t.sizes.sum())
        span = f"{t.times_ms[0] / 1000:.2f} s" + " " * max(1, len(self.columns) - 16) + f"{t.times_ms[-1] / 1000:.2f} s"
        head = [Content.from_markup(f"[b]Allocation timeline[/b]: bytes allocated in each interval and still "
                                    f"alive (tallest bar {human_size(peak)})")]
        head.append(Content(f"\u25b2 the first bar, {human_size(sums[0])}, holds what was allocated before "
                            f"tracking began: clipped") if clipped else Content(""))
        lines = head + rows + [
            Content(span),
            Content(f"selected {start / 1000:.2f}\u2013{end / 1000:.2f} s: {human_size(chosen)} still alive "
                    f"({chosen / total * 100 if total else 0:.1f} % of {human_size(total)})"),
            Content.from_markup("[dim]\u2190 \u2192 move, shift+\u2190 \u2192 or space then \u2190 \u2192 select a "
                                "range, Enter shows what it allocated in the Summary[/dim]")]
        self.query_one("#timeline-chart", Static).update(Content("\n").join(lines))

    def action_move(self, step):
        self.cursor = max(0, min(len(self.columns) - 1, self.cursor + step))
        self._draw()

    def action_extend(self, step):
        if self.anchor is None:
            self.anchor = self.cursor
        self.action_move(step)

    def action_anchor(self):
        self.anchor = None if self.anchor is not None else self.cursor
        self._draw()

    def action_apply(self):
        self.dismiss(self.selected_ms())

    def action_cancel(self):
        self.dismiss(None)


class ContextsScreen(ModalScreen):
    """The snapshot's realms, biggest first: Enter filters the Summary to one (DevTools' native-context
    filters), Esc closes."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close"), Binding("n", "dismiss_none", "Close", show=False)]

    def __init__(self, snap, rows):
        super().__init__()
        self.snap, self.rows = snap, rows

    def compose(self):
        total = sum(r.size for r in self.rows) or 1
        with Vertical(id="contexts-box"):
            yield Label("[b]Realms[/b] (native contexts): the objects each context alone reaches. "
                        "Enter shows one in the Summary", id="contexts-title")
            yield OptionList(*[f"{r.key:<8} {human_size(r.size):>9} {r.size / total * 100:5.1f} %  "
                               f"{r.objects:>9,} objects  {_esc(r.label)}" for r in self.rows], id="contexts")
        yield KeyFooter(compact=True)

    def on_mount(self):
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#contexts")
    def chosen(self, event):
        self.dismiss(self.rows[event.option_index])

    def action_dismiss_none(self):
        self.dismiss(None)


class ContainmentScreen(FocusAtOnce, Screen):
    AUTO_FOCUS = "#containment"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, path, snap):
        super().__init__()
        self.path, self.snap = path, snap

    def compose(self):
        yield Static(f"[b]Containment[/b] of {_esc(os.path.basename(self.path))}: the root's edges",
                     id="title")
        table = TreeTable(ContainmentModel(self.snap), id="containment", on_highlight=self.moved)
        yield TableHeader(table)
        yield table
        self.detail = ObjectDetail(id="detail")
        yield self.detail
        yield KeyFooter(compact=True)

    def on_mount(self):
        self.query_one(TreeTable).focus()

    def moved(self, event):
        if event.row.node is not None and event.row is event.table.current:
            self.detail.show_node(self.snap, event.row.node)


class _ObjectTreeScreen(FocusAtOnce, Screen):
    """A tree-table of objects over the detail pane; `v` reveals the object under the cursor in the
    Summary it was opened from."""

    TABLE = "objects"
    BINDINGS = [Binding("v", "reveal", "Reveal in Summary"), Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, path, snap, explore=None):
        super().__init__()
        self.path, self.snap, self.explore = path, snap, explore
        self.AUTO_FOCUS = "#" + self.TABLE

    def heading(self):
        raise NotImplementedError

    def tree_model(self):
        raise NotImplementedError

    def compose(self):
        yield Static(self.heading(), id="title")
        table = TreeTable(self.tree_model(), id=self.TABLE, on_highlight=self.moved)
        yield TableHeader(table)
        yield table
        self.detail = ObjectDetail(id="detail")
        yield self.detail
        yield KeyFooter(compact=True)

    def moved(self, event):
        if event.row.node is not None and event.row is event.table.current:
            self.detail.show_node(self.snap, event.row.node)

    def action_reveal(self):
        row = self.query_one("#" + self.TABLE, TreeTable).current
        if row is None or row.node is None or self.explore is None:
            return
        node_id = int(self.snap.heap.node_id[row.node])
        self.app.pop_screen()
        self.explore.jump_to_id(str(node_id))


class SearchScreen(_ObjectTreeScreen):
    """What a search found (or the objects visited); Enter expands an object's edges."""

    TABLE = "found"

    def __init__(self, path, snap, text, found, explore=None, title=None):
        super().__init__(path, snap, explore)
        self.text, self.found, self.title_text = text, found, title

    def heading(self):
        n = len(self.found)
        return self.title_text or (f"[b]Search[/b] {_esc(repr(self.text))}: {n:,} object{'s' if n != 1 else ''} "
                                   "whose name or content contains it")

    def tree_model(self):
        return SearchResultsModel(self.snap, self.found)


class DominatorsScreen(_ObjectTreeScreen):
    """The dominator tree from the root, or from one object; Enter expands."""

    TABLE = "dominators"

    def __init__(self, path, snap, start=None, explore=None):
        super().__init__(path, snap, explore)
        self.start = start

    def heading(self):
        whence = "the root" if self.start is None else node_label(self.snap, self.start)
        return (f"[b]Dominators[/b] of {_esc(os.path.basename(self.path))}, from {_esc(whence)}: what "
                "each object alone keeps alive")

    def tree_model(self):
        return DominatorsModel(self.snap, self.start)


# -- capture -------------------------------------------------------------------------------------------
class CaptureScreen(Screen):
    """Node processes on this host; capture one (by pid: its inspector is opened if closed)."""

    AUTO_FOCUS = "#processes"

    BINDINGS = [
        Binding("r", "refresh", "Refresh"),
        Binding("c", "capture", "Capture"),
        Binding("f", "force", "Force", show=False),
        Binding("o", "open", "Open"),
        Binding("h", "hunt", "Hunt"),
        Binding("s", "sample", "Sample"),
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
        # References, not queries, for what the workers report: a report can arrive after Esc.
        self.status = Static("", id="capture-status")
        self.bar = ProgressBar(total=1.0, show_eta=False, id="capture-bar")
        self.taken = OptionList(id="captured")
        yield self.status
        yield self.bar
        yield Label("Snapshots taken in this session (o opens):")
        yield self.taken
        yield KeyFooter(compact=True)

    def on_mount(self):
        table = self.query_one("#processes", DataTable)
        # At 80 columns everything but the far end of Where fits; the command is cut to stay so.
        for label, key in (("PID", "pid"), ("Command", "command"), ("RSS", "rss"), ("V8 heap used/total", "heap"),
                           ("Off-heap", "outside"), ("Inspector", "port"), ("Where", "where")):
            table.add_column(label, key=key)
        self.action_refresh()
        table.focus()

    def action_refresh(self):
        from ..inspector import node_processes
        table = self.query_one("#processes", DataTable)
        table.clear()
        self.rows = []  # (pid, worker or None), one per table row
        procs = node_processes()
        for p in procs:
            where = p.container.label()[:16] if p.container else "host"
            rss = human_size(p.memory.rss) if p.memory else "-"
            heap = "\u2026" if p.inspector_port else "closed"
            table.add_row(str(p.pid), _cut(_short_command(p.command), 24), rss, heap, "",
                          str(p.inspector_port or "closed"), where, key=str(p.pid))
            self.rows.append((p.pid, None))
        if not self.rows:
            self._status("No Node.js processes found for this user. r refreshes.")
        else:
            self._status("RSS from /proc; V8 heap figures and worker threads of processes with an open "
                         "inspector follow.")
            self._fill_usage([p for p in procs if p.inspector_port])

    @work(thread=True, exclusive=True, group="usage", exit_on_error=False)
    def _fill_usage(self, procs):
        """V8 heap figures and worker threads of every process with an open inspector: through the
        session the captures use where there is one, else through a brief one, and not at all beside
        another client (closing any session renumbers objects for every session)."""
        from .. import inspector
        for p in procs:
            mine = self.app.sessions.get(p.pid)
            ours = {mine.local_port} if mine is not None else set()
            if inspector.procfs.inspector_clients(p.pid, p.inspector_port, ours):
                self.app.call_from_thread(self._show_busy, p.pid)
                continue
            rss = p.memory.rss if p.memory else None
            try:
                if mine is not None:
                    usage, workers = inspector.usage_from(mine, rss), inspector.list_workers(mine, idle_timeout=5)
                else:
                    with inspector.connect(pid=p.pid, idle_timeout=5, connect_timeout=2) as brief:
                        usage, workers = inspector.usage_from(brief, rss), inspector.list_workers(brief, idle_timeout=5)
            except inspector.InspectorError:
                continue
            self.app.call_from_thread(self._show_usage, p.pid, usage, workers)

    def _show_busy(self, pid):
        table = self.query_one("#processes", DataTable)
        if str(pid) in table.rows:
            table.update_cell(str(pid), "heap", "in use by a client")

    def _show_usage(self, pid, usage, workers):
        table = self.query_one("#processes", DataTable)
        key = str(pid)
        if key not in table.rows:
            return  # refreshed meanwhile
        table.update_cell(key, "heap", f"{human_size(usage.heap_used)} / {human_size(usage.heap_total)}")
        if usage.outside_heap is not None:
            table.update_cell(key, "outside", human_size(usage.outside_heap))
        for w in workers:
            wkey = f"{pid}/worker/{w.worker_id}"
            if wkey in table.rows:
                continue
            table.add_row("\u2514", _cut(f"worker {w.worker_id} of {pid}", 24), "", "", "", "", "", key=wkey)
            self.rows.append((pid, w))

    @property
    def pids(self):
        """The process of every row (a worker's row gives its process)."""
        return [pid for pid, _worker in getattr(self, "rows", [])]

    def _status(self, text):
        self.status.update(text)

    def _selected(self, doing):
        """(pid, worker or None) under the cursor, or None after saying why `doing` cannot start."""
        if not self.rows:
            self.notify(f"no Node.js process to {doing}: start one, then r refreshes the list",
                        severity="warning")
            return None
        return self.rows[self.query_one("#processes", DataTable).cursor_row]

    def _selected_pid(self, doing):
        """The process under the cursor (a worker's row means its process)."""
        chosen = self._selected(doing)
        return None if chosen is None else chosen[0]

    def _session(self, pid, worker):
        from .. import inspector
        session = self.app.session_for(pid)  # one session per process: its snapshots compare
        if worker is None:
            return session
        # Worker session ids belong to the connection that listed them: list them again on this one.
        return inspector.WorkerSession(session, inspector.choose_worker(inspector.list_workers(session),
                                                                         worker.worker_id), owns_parent=False)

    def action_force(self):
        self.force_next = True
        self.action_capture()

    def action_capture(self):
        if self.capturing:
            self.notify("a capture is running", severity="warning")
            return
        chosen = self._selected("capture")
        if chosen is None:
            return
        self.capturing = True
        self.capture(*chosen, self.force_next)
        self.force_next = False

    @work(thread=True, exclusive=True, group="capture", exit_on_error=False)
    def capture(self, pid, worker, force):
        from .. import inspector, service
        call = self.app.call_from_thread
        what = f"process {pid}" + (f", worker {worker.worker_id}" if worker else "")
        try:
            call(self._status, f"connecting to {what}\u2026")
            session = self._session(pid, worker)
            out = inspector.default_snapshot_name(pid)
            if worker is not None:
                out = out.replace(".heapsnapshot", f".worker{worker.worker_id}.heapsnapshot")
            warning = [""]

            def say(check):
                if check.verdict != "ok":
                    warning[0] = "[b]warning[/b]: " + check.message() + "\n"

            def progress(phase, done, total):
                frac = done / total if total else 0.0
                text = f"{phase}: {human_size(done)} written" if phase == "writing" else f"{phase}"
                call(self._progress, warning[0] + text, frac if phase != "writing" else None)

            # The capture workflow every front end shares: the preflight, then the stream to disk.
            try:
                done = service.capture(session, pid, out, force=force, say=say, progress=progress)
            except inspector.TooRisky as e:
                call(self._status, "[b]refused[/b]: " + str(e).replace("--force", "f"))
                return
            # Snapshots group by isolate: a worker's never compare with its process's main thread.
            call(self._captured, pid if worker is None else f"{pid}/worker {worker.worker_id}", done["file"])
        except inspector.InspectorError as e:
            self.app.drop_session(pid)
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        finally:
            self.capturing = False

    def _progress(self, text, frac):
        self._status(text)
        if frac is None:
            self.bar.update(total=None)
        else:
            self.bar.update(total=1.0, progress=frac)

    def _captured(self, pid, path):
        self.taken.add_option(path)
        self.bar.update(total=1.0, progress=1.0)
        self.app.captured.append((pid, path))
        earlier = sum(1 for p, _path in self.app.captured if p == pid) - 1
        more = f"; o opens it with the {earlier} before it (c then compares)" if earlier else "; o opens it"
        self._status(f"wrote {path} ({human_size(os.path.getsize(path))}){more}")

    def action_open(self):
        """Opens the highlighted snapshot, and the ones taken before it from the same process in
        this session, so that the Summary can compare them (c) or filter between them (b)."""
        options = self.taken
        if options.option_count == 0:
            self.notify("no snapshot taken yet: c captures the selected process", severity="warning")
            return
        index = options.highlighted if options.highlighted is not None else options.option_count - 1
        chosen = str(options.get_option_at_index(index).prompt)
        pid = next((p for p, path in self.app.captured if path == chosen), None)
        loaded = {path for path, _snap in self.app.loaded}
        series = [path for p, path in self.app.captured if p == pid and path not in loaded]
        series = series[:series.index(chosen) + 1] if chosen in series else [chosen]
        self.app.open_paths(series)

    def action_sample(self):
        if self.sampling is not None:
            self.sampling.set()
            self._status("stopping the sampler\u2026")
            return
        if self.capturing:
            self.notify("a capture is running", severity="warning")
            return
        pid = self._selected_pid("sample")
        if pid is None:
            return
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
            # The capture session: another one, closed after sampling, would renumber the objects.
            inspector.sample_heap(self.app.session_for(pid), out, stop=stop.is_set)
            call(self._status, f"wrote {out}")
            call(self.app.push_screen, ProfileScreen(os.path.abspath(out), load_profile(out)))
        except inspector.InspectorError as e:
            self.app.drop_session(pid)
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        except ProfileError as e:
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        finally:
            self.sampling = None

    def action_hunt(self):
        pid = self._selected_pid("hunt leaks in")
        if pid is not None:
            self.app.push_screen(HuntScreen(pid))

    def action_back(self):
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()


def _short_command(command):
    """`node --inspect /srv/app/server.js 8080` as `node server.js 8080`: node's own flags left out
    (the Inspector column says what matters of them) and paths cut to their names."""
    parts = command.split()
    if not parts:
        return command
    rest = parts[1:]
    while rest and rest[0].startswith("-"):
        rest = rest[1:]
    return " ".join(os.path.basename(p) if "/" in p else p for p in [parts[0], *rest])


def _cut(text, width):
    return text if len(text) <= width else text[:width - 1] + "\u2026"


class HuntScreen(Screen):
    """The Node docs' leak hunt with a live process: baseline, exercise, snapshot, again, analyse.

    One inspector session for all snapshots, so object ids stay comparable."""

    # Plain keys: ctrl+a and ctrl+b are the prefixes of GNU screen and tmux, which never pass them on.
    # So the command box is not focused at first (e opens it; Enter or Esc leaves it).
    AUTO_FOCUS = "#suspects"
    BINDINGS = [
        Binding("b", "baseline", "Baseline"),
        Binding("e", "edit_command", "Command"),
        Binding("n", "next", "Next round"),
        Binding("a", "analyse", "Analyse"),
        Binding("o", "open_suspect", "Open", show=False),
        Binding("escape", "back", "Back"),
    ]
    STEPS = ("[b]Leak hunt[/b] in process {pid}\n"
             "1. Warm the service up, then [b]b[/b] takes the baseline snapshot.\n"
             "2. [b]e[/b]: type a command that exercises the suspect feature (or exercise it\n"
             "   yourself); [b]n[/b] runs it, then takes the next snapshot. Twice or more.\n"
             "3. [b]a[/b] analyses: the holders under which memory arrived in every round\n"
             "   and stayed. Enter shows a suspect; [b]o[/b] opens what arrived in the Summary.")

    def __init__(self, pid):
        super().__init__()
        self.pid = pid
        self.hunt = None  # the hunting workflow (heaptui/hunting.py), from the baseline on
        self.busy = False
        self.final = None

    @property
    def paths(self):
        return self.hunt.paths if self.hunt is not None else []

    def compose(self):
        yield Static(self.STEPS.format(pid=self.pid), id="hunt-steps")
        yield Input(placeholder="e: exercise command, e.g. curl -s localhost:3000/orders (optional)",
                    id="exercise")
        self.status = Static("", id="hunt-status")  # references: reports can arrive after Esc
        self.bar = ProgressBar(total=1.0, show_eta=False, id="hunt-bar")
        yield self.status
        yield self.bar
        self.suspects = TreeTable(None, id="suspects")
        self.suspects_header = TableHeader(self.suspects)
        yield self.suspects_header
        yield self.suspects
        yield KeyFooter(compact=True)

    def _status(self, text):
        self.status.update(text)

    def action_baseline(self):
        if self.busy:
            return
        self.busy = True
        self._round(None, baseline=True)

    def action_next(self):
        if self.busy:
            return
        if not self.paths:
            self._status("take the baseline first (b)")
            return
        self.busy = True
        self._round(self.query_one("#exercise", Input).value.strip() or None)

    @work(thread=True, exclusive=True, group="hunt", exit_on_error=False)
    def _round(self, command, baseline=False):
        """A step of the hunt, through the same workflow as `heaptui hunt` (same preflight, same
        directory rule, ids checked after each snapshot), in the capture pane's session."""
        from .. import hunting, inspector
        call = self.app.call_from_thread

        def progress(phase, d, total):
            call(self._progress, phase, d / total if total else None)
        try:
            if baseline or self.hunt is None:
                call(self._status, f"connecting to process {self.pid}\u2026")
                self.hunt = hunting.LiveHunt(self.app.session_for(self.pid), self.pid, progress=progress,
                                             say=lambda m: call(self._status, _esc(m)))
                self.hunt.baseline()
            else:
                if command:
                    self.hunt.run_command(command, "exercise")
                self.hunt.snapshot()
            n = len(self.paths)
            hint = "n for another round" if n < 3 else "n for another round, a to analyse"
            call(self._status, f"{n} snapshot{'s' if n > 1 else ''} in {_esc(self.hunt.out_dir)}; {hint}")
        except inspector.InspectorError as e:
            if not isinstance(e, inspector.TooRisky):
                self.app.drop_session(self.pid)
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        except (hunting.HuntError, SnapshotError, OSError) as e:
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        finally:
            self.busy = False

    def _progress(self, phase, frac):
        bar = self.bar
        bar.update(total=None) if frac is None else bar.update(total=1.0, progress=frac)

    def action_analyse(self):
        if self.busy or len(self.paths) < 3:
            self._status("analysing needs a baseline and two snapshots after it")
            return
        self.busy = True
        self._analyse()

    @work(thread=True, exclusive=True, group="hunt", exit_on_error=False)
    def _analyse(self):
        from .. import hunting
        call = self.app.call_from_thread
        try:
            call(self._status, "looking for holders that keep growing\u2026")
            suspects = self.hunt.suspects()
            _label, path, snap = self.hunt.taken[-1]
            self.final = (path, snap)
            call(self._show, suspects)
        except (hunting.HuntError, SnapshotError, ValueError) as e:
            call(self._status, f"[b]error[/b]: {_esc(e)}")
        finally:
            self.busy = False

    def _show(self, suspects):
        table = self.suspects
        table.set_model(SuspectsModel(suspects))
        self.suspects_header.refresh()
        self._status(f"{len(suspects)} suspect{'s' if len(suspects) != 1 else ''}" if suspects else
                     "no leak suspects: nothing kept arriving under a holder in every round")
        table.focus()

    def action_open_suspect(self):
        row = self.query_one("#suspects", TreeTable).current
        if self.final is None:
            self._status("nothing to open yet: a analyses the snapshots taken")
            return
        if row is None or row.kind != "class":
            return
        path, snap = self.final
        if not any(s is snap for _p, s in self.app.loaded):
            self.app.loaded.append((path, snap))
        _open_example(self.app, path, snap, row.payload)

    def action_edit_command(self):
        self.query_one("#exercise", Input).focus()

    @on(Input.Submitted, "#exercise")
    def command_done(self, event):
        self.query_one("#suspects", TreeTable).focus()

    def action_back(self):
        """Esc leaves the command box first, then the hunt."""
        if self.focused is self.query_one("#exercise", Input):
            self.query_one("#suspects", TreeTable).focus()
            return
        self.app.pop_screen()  # the session stays with the app: later captures still compare


def _open_example(app, path, snap, suspect):
    """The Summary of the final snapshot, on one object that arrived (the detail describes it)."""
    if suspect.example < 0:
        app.notify("this suspect has no example object to open", severity="warning")
        return
    screen = ExploreScreen(path, snap)
    app.push_screen(screen)
    screen.call_after_refresh(screen.reveal, suspect.example)


class SuspectsScreen(Screen):
    """Suspects found from the loaded snapshots (offered after a comparison)."""

    AUTO_FOCUS = "#suspects"
    BINDINGS = [Binding("o", "open_suspect", "Open"), Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, final, suspects):
        super().__init__()
        self.final, self.suspects = final, suspects

    def compose(self):
        n = len(self.suspects)
        yield Static(f"[b]Leak suspects[/b]: {n} holder{'s' if n != 1 else ''} under which memory arrived "
                     "in every round and stayed (Enter: details, o: open)" if n else
                     "[b]No leak suspects[/b] in the loaded snapshots", id="title")
        table = TreeTable(SuspectsModel(self.suspects), id="suspects")
        yield TableHeader(table)
        yield table
        yield KeyFooter(compact=True)

    def action_open_suspect(self):
        row = self.query_one("#suspects", TreeTable).current
        if row is None or row.kind != "class":
            return
        path, snap = self.final
        _open_example(self.app, path, snap, row.payload)


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
        yield KeyFooter(compact=True)

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
    """Every key, in a box that fits 80 columns and scrolls (\u2191 \u2193, PgUp PgDn) when it is taller."""

    AUTO_FOCUS = "#help-scroll"
    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("q", "app.pop_screen", "Close"),
                Binding("question_mark", "app.pop_screen", "Close", show=False)]

    TEXT = """[b]heaptui[/b]: DevTools' Memory panel in a terminal     (\u2191 \u2193 scroll, Esc closes)

[b]Summary[/b]    Enter or \u2192 expands (a class into its objects, an object into
           its edges), \u2190 collapses
           s sorts by the next column, r reverses (or click a title)
           / filters classes; g or @ goes to an object @id
           \\[ and ] go back and forward through the objects visited
           b objects allocated between the previous snapshot and this one
           a objects a function allocated (tracked snapshots)
           f DevTools' filters: duplicated strings, retained by detached
             DOM nodes, by the DevTools console, by event handlers, by
             contexts (f again: next)
           n realms (native contexts): the Summary of one context
           e detached elements: detached DOM trees still alive (browsers)
           l the allocation timeline (tracked snapshots): select a time
             range, Enter shows what it allocated
           0 all objects again
           ctrl+f searches objects by name or string content
[b]Retainers[/b]  who holds the selected object; the shortest path from a root
           opens by itself. Weak edges and edges from the root are hidden;
           (cycle) marks loops. Moving here follows a retainer (\\[ returns)
           x ignores the retainer under the cursor (DevTools' "Ignore this
           retainer": distances and the path recomputed without it; x on
           an ignored row restores it), X restores them all
[b]Panes[/b]      tab moves between them; d switches between the Retainers and
           the object's detail (under 120 columns) or hides the detail
[b]Views[/b]      c compares two snapshots   t statistics   o containment
           m the dominator tree from the selected object (v: reveal)
           h the objects visited, most recent first (v: go back to one)
           p captures from a live Node process; h there hunts a leak:
           b baseline, e command, n exercise + snapshot, a analyse, o open
           l in a comparison: leak suspects across 3+ loaded snapshots
           ctrl+p the command palette (@12345 goes to an object)
[b]Leaving[/b]    Esc goes back; q quits; ctrl+c quits too, with exit status 130
           as on an interrupt; ? or F1 shows this help

Columns are DevTools' own numbers: Shallow Size after folding internal
stores into their owner, Retained Size from the dominator tree, Distance
from a global object (\u2212 for system objects)."""

    def compose(self):
        with VerticalScroll(id="help-scroll"):
            yield Static(self.TEXT, id="help")
