"""Sampling heap profiles (.heapprofile): DevTools' Heavy (Bottom Up) and Tree (Top Down) views.

A profile is a call tree whose nodes carry the bytes sampled with exactly that stack (selfSize). A
node's total is its self plus its children's totals. Bottom-up groups nodes by function (DevTools'
callUID: name, script id, line, column); a function's total counts each stack once even when the
function recurses (only nodes with no ancestor of the same function add their total). Expanding a
bottom-up row walks to the callers, carrying the sizes of the stacks that went through them.
No printing, no UI.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field


class ProfileError(Exception):
    """Not a usable sampling heap profile; the message says why, in one line."""


@dataclass
class Frame:
    function: str
    script_id: str
    url: str
    line: int  # 0-based, as in the file; -1 when unknown
    column: int

    @property
    def uid(self):
        return f"{self.function}@{self.script_id}:{self.line}:{self.column}"

    @property
    def label(self):
        return self.function or "(anonymous)"

    @property
    def location(self):
        if not self.url:
            return ""
        return f"{self.url}:{self.line + 1}" if self.line >= 0 else self.url


@dataclass
class CallNode:
    frame: Frame
    self_size: int
    parent: int  # index, -1 for the root
    children: list = field(default_factory=list)
    total: int = 0


@dataclass
class BottomUpRow:
    frame: Frame
    self_size: int
    total_size: int
    origins: list  # (leaf-side node, current node) pairs this row stands for
    depth: int = 0

    def as_json(self):
        return {"function": self.frame.label, "url": self.frame.url,
                "line": self.frame.line + 1 if self.frame.line >= 0 else 0,
                "self_size": self.self_size, "total_size": self.total_size}


class SamplingProfile:
    def __init__(self, nodes, path=""):
        self.nodes = nodes
        self.path = path
        for i in range(len(nodes) - 1, -1, -1):  # children come after their parents
            n = nodes[i]
            n.total = n.self_size + sum(nodes[c].total for c in n.children)

    @property
    def total(self):
        return self.nodes[0].total if self.nodes else 0

    # -- top down --------------------------------------------------------------------------------
    def top_down(self, index=0):
        """Children of node `index` (the root by default), largest total first."""
        return sorted(self.nodes[index].children, key=lambda c: -self.nodes[c].total)

    # -- bottom up -------------------------------------------------------------------------------
    def _outermost(self, i, uid):
        """True when no ancestor of node i is the same function (recursion is counted once)."""
        p = self.nodes[i].parent
        while p >= 0:
            if self.nodes[p].frame.uid == uid:
                return False
            p = self.nodes[p].parent
        return True

    def bottom_up(self):
        """Top-level bottom-up rows: one per function, by self size (largest first)."""
        groups = {}
        for i, n in enumerate(self.nodes[1:], start=1):
            groups.setdefault(n.frame.uid, []).append(i)
        rows = []
        for uid, members in groups.items():
            self_size = sum(self.nodes[i].self_size for i in members)
            total = sum(self.nodes[i].total for i in members if self._outermost(i, uid))
            if total == 0 and self_size == 0:
                continue
            rows.append(BottomUpRow(self.nodes[members[0]].frame, self_size, total,
                                    [(i, i) for i in members]))
        rows.sort(key=lambda r: (-r.self_size, -r.total_size, r.frame.label))
        return rows

    def callers(self, row):
        """Expanding a bottom-up row: its callers, each with the sizes that flowed through it."""
        groups = {}
        for origin, current in row.origins:
            parent = self.nodes[current].parent
            if parent <= 0:
                continue  # the root is not a caller
            groups.setdefault(self.nodes[parent].frame.uid, []).append((origin, parent))
        out = []
        for uid, pairs in groups.items():
            seen = set()
            self_size = total = 0
            for origin, parent in pairs:
                if origin in seen:
                    continue
                seen.add(origin)
                self_size += self.nodes[origin].self_size
                if self._outermost(origin, self.nodes[origin].frame.uid):
                    total += self.nodes[origin].total
            out.append(BottomUpRow(self.nodes[pairs[0][1]].frame, self_size, total, pairs, row.depth + 1))
        out.sort(key=lambda r: (-r.self_size, -r.total_size))
        return out


def _frame(node):
    cf = node.get("callFrame")
    if isinstance(cf, dict):
        return Frame(str(cf.get("functionName", "")), str(cf.get("scriptId", "0")), str(cf.get("url", "")),
                     int(cf.get("lineNumber", -1)), int(cf.get("columnNumber", -1)))
    # Very old profiles: the frame's fields on the node, 1-based.
    if "functionName" in node:
        return Frame(str(node.get("functionName", "")), str(node.get("scriptId", "0")), str(node.get("url", "")),
                     int(node.get("lineNumber", 0)) - 1, int(node.get("columnNumber", 0)) - 1)
    raise ProfileError("a profile node has no callFrame")


def load_profile(path):
    """Reads a .heapprofile (from heaptui profile, DevTools, or node --heap-prof)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:2] == b"\x1f\x8b":
                raise ProfileError(f"{path}: the file is gzip-compressed; gunzip it first")
            if b'"snapshot"' in head.replace(b" ", b""):
                raise ProfileError(f"{path}: this is a heap snapshot, not a sampling profile; "
                                   "use 'heaptui summary'")
            f.seek(0)
            doc = json.load(f)
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProfileError(f"{path}: is a directory, not a profile") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: not a heap profile (not UTF-8 JSON)") from None
    except ValueError as e:
        if os.path.getsize(path) == 0:
            raise ProfileError(f"{path}: the file is empty") from None
        raise ProfileError(f"{path}: not a heap profile (invalid JSON: {e.msg} at line {e.lineno})") from None
    except OSError as e:
        raise ProfileError(f"{path}: cannot read: {e.strerror}") from None
    if isinstance(doc, dict) and "snapshot" in doc and "nodes" in doc:
        raise ProfileError(f"{path}: this is a heap snapshot, not a sampling profile; use 'heaptui summary'")
    if not isinstance(doc, dict) or not isinstance(doc.get("head"), dict):
        raise ProfileError(f"{path}: not a heap profile (no 'head' call tree)")
    nodes = []
    stack = [(doc["head"], -1)]
    try:
        while stack:
            node, parent = stack.pop()
            if not isinstance(node, dict):
                raise ProfileError(f"{path}: a profile node is not an object")
            size = node.get("selfSize", 0)
            if not isinstance(size, (int, float)) or size < 0:
                raise ProfileError(f"{path}: a profile node has a bad selfSize {size!r}")
            index = len(nodes)
            nodes.append(CallNode(_frame(node), int(size), parent))
            if parent >= 0:
                nodes[parent].children.append(index)
            children = node.get("children", [])
            if not isinstance(children, list):
                raise ProfileError(f"{path}: a profile node's children are not a list")
            for child in reversed(children):
                stack.append((child, index))
    except (TypeError, ValueError) as e:
        raise ProfileError(f"{path}: malformed profile node ({e})") from None
    except ProfileError as e:
        raise ProfileError(str(e) if str(e).startswith(path) else f"{path}: {e}") from None
    return SamplingProfile(nodes, path)
