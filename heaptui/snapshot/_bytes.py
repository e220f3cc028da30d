"""Compiled byte-level scanners for the snapshot loader.

They work on a uint8 view of the memory-mapped file, so the large integer arrays (`nodes`, `edges`,
`locations`) become numpy arrays without ever existing as Python objects or as one Python str.
Every function returns a position; negative positions are error codes (see the constants).
"""
import numpy as np
from numba import njit

END_OF_INPUT = -1
BAD_CHARACTER = -2
TOO_LARGE = -3

# parse_uints status values
MORE = 0  # the output window is full; call again from the returned position
DONE = 1  # the array's closing bracket was consumed


@njit(cache=True, nogil=True)
def skip_ws(buf, pos):
    n = buf.shape[0]
    while pos < n:
        c = buf[pos]
        if c != 32 and c != 10 and c != 13 and c != 9:
            return pos
        pos += 1
    return pos


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def parse_uints(buf, pos, out, want):
    """Parses comma-separated unsigned integers of a JSON array whose '[' was already consumed.

    Writes at most `want` values into out[0:want]. Returns (pos, count, status) where status is MORE
    (window full, resume from pos) or DONE (the closing ']' was consumed); on malformed input pos is an
    error code and count says how many values were good before it.
    """
    n = buf.shape[0]
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
        if digits > 10 or value > np.uint64(0xFFFFFFFF):
            return TOO_LARGE, count, DONE
        out[count] = np.uint32(value)
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


@njit(cache=True, nogil=True)
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
