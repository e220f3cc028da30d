"""Every node as a line of JSON, written by a compiled kernel straight into byte buffers.

A line is `{"id": …, "type": …, "name": …, "class": …, "self_size": …, "retained_size": …, "distance": …,
"dominator": …}` with the name DevTools shows (concatenated strings rebuilt, plain objects as their
`{a, b, …}` preview). Strings are escaped as Python's `json.dumps(s, ensure_ascii=False)` escapes them,
from the string table's UTF-8 bytes, without a Python object per node or per string; a lone surrogate
(which V8 may write) becomes a `\\udxxx` escape, so every line is valid JSON.
"""
from __future__ import annotations

import json
import queue
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .jit import kernel
from .names import format_property_name, utf16_len

CHUNK_BYTES = 4 << 20
BYTES_PER_LINE = 240  # for the size of a block of nodes: what a buffer holds, about
WRITERS = 2
CONS_NAME_LIMIT = 1024  # a rebuilt concatenation stops growing once it is this long (UTF-16 units)
PREVIEW_LIMIT = 100     # DevTools' limit for a plain object's `{a, b}` preview

SEPARATOR = np.uint32(1 << 31)  # marks a preview name followed by ", "


@kernel(inline="always")
def _put(out, pos, byte):
    if pos < 0 or pos >= out.shape[0]:
        return -1
    out[pos] = byte
    return pos + 1


@kernel(inline="always")
def _put_text(out, pos, text):
    n = text.shape[0]
    if pos < 0 or pos + n > out.shape[0]:
        return -1
    out[pos:pos + n] = text
    return pos + n


@kernel()
def _put_int(out, pos, value):
    if pos < 0:
        return -1
    v = np.int64(value)
    if v < 0:
        pos = _put(out, pos, 45)
        if pos < 0:
            return -1
        v = -v
    n = 1
    x = v
    while x >= 10:
        x //= 10
        n += 1
    if pos + n > out.shape[0]:
        return -1
    for k in range(pos + n - 1, pos - 1, -1):
        out[k] = 48 + v % 10
        v //= 10
    return pos + n


@kernel()
def _put_hex4(out, pos, value):
    pos = _put(out, pos, 92)  # \u
    pos = _put(out, pos, 117)
    for shift in (12, 8, 4, 0):
        d = (value >> shift) & 15
        pos = _put(out, pos, 48 + d if d < 10 else 87 + d)
    return pos


@kernel()
def _put_escaped(out, pos, blob, a, b):
    """The UTF-8 bytes blob[a:b] as the inside of a JSON string, escaped like json.dumps(ensure_ascii=False)."""
    if pos < 0:
        return -1
    i = np.int64(a)
    b = np.int64(b)
    cap = out.shape[0]
    while i < b:
        if pos < 0:
            return -1
        j = i  # a run of bytes that need no escape is copied whole
        while j < b:
            c = blob[j]
            if c < 32 or c == 34 or c == 92 or c == 0xED:
                break
            j += 1
        if j > i:
            if pos + (j - i) > cap:
                return -1
            out[pos:pos + (j - i)] = blob[i:j]
            pos += j - i
            i = j
            if i >= b:
                break
        c = blob[i]
        if c == 34 or c == 92:
            pos = _put(out, pos, 92)
            pos = _put(out, pos, c)
        elif c < 32:
            pos = _put(out, pos, 92)
            if c == 10:
                pos = _put(out, pos, 110)
            elif c == 13:
                pos = _put(out, pos, 114)
            elif c == 9:
                pos = _put(out, pos, 116)
            elif c == 8:
                pos = _put(out, pos, 98)
            elif c == 12:
                pos = _put(out, pos, 102)
            else:
                pos = _put(out, pos, 117)
                pos = _put(out, pos, 48)
                pos = _put(out, pos, 48)
                pos = _put(out, pos, 48 + (c >> 4))
                d = c & 15
                pos = _put(out, pos, 48 + d if d < 10 else 87 + d)
        elif c == 0xED and i + 2 < b and blob[i + 1] >= 0xA0:
            # a lone surrogate, kept by the string table as its three-byte form: \udxxx
            unit = ((np.int64(c) & 15) << 12) | ((np.int64(blob[i + 1]) & 63) << 6) | (np.int64(blob[i + 2]) & 63)
            pos = _put_hex4(out, pos, unit)
            i += 2
        else:
            pos = _put(out, pos, c)
        i += 1
    return pos


@kernel(inline="always")
def _string_span(s, offsets, added_start, nfile):
    """Where string s lies: (in the added strings?, start, end)."""
    if s >= nfile:
        k = s - nfile
        return True, added_start[k], added_start[k + 1]
    return False, np.int64(offsets[s]), np.int64(offsets[s + 1])


@kernel()
def _utf16_length(blob, a, b):
    n = 0
    for i in range(np.int64(a), np.int64(b)):
        c = blob[i]
        if c & 0xC0 != 0x80:
            n += 2 if c >= 0xF0 else 1
    return n


@kernel()
def _put_cons_name(out, pos, v, stack, node_type, node_name, first_edge, edge_type, edge_name, edge_to, blob,
                   offsets, added_blob, added_start, nfile, cons_type, internal_etype, first_id, second_id):
    """A concatenated string's text from its parts, depth first, until it is CONS_NAME_LIMIT long."""
    sp = 0
    stack[sp] = v
    sp += 1
    length = 0
    while sp > 0 and length < CONS_NAME_LIMIT:
        sp -= 1
        n = stack[sp]
        if node_type[n] != cons_type:
            added, a, b = _string_span(node_name[n], offsets, added_start, nfile)
            if added:
                pos = _put_escaped(out, pos, added_blob, a, b)
                length += _utf16_length(added_blob, a, b)
            else:
                pos = _put_escaped(out, pos, blob, a, b)
                length += _utf16_length(blob, a, b)
            continue
        first = 0
        second = 0
        for e in range(first_edge[n], first_edge[n + 1]):
            if first != 0 and second != 0:
                break
            if edge_type[e] == internal_etype:
                if edge_name[e] == first_id:
                    first = edge_to[e]
                elif edge_name[e] == second_id:
                    second = edge_to[e]
        if sp + 2 > stack.shape[0]:
            bigger = np.empty(2 * stack.shape[0], dtype=stack.dtype)
            bigger[:stack.shape[0]] = stack
            stack = bigger
        stack[sp] = second
        stack[sp + 1] = first
        sp += 2
    return pos, stack


@kernel()
def _put_preview(out, pos, v, parts, first_edge, edge_type, edge_name, prop_etype, proto_id, fmt_blob, fmt_start,
                 fmt_len16):
    """A plain object's `{a, b, …}` preview, as DevTools builds it: property names taken alternately
    from the front and the back until the preview would pass PREVIEW_LIMIT."""
    lo = np.int64(first_edge[v])
    hi = np.int64(first_edge[v + 1]) - 1
    from_end = False
    start_len = 1
    end_len = 1
    n_start = 0
    n_end = 0
    while lo <= hi:
        e = hi if from_end else lo
        if edge_type[e] != prop_etype or edge_name[e] == proto_id:
            if from_end:
                hi -= 1
            else:
                lo += 1
            continue
        s = edge_name[e]
        flen = fmt_len16[s]
        if start_len > 1 and start_len + end_len + flen > PREVIEW_LIMIT:
            break
        if n_start + n_end + 1 > parts.shape[0]:
            size = parts.shape[0]
            bigger = np.empty(2 * size, dtype=parts.dtype)
            bigger[:n_start] = parts[:n_start]
            bigger[2 * size - n_end:] = parts[size - n_end:]
            parts = bigger
        if from_end:
            hi -= 1
            mark = np.uint32(0)
            if end_len > 1:  # a separator between this name and the ones after it
                end_len += 2
                mark = SEPARATOR
            end_len += flen
            parts[parts.shape[0] - 1 - n_end] = np.uint32(s) | mark  # the back's names fill it from its end
            n_end += 1
        else:
            lo += 1
            if start_len > 1:
                start_len += 2
            start_len += flen
            parts[n_start] = s
            n_start += 1
        from_end = not from_end
    # Replays the same joins: a separator goes before a name whenever the text so far is longer than
    # its opening brace.
    pos = _put(out, pos, 123)
    length = 1
    for k in range(n_start):
        s = parts[k]
        if length > 1:
            pos = _put(out, pos, 44)
            pos = _put(out, pos, 32)
            length += 2
        pos = _put_escaped(out, pos, fmt_blob, fmt_start[s], fmt_start[s + 1])
        length += fmt_len16[s]
    if lo <= hi:
        pos = _put(out, pos, 44)
        pos = _put(out, pos, 32)
        pos = _put(out, pos, 0xE2)  # …
        pos = _put(out, pos, 0x80)
        pos = _put(out, pos, 0xA6)
    if end_len > 1:
        pos = _put(out, pos, 44)
        pos = _put(out, pos, 32)
    # the back's names were prepended: the last taken comes first
    for k in range(n_end - 1, -1, -1):
        entry = parts[parts.shape[0] - 1 - k]
        s = entry & ~SEPARATOR
        pos = _put_escaped(out, pos, fmt_blob, fmt_start[s], fmt_start[s + 1])
        if entry & SEPARATOR:
            pos = _put(out, pos, 44)
            pos = _put(out, pos, 32)
    pos = _put(out, pos, 125)
    return pos, parts


_SIGNATURE = ("(uint8[::1], int64, int64, uint32[::1], uint8[::1], uint32[::1], int32[::1], {self}, int64[::1],"
              " int32[::1], uint32[::1], uint32[::1], uint8[::1], uint32[::1], uint32[::1], uint8[::1], uint64[::1],"
              " uint8[::1], int64[::1], uint8[::1], int64[::1], int64[::1], uint8[::1], int64[::1], uint8[::1],"
              " int64[::1], int64[::1])")


@kernel(_SIGNATURE.format(self="uint32[::1]"), _SIGNATURE.format(self="int64[::1]"))
def write_lines(out, lo, hi, node_id, node_type, node_name, class_id, self_size, retained, distance, idom,
                first_edge, edge_type, edge_name, edge_to, blob, offsets, added_blob, added_start, fmt_blob, fmt_start,
                fmt_len16, class_json, class_start, type_json, type_start, params):
    """Lines for nodes lo, lo+1, … into `out` while they fit. Returns (bytes written, next node); a line
    that does not fit is not written (next node is then that one)."""
    cons_type, object_type, object_name, prop_etype, internal_etype, first_id, second_id, proto_id, nfile = (
        params[0], params[1], params[2], params[3], params[4], params[5], params[6], params[7], params[8])
    k_id = np.frombuffer(b'{"id": ', dtype=np.uint8)
    k_type = np.frombuffer(b', "type": ', dtype=np.uint8)
    k_name = np.frombuffer(b', "name": "', dtype=np.uint8)
    k_class = np.frombuffer(b'", "class": ', dtype=np.uint8)
    k_self = np.frombuffer(b', "self_size": ', dtype=np.uint8)
    k_retained = np.frombuffer(b', "retained_size": ', dtype=np.uint8)
    k_distance = np.frombuffer(b', "distance": ', dtype=np.uint8)
    k_dominator = np.frombuffer(b', "dominator": ', dtype=np.uint8)
    stack = np.empty(64, dtype=np.uint32)
    parts = np.empty(64, dtype=np.uint32)
    done = 0
    v = lo
    while v < hi:
        pos = _put_text(out, done, k_id)
        pos = _put_int(out, pos, node_id[v])
        pos = _put_text(out, pos, k_type)
        t = node_type[v]
        pos = _put_text(out, pos, type_json[type_start[t]:type_start[t + 1]])
        pos = _put_text(out, pos, k_name)
        if t == cons_type:
            pos, stack = _put_cons_name(out, pos, v, stack, node_type, node_name, first_edge, edge_type, edge_name,
                                        edge_to, blob, offsets, added_blob, added_start, nfile, cons_type,
                                        internal_etype, first_id, second_id)
        elif t == object_type and node_name[v] == object_name:
            pos, parts = _put_preview(out, pos, v, parts, first_edge, edge_type, edge_name, prop_etype, proto_id,
                                      fmt_blob, fmt_start, fmt_len16)
        else:
            added, a, b = _string_span(node_name[v], offsets, added_start, nfile)
            pos = _put_escaped(out, pos, added_blob if added else blob, a, b)
        pos = _put_text(out, pos, k_class)
        c = class_id[v]
        pos = _put_text(out, pos, class_json[class_start[c]:class_start[c + 1]])
        pos = _put_text(out, pos, k_self)
        pos = _put_int(out, pos, self_size[v])
        pos = _put_text(out, pos, k_retained)
        pos = _put_int(out, pos, retained[v])
        pos = _put_text(out, pos, k_distance)
        pos = _put_int(out, pos, distance[v])
        pos = _put_text(out, pos, k_dominator)
        pos = _put_int(out, pos, node_id[idom[v]])
        pos = _put(out, pos, 125)
        pos = _put(out, pos, 10)
        if pos < 0:
            break
        done = pos
        v += 1
    return done, v


@kernel("(int64[::1], uint8[::1], uint32[::1], uint32[::1], uint8[::1], uint32[::1], int64, int64, int64)")
def preview_names(out, node_type, node_name, first_edge, edge_type, edge_name, object_type, object_name, prop_etype):
    """Marks (out[s] = 1) the property names of plain objects: the names a preview may show."""
    for v in range(node_type.shape[0]):
        if node_type[v] == object_type and node_name[v] == object_name:
            for e in range(first_edge[v], first_edge[v + 1]):
                if edge_type[e] == prop_etype:
                    out[edge_name[e]] = 1


def _json_table(texts):
    """(blob, starts): each text as a JSON string literal (json.dumps, non-ASCII kept), back to back."""
    pieces = [_dumps(t).encode("utf-8") for t in texts]
    starts = np.zeros(len(pieces) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(p) for p in pieces], dtype=np.int64)
    return np.frombuffer(b"".join(pieces) or b"\0", dtype=np.uint8).copy(), starts


def _dumps(text):
    quoted = json.dumps(text, ensure_ascii=False)
    try:
        quoted.encode("utf-8")
        return quoted
    except UnicodeEncodeError:  # a lone surrogate: escape it as \udxxx, as the kernel does
        return "".join(ch if not 0xD800 <= ord(ch) <= 0xDFFF else "\\u%04x" % ord(ch) for ch in quoted)


def node_lines(snap, lo=0, hi=None, chunk_bytes=CHUNK_BYTES):
    """Yields buffers (memoryviews) holding whole lines, for nodes lo..hi-1 in ordinal order; each one is
    overwritten by the next, so write or copy it before asking for more."""
    h = snap.heap
    hi = h.node_count if hi is None else hi
    strings = h.strings
    nstr = strings.file_count
    t, e = h.node_types, h.edge_types
    object_name = h.string_id("Object") if h.string_id("Object") < nstr else -1
    proto_id = h.string_id("__proto__")
    wanted = np.zeros(nstr, dtype=np.int64)
    if object_name >= 0:
        preview_names(wanted, h.node_type, h.node_name, h.first_edge, h.edge_type, h.edge_name, t["object"],
                      object_name, e["property"])
    # Formatted property names (few: the names plain objects use), one after another; fmt_start[s] and
    # fmt_start[s + 1] bound string s's, which is empty when no preview can show it.
    fmt_len16 = np.zeros(nstr + 1, dtype=np.int64)
    lengths = np.zeros(nstr, dtype=np.int64)
    pieces = []
    for s in np.nonzero(wanted)[0].tolist():
        formatted = format_property_name(strings[s])
        raw = formatted.encode("utf-8", "surrogatepass")
        pieces.append((s, raw))
        lengths[s] = len(raw)
        fmt_len16[s] = utf16_len(formatted)
    fmt_start = np.zeros(nstr + 1, dtype=np.int64)
    np.cumsum(lengths, out=fmt_start[1:])
    fmt_blob = np.frombuffer(b"".join(raw for _s, raw in pieces) or b"\0", dtype=np.uint8).copy()
    class_json, class_start = _json_table(h.class_names)
    type_json, type_start = _json_table(h.node_type_names)
    blob = strings.blob if isinstance(strings.blob, np.ndarray) else np.frombuffer(strings.blob, dtype=np.uint8)
    params = np.array([t["concatenated string"], t["object"], object_name, e["property"], e["internal"],
                       h.string_id("first"), h.string_id("second"), proto_id, nstr], dtype=np.int64)
    # strings the analysis added ("Detached …" names), after the file's
    added = [text.encode("utf-8", "surrogatepass") for text in strings.added]
    added_start = np.zeros(len(added) + 1, dtype=np.int64)
    added_start[1:] = np.cumsum([len(a) for a in added], dtype=np.int64)
    added_blob = np.frombuffer(b"".join(added) or b"\0", dtype=np.uint8).copy()
    columns = (h.node_id, h.node_type, h.node_name, h.class_id, h.self_size, h.retained, h.distance, h.idom,
               h.first_edge, h.edge_type, h.edge_name, h.edge_to, blob, strings.offsets, added_blob, added_start,
               fmt_blob, fmt_start, fmt_len16, class_json, class_start, type_json, type_start, params)
    spare = queue.SimpleQueue()  # buffers the consumer has finished with

    def block(v, end):
        """Lines of nodes v..end-1, in buffers: [(buffer, bytes used)]."""
        pieces = []
        while v < end:
            try:
                out = spare.get_nowait()
            except queue.Empty:
                out = np.empty(chunk_bytes, dtype=np.uint8)
            size, nxt = write_lines(out, v, end, *columns)
            while nxt == v:  # one line longer than the buffer: a bigger one
                out = np.empty(2 * out.shape[0], dtype=np.uint8)
                size, nxt = write_lines(out, v, end, *columns)
            pieces.append((out, size))
            v = nxt
        return pieces

    # Blocks of nodes are written on two threads (the kernel releases the GIL) and handed on in order.
    step = max(1, chunk_bytes // BYTES_PER_LINE)
    starts = list(range(lo, hi, step))
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="heaptui-nodes") as pool:
        pending = deque()
        for first in starts:
            pending.append(pool.submit(block, first, min(first + step, hi)))
            if len(pending) > WRITERS:
                yield from _hand_on(pending.popleft().result(), spare)
        while pending:
            yield from _hand_on(pending.popleft().result(), spare)


def _hand_on(pieces, spare):
    for out, size in pieces:
        yield memoryview(out)[:size]  # valid until the next one is asked for
        if out.shape[0] == CHUNK_BYTES:
            spare.put(out)
