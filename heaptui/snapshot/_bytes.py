"""Compiled byte-level scanners for the snapshot loader.

They work on a uint8 view of the memory-mapped file, so the large integer arrays (`nodes`, `edges`,
`locations`) become numpy arrays without ever existing as Python objects or as one Python str.
Every function returns a position; negative positions are error codes (see the constants).
"""
import numpy as np

from .jit import kernel

END_OF_INPUT = -1
BAD_CHARACTER = -2
TOO_LARGE = -3

# parse_uints status values
MORE = 0  # the output window is full; call again from the returned position
DONE = 1  # the array's closing bracket was consumed


@kernel("(ro(uint8[::1]), int64)")
def skip_ws(buf, pos):
    n = buf.shape[0]
    while pos < n:
        c = buf[pos]
        if c != 32 and c != 10 and c != 13 and c != 9:
            return pos
        pos += 1
    return pos


@kernel("(ro(uint8[::1]), int64)")
def skip_string(buf, pos):
    """pos is at the opening quote; returns the position after the closing quote."""
    n = buf.shape[0]
    pos += 1
    while pos < n:
        c = buf[pos]
        if c == 34:
            return pos + 1
        if c == 92:
            pos += 2
        else:
            pos += 1
    return END_OF_INPUT


@kernel("(ro(uint8[::1]), int64)")
def skip_value(buf, pos):
    """Skips one JSON value starting at pos (after white space); returns the position after it."""
    n = buf.shape[0]
    pos = skip_ws(buf, pos)
    if pos >= n:
        return END_OF_INPUT
    c = buf[pos]
    if c == 34:
        return skip_string(buf, pos)
    if c == 123 or c == 91:
        depth = 0
        while pos < n:
            c = buf[pos]
            if c == 34:
                pos = skip_string(buf, pos)
                if pos < 0:
                    return pos
                continue
            if c == 123 or c == 91:
                depth += 1
            elif c == 125 or c == 93:
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
        return END_OF_INPUT
    # number, true, false, null
    start = pos
    while pos < n:
        c = buf[pos]
        if c == 44 or c == 125 or c == 93 or c == 32 or c == 10 or c == 13 or c == 9:
            break
        pos += 1
    if pos == start:
        return BAD_CHARACTER
    return pos


@kernel("(ro(uint8[::1]), int64, uint32[::1], int64)")
def parse_uints(buf, pos, out, want):
    """Parses comma-separated unsigned integers of a JSON array whose '[' was already consumed.

    Writes at most `want` values into out[0:want]. Returns (pos, count, status) where status is MORE
    (window full, resume from pos) or DONE (the closing ']' was consumed); on malformed input pos is an
    error code and count says how many values were good before it. A value that does not fit in out's
    type is TOO_LARGE; a uint64 `out` (the loader's retry for a window holding a size of 4 GiB or more)
    takes values up to 19 digits.
    """
    n = buf.shape[0]
    wide = out.itemsize == 8
    max_digits = 19 if wide else 10
    count = 0
    while True:
        while pos < n and (buf[pos] == 32 or buf[pos] == 10 or buf[pos] == 13 or buf[pos] == 9):
            pos += 1
        if pos >= n:
            return END_OF_INPUT, count, DONE
        c = buf[pos]
        if c == 93:
            return pos + 1, count, DONE
        if count == want:
            return pos, count, MORE
        if c < 48 or c > 57:
            return BAD_CHARACTER, count, DONE
        value = np.uint64(0)
        digits = 0
        while pos < n:
            c = buf[pos]
            if c < 48 or c > 57:
                break
            value = value * np.uint64(10) + np.uint64(c - 48)
            digits += 1
            pos += 1
        if digits > max_digits or (not wide and value > np.uint64(0xFFFFFFFF)):
            return TOO_LARGE, count, DONE
        out[count] = value
        count += 1
        while pos < n and (buf[pos] == 32 or buf[pos] == 10 or buf[pos] == 13 or buf[pos] == 9):
            pos += 1
        if pos >= n:
            return END_OF_INPUT, count, DONE
        c = buf[pos]
        if c == 44:
            pos += 1
        elif c == 93:
            return pos + 1, count, DONE
        else:
            return BAD_CHARACTER, count, DONE


@kernel("(ro(uint8[::1]), int64, int64)")
def count_top_level_items(buf, pos, end):
    """Number of comma-separated items of the flat array buf[pos:end] ('[' at pos, ']' at end-1)."""
    items = 0
    seen = False
    for i in range(pos + 1, end - 1):
        c = buf[i]
        if c == 44:
            items += 1
        elif c != 32 and c != 10 and c != 13 and c != 9:
            seen = True
    return items + 1 if seen else 0


@kernel("(ro(uint8[::1]), int64, uint8[::1], uint64[::1], uint8[::1])")
def scan_strings(buf, pos, blob, offsets, escaped):
    """Copies the contents of a JSON array of strings ('[' at pos) into blob, raw (escapes kept).

    offsets[i]..offsets[i+1] is string i's slice of blob; escaped[i] is 1 when it holds a backslash
    (its text must still be decoded). Returns (position after ']', string count) or an error code.
    """
    n = buf.shape[0]
    pos = skip_ws(buf, pos)
    if pos >= n:
        return END_OF_INPUT, 0
    if buf[pos] != 91:
        return BAD_CHARACTER, 0
    pos += 1
    count = 0
    out = 0
    offsets[0] = 0
    while True:
        pos = skip_ws(buf, pos)
        if pos >= n:
            return END_OF_INPUT, count
        c = buf[pos]
        if c == 93:
            return pos + 1, count
        if c != 34:
            return BAD_CHARACTER, count
        pos += 1
        esc = 0
        while True:
            if pos >= n:
                return END_OF_INPUT, count
            c = buf[pos]
            if c == 34:
                break
            if c == 92:
                esc = 1
                if pos + 1 >= n:
                    return END_OF_INPUT, count
                blob[out] = c
                blob[out + 1] = buf[pos + 1]
                out += 2
                pos += 2
                continue
            blob[out] = c
            out += 1
            pos += 1
        pos += 1
        escaped[count] = esc
        count += 1
        offsets[count] = out
        pos = skip_ws(buf, pos)
        if pos >= n:
            return END_OF_INPUT, count
        c = buf[pos]
        if c == 44:
            pos += 1
        elif c == 93:
            return pos + 1, count
        else:
            return BAD_CHARACTER, count


@kernel("(ro(uint8[::1]), int64, int64)")
def count_strings_upper_bound(buf, pos, end):
    """Quotes in buf[pos:end] over two: at least the number of strings (escaped quotes only add)."""
    q = 0
    for i in range(pos, end):
        if buf[i] == 34:
            q += 1
    return q // 2 + 1


@kernel("(uint8[::1], uint64[::1], uint64[::1], uint8[::1])")
def compact_strings(blob, offsets, new_lengths, changed):
    """Shifts string bytes left after decoded strings were written (shorter) at their slots' start."""
    out = 0
    count = offsets.shape[0] - 1
    for i in range(count):
        a = offsets[i]
        length = new_lengths[i] if changed[i] else offsets[i + 1] - a
        if out != a:
            for k in range(length):
                blob[out + k] = blob[a + k]
        offsets[i] = out
        out += length
    offsets[count] = out
    return out


@kernel("(uint8[::1], uint32[::1], int64, int64)")
def max_string_name(edge_type, edge_name, numeric_a, numeric_b):
    """Largest name of the edges whose names are string ids (not element/hidden slot numbers)."""
    best = -1
    for e in range(edge_type.shape[0]):
        t = edge_type[e]
        if t != numeric_a and t != numeric_b and edge_name[e] > best:
            best = edge_name[e]
    return best


# -- fused record parsers for `nodes` and `edges` ---------------------------------------------------
# One pass from the file's digits into the columns: no scratch window, no per-column numpy pass. They
# stop after `stop` records (MORE) or at the array's ']' (DONE), and return
# (position, records parsed, status, offending value, offending field). A record is stored whole or not
# at all: on an error the position is where the bad record begins.

BAD_TYPE = -10      # a type past the meta's list
BAD_WIDE = -11      # a field other than self_size holds a value of 2^32 or more
WIDE_SELF = -12     # a self_size of 2^32 or more: widen the column to int64 and resume
BAD_SELF = -13      # a self_size past 2^53
PARTIAL = -14       # the array ends inside a record
TOO_MANY_CHECK = -15  # the header's count is reached: the array must end here
BAD_TO_MOD = -16    # an edge's to_node is not a multiple of the node field count
BAD_TO_RANGE = -17  # an edge's to_node points past the last node


@kernel(inline="always")
def _scan_records(buf, pos, vals, at_start):
    """The byte loop both record parsers share: reads values into `vals` until a record is whole.

    Returns (status, position, record start, digits error field). status 0: a record is in vals and pos
    is after its last value's ',' (or at its ']', DONE then follows); DONE: ']' with no record pending;
    an error code otherwise (record start says where the bad record began).
    """
    n = buf.shape[0]
    width = vals.shape[0]
    f = 0
    v = np.uint64(0)
    digits = 0
    gap = False
    start = pos
    while pos < n:
        c = buf[pos]
        d = np.uint8(c - 48)
        if d < 10:
            if gap:
                return BAD_CHARACTER, pos, start, f
            v = v * np.uint64(10) + np.uint64(d)
            digits += 1
        elif c == 44 or c == 93:
            if digits == 0:
                if c == 93 and f == 0 and at_start:
                    return DONE, pos + 1, start, 0
                return BAD_CHARACTER, pos, start, f
            if digits > 19:
                return TOO_LARGE, pos, start, f
            vals[f] = v
            f += 1
            v = np.uint64(0)
            digits = 0
            gap = False
            if f == width:
                return 0, pos + 1 if c == 44 else pos, start, 0
            if c == 93:
                return PARTIAL, pos, start, f - 1
        elif c == 32 or c == 10 or c == 13 or c == 9:
            if digits:
                gap = True
        else:
            return BAD_CHARACTER, pos, start, f
        pos += 1
    return END_OF_INPUT, pos, start, f


@kernel(inline="always")
def _next_record(buf, pos, first, r, stop, total, vals, at_start, type_at, type_limit):
    """Reads record r into vals and checks its type. Returns (stop here?, position, status, value, field,
    position after the record): when it says stop, the parser returns (position, ..., status, value,
    field); otherwise position is where the record began."""
    if r >= stop:
        return True, pos, MORE if r < total else TOO_MANY_CHECK, 0, -1, pos
    status, after, start, f = _scan_records(buf, pos, vals, at_start and r == first)
    if status == DONE:
        return True, after, DONE, 0, -1, after
    if status != 0:
        return True, start, status, 0, f, after
    t = vals[type_at]
    if t >= np.uint64(type_limit):
        return True, start, BAD_TYPE, np.int64(t), type_at, after
    return False, start, 0, 0, 0, after


@kernel("(ro(uint8[::1]), int64, int64, int64[::1], int64, int64, boolean, uint8[::1], uint32[::1],"
        " uint32[::1], uint32[::1], uint32[::1], uint8[::1], uint32[::1])",
        "(ro(uint8[::1]), int64, int64, int64[::1], int64, int64, boolean, uint8[::1], uint32[::1],"
        " uint32[::1], int64[::1], uint32[::1], uint8[::1], uint32[::1])")
def parse_node_records(buf, pos, first, at, stop, type_limit, at_start, ntype, name, nid, self_size,
                       edge_count, detached, trace):
    """Node records from record `first` at `pos` (the array's '[' consumed), until record `stop` or ']'.

    at[k] is the position in a record of field k (type, name, id, self_size, edge_count, detachedness,
    trace_node_id), -1 when the file or the reader lacks it. Returns (position, records parsed, status,
    offending value, offending field position).
    """
    width = at[7]
    vals = np.zeros(width, dtype=np.uint64)
    wide_self = self_size.itemsize == 8
    total = ntype.shape[0]
    big = np.uint64(0xFFFFFFFF)
    r = first
    while True:
        halt, start, status, value, f, pos2 = _next_record(buf, pos, first, r, stop, total, vals, at_start, at[0],
                                                          type_limit)
        if halt:
            return start, r - first, status, value, f
        t = vals[at[0]]
        for k in (1, 2, 4, 6):
            if at[k] >= 0 and vals[at[k]] > big:
                return start, r - first, BAD_WIDE, np.int64(vals[at[k]]), at[k]
        if at[3] >= 0:
            sz = vals[at[3]]
            if sz > big:
                if sz > np.uint64(9007199254740992):
                    return start, r - first, BAD_SELF, np.int64(sz), at[3]
                if not wide_self:
                    return start, r - first, WIDE_SELF, np.int64(sz), at[3]
            self_size[r] = sz
        ntype[r] = np.uint8(t)
        name[r] = np.uint32(vals[at[1]])
        nid[r] = np.uint32(vals[at[2]])
        edge_count[r] = np.uint32(vals[at[4]])
        if at[5] >= 0:
            detached[r] = np.uint8(vals[at[5]] & np.uint64(3))
        if at[6] >= 0:
            trace[r] = np.uint32(vals[at[6]])
        r += 1
        pos = pos2
        if buf[pos] == 93:  # the record ended the array
            return pos + 1, r - first, DONE, 0, -1


@kernel("(ro(uint8[::1]), int64, int64, int64[::1], int64, int64, boolean, int64, int64, uint8[::1],"
        " uint32[::1], uint32[::1])")
def parse_edge_records(buf, pos, first, at, stop, type_limit, at_start, node_fields, node_count, etype, name,
                       to):
    """Edge records from record `first` at `pos`, as parse_node_records; at[k] is the position of type,
    name_or_index and to_node, at[3] the record width. to_node becomes a node ordinal."""
    width = at[3]
    vals = np.zeros(width, dtype=np.uint64)
    total = etype.shape[0]
    big = np.uint64(0xFFFFFFFF)
    nf = np.uint64(node_fields)
    node_values = nf * np.uint64(node_count)
    r = first
    while True:
        halt, start, status, value, f, pos2 = _next_record(buf, pos, first, r, stop, total, vals, at_start, at[0],
                                                          type_limit)
        if halt:
            return start, r - first, status, value, f
        t = vals[at[0]]
        nm = vals[at[1]]
        if nm > big:
            return start, r - first, TOO_LARGE, np.int64(nm), at[1]
        target = vals[at[2]]
        if target % nf != np.uint64(0):
            return start, r - first, BAD_TO_MOD, np.int64(target), at[2]
        if target >= node_values:
            return start, r - first, BAD_TO_RANGE, np.int64(target), at[2]
        etype[r] = np.uint8(t)
        name[r] = np.uint32(nm)
        to[r] = np.uint32(target // nf)
        r += 1
        pos = pos2
        if buf[pos] == 93:
            return pos + 1, r - first, DONE, 0, -1


@kernel("(ro(uint8[::1]), int64, int64, int64)")
def count_byte(buf, start, end, byte):
    """How many times `byte` occurs in buf[start:end]."""
    k = 0
    b = np.uint8(byte)
    for i in range(start, end):
        k += buf[i] == b
    return k
