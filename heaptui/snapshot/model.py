"""One snapshot, fully indexed: DevTools' processing pipeline over the loader's columns.

`HeapSnapshot.build(raw)` runs the passes in DevTools' order (semantics doc section 3): retainers,
DOM state, flags, essential edges, shallow-size redistribution, dominators and retained sizes,
distances, class names and interface names, class aggregates, statistics. Every result is one numpy
array per fact; the few Python objects are per distinct string or per class, never per node.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from typing import TYPE_CHECKING

from . import kernels as K
from .spill import drop
from .names import (EPHEMERON_EDGE, class_name_for_tag, format_property_name, js_order_key,
                    js_parse_int, utf16_len)

if TYPE_CHECKING:  # the loader (and ijson) is imported only when a file is parsed
    from .loader import RawSnapshot

MAX_INTERFACE_NAME_LENGTH = 120
# Up to this many nodes, and when the machine has memory to spare, the passes that do not need the
# dominator tree run beside it on a second thread (they release the GIL). Otherwise they run after
# it: overlapping would stack their arrays on the dominator pass's peak, and big snapshots are where
# memory is tight.
OVERLAP_MAX_NODES = 8_000_000
OVERLAP_BYTES_PER_NODE = 200
OVERLAP_BYTES_PER_EDGE = 20
# What the dominator pass does not read, moved out of memory while it runs (big snapshots only).
SPILLED = ("node_name", "node_id", "node_type", "edge_name", "edge_type", "locations", "detachedness",
           "node_trace", "strings.blob", "strings.offsets")
SPILL_MIN_BYTES = 1 << 20
MIN_OBJECTS_PER_INTERFACE = 2
MIN_INTERFACE_PROPORTION = 1000
SCRIPT_NAME_TRIES = 4  # located functions of one script tried for its name


def _noop(phase, done, total):
    pass


def _short_of_memory(nodes, edges):
    """Whether the machine's available memory is under twice what overlapping the passes would
    take at its peak (a generous estimate per node and per edge); then the frugal order is used."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
            else:
                return False
    except (OSError, ValueError):
        return False
    return available < 2 * (OVERLAP_BYTES_PER_NODE * nodes + OVERLAP_BYTES_PER_EDGE * edges)


@dataclass
class Statistics:
    total: int
    native: int
    typed_arrays: int
    v8heap: int
    code: int
    js_arrays: int
    strings: int
    system: int

    def as_devtools(self) -> dict:
        """The shape of DevTools' getStatistics()."""
        return {
            "total": self.total,
            "native": {"total": self.native, "typedArrays": self.typed_arrays},
            "v8heap": {"total": self.v8heap, "code": self.code, "jsArrays": self.js_arrays,
                       "strings": self.strings, "system": self.system},
        }


class TypeCodes:
    """Numeric codes of node and edge types by name; a type the file lacks gets a code nothing has."""

    def __init__(self, names):
        self.names = list(names)
        self._index = {n: i for i, n in enumerate(self.names)}

    def __getitem__(self, name):
        return self._index.get(name, 255)


class HeapSnapshot:
    """Arrays of one snapshot after DevTools' analysis. Node references are ordinals."""

    def __init__(self):
        self.persist = None  # called with arrays computed after the index was saved
        self.member_first = self.members = None  # see class_members()
        self.id_order = None  # see ordinals_by_id()
        self._spill_map = None  # the private file holding columns moved out of memory, if any
        self._string_ids = None
        self._lock = threading.Lock()  # lazily built indexes: built once, whoever asks first
        self.strings = None  # a StringTable
        self.class_names: list = []
        self.class_keys: list = []
        self.interface_definitions: list = []
        self._script_names = None  # script id -> name, found on first use

    # ------------------------------------------------------------------------------------
    @classmethod
    def build(cls, raw: RawSnapshot, progress=None) -> "HeapSnapshot":
        s = cls()
        progress = progress or _noop
        s._take_raw(raw)
        del raw  # the columns now belong to the snapshot; what it does not keep can be freed
        before = [("dom state", s._dom_state), ("flags", s._flags),
                  ("essential edges", s._essential_edges), ("shallow sizes", s._shallow_sizes)]
        # Independent of the dominator tree: can run beside it on a second core.
        beside = [("distances", s._distances), ("class names", s._class_names),
                  ("class keys", s._class_ids), ("flags", s._queryable)]
        after = [("classes", s._aggregates), ("statistics", s._statistics)]
        total = len(before) + 1 + len(beside) + len(after)
        done = 0

        def run(steps):
            nonlocal done
            for phase, step in steps:
                progress(phase, done, total)
                step()
                done += 1
                drop(s._spill_map)  # spilled columns come back only while a pass reads them

        run(before)
        if s.node_count <= OVERLAP_MAX_NODES and not _short_of_memory(s.node_count, s.edge_count):
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="heaptui-index") as pool:
                side = pool.submit(run, beside)
                run([("dominators", s._dominators)])
                side.result()
        else:
            # Overlapping would add the side passes' arrays to the dominator pass's peak; and the
            # columns the dominator pass does not read wait on disk meanwhile.
            s._spill(SPILLED)
            run([("dominators", s._dominators)] + beside)
        run(after)
        progress("done", total, total)
        s._drop_scratch()
        return s

    def _take_raw(self, raw):
        self.meta = raw.meta
        self.node_types = TypeCodes(raw.node_types)
        self.edge_types = TypeCodes(raw.edge_types)
        self.node_type_names = list(raw.node_types)
        self.edge_type_names = list(raw.edge_types)
        self.node_count = raw.node_count
        self.edge_count = raw.edge_count
        self.root = raw.root_ordinal
        self.extra_native_bytes = raw.extra_native_bytes
        self.node_type = raw.node_type
        self.node_name = raw.node_name
        self.node_id = raw.node_id
        self.raw_self_size = raw.node_self
        self.first_edge = raw.first_edge
        self.edge_type = raw.edge_type
        self.edge_name = raw.edge_name
        self.edge_to = raw.edge_to
        self.strings = raw.strings
        self.detachedness = raw.node_detachedness
        trace = raw.node_trace
        self.node_trace = trace if trace is not None and trace.any() else np.zeros(0, np.uint32)
        self.ret_first = self.ret_edge = None
        self.locations = raw.locations
        self.location_fields = raw.location_fields
        self.samples = raw.samples
        self.trace_function_infos = raw.trace_function_infos
        self.trace_ids = raw.trace_ids
        self.trace_functions = raw.trace_functions
        self.trace_parents = raw.trace_parents
        self.trace_counts = raw.trace_counts
        self.trace_sizes = raw.trace_sizes
        self.node_field_count = len(raw.meta["node_fields"])
        self._string_ids = None

    def _spill(self, names):
        """Moves the columns `names` to a private file, mapped back copy-on-write in their place: their
        pages leave the resident set until a later pass reads them again (from the page cache). The
        dominator pass's scratch arrays take their room. Best effort: on any OSError (no room, no
        writable cache directory) the columns stay in memory."""
        from .spill import spill_arrays
        arrays = {}
        for name in names:
            holder, attr = (self.strings, name[8:]) if name.startswith("strings.") else (self, name)
            a = getattr(holder, attr, None)
            if isinstance(a, np.ndarray) and a.nbytes >= SPILL_MIN_BYTES:
                arrays[name] = a
        mapped, self._spill_map = spill_arrays(arrays)
        for name, a in mapped.items():
            holder, attr = (self.strings, name[8:]) if name.startswith("strings.") else (self, name)
            setattr(holder, attr, a)

    def _drop_scratch(self):
        for name in ("_essential", "_page", "_wm_table_id", "_wm_suffix", "_string_ids", "raw_self_size"):
            if hasattr(self, name):
                setattr(self, name, None)

    # -- strings ------------------------------------------------------------------------------
    def string_id(self, text):
        """The id of the file's string equal to `text` (V8 writes each string once), or -1: an id that
        no node or edge name has, so comparisons with it never match."""
        if self._string_ids is None:
            self._string_ids = {}
        if text not in self._string_ids:
            self._string_ids[text] = self.strings.find(text)
        return self._string_ids.get(text, -1)

    def add_string(self, text):
        return self.strings.append(text)

    # -- passes -------------------------------------------------------------------------------
    def retainer_index(self):
        """(ret_first, ret_edge): incoming edges per node, in DevTools' order. Built on first use
        (the Summary does not need it): 4 bytes per node and per edge."""
        with self._lock:
            if getattr(self, "ret_first", None) is None:
                first, edges = K.build_retainers(self.first_edge, self.edge_to, self.node_count)
                self.ret_first, self.ret_edge = first, edges
                if self.persist is not None:
                    self.persist({"ret_first": first, "ret_edge": edges})
        return self.ret_first, self.ret_edge

    def class_members(self):
        """(member_first, members): the instances (self size > 0) of each class, in ordinal order,
        class c's at members[member_first[c]:member_first[c + 1]]. 4 bytes per instance; built on
        first use and kept in the index cache, so that listing a class's instances from the cache
        needs no pass over every node."""
        with self._lock:
            if self.members is None:
                first, members = K.members_by_class(self.class_id, len(self.class_names), self.self_size)
                self.member_first, self.members = first, members
                if self.persist is not None:
                    self.persist({"member_first": first, "members": members})
        return self.member_first, self.members

    def ordinals_by_id(self):
        """The node ordinals sorted by object id (4 bytes per node): a comparison of two snapshots
        walks both in id order. Built on first use and kept in the index cache."""
        with self._lock:
            if self.id_order is None:
                self.id_order = K.id_order(np.ascontiguousarray(self.node_id, dtype=np.uint32))
                if self.persist is not None:
                    self.persist({"id_order": self.id_order})
        return self.id_order

    def _dom_state(self):
        if self.detachedness is None:
            return
        native = self.node_types["native"]
        state, renamed = K.propagate_dom_state(
            self.detachedness, self.node_type, self.first_edge, self.edge_to, self.edge_type,
            native, self.edge_types["hidden"], self.edge_types["weak"])
        self.detachedness = state
        hit = np.nonzero(renamed)[0]
        if hit.size:
            names = self.node_name.copy()
            cache = {}
            for v in hit:
                old = int(names[v])
                if old not in cache:
                    cache[old] = self.add_string("Detached " + self.strings[old])
                names[v] = cache[old]
            self.node_name = names

    def _flags(self):
        t = self.node_types
        synthetic = self.node_type == t["synthetic"]
        dom_trees = self.string_id("(Document DOM trees)")
        is_dom_trees_root = synthetic & (self.node_name == dom_trees)
        root_children = self.edge_to[self.first_edge[self.root]:self.first_edge[self.root + 1]]
        self.has_user_roots = bool(((~synthetic[root_children]) | is_dom_trees_root[root_children]).any())
        e = self.edge_types
        self._page = K.mark_page_owned(self.root, self.first_edge, self.edge_to, self.edge_type,
                                       is_dom_trees_root, e["shortcut"], e["element"], e["weak"])
        flags = self._page * np.uint8(K.FLAG_PAGE)
        if self.detachedness is not None and (self.detachedness == 2).any():
            native = self.node_type == t["native"]
            used = np.unique(self.node_name[native])
            hits = np.array([i for i in used if self.strings[i].startswith("Detached ")], dtype=np.uint32)
            if hits.size:
                detached = native & np.isin(self.node_name, hits)
                flags |= detached.astype(np.uint8) * np.uint8(K.FLAG_DETACHED)
        self.flags = flags

    def _queryable(self):
        """DevTools' canBeQueried flag (objects reachable from a global by JS-visible edges)."""
        t, e = self.node_types, self.edge_types
        queryable = K.mark_queryable(self.root, self.first_edge, self.edge_to, self.edge_type,
                                     self.node_type, t["synthetic"], e["hidden"], e["internal"], e["weak"])
        self.flags |= queryable * np.uint8(K.FLAG_QUERYABLE)

    def _weakmap_tables(self):
        """Per string id: the WeakMap table id named by an ephemeron edge name, and its pair id."""
        nstr = len(self.strings)
        table = np.full(nstr, -1, dtype=np.int64)
        suffix = np.full(nstr, -1, dtype=np.int32)
        used = K.edge_names_of_type(self.edge_type, self.edge_name, self.edge_types["internal"], nstr)
        pairs = {}
        ids = np.nonzero(used)[0]
        blob = self.strings.blob
        blob = blob if isinstance(blob, np.ndarray) else np.frombuffer(blob, dtype=np.uint8)
        ids = ids[ids < self.strings.file_count]
        hit = K.strings_containing(blob, self.strings.offsets, ids,
                                   np.frombuffer(b" / part of key (", dtype=np.uint8), True)
        for i in ids[hit.astype(bool)]:
            m = EPHEMERON_EDGE.match(self.strings[i])
            if m:
                table[i] = int(m.group(2))
                suffix[i] = pairs.setdefault(m.group(1), len(pairs))
        self._wm_table_id, self._wm_suffix, self._wm_pair_count = table, suffix, len(pairs)

    def _essential_edges(self):
        self._weakmap_tables()
        e = self.edge_types
        self._essential = K.essential_edges(
            self.root, self.first_edge, self.edge_to, self.edge_type, self.edge_name, self.node_id,
            self._page, self._wm_table_id, e["internal"], e["weak"], e["shortcut"], True)
        self._page = self._wm_table_id = None

    def _shallow_sizes(self):
        self.self_size = self.raw_self_size
        if not self.has_user_roots:
            return
        t = self.node_types
        ownable = (self.node_type == t["hidden"]) | (self.node_type == t["array"])
        ext = self.string_id("system / ExternalStringData")
        if ext >= 0:
            ownable |= (self.node_type == t["native"]) & (self.node_name == ext)
        K.redistribute_shallow_sizes(
            self.raw_self_size, ownable, self.root, self.node_type, t["synthetic"], self.first_edge,
            self.edge_to, self.edge_type, self.edge_types["weak"])

    def _dominators(self):
        pred_first, pred = K.essential_predecessors(self.first_edge, self.edge_to, self._essential)
        numbering = K.dfs_numbering(self.root, self.first_edge, self.edge_to, self._essential, pred_first)
        self._essential = None
        idom, order = K.dominators(self.root, *numbering, pred_first, pred)
        del pred_first, pred, numbering
        self.retained = K.retained_sizes(idom, order, self.self_size)
        del order
        self.idom = idom

    def _distances(self):
        self.distance, self.bfs_edge = self.compute_distances()

    def compute_distances(self, ignored=None):
        """DevTools' distances and the edge each node was reached by; with `ignored` (a flag per
        node), the Retainers view's recomputation that does not enter those nodes."""
        t, e = self.node_types, self.edge_types
        md = self.string_id("(map descriptors)")
        md_int = np.full(1, -1, dtype=np.int64)
        if md >= 0:
            names = K.map_descriptor_edge_names(
                self.node_type, self.node_name, self.first_edge, self.edge_type, self.edge_name,
                t["array"], md, e["element"], e["hidden"])
            if names.size:
                md_int = np.full(len(self.strings), -1, dtype=np.int64)
                for i in np.unique(names):
                    v = js_parse_int(self.strings[i])
                    md_int[i] = -1 if v is None else v
        if md_int.shape[0] < len(self.strings):
            md_int = np.full(len(self.strings), -1, dtype=np.int64)
        wm_suffix, wm_pairs = self.weakmap_pairs()
        return K.distances(
            self.root, self.first_edge, self.edge_to, self.edge_type, self.edge_name, self.node_type,
            self.node_name, t["synthetic"], self.string_id("(Document DOM trees)"), e["weak"],
            e["internal"], e["element"], e["hidden"],
            t["hidden"], t["array"], self.string_id("system / NativeContext"),
            self.string_id("sloppy_function_map"), md, md_int, wm_suffix, wm_pairs,
            np.zeros(1, dtype=np.uint8) if ignored is None else ignored)

    def weakmap_pairs(self):
        """(per string id: the pair id of an ephemeron edge name or -1, how many pairs); computed
        again after loading, where it was dropped."""
        if getattr(self, "_wm_suffix", None) is None:
            self._weakmap_tables()
        return self._wm_suffix, self._wm_pair_count

    # -- class names --------------------------------------------------------------------------
    def _class_names(self):
        """DevTools' calculateObjectNames, then interface names for plain objects."""
        self.class_index = self.base_class_index()
        self.interface_definitions = self.infer_interface_definitions()
        self._interface_name_ids = {}
        self.apply_interface_definitions(self.interface_definitions, self.class_index)

    def base_class_index(self):
        """Class-name string per node before interface names (DevTools' calculateObjectNames)."""
        t = self.node_types
        added = getattr(self, "_class_strings", None)
        if added is None:
            added = self._class_strings = {}

        def index_for(text):
            if text not in added:
                added[text] = self.add_string(text)
            return added[text]

        name_class = np.arange(len(self.strings), dtype=np.int64)  # node names are all below this
        type_class = np.full(256, -1, dtype=np.int64)
        fixed = {"hidden": "(system)", "code": "(compiled code)", "closure": "Function", "regexp": "RegExp"}
        for code, name in enumerate(self.node_type_names):
            if name in fixed:
                type_class[code] = index_for(fixed[name])
            elif name not in ("object", "native"):
                type_class[code] = index_for("(" + name + ")")
        used = K.names_used_by(self.node_type, self.node_name, t["object"], t["native"], len(self.strings))
        ids = np.nonzero(used)[0]
        file_ids = ids[ids < self.strings.file_count]
        blob = self.strings.blob
        blob = blob if isinstance(blob, np.ndarray) else np.frombuffer(blob, dtype=np.uint8)
        first = blob[self.strings.offsets[file_ids].astype(np.int64)] if file_ids.size else file_ids
        maybe_tags = np.concatenate([file_ids[(first == ord("<")) | (first == ord("D"))],
                                     ids[ids >= self.strings.file_count]])
        for i in maybe_tags:
            short = class_name_for_tag(self.strings[i])
            if short is not None:
                name_class[i] = index_for(short)
        return K.base_class_index(self.node_type, self.node_name, type_class, name_class)

    def _plain_objects(self):
        """Ordinals of plain JS objects (type object, named exactly 'Object')."""
        obj = self.string_id("Object")
        return np.nonzero((self.node_type == self.node_types["object"]) & (self.node_name == obj))[0] \
            .astype(np.uint32)

    def _property_walk(self, v, limit=True):
        """Property names of node v as the label rule keeps them (edge order, __proto__ skipped)."""
        prop = self.edge_types["property"]
        label_len, names = 1, []
        for e in range(int(self.first_edge[v]), int(self.first_edge[v + 1])):
            if self.edge_type[e] != prop:
                continue
            name = self.strings[self.edge_name[e]]
            if name == "__proto__":
                continue
            formatted = format_property_name(name)
            flen = utf16_len(formatted)
            if limit and label_len > 1 and label_len + flen > MAX_INTERFACE_NAME_LENGTH:
                break
            if label_len != 1:
                label_len += 2
            label_len += flen
            names.append(name)
        return names

    def infer_interface_definitions(self):
        """DevTools' inferInterfaceDefinitions: popular property lists of plain objects, most popular first."""
        objects = self._plain_objects()
        total = int(objects.shape[0])
        if not total:
            return []
        prop = self.edge_types["property"]
        used = K.property_names_of(objects, self.first_edge, self.edge_type, self.edge_name, prop,
                                   len(self.strings))
        fmt_len = np.zeros(len(self.strings), dtype=np.int64)
        for i in np.nonzero(used)[0]:
            fmt_len[i] = utf16_len(format_property_name(self.strings[i]))
        hashes, nprops = K.plain_object_labels(
            objects, self.first_edge, self.edge_type, self.edge_name, prop,
            self.string_id("__proto__"), fmt_len, MAX_INTERFACE_NAME_LENGTH)
        candidates = np.nonzero(nprops > 0)[0]
        if not candidates.size:
            return []
        _uniq, first, counts = np.unique(hashes[candidates], return_index=True, return_counts=True)
        by_label = {}
        for pos, count in zip(first, counts):
            v = int(objects[candidates[pos]])
            props = self._property_walk(v)
            label = "{" + ", ".join(format_property_name(p) for p in props) + "}"
            entry = by_label.get(label)
            if entry is None:
                by_label[label] = [int(count), v, props]
            else:
                entry[0] += int(count)
                if v < entry[1]:
                    entry[1], entry[2] = v, props
        ranked = sorted(by_label.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        min_count = max(MIN_OBJECTS_PER_INTERFACE, total / MIN_INTERFACE_PROPORTION)
        result = []
        for label, (count, _v, props) in ranked:
            if count < min_count:
                break
            result.append({"name": label, "properties": props})
        return result

    def apply_interface_definitions(self, definitions, class_index):
        """DevTools' applyInterfaceDefinitions: each plain object takes the best definition it satisfies.

        Writes the plain objects' class names into class_index (in place) and returns it.
        """
        objects = self._plain_objects()
        class_index[objects] = self.node_name[objects]
        if not definitions or not objects.size:
            return class_index
        trie = _PropertyTrie(definitions)
        prop = self.edge_types["property"]
        used = K.property_names_of(objects, self.first_edge, self.edge_type, self.edge_name, prop,
                                   len(self.strings))
        ordered = sorted(np.nonzero(used)[0].tolist(), key=lambda i: js_order_key(self.strings[i]))
        rank = np.zeros(len(self.strings), dtype=np.int64)
        r, last = -1, None
        for i in ordered:
            s = self.strings[i]
            if s != last:
                r, last = r + 1, s
            rank[i] = r
        hashes = K.plain_object_property_sets(objects, self.first_edge, self.edge_type, self.edge_name,
                                              prop, rank)
        uniq, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        chosen = np.empty(uniq.shape[0], dtype=np.int64)
        for k, pos in enumerate(first):
            v = int(objects[pos])
            props = [self.strings[self.edge_name[e]]
                     for e in range(int(self.first_edge[v]), int(self.first_edge[v + 1]))
                     if self.edge_type[e] == prop]
            match = trie.best_match(props)
            if match is None:
                chosen[k] = -1
            else:
                ids = self.__dict__.setdefault("_interface_name_ids", {})
                if match not in ids:
                    ids[match] = self.add_string(match)
                chosen[k] = ids[match]
        picked = chosen[inverse.reshape(-1)]
        hit = picked >= 0
        class_index[objects[hit]] = picked[hit].astype(np.uint32)
        return class_index

    # -- classes ------------------------------------------------------------------------------
    def _location_index(self):
        lf = self.location_fields
        if not lf or not self.locations.size:
            return np.zeros(0, np.uint32), np.zeros(0, np.uint32)
        rows = self.locations.reshape(-1, len(lf))
        obj = rows[:, lf.index("object_index")].astype(np.int64)
        ok = (obj % self.node_field_count == 0) & (obj // self.node_field_count < self.node_count)
        ordinals = obj // self.node_field_count
        row_ids = np.nonzero(ok)[0]
        ordinals = ordinals[ok]
        # Later records win, as in DevTools' Map.set: keep each ordinal's last row.
        rev = ordinals[::-1]
        uniq, idx = np.unique(rev, return_index=True)
        return uniq.astype(np.uint32), row_ids[::-1][idx].astype(np.uint32)

    def location_of(self, v):
        """(script_id, line, column) of node v, or None."""
        i = int(np.searchsorted(self.loc_nodes, np.uint32(v)))
        if i < self.loc_nodes.shape[0] and self.loc_nodes[i] == v:
            lf = self.location_fields
            row = self.locations.reshape(-1, len(lf))[self.loc_rows[i]]
            return (int(row[lf.index("script_id")]), int(row[lf.index("line")]),
                    int(row[lf.index("column")]))
        return None

    # -- scripts -------------------------------------------------------------------------------
    def script_names(self):
        """script id -> the script's name (a file path, a URL, node:internal/...) for the scripts
        the snapshot names. Locations give only script ids; the names are on Script nodes, which a
        function reaches by closure -shared-> SharedFunctionInfo -script-> Script. Found once."""
        with self._lock:
            if self._script_names is None:
                self._script_names = self._find_script_names()
        return self._script_names

    def _find_script_names(self):
        functions, script_ids = self._located_functions()
        shared = self._first_internal_target(functions, ("shared",))
        scripts = self._first_internal_target(np.maximum(shared, 0), ("script", "script_or_debug_info"))
        scripts[shared < 0] = -1
        names = {}
        for script_id, script in zip(script_ids.tolist(), scripts.tolist()):
            if script < 0 or script_id in names:
                continue
            name = self.strings[self.node_name[script]]
            # With a debugger attached the edge can lead to a DebugInfo ("system / DebugInfo").
            if name and not name.startswith("system / "):
                names[script_id] = name
        return names

    def _located_functions(self, per_script=SCRIPT_NAME_TRIES):
        """(closures, their script ids): the first few located functions of each script. One is
        enough to find a script's name; a few more cover a function whose edges are missing."""
        lf = self.location_fields
        if not lf or not self.loc_nodes.size:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        closures = self.node_type[self.loc_nodes] == self.node_types["closure"]
        nodes = self.loc_nodes[closures].astype(np.int64)
        rows = self.locations.reshape(-1, len(lf))[self.loc_rows[closures]]
        script_ids = rows[:, lf.index("script_id")].astype(np.int64)
        order = np.argsort(script_ids, kind="stable")
        nodes, script_ids = nodes[order], script_ids[order]
        if not nodes.size:
            return nodes, script_ids
        starts = np.flatnonzero(np.r_[True, script_ids[1:] != script_ids[:-1]])
        rank = np.arange(nodes.shape[0]) - np.repeat(starts, np.diff(np.r_[starts, nodes.shape[0]]))
        keep = rank < per_script
        return nodes[keep], script_ids[keep]

    def _first_internal_target(self, nodes, names):
        """Per node: the target of its first internal edge named one of `names`, or -1."""
        out = np.full(nodes.shape[0], -1, dtype=np.int64)
        wanted = [i for i in (self.string_id(n) for n in names) if i >= 0]
        if not wanted or not nodes.size:
            return out
        lo = self.first_edge[nodes].astype(np.int64)
        counts = self.first_edge[nodes + 1].astype(np.int64) - lo
        # Every edge of every node, flattened, with the position of the node that owns it.
        owner = np.repeat(np.arange(nodes.shape[0]), counts)
        edges = np.arange(int(counts.sum())) + np.repeat(lo - (np.cumsum(counts) - counts), counts)
        hit = (self.edge_type[edges] == self.edge_types["internal"]) & np.isin(self.edge_name[edges], wanted)
        owners, first = np.unique(owner[hit], return_index=True)
        out[owners] = self.edge_to[edges[hit][first]]
        return out

    def class_ids_for(self, class_index):
        """Dense class ids for a class-index array: DevTools' internal class keys.

        A node of type object with a source location is keyed by (location, class name); any other
        node by its class-name string index. Returns (class_id per node, name per class, public key
        per class).
        """
        obj = self.node_types["object"]
        located = K.located_mask(self.loc_nodes, self.node_type, obj, self.node_count)
        lut = np.full(len(self.strings), -1, dtype=np.int64)
        class_id, count = K.dense_ids(class_index, located, lut)
        by_id = np.empty(count, dtype=np.int64)
        seen = np.nonzero(lut >= 0)[0]
        by_id[lut[seen]] = seen
        names = [self.strings[i] for i in by_id]
        keys = ["," + s for s in names]
        if self.loc_nodes.size:
            # The key uses the class name text: equal names with different string ids are one class.
            used = np.zeros(len(self.strings), dtype=bool)
            used[class_index[located.view(bool)]] = True
            text_id = np.zeros(len(self.strings), dtype=np.int64)
            texts = {}
            for i in np.nonzero(used)[0]:
                text_id[i] = texts.setdefault(self.strings[i], len(texts))
            lf = self.location_fields
            firsts = K.located_class_ids(
                self.loc_nodes, self.loc_rows, self.locations, len(lf), lf.index("script_id"),
                lf.index("line"), lf.index("column"), self.node_type, obj, class_index, text_id,
                class_id, count)
            for v in firsts:
                sid, line, col = self.location_of(int(v))
                name = self.strings[class_index[v]]
                names.append(name)
                keys.append(f"{sid},{line},{col},{name}")
        return class_id, names, keys

    def _class_ids(self):
        self.loc_nodes, self.loc_rows = self._location_index()
        class_index, self.class_index = self.class_index, None  # derivable again when needed
        self.class_id, self.class_names, self.class_keys = self.class_ids_for(class_index)

    def _aggregates(self):
        agg = self.aggregate(self.class_id, len(self.class_names))
        (self.class_count, self.class_shallow, self.class_distance, self.class_first,
         self.class_retained) = agg
        self.class_visible = _public_rows(self.class_keys, self.class_count, self.class_first)

    def dominated_children(self):
        """(first, children): the dominator tree's child lists, built on demand (8 bytes a node)."""
        return K.dominated_children(self.idom, self.root)

    def aggregate(self, class_id, class_count, mask=None):
        mask = np.zeros(0, dtype=np.uint8) if mask is None else np.ascontiguousarray(mask, dtype=np.uint8)
        count, shallow, mind, first = K.class_aggregates(class_id, class_count, self.self_size,
                                                          self.distance, mask)
        dom_first, dom_children = self.dominated_children()
        retained = K.class_retained(self.root, class_id, class_count, self.self_size, self.retained,
                                    dom_first, dom_children, mask)
        return count, shallow, mind, first, retained

    def _statistics(self):
        t, e = self.node_types, self.edge_types
        strings = np.array([t["string"], t["concatenated string"], t["sliced string"]], dtype=np.int64)
        excluded = np.concatenate([strings, np.array([t["hidden"], t["native"], t["code"]], dtype=np.int64)])
        one_retainer = K.single_retainer_targets(
            self.node_type, self.node_name, self.first_edge, self.edge_to, self.edge_type, self.edge_name,
            excluded, self.string_id("Array"), e["internal"], self.string_id("elements"))
        system, native, typed, code, strings, arrays = K.statistics(
            self.node_type, self.node_name, self.self_size, self.first_edge, self.edge_to,
            self.edge_type, self.edge_name, one_retainer, t["hidden"], t["native"], t["code"],
            strings, self.string_id("system / JSArrayBufferData"), self.string_id("Array"),
            e["internal"], self.string_id("elements"))
        total = int(self.retained[self.root]) + self.extra_native_bytes
        native = int(native) + self.extra_native_bytes
        self.statistics = Statistics(total=total, native=native, typed_arrays=int(typed),
                                     v8heap=total - native, code=int(code), js_arrays=int(arrays),
                                     strings=int(strings), system=int(system))

    @property
    def total_size(self):
        return self.statistics.total


def _public_rows(keys, count, first):
    """Which class rows DevTools shows: per public key, the class first seen last wins (it overwrites
    the others in DevTools' key map); classes without instances of non-zero size are not rows."""
    visible = np.zeros(len(keys), dtype=bool)
    best = {}
    for c, key in enumerate(keys):
        if count[c] == 0:
            continue
        prev = best.get(key)
        if prev is None or first[c] > first[prev]:
            best[key] = c
    for c in best.values():
        visible[c] = True
    return visible


class _PropertyTrie:
    """DevTools' property tree for interface matching (superset matching, most specific wins)."""

    __slots__ = ("root",)

    def __init__(self, definitions):
        self.root = self._node()
        for index, definition in enumerate(definitions):
            props = sorted(definition["properties"], key=js_order_key)
            cur = self.root
            for p in props:
                nxt = cur["next"].get(p)
                if nxt is None:
                    nxt = self._node()
                    cur["next"][p] = nxt
                    key = js_order_key(p)
                    if cur["greatest"] is None or cur["greatest"] < key:
                        cur["greatest"] = key
                cur = nxt
            if cur["match"] is None:
                cur["match"] = (len(props), index, definition["name"])

    @staticmethod
    def _node():
        return {"next": {}, "match": None, "greatest": None}

    @staticmethod
    def _better(a, b):
        if b is None:
            return a
        if a is None or b[0] > a[0]:
            return b
        if a[0] > b[0]:
            return a
        return a if a[1] <= b[1] else b

    def best_match(self, properties):
        """The matching definition's name, or None when the object stays 'Object'."""
        props = sorted(properties, key=js_order_key)
        states = [self.root]
        match = self._better(None, self.root["match"])
        for p in props:
            key = js_order_key(p)
            for state in list(states):
                if state["greatest"] is None or key >= state["greatest"]:
                    states.remove(state)
                nxt = state["next"].get(p)
                if nxt is not None:
                    if not any(s is nxt for s in states):
                        states.append(nxt)
                    match = self._better(match, nxt["match"])
        return match[2] if match is not None else None
