"""Row models for the tree-tables: DevTools' Summary, Comparison, Containment and Retainers views,
and leak suspects."""
from __future__ import annotations

import os

from ..format import format_distance, human_size, node_label, signed
from ..snapshot.kernels import BASE_UNREACHABLE_DISTANCE as UNREACHABLE_BASE
from ..snapshot.query import BIG, BIG_RETAINERS
from .table import Column, Row, RowModel

PAGE = 100
DIFF_PAGE = 50


def _size(n, total):
    pct = round(n / total * 100) if total else 0
    return f"{human_size(n)} {pct:>2}%"


class _ObjectRows:
    """Rows for objects and edges of one snapshot (shared by the summary and containment views)."""

    def __init__(self, snap):
        self.snap = snap
        self.total = snap.statistics().total

    def has_edges(self, v):
        h = self.snap.heap
        return int(h.first_edge[v + 1]) > int(h.first_edge[v])

    def instance_row(self, v, depth, style=""):
        h = self.snap.heap
        return Row(key=("node", v), kind="instance", node=v, depth=depth, style=style,
                   expandable=self.has_edges(v), ancestors=(v,),
                   cells=[node_label(self.snap, v), format_distance(int(h.distance[v])), "",
                          _size(int(h.self_size[v]), self.total), _size(int(h.retained[v]), self.total)])

    def quick(self, row):
        return row.kind == "class" or self.snap.answers_at_once(row.node, "edges")

    def loading_text(self, row):
        return f"\u2026 ordering {self.snap.edge_count(row.node):,} edges"

    def edge_rows(self, row, offset=0):
        """A page of the outgoing edges of row.node, largest retained first (DevTools' default)."""
        snap, h = self.snap, self.snap.heap
        edges, count = snap.edges_by_retained(row.node, offset, PAGE)
        out = []
        for e in edges:
            v = e.target
            cycle = v in row.ancestors
            out.append(Row(key=("edge", e.edge), kind="edge", node=v, depth=row.depth + 1,
                           expandable=not cycle and self.has_edges(v), ancestors=row.ancestors + (v,),
                           style="dim" if cycle or e.type == "weak" else "",
                           cells=[f"{e.label} :: {node_label(snap, v)}" + (" (cycle)" if cycle else ""),
                                  format_distance(int(h.distance[v])), "",
                                  _size(int(h.self_size[v]), self.total),
                                  _size(int(h.retained[v]), self.total)]))
        if offset + PAGE < count:
            rest = count - offset - PAGE
            out.append(Row(key=("more-edges", row.key, offset), kind="more", depth=row.depth + 1,
                           cells=[f"\u2026 {rest:,} more edges (Enter)"], slow=not self.quick(row),
                           payload=lambda: self.edge_rows(row, offset + PAGE)))
        return out


SUMMARY_COLUMNS = [Column("Constructor", 0, "<", "name", min_width=32),
                   Column("Distance", 10, ">", "distance", min_width=8, short="Dist."),
                   Column("Count", 9, ">", "count", min_width=7), Column("Shallow", 13, ">", "shallow"),
                   Column("Retained", 13, ">", "retained")]


class SummaryModel(RowModel, _ObjectRows):
    """Classes; a class expands into its instances (paged), an instance into its edges."""

    columns = SUMMARY_COLUMNS

    def __init__(self, snap, name_filter=""):
        _ObjectRows.__init__(self, snap)
        self.sort_key, self.descending = "retained", True
        self.name_filter = name_filter
        self.mask = None  # a node filter: allocated between snapshots, or by a function
        self.mask_label = ""

    def roots(self):
        rows = self.snap.classes(sort=self.sort_key, descending=self.descending,
                                 name_filter=self.name_filter or None, mask=self.mask)
        return [Row(key=("class", r.key), kind="class", expandable=True, payload=r,
                    cells=[r.name,
                           format_distance(r.distance), f"{r.count:,}", _size(r.self_size, self.total),
                           _size(r.retained_size, self.total)]) for r in rows]

    def instance_sort(self):
        return self.sort_key if self.sort_key in ("retained", "shallow", "distance") else "retained"

    def children(self, row):
        if row.kind == "class":
            return self.instance_rows(row, 0)
        return self.edge_rows(row)

    def instance_rows(self, row, offset, limit=PAGE):
        page, total = self.snap.instances(row.payload.index, self.instance_sort(), offset, limit, self.mask)
        out = [self.instance_row(v, 1) for v in page]
        if offset + len(page) < total:
            rest = total - offset - len(page)
            out.append(Row(key=("more", row.key, offset), kind="more", depth=1,
                           cells=[f"\u2026 {rest:,} more (Enter)"],
                           payload=lambda: self.instance_rows(row, offset + limit)))
        return out

    def position_of(self, class_row, v):
        """Where instance v falls in its class under the current instance order (and filter)."""
        return self.snap.instance_position(class_row.index, v, self.instance_sort(), self.mask)


class ContainmentModel(RowModel, _ObjectRows):
    """DevTools' Containment view: the root's edges, and each object's edges below it."""

    columns = [Column("Object", 0, "<"), Column("Distance", 8, ">"), Column("", 1, ">"),
               Column("Shallow", 13, ">"), Column("Retained", 13, ">")]

    def __init__(self, snap):
        _ObjectRows.__init__(self, snap)

    def roots(self):
        root = self.snap.root
        return self.edge_rows(Row(key=("root",), cells=[], node=root, depth=-1, ancestors=(root,)))

    def children(self, row):
        return self.edge_rows(row)


class DominatorsModel(RowModel, _ObjectRows):
    """The dominator tree: an object's children are what it alone keeps alive, biggest first (the
    retained sizes DevTools computes are the sizes of these subtrees)."""

    columns = [Column("Object", 0, "<"), Column("Distance", 8, ">"), Column("", 1, ">"),
               Column("Shallow", 13, ">"), Column("Retained", 13, ">")]

    def __init__(self, snap, start=None):
        _ObjectRows.__init__(self, snap)
        self.start = snap.root if start is None else start

    def roots(self):
        return self.dominated_rows(self.start, 0, (self.start,))

    def children(self, row):
        return self.dominated_rows(row.node, row.depth + 1, row.ancestors)

    def quick(self, row):
        return self.snap.answers_at_once(row.node, "dominated", PAGE)

    def loading_text(self, row):
        return f"\u2026 ordering {self.snap.dominated_count(row.node):,} objects"

    def dominated_rows(self, v, depth, ancestors, offset=0):
        snap, h = self.snap, self.snap.heap
        kids, total = snap.dominated(v, offset + PAGE)
        out = []
        for c in kids[offset:]:
            out.append(Row(key=("dom", c), kind="instance", node=c, depth=depth, ancestors=ancestors + (c,),
                           expandable=snap.dominated_count(c) > 0,
                           cells=[node_label(snap, c), format_distance(int(h.distance[c])), "",
                                  _size(int(h.self_size[c]), self.total), _size(int(h.retained[c]), self.total)]))
        if offset + PAGE < total:
            rest = total - offset - PAGE
            out.append(Row(key=("more-dom", v, offset), kind="more", depth=depth,
                           cells=[f"\u2026 {rest:,} more (Enter)"], slow=total >= BIG,
                           payload=lambda: self.dominated_rows(v, depth, ancestors, offset + PAGE)))
        return out


class SearchResultsModel(RowModel, _ObjectRows):
    """Objects DevTools' search found, in snapshot order; each expands into its edges."""

    columns = [Column("Object", 0, "<"), Column("Distance", 8, ">"), Column("", 1, ">"),
               Column("Shallow", 13, ">"), Column("Retained", 13, ">")]

    def __init__(self, snap, found):
        _ObjectRows.__init__(self, snap)
        self.found = found

    def roots(self):
        return self.result_rows(0)

    def result_rows(self, offset):
        out = [self.instance_row(v, 0) for v in self.found[offset:offset + PAGE]]
        if offset + PAGE < len(self.found):
            rest = len(self.found) - offset - PAGE
            out.append(Row(key=("more-found", offset), kind="more", depth=0,
                           cells=[f"\u2026 {rest:,} more (Enter)"], payload=lambda: self.result_rows(offset + PAGE)))
        return out

    def children(self, row):
        return self.edge_rows(row)


class HistoryModel(SearchResultsModel):
    """Objects visited, the most recent first (DevTools' History of a session of looking)."""

    def __init__(self, snap, visited):
        seen, order = set(), []
        for v in reversed(visited):
            if v not in seen:
                seen.add(v)
                order.append(v)
        super().__init__(snap, order)


class RetainersModel(RowModel):
    """DevTools' Retainers view for one object: who holds it, and who holds those, lazily. `view`
    is the snapshot's Retainers view with the ignored retainers ("Ignore this retainer") left out."""

    columns = [Column("Retainer", 0, "<"), Column("Dist.", 7, ">"), Column("Retained", 13, ">")]

    def __init__(self, snap, node, view=None):
        self.snap, self.node = snap, node
        self.view = view if view is not None else snap.retainers_view()
        self.total = snap.statistics().total

    def roots(self):
        if self.node is None:
            return []
        return self._retainers(self.node, 0, (self.node,), 0)

    def children(self, row):
        return self._retainers(row.node, row.depth + 1, row.ancestors, 0)

    def quick(self, row):
        return self.snap.answers_at_once(row.node, "retainers", PAGE)

    def loading_text(self, row):
        return f"\u2026 ordering {self.snap.retainer_slots(row.node):,} retainers"

    def _retainers(self, v, depth, ancestors, offset):
        snap, h = self.snap, self.snap.heap
        out = []
        for r in self.view.rows(v, offset=offset, limit=PAGE):
            e, src = r.edge, r.edge.source
            cycle = src in ancestors
            ignored = r.edge_ignored or r.node_ignored
            out.append(Row(key=("ret", e.edge), kind="edge", node=src, depth=depth,
                           expandable=not cycle and src != snap.root and not r.node_ignored,
                           ancestors=ancestors + (src,), payload=r,
                           style="dim" if cycle or ignored or r.distance >= UNREACHABLE_BASE else "",
                           cells=[f"{e.label} in {node_label(snap, src)}" + (" (cycle)" if cycle else ""),
                                  "ignored" if ignored else format_distance(r.distance),
                                  _size(int(h.retained[src]), self.total)]))
        total = self.view.count(v)
        if offset + PAGE < total:
            rest = total - offset - PAGE
            out.append(Row(key=("more-ret", v, offset), kind="more", depth=depth,
                           cells=[f"\u2026 {rest:,} more retainers (Enter)"], slow=total >= BIG_RETAINERS,
                           payload=lambda: self._retainers(v, depth, ancestors, offset + PAGE)))
        return out


def expand_shortest_path(model, rows, wait=False):
    """Like DevTools: open the first retainer repeatedly (20 levels at most) while it is not a
    global; the first retainers are the closest to a root, so this shows one shortest path. `rows`
    (a Retainers view's first rows) are expanded in place. Returns the index of a retainer left
    closed because its own retainers are not at hand (model.quick), or None; `wait`: compute them
    (in a worker thread)."""
    index = 0
    for _ in range(20):
        if index >= len(rows):
            break
        row = rows[index]
        d = row.payload.distance if row.node is not None else -1  # the Retainers view's distance
        if not row.expandable or not 1 < d < UNREACHABLE_BASE:
            break
        if not wait and not model.quick(row):
            return index
        rows[index + 1:index + 1] = list(model.children(row))
        row.expanded = True
        index += 1
    return None


class ComparisonModel(RowModel):
    """DevTools' Comparison view: per class # New, # Deleted, # Delta, Alloc./Freed Size, Size Delta;
    a class expands into its new objects (current snapshot) then its deleted ones (base)."""

    # At 80 columns the numbers give up width (down to what their values need) so that a class name
    # and an object's @id fit; wider terminals give the spare width to the names.
    columns = [Column("Constructor", 0, "<", "name", min_width=26),
               Column("# New", 8, ">", "new_count", min_width=6),
               Column("# Deleted", 11, ">", "deleted_count", min_width=6, short="# Del."),
               Column("# Delta", 9, ">", "count_delta", min_width=7, short="# \u0394"),
               Column("Alloc. Size", 13, ">", "alloc_size", min_width=8, short="Alloc."),
               Column("Freed Size", 13, ">", "freed_size", min_width=8, short="Freed"),
               Column("Size Delta", 13, ">", "size_delta", min_width=9, short="Size \u0394")]

    SMALL = 20_000  # classes with fewer new and deleted objects than this expand at once

    def __init__(self, diff):
        self.diff = diff
        self.sort_key, self.descending = "alloc_size", True
        self.members = {}  # class key -> (ordinals of its new objects, of its deleted ones)

    def roots(self):
        fmt = lambda n: f"{n:,}"
        return [Row(key=("diff", r.key), kind="class", expandable=True, payload=r,
                    cells=[r.name, f"{r.new_count:,}", f"{r.deleted_count:,}", signed(r.count_delta, fmt),
                           human_size(r.alloc_size), human_size(r.freed_size),
                           signed(r.size_delta, human_size)])
                for r in self.diff.sorted_rows(self.sort_key, self.descending)]

    def quick(self, row):
        r = row.payload
        return row.kind != "class" or r.key in self.members or (
            r.new_count + r.deleted_count < self.SMALL and self.diff.current.id_index_ready()
            and self.diff.base.id_index_ready())

    def loading_text(self, row):
        r = row.payload
        return f"\u2026 finding {r.new_count:,} new and {r.deleted_count:,} deleted objects by id"

    def children(self, row):
        if row.kind != "class":
            return []
        r = row.payload
        if r.key not in self.members:
            self.members[r.key] = (self.diff.added_ordinals(r.key), self.diff.deleted_ordinals(r.key))
        added, deleted = self.members[r.key]
        return self._page(row, added, deleted, 0)

    def _page(self, row, added, deleted, offset):
        cur, base = self.diff.current, self.diff.base
        items = len(added) + len(deleted)
        out = []
        for i in range(offset, min(offset + DIFF_PAGE, items)):
            snap, v, kind = (cur, int(added[i]), "new") if i < len(added) else (base, int(deleted[i - len(added)]), "deleted")
            size = human_size(int(snap.heap.self_size[v]))
            out.append(Row(key=(kind, v), kind="instance", node=v, depth=1, style=kind,
                           payload=snap,
                           cells=[node_label(snap, v), "\u2022" if kind == "new" else "",
                                  "\u2022" if kind == "deleted" else "", "",
                                  size if kind == "new" else "", size if kind == "deleted" else "", ""]))
        if offset + DIFF_PAGE < items:
            rest = items - offset - DIFF_PAGE
            out.append(Row(key=("more", row.key, offset), kind="more", depth=1,
                           cells=[f"\u2026 {rest:,} more (Enter)"],
                           payload=lambda: self._page(row, added, deleted, offset + DIFF_PAGE)))
        return out


class SuspectsModel(RowModel):
    """Leak suspects (holders that keep receiving memory); each expands into what arrives, the holder
    and its path from a root."""

    columns = [Column("Holder . edge", 0, "<"), Column("Arrived", 10, ">"), Column("Per round", 14, ">"),
               Column("Added", 10, ">")]

    def __init__(self, suspects):
        self.suspects = suspects

    def roots(self):
        return [Row(key=("suspect", s.key), kind="class", expandable=True, payload=s,
                    cells=[s.edge + (f"  ({os.path.basename(s.source)})" if s.source else ""),
                           f"{s.count:,}", "/".join(str(c) for c, _b in s.per_round),
                           human_size(s.bytes)]) for s in self.suspects]

    def children(self, row):
        s = row.payload
        lines = ["arrives: " + ", ".join(f"{n:,} {name} ({human_size(b)})" for name, n, b in s.classes[:3]),
                 f"holder: {s.holder.class_name} @{s.holder.id}, retains "
                 + " → ".join(human_size(x) for x in s.holder_growth)]
        if s.source:
            lines.append(f"source: {s.source}")
        lines.append("held by:")
        rows = [Row(key=("info", s.key, i), kind="info", depth=1, style="dim", cells=[text])
                for i, text in enumerate(lines)]
        rows += [Row(key=("path", s.key, i), kind="info", depth=1, cells=["  " * (i + 1) + step])
                 for i, step in enumerate(s.path)]
        return rows


PROFILE_COLUMNS = [Column("Function", 0, "<", "name"), Column("Self Size", 15, ">", "self", min_width=12),
                   Column("Total Size", 15, ">", "total", min_width=12), Column("Location", 28, "<", min_width=16)]


def _profile_cells(label, self_size, total, grand, location):
    return [label, _size(self_size, grand), _size(total, grand), location[-28:]]


class BottomUpModel(RowModel):
    """DevTools' Heavy (Bottom Up) view: functions by the bytes they allocated, expanding into callers."""

    columns = PROFILE_COLUMNS

    def __init__(self, profile):
        self.profile = profile
        self.sort_key, self.descending = "self", True

    def _row(self, r, depth):
        p = self.profile
        expandable = any(p.nodes[cur].parent > 0 for _o, cur in r.origins)
        return Row(key=("bu", depth, r.frame.uid, id(r)), kind="class", depth=depth, payload=r,
                   expandable=expandable,
                   cells=_profile_cells(r.frame.label, r.self_size, r.total_size, p.total, r.frame.location))

    def roots(self):
        key = {"self": lambda r: r.self_size, "total": lambda r: r.total_size,
               "name": lambda r: r.frame.label}[self.sort_key]
        rows = sorted(self.profile.bottom_up(), key=key, reverse=self.descending)
        return [self._row(r, 0) for r in rows]

    def children(self, row):
        return [self._row(r, row.depth + 1) for r in self.profile.callers(row.payload)]


class TopDownModel(RowModel):
    """DevTools' Tree (Top Down) view: the call tree from the root, heaviest first."""

    columns = PROFILE_COLUMNS

    def __init__(self, profile):
        self.profile = profile
        self.sort_key, self.descending = "total", True

    def _rows(self, indexes, depth):
        p = self.profile
        key = {"self": lambda i: p.nodes[i].self_size, "total": lambda i: p.nodes[i].total,
               "name": lambda i: p.nodes[i].frame.label}[self.sort_key]
        out = []
        for i in sorted(indexes, key=key, reverse=self.descending):
            n = p.nodes[i]
            if n.total == 0:
                continue  # DevTools prunes branches that allocated nothing
            out.append(Row(key=("td", i), kind="class", depth=depth, payload=i, expandable=bool(n.children),
                           cells=_profile_cells(n.frame.label, n.self_size, n.total, p.total, n.frame.location)))
        return out

    def roots(self):
        return self._rows(self.profile.nodes[0].children if self.profile.nodes else [], 0)

    def children(self, row):
        return self._rows(self.profile.nodes[row.payload].children, row.depth + 1)
