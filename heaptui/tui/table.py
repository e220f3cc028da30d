"""A tree-table over a row model, drawn with Textual's line API: only the rows on screen are rendered,
so a class list of 50k rows or a class expanded into pages of instances costs the same per frame.

The widget keeps a flat list of the visible rows (the tree flattened, each with its depth); expanding
inserts a row's children after it, collapsing removes its descendants. What the rows are is the
model's business (summary classes, comparison rows, edges, retainers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget


@dataclass
class Column:
    title: str
    width: int  # 0: takes the remaining width
    align: str = ">"
    sort_key: str | None = None
    min_width: int = 0  # narrow terminals: a fixed column may shrink to this; the flexible one not below it
    short: str = ""  # the title when the column is narrower than `title`


FLEX_MIN = 24  # the name column's default minimum: a class name and an @id stay readable at 80 columns


@lru_cache(maxsize=64)
def _widths(spec, total):
    """Cell widths for columns given as (width, min_width) pairs, one separator after each cell.

    The flexible column (width 0) takes what the fixed ones leave; when that is under its minimum,
    fixed columns with a min_width give up cells, the one furthest above its minimum first, so the
    names stay readable on an 80-column terminal and wider terminals give the names the spare room."""
    widths = [w for w, _m in spec]
    flex = [i for i, (w, _m) in enumerate(spec) if w == 0]
    need = (spec[flex[0]][1] or FLEX_MIN) if flex else 0
    missing = need - (total - sum(widths) - len(spec))
    while missing > 0:
        slack = [widths[i] - m if w and m else 0 for i, (w, m) in enumerate(spec)]
        i = max(range(len(spec)), key=slack.__getitem__)
        if slack[i] <= 0:
            break
        widths[i] -= 1
        missing -= 1
    for i in flex:
        widths[i] = max(10, total - sum(widths) - len(spec))
    return tuple(widths)


@dataclass
class Row:
    key: tuple
    cells: list
    depth: int = 0
    expandable: bool = False
    expanded: bool = False
    kind: str = "class"  # class, instance, edge, more, info
    node: int | None = None  # ordinal in the snapshot the row belongs to
    payload: object = None
    style: str = ""  # "dim" (cycles, unreachable), "new", "deleted"
    ancestors: tuple = field(default_factory=tuple)  # node ordinals above it (cycle detection)
    slow: bool = False  # a "more" row whose next page takes a pass over a long list


def loading_row(row, text):
    """What stands in for rows being computed in the background."""
    return Row(key=("loading", row.key), kind="info", depth=max(0, row.depth + (row.kind != "more")),
               style="dim", cells=[text])


class RowModel:
    """What a TreeTable shows. Subclasses fill in roots() and children()."""

    columns: list = []
    sort_key = None
    descending = True

    def roots(self):
        return []

    def children(self, row):
        return []

    def quick(self, row):
        """Whether children(row) answers at once; if not, the table asks for them in the
        background and shows loading_text(row) meanwhile."""
        return True

    def loading_text(self, row):
        return "\u2026"

    def set_sort(self, key, descending=None):
        if key == self.sort_key and descending is None:
            self.descending = not self.descending
        else:
            self.sort_key = key
            self.descending = True if descending is None else descending


class TableHeader(Widget):
    """The column titles; the sorted column carries an arrow; a click sorts by that column."""

    DEFAULT_CSS = "TableHeader { height: 1; }"

    class SortRequested(Message):
        def __init__(self, header, key):
            super().__init__()
            self.header = header
            self.key = key

        @property
        def control(self):
            return self.header

    def __init__(self, table: "TreeTable", **kw):
        super().__init__(**kw)
        self.table = table

    def render_line(self, y):
        model = self.table.model
        if model is None:
            return Strip.blank(self.size.width)
        widths = self.table.column_widths(self.table.content_width)
        segments = []
        style = self.rich_style + Style(bold=True)
        for col, w in zip(model.columns, widths):
            arrow = ""
            if col.sort_key and col.sort_key == model.sort_key:
                arrow = " \u25bc" if model.descending else " \u25b2"
            title = col.title if len(col.title + arrow) <= w or not col.short else col.short
            segments.append(Segment(_fit(title + arrow, w, col.align) + " ", style))
        return Strip(segments).crop(0, self.size.width)

    def on_click(self, event):
        model = self.table.model
        if model is None:
            return
        x = 0
        for col, w in zip(model.columns, self.table.column_widths(self.table.content_width)):
            if x <= event.x < x + w + 1 and col.sort_key:
                self.post_message(self.SortRequested(self, col.sort_key))
                return
            x += w + 1


def _fit(text, width, align):
    if width <= 0:
        return ""
    if len(text) > width:
        return text[:max(0, width - 1)] + "\u2026"
    return text.rjust(width) if align == ">" else text.ljust(width)


class FocusAtOnce:
    """For a screen with tree-tables: a table that gets or loses the focus shows it in the same
    screen update as the rest of the screen (Textual shows it an update later, 17-33 ms, when the
    focus events reach the table)."""

    def set_focus(self, widget, scroll_visible=True, from_app_focus=False):
        before = self.focused
        super().set_focus(widget, scroll_visible, from_app_focus)
        if self.focused is not before:
            whole = self._repaint_required  # the focus change restyled the screen: all of it is drawn
            for table, focused in ((before, False), (self.focused, True)):
                if isinstance(table, TreeTable) and table.is_attached:
                    table.has_focus = focused  # restyles the table and marks its lines to be drawn again
                    if whole:
                        table._repaint_required = False  # drawn with the screen, not in an update of its own


class TreeTable(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", show=False),
        Binding("j", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
        Binding("right", "expand", "Expand", show=False),
        Binding("left", "collapse", "Collapse", show=False),
        Binding("enter", "toggle", "Expand", show=False),
    ]
    COMPONENT_CLASSES = {"tree-table--cursor", "tree-table--dim", "tree-table--new",
                         "tree-table--deleted", "tree-table--more"}
    DEFAULT_CSS = """
    TreeTable { height: 1fr; overflow-x: hidden; }
    TreeTable > .tree-table--cursor { background: $accent 40%; text-style: bold; }
    TreeTable:focus > .tree-table--cursor { background: $accent; color: $text; }
    TreeTable > .tree-table--dim { color: $text-muted; }
    TreeTable > .tree-table--new { color: $success; }
    TreeTable > .tree-table--deleted { color: $error; }
    TreeTable > .tree-table--more { color: $text-muted; text-style: italic; }
    """

    cursor = reactive(0, repaint=False)

    class Highlighted(Message):
        """The cursor is on `row`. `reloaded`: because the rows were rebuilt (a new model, a sort,
        a filter), not because anyone moved it."""

        def __init__(self, table, row, reloaded=False):
            super().__init__()
            self.table = table
            self.row = row
            self.reloaded = reloaded

        @property
        def control(self):
            return self.table

    def __init__(self, model=None, on_highlight=None, **kw):
        """`on_highlight(Highlighted)`: called at once when the cursor lands on a row, in place of
        posting the message. The owner's panes then change in the same screen update as the cursor:
        a message would reach the owner after that update had started, and its changes would wait
        for the next one (one or two frames, 17-33 ms, later)."""
        super().__init__(**kw)
        self.model = model
        self.on_highlight = on_highlight
        self.table_rows: list = []
        if model is not None:
            self.table_rows = list(model.roots())

    # -- data ------------------------------------------------------------------------------------
    def set_model(self, model, keep_cursor=False):
        self.model = model
        self.reload(keep_cursor)

    def reload(self, keep_cursor=False):
        """Rebuild from the model's roots (after a sort or filter), collapsing everything."""
        self.table_rows = list(self.model.roots()) if self.model is not None else []
        self._resize()
        cursor = min(self.cursor, len(self.table_rows) - 1) if keep_cursor and self.table_rows else 0
        self.set_reactive(TreeTable.cursor, cursor)  # no watcher: announced once below, as a reload
        self.scroll_to_region_visible(cursor)
        self._announce(reloaded=True)
        self.refresh()

    def _resize(self):
        self.virtual_size = Size(self.size.width, len(self.table_rows))

    @property
    def current(self):
        if 0 <= self.cursor < len(self.table_rows):
            return self.table_rows[self.cursor]
        return None

    def set_rows(self, model, rows):
        """A new model whose first rows were computed already (in the background)."""
        self.model = model
        self.table_rows = list(rows)
        self._resize()
        self.set_reactive(TreeTable.cursor, 0)
        self.scroll_to_region_visible(0)
        self._announce(reloaded=True)
        self.refresh()

    def expand(self, index):
        row = self.table_rows[index]
        if not row.expandable or row.expanded:
            return
        if not self.model.quick(row):
            placeholder = loading_row(row, self.model.loading_text(row))
            row.expanded = True
            self.table_rows.insert(index + 1, placeholder)
            self._fetch(self.model, placeholder, lambda model=self.model: model.children(row))
        else:
            children = list(self.model.children(row))
            row.expanded = True
            self.table_rows[index + 1:index + 1] = children
        self._resize()
        self.refresh()

    @work(thread=True, group="tree-table-rows", exit_on_error=False)
    def _fetch(self, model, placeholder, rows, announce=True):
        """Rows that take a pass over a long list (millions of retainers), computed off the UI
        thread; they replace `placeholder` unless it is gone by then (collapsed, a new model)."""
        found = list(rows())
        self.app.call_from_thread(self._fetched, model, placeholder, found, announce)

    def _fetched(self, model, placeholder, rows, announce=True):
        if model is not self.model:
            return
        i = next((i for i, r in enumerate(self.table_rows) if r is placeholder), None)
        if i is None:
            return
        self.table_rows[i:i + 1] = rows
        self._resize()
        if self.cursor > i:  # the cursor stays on its row
            self.set_reactive(TreeTable.cursor, self.cursor + len(rows) - 1)
            self.scroll_to_region_visible(self.cursor)
        self.set_reactive(TreeTable.cursor, max(0, min(self.cursor, len(self.table_rows) - 1)))
        self.refresh()
        if announce and self.cursor == i:  # it was on the placeholder: now on the first row found
            self._announce()

    def collapse(self, index):
        row = self.table_rows[index]
        if not row.expanded:
            return
        end = index + 1
        while end < len(self.table_rows) and self.table_rows[end].depth > row.depth:
            end += 1
        del self.table_rows[index + 1:end]
        row.expanded = False
        self._resize()
        self.refresh()

    def activate_more(self, index):
        """A 'N more' row: replace it by the next page."""
        row = self.table_rows[index]
        if row.slow:
            placeholder = loading_row(row, "\u2026 (finding the next page)")
            self.table_rows[index] = placeholder
            self._fetch(self.model, placeholder, row.payload, announce=False)
        else:
            self.table_rows[index:index + 1] = list(row.payload())
        self._resize()
        self.refresh()

    # -- rendering ---------------------------------------------------------------------------------
    @property
    def content_width(self):
        """Width left for cells once the vertical scrollbar is drawn."""
        return self.scrollable_content_region.width or self.size.width

    def column_widths(self, total):
        cols = self.model.columns if self.model is not None else []
        return _widths(tuple((c.width, c.min_width) for c in cols), total)

    def render_line(self, y):
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.content_width
        if index >= len(self.table_rows) or self.model is None:
            return Strip.blank(width, self.rich_style)
        row = self.table_rows[index]
        base = self.rich_style
        if row.style:
            base = base + self.get_component_rich_style(f"tree-table--{row.style}")
        if index == self.cursor:
            base = base + self.get_component_rich_style("tree-table--cursor")
        widths = self.column_widths(width)
        segments = []
        for i, (col, w) in enumerate(zip(self.model.columns, widths)):
            text = str(row.cells[i]) if i < len(row.cells) else ""
            if i == 0:
                marker = ("\u25be " if row.expanded else "\u25b8 ") if row.expandable else "  "
                text = "  " * row.depth + marker + text
                segments.append(Segment(_fit(text, w, "<") + " ", base))
            else:
                segments.append(Segment(_fit(text, w, col.align) + " ", base))
        return Strip(segments).crop(scroll_x, scroll_x + width).extend_cell_length(width, base)

    def on_resize(self, event):
        self._resize()

    # Focus: FocusAtOnce (on the screen) gives it at once; the events that follow find it given.
    def _on_focus(self, event):
        if self.has_focus:
            event.prevent_default()  # Textual's own handler would draw the table again, an update later
            if self.parent is not None:
                self.parent.post_message(events.DescendantFocus(self))

    def _on_blur(self, event):
        if not self.has_focus:
            event.prevent_default()
            if self.parent is not None:
                self.parent.post_message(events.DescendantBlur(self))

    def _size_updated(self, size, virtual_size, container_size, layout=True):
        # The rows decide the virtual size (_resize), not the layout. Textual's ScrollView compares
        # the layout's idea of it with ours, finds them different on every layout of the screen (a
        # pane beside us changed height), and repaints our scrollbar in a screen update of its own,
        # one or two frames after the key that caused the layout.
        return super()._size_updated(size, self.virtual_size, container_size, layout)

    # -- cursor ----------------------------------------------------------------------------------
    def watch_cursor(self, old, new):
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_region_visible(new)
        self._announce()

    def refresh_line(self, index):
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def scroll_to_region_visible(self, index):
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def _announce(self, reloaded=False):
        row = self.current
        if row is None:
            return
        message = self.Highlighted(self, row, reloaded)
        if self.on_highlight is not None:
            self.on_highlight(message)
        else:
            self.post_message(message)

    def action_cursor(self, delta):
        if self.table_rows:
            self.cursor = max(0, min(len(self.table_rows) - 1, self.cursor + delta))

    def action_page(self, direction):
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_jump(self, where):
        if self.table_rows:
            self.cursor = len(self.table_rows) - 1 if where < 0 else 0

    def action_expand(self):
        row = self.current
        if row is None:
            return
        if row.kind == "more":
            self.activate_more(self.cursor)
        elif row.expandable and not row.expanded:
            self.expand(self.cursor)
        elif row.expanded and self.cursor + 1 < len(self.table_rows):
            self.cursor += 1

    def action_collapse(self):
        row = self.current
        if row is None:
            return
        if row.expanded:
            self.collapse(self.cursor)
            return
        for i in range(self.cursor - 1, -1, -1):  # go to the parent
            if self.table_rows[i].depth < row.depth:
                self.cursor = i
                return

    def action_toggle(self):
        row = self.current
        if row is None:
            return
        if row.kind == "more":
            self.activate_more(self.cursor)
        elif row.expanded:
            self.collapse(self.cursor)
        else:
            self.expand(self.cursor)

    def on_click(self, event):
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.table_rows):
            if index == self.cursor and event.chain >= 2:
                self.action_toggle()
            self.cursor = index
            self.focus()

    def select_index(self, index):
        self.cursor = max(0, min(len(self.table_rows) - 1, index))
