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
