"""Builds small .heapsnapshot files by hand, the way DevTools' own unit tests do."""
from __future__ import annotations

import json

NODE_TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
              "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"]
EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]


class Builder:
    """Nodes get ids ordinal*2+1 unless given; edges are kept per source in insertion order."""

    def __init__(self, node_fields=("type", "name", "id", "self_size", "edge_count", "trace_node_id",
                                    "detachedness")):
        self.node_fields = list(node_fields)
        self.nodes = []  # dicts
        self.edges = []  # per node: list of (type, name_or_index, to)
        self.strings = ["<dummy>"]
        self._index = {}
        self.locations = []
        self.header_extra = {}

    def s(self, text):
        if text not in self._index:
            self._index[text] = len(self.strings)
            self.strings.append(text)
        return self._index[text]

    def node(self, type_, name, self_size=0, id=None, detachedness=0):
        ordinal = len(self.nodes)
        self.nodes.append({"type": NODE_TYPES.index(type_), "name": self.s(name),
                           "id": id if id is not None else ordinal * 2 + 1, "self_size": self_size,
                           "trace_node_id": 0, "detachedness": detachedness})
        self.edges.append([])
        return ordinal

    def edge(self, src, type_, name, dst):
        if type_ in ("element", "hidden"):
            value = int(name)
        else:
            value = self.s(str(name))
        self.edges[src].append((EDGE_TYPES.index(type_), value, dst))

    def location(self, ordinal, script_id, line, column):
        self.locations.append((ordinal, script_id, line, column))

    def document(self):
        nf = len(self.node_fields)
        nodes, edges = [], []
        for o, n in enumerate(self.nodes):
            n = dict(n, edge_count=len(self.edges[o]))
            nodes.extend(n[f] if f in n else 0 for f in self.node_fields)
        for o in range(len(self.nodes)):
            for t, name, to in self.edges[o]:
                edges.extend([t, name, to * nf])
        locations = []
        for o, sid, line, col in self.locations:
            locations.extend([o * nf, sid, line, col])
        node_types = [NODE_TYPES] + ["number"] * (nf - 1)
        node_types[1] = "string"
        header = {
            "meta": {
                "node_fields": self.node_fields,
                "node_types": node_types,
                "edge_fields": ["type", "name_or_index", "to_node"],
                "edge_types": [EDGE_TYPES, "string_or_number", "node"],
                "trace_function_info_fields": ["function_id", "name", "script_name", "script_id",
                                               "line", "column"],
                "trace_node_fields": ["id", "function_info_index", "count", "size", "children"],
                "sample_fields": ["timestamp_us", "last_assigned_id"],
                "location_fields": ["object_index", "script_id", "line", "column"],
            },
            "node_count": len(self.nodes),
            "edge_count": sum(len(e) for e in self.edges),
            "trace_function_count": 0,
        }
        header.update(self.header_extra)
        return {"snapshot": header, "nodes": nodes, "edges": edges, "trace_function_infos": [],
                "trace_tree": [], "samples": [], "locations": locations, "strings": self.strings}

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.document(), f)
        return path
