"""Redacting a heap snapshot so that it can be shared: what the program's strings said is replaced,
everything DevTools (and heaptui) computes stays the same.

A snapshot's `strings` array holds every name and every string value of the heap. A string is a
*value* when only string nodes (and regexp, number and bigint nodes, whose names are their values)
name themselves with it; it is a *name* when an object, closure, code or other node is named by it
(constructors, functions, scripts, engine names) or an edge is (property, variable and internal field
names), or an allocation stack's function or script is.

* By default every value is replaced by as many `*` as it has UTF-16 code units, so each string keeps
  its length and every node its size; names stay readable. A string that is both (a property key that
  is also a string value) is a name.
* With `names=True` the user's names are replaced too (constructor, function, script, property and
  variable names) by tokens made with a keyed hash (SipHash-2-4): the same name gives the same token in
  every file redacted with the same key, so two redacted snapshots still compare, and the token says
  nothing of the name without the key. Engine names stay: internal fields, names in parentheses or
  starting "system / ", the JavaScript built-ins, and the names DevTools' rules look for.
* `keep` lists strings to leave as they are wherever they occur.

The work streams: `Redactor.feed(bytes)` takes the file in pieces in the order V8 writes it (header,
nodes, edges, ..., strings last) and gives back the redacted bytes; only the current piece, the header
and one byte per string are held. The numeric arrays are copied unchanged while the roles of the strings
they name are noted; the strings are rewritten by a compiled kernel. No printing here.
"""
from __future__ import annotations

import gzip
import json
import os
import secrets
import tempfile
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

from . import _bytes
from .errors import SnapshotError
from .jit import kernel

# Roles of a string (bits of the per-string role byte).
VALUE = 1  # the name of a string, regexp, number or bigint node: what the program's data says
USER_NAME = 2  # a constructor, function or script name; a property or variable name
ENGINE_NAME = 4  # every other name: internal fields, engine objects, native and synthetic nodes

VALUE_NODE_TYPES = ("string", "concatenated string", "sliced string", "regexp", "number", "bigint")
USER_NODE_TYPES = ("object", "closure", "code")
NUMBERED_EDGE_TYPES = ("element", "hidden")  # their name_or_index is a slot number, not a string
USER_EDGE_TYPES = ("property", "context", "shortcut")

# Kernel statuses.
NEED_INPUT = 2  # the input ends inside a string; call again with more
OUT_FULL = 3  # the output buffer is full; flush it and call again
GROW = 4  # the role array is too small for a string index; grow it and call again

TOKEN_LETTERS = 12
_LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", np.uint8)
_SYSTEM = np.frombuffer(b"system / ", np.uint8)
_BAD = _bytes.BAD_CHARACTER
_DONE = _bytes.DONE
_MORE = _bytes.MORE
_TOO_LARGE = _bytes.TOO_LARGE
BATCH = 4 << 20  # bytes gathered before a pass, so that many small inspector chunks cost one call
HEADER_LIMIT = 64 << 20

# Names left readable with names=True: the JavaScript built-ins, and names DevTools' own rules look
# for (heap-snapshot-semantics.md: statistics, detached nodes, event handlers, plain-object shapes).
BUILTIN_NAMES = frozenset("""
Object Function Array Number Boolean String Symbol BigInt Date RegExp Error AggregateError EvalError
RangeError ReferenceError SyntaxError TypeError URIError Map Set WeakMap WeakSet WeakRef
FinalizationRegistry Promise Proxy Reflect JSON Math Intl Atomics ArrayBuffer SharedArrayBuffer DataView
Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float16Array
Float32Array Float64Array BigInt64Array BigUint64Array Iterator Generator AsyncGenerator GeneratorFunction
AsyncFunction AsyncGeneratorFunction Arguments global globalThis Window WebAssembly Buffer
__proto__ prototype constructor length name message stack cause value done next then toString valueOf
V8EventListener elements properties map code context shared script first second truncated root
""".split())
ENGINE_PREFIXES = ("(", "system / ", "<", "Detached ")


@dataclass
class Policy:
    names: bool = False  # replace the user's names too
    keep: tuple = ()  # strings left as they are
    key: bytes = b""  # 16 bytes, for names=True

    def key_words(self):
        k = (self.key or bytes(16)).ljust(16, b"\0")[:16]
        return np.array([int.from_bytes(k[:8], "little"), int.from_bytes(k[8:], "little")], np.uint64)


@dataclass
class Report:
    strings: int = 0
    values_redacted: int = 0
    names_replaced: int = 0
    kept: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    def as_dict(self):
        return {"strings": self.strings, "values_redacted": self.values_redacted,
                "names_replaced": self.names_replaced, "strings_kept": self.kept,
                "bytes_in": self.bytes_in, "bytes_out": self.bytes_out,
                "seconds": round(self.seconds, 3),
                "mb_per_second": round(self.bytes_in / 1e6 / self.seconds, 1) if self.seconds else None}


# -- kernels ----------------------------------------------------------------------------------------

@kernel()
def _rotl(x, b):
    return (x << np.uint64(b)) | (x >> np.uint64(64 - b))


@kernel()
def _sip_rounds(v0, v1, v2, v3, n):
    for _ in range(n):
        v0 += v1
        v1 = _rotl(v1, 13)
        v1 ^= v0
        v0 = _rotl(v0, 32)
        v2 += v3
        v3 = _rotl(v3, 16)
        v3 ^= v2
        v0 += v3
        v3 = _rotl(v3, 21)
        v3 ^= v0
        v2 += v1
        v1 = _rotl(v1, 17)
        v1 ^= v2
        v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


@kernel()
def siphash(msg, n, k0, k1):
    """SipHash-2-4 of msg[:n] (uint8) under the key (k0, k1)."""
    v0 = k0 ^ np.uint64(0x736F6D6570736575)
    v1 = k1 ^ np.uint64(0x646F72616E646F6D)
    v2 = k0 ^ np.uint64(0x6C7967656E657261)
    v3 = k1 ^ np.uint64(0x7465646279746573)
    end = n - n % 8
    for i in range(0, end, 8):
        m = np.uint64(0)
        for j in range(8):
            m |= np.uint64(msg[i + j]) << np.uint64(8 * j)
        v3 ^= m
        v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    b = np.uint64(n & 0xFF) << np.uint64(56)
    for j in range(n - end):
        b |= np.uint64(msg[end + j]) << np.uint64(8 * j)
    v3 ^= b
    v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, 2)
    v0 ^= b
    v2 ^= np.uint64(0xFF)
    v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


@kernel()
def _hex(c):
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 102:
        return c - 87
    if 65 <= c <= 70:
        return c - 55
    return -1


@kernel()
def _decode(buf, start, end, units):
    """The UTF-16 code units of the JSON string body buf[start:end], written little-endian into
    `units` (bytes); returns their count, or BAD_CHARACTER for a malformed escape."""
    count = 0
    i = start
    while i < end:
        c = buf[i]
        if c == 92:
            e = buf[i + 1] if i + 1 < end else 0
            if e == 117:
                if i + 6 > end:
                    return _BAD
                u = 0
                for k in range(2, 6):
                    h = _hex(buf[i + k])
                    if h < 0:
                        return _BAD
                    u = u * 16 + h
                i += 6
            else:
                if e == 34 or e == 92 or e == 47:
                    u = e
                elif e == 98:
                    u = 8
                elif e == 102:
                    u = 12
                elif e == 110:
                    u = 10
                elif e == 114:
                    u = 13
                elif e == 116:
                    u = 9
                else:
                    return _BAD
                i += 2
        elif c < 0x80:
            u = c
            i += 1
        elif (c & 0xE0) == 0xC0 and i + 1 < end:
            u = ((c & 0x1F) << 6) | (buf[i + 1] & 0x3F)
            i += 2
        elif (c & 0xF0) == 0xE0 and i + 2 < end:
            u = ((c & 0x0F) << 12) | ((buf[i + 1] & 0x3F) << 6) | (buf[i + 2] & 0x3F)
            i += 3
        elif (c & 0xF8) == 0xF0 and i + 3 < end:
            cp = (((c & 0x07) << 18) | ((buf[i + 1] & 0x3F) << 12) | ((buf[i + 2] & 0x3F) << 6)
                  | (buf[i + 3] & 0x3F)) - 0x10000
            hi = 0xD800 + (cp >> 10)
            units[2 * count] = hi & 0xFF
            units[2 * count + 1] = hi >> 8
            count += 1
            u = 0xDC00 + (cp & 0x3FF)
            i += 4
        else:
            u = 0xFFFD  # a stray byte: one unit, as a decoder replacing it would give
            i += 1
        units[2 * count] = u & 0xFF
        units[2 * count + 1] = u >> 8
        count += 1
    return count


@kernel()
def _member(sorted_values, x):
    i = np.searchsorted(sorted_values, x)
    return i < sorted_values.shape[0] and sorted_values[i] == x


@kernel()
def _engine_prefixed(buf, start, end):
    """The string body starts '(' or 'system / ' (an engine name)."""
    if start < end and buf[start] == 40:
        return True
    if end - start < _SYSTEM.shape[0]:
        return False
    for k in range(_SYSTEM.shape[0]):
        if buf[start + k] != _SYSTEM[k]:
            return False
    return True


@kernel()
def redact_strings(buf, pos, out, roles, index, names, key, keep, builtins, units, counts):
    """Rewrites the JSON strings of buf from pos (inside the strings array, after '[') into out.

    roles[i] is string i's role bits; index is the number of the next string. Returns (pos, written,
    index, status): status DONE when the closing ']' was copied, NEED_INPUT when the input ends before
    a string does (pos is where to resume), OUT_FULL when out has no room for the next string, or an
    error code as pos. counts[0..3] add up values redacted, names replaced, strings kept, strings.
    """
    n = buf.shape[0]
    w = 0
    hashing = names or keep.shape[0] > 0
    while True:
        # white space and separators, copied as they are
        while pos < n:
            c = buf[pos]
            if c == 32 or c == 10 or c == 13 or c == 9 or c == 44:
                if w >= out.shape[0]:
                    return pos, w, index, OUT_FULL
                out[w] = c
                w += 1
                pos += 1
            else:
                break
        if pos >= n:
            return pos, w, index, NEED_INPUT
        c = buf[pos]
        if c == 93:
            if w >= out.shape[0]:
                return pos, w, index, OUT_FULL
            out[w] = c
            return pos + 1, w + 1, index, _DONE
        if c != 34:
            return _BAD, w, index, _DONE
        end = pos + 1
        while end < n and buf[end] != 34:
            end += 2 if buf[end] == 92 else 1
        if end >= n:
            return pos, w, index, NEED_INPUT
        body, stop = pos + 1, end  # the string's body is buf[body:stop]
        room = max(stop - body + 2, TOKEN_LETTERS + 3)
        if out.shape[0] - w < room:
            return pos, w, index, OUT_FULL
        role = roles[index] if index < roles.shape[0] else 0
        digest = np.uint64(0)
        count = -1
        if hashing and stop > body:
            count = _decode(buf, body, stop, units)
            if count < 0:
                return _BAD, w, index, _DONE
            digest = siphash(units, 2 * count, key[0], key[1])
        copy = False
        token = False
        if stop == body:
            copy = True  # the empty string says nothing
        elif keep.shape[0] and _member(keep, digest):
            copy = True
        elif role & ENGINE_NAME:
            copy = True
        elif role & USER_NAME:
            if not names or _engine_prefixed(buf, body, stop) or _member(builtins, digest):
                copy = True
            else:
                token = True
        if copy:
            for k in range(pos, stop + 1):
                out[w] = buf[k]
                w += 1
            counts[2] += 1
        elif token:
            out[w] = 34
            out[w + 1] = 95  # '_'
            w += 2
            d = digest
            for _ in range(TOKEN_LETTERS):
                out[w] = _LETTERS[int(d & np.uint64(31))]
                d >>= np.uint64(5)
                w += 1
            out[w] = 34
            w += 1
            counts[1] += 1
        else:
            if count < 0:
                count = _decode(buf, body, stop, units)
                if count < 0:
                    return _BAD, w, index, _DONE
            out[w] = 34
            w += 1
            for _ in range(count):
                out[w] = 42  # '*'
                w += 1
            out[w] = 34
            w += 1
            counts[0] += 1
        counts[3] += 1
        index += 1
        pos = stop + 1


# mark_roles state: the field reached in the current record, the values read, the size the role array
# must grow to (0 when it is big enough), then the current record's values.
S_FIELD, S_VALUES, S_GROW, S_RECORD = 0, 1, 2, 3


@kernel()
def _commit(state, type_field, name_fields, type_roles, roles):
    """ORs the current record's role into roles at each of its names; False (and state[S_GROW] set)
    when a name is past the end of roles."""
    t = state[S_RECORD + type_field] if type_field >= 0 else 0
    role = type_roles[t if t < type_roles.shape[0] else type_roles.shape[0] - 1]
    if role == 0:
        return True
    for f in name_fields:
        name = state[S_RECORD + f]
        if name >= roles.shape[0]:
            state[S_GROW] = max(state[S_GROW], name + 1)
    if state[S_GROW]:
        return False
    for f in name_fields:
        roles[state[S_RECORD + f]] |= role
    return True


@kernel()
def mark_roles(buf, pos, end, width, type_field, name_fields, type_roles, roles, state):
    """Reads the unsigned integers of a flat record array from buf[pos:end] (end is just after a
    separator or the closing ']') and ORs, for each record, the role its type has (type_roles[type];
    type_field -1: type_roles[0]) into roles at each of its string fields (name_fields).

    Returns (position, status): DONE after ']', MORE when buf[pos:end] is used up, GROW when a
    record names a string past the end of roles (state[S_GROW] says how big it must be; call again
    with a bigger array and the same state), or an error code as position."""
    field = state[S_FIELD]
    if field == width:  # a record that waited for a bigger role array
        state[S_GROW] = 0
        _commit(state, type_field, name_fields, type_roles, roles)
        field = 0
    values = state[S_VALUES]
    status = _MORE
    while pos < end:
        c = buf[pos]
        if c == 32 or c == 10 or c == 13 or c == 9 or c == 44:
            pos += 1
            continue
        if c == 93:
            pos += 1
            status = _DONE
            break
        if c < 48 or c > 57:
            return _BAD, 0
        value = 0
        digits = 0
        while pos < end:
            c = buf[pos]
            if c < 48 or c > 57:
                break
            value = value * 10 + (c - 48)
            digits += 1
            pos += 1
        if digits > 18:
            return _TOO_LARGE, 0
        values += 1
        state[S_RECORD + field] = value
        field += 1
        if field == width:
            if not _commit(state, type_field, name_fields, type_roles, roles):
                state[S_FIELD] = field
                state[S_VALUES] = values
                return pos, GROW
            field = 0
    state[S_FIELD] = field
    state[S_VALUES] = values
    return pos, status


@kernel()
def skip_stream(buf, pos, state):
    """Advances over one JSON value that may continue past buf's end. state holds (depth, in a string,
    after a backslash, started) between pieces. Returns (position, ended): the position after the
    value when it ended in buf, else buf's length with the state kept for the next piece."""
    n = buf.shape[0]
    depth, in_string, escaped, started = state[0], state[1], state[2], state[3]
    ended = False
    while pos < n:
        c = buf[pos]
        if in_string:
            pos += 1
            if escaped:
                escaped = 0
            elif c == 92:
                escaped = 1
            elif c == 34:
                in_string = 0
                if depth == 0:
                    ended = True
                    break
            continue
        if c == 32 or c == 10 or c == 13 or c == 9 or c == 44:
            if depth == 0 and started:
                ended = True  # a number or literal at the top ends before this
                break
            pos += 1
            continue
        if c == 34:
            in_string = 1
            started = 1
        elif c == 91 or c == 123:
            depth += 1
            started = 1
        elif c == 93 or c == 125:
            if depth == 0:
                ended = True  # the enclosing object closes after a number or literal
                break
            depth -= 1
            if depth == 0:
                pos += 1
                ended = True
                break
        else:
            started = 1
        pos += 1
    if ended:
        depth, in_string, escaped, started = 0, 0, 0, 0
    state[0] = depth
    state[1] = in_string
    state[2] = escaped
    state[3] = started
    return pos, ended


def sip(text: str, key_words) -> int:
    """The hash the kernel computes for a string: SipHash-2-4 of its UTF-16LE code units."""
    data = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), np.uint8)
    return int(siphash(data, data.shape[0], key_words[0], key_words[1]))


# -- the streaming driver ---------------------------------------------------------------------------

class _Shape:
    """What the header says, for the passes: field positions and the role each type gives a name."""

    def __init__(self, header, label):
        from .loader import _check_header

        class _Fail:
            size = 1 << 62  # a stream's size is not known; the arrays check their own counts

            @staticmethod
            def fail(what, pos=None):
                raise SnapshotError(f"{label}: {what}")
        shape = _check_header(_Fail, header)
        self.nf, self.ef = shape["nf"], shape["ef"]
        nfields, efields = shape["node_fields"], shape["edge_fields"]
        self.node_type, self.node_name = nfields.index("type"), nfields.index("name")
        self.edge_type, self.edge_name = efields.index("type"), efields.index("name_or_index")
        self.node_counts = shape["N"] * self.nf
        self.edge_counts = shape["E"] * self.ef
        self.node_roles = np.array([VALUE if t in VALUE_NODE_TYPES else USER_NAME if t in USER_NODE_TYPES
                                    else ENGINE_NAME for t in shape["node_types"]] + [ENGINE_NAME], np.uint8)
        self.edge_roles = np.array([0 if t in NUMBERED_EDGE_TYPES else USER_NAME if t in USER_EDGE_TYPES
                                    else ENGINE_NAME for t in shape["edge_types"]] + [0], np.uint8)
        tf = header["meta"].get("trace_function_info_fields") or []
        self.tf = len(tf)
        self.trace_names = [tf.index(k) for k in ("name", "script_name") if k in tf]


class _Numbers:
    """A flat array of unsigned integers read piece by piece, its records marking the strings they
    name (mark_roles)."""

    def __init__(self, what, width, total, type_field, name_fields, type_roles):
        self.what, self.width, self.total = what, width, total
        self.type_field = type_field
        self.name_fields = np.array(name_fields, np.int64)
        self.type_roles = type_roles
        self.state = np.zeros(S_RECORD + width, np.int64)


class Redactor:
    """Streams a snapshot through: `feed(piece)` returns redacted bytes ready to write, `finish()`
    the rest (and checks that the snapshot was whole). Raises SnapshotError on malformed input."""

    def __init__(self, policy: Policy | None = None, label="snapshot"):
        self.policy = policy or Policy()
        self.label = label
        self.buf = bytearray()
        self.state = "start"
        self.key = None
        self.shape = None
        self.roles = np.zeros(1 << 16, np.uint8)
        self.numbers = None
        self.skip_state = np.zeros(4, np.int64)
        self.index = 0
        self.counts = np.zeros(4, np.int64)
        self.seen = set()
        self.report = Report()
        self.started = time.perf_counter()
        words = self.policy.key_words()
        self.key_words = words
        self.keep = np.array(sorted({sip(s, words) for s in self.policy.keep if s}), np.uint64)
        self.builtins = np.array(sorted({sip(s, words) for s in BUILTIN_NAMES}), np.uint64)
        self.out = np.empty(BATCH + (1 << 16), np.uint8)
        self.units = np.empty(2 * self.out.shape[0], np.uint8)

    def fail(self, what):
        raise SnapshotError(f"{self.label}: {what}")

    # -- input ---------------------------------------------------------------------------------
    def feed(self, data) -> bytes:
        self.buf += data
        self.report.bytes_in += len(data)
        if len(self.buf) < BATCH:
            return b""
        return self._emit(self._run())

    def finish(self) -> bytes:
        pieces = self._run(final=True)
        if self.state != "end":
            where = {"strings": "the strings array", "numbers": f"the {self.numbers.what if self.numbers else ''} array",
                     "skip": f"'{self.key}'", "snapshot": "the snapshot header"}.get(self.state, "the top-level object")
            self.fail(f"the file ends inside {where} (truncated?)")
        if self.shape is None:
            if {"head", "samples"} <= self.seen:
                self.fail("this is a sampling heap profile (.heapprofile), not a heap snapshot")
            self.fail("not a heap snapshot (no 'snapshot' header)")
        for key in ("nodes", "edges", "strings"):
            if key not in self.seen:
                self.fail(f"the '{key}' array is missing")
        r = self.report
        r.values_redacted, r.names_replaced, r.kept, r.strings = (int(x) for x in self.counts)
        r.seconds = time.perf_counter() - self.started
        return self._emit(pieces)

    def _emit(self, pieces):
        data = b"".join(pieces)
        self.report.bytes_out += len(data)
        return data

    # -- the top-level object ------------------------------------------------------------------
    def _run(self, final=False):
        pieces = []
        view = np.frombuffer(self.buf, np.uint8)
        view.flags.writeable = False
        self._view = view
        pos = 0
        try:
            while True:
                moved = self._step(view, pos, pieces, final)
                if moved is None:
                    break
                pos = moved
        finally:
            self._view = None
            del view
        if pos:
            del self.buf[:pos]
        if len(self.buf) > HEADER_LIMIT and self.state in ("start", "key", "snapshot"):
            self.fail("no snapshot header in the first 64 MB; not a heap snapshot")
        return pieces

    def _ws(self, view, pos):
        return int(_bytes.skip_ws(view, pos))

    def _step(self, view, pos, pieces, final):
        """One step of the top-level state machine; returns the new position, or None to wait for
        more input."""
        n = view.shape[0]
        state = self.state
        if state in ("numbers", "strings", "skip"):
            return self._inside(view, pos, pieces, final)
        at = self._ws(view, pos)
        if at >= n:
            if at > pos:
                pieces.append(bytes(self.buf[pos:at]))
            return at if at > pos else None
        c = self.buf[at]
        if state == "start":
            if self.buf.startswith(b"\xef\xbb\xbf", at):
                at = self._ws(view, at + 3)
                if at >= n:
                    return None
                c = self.buf[at]
            if self.buf.startswith(b"\x1f\x8b", at):
                self.fail("the file is gzip-compressed twice; gunzip it once first")
            if c != ord("{"):
                self.fail("not a heap snapshot (it is not a JSON object)")
            pieces.append(bytes(self.buf[pos:at + 1]))
            self.state = "key"
            return at + 1
        if state == "key":
            if c == ord("}"):
                pieces.append(bytes(self.buf[pos:at + 1]))
                self.state = "end"
                return at + 1
            if c != ord('"'):
                self.fail("expected a key in the top-level object")
            end = int(_bytes.skip_string(view, at))
            if end < 0:
                return None
            colon = self._ws(view, end)
            if colon >= n:
                return None
            if self.buf[colon] != ord(":"):
                self.fail("expected ':' after a top-level key")
            try:
                self.key = json.loads(bytes(self.buf[at:end]))
            except ValueError:
                self.fail("a top-level key is not a valid string")
            if self.key in self.seen:
                self.fail(f"the key {self.key!r} appears twice at the top level")
            self.seen.add(self.key)
            pieces.append(bytes(self.buf[pos:colon + 1]))
            return self._begin_value(view, colon + 1, pieces)
        if state == "value":
            moved = self._begin_value(view, pos, pieces)
            return None if moved == pos and self.state == "value" else moved
        if state == "after":
            if c == ord(","):
                self.state = "key"
            elif c == ord("}"):
                self.state = "end"
            else:
                self.fail("expected ',' or '}' after a top-level value")
            pieces.append(bytes(self.buf[pos:at + 1]))
            return at + 1
        if state == "end":
            self.fail("unexpected data after the snapshot's closing '}'")
        return None

    def _begin_value(self, view, pos, pieces):
        self.state = "value"
        key = self.key
        at = self._ws(view, pos)
        if at >= view.shape[0]:
            return self._copy(pos, at, pieces)  # the state moved on, even when no byte did
        if key == "snapshot":
            end = int(_bytes.skip_value(view, at))
            if end == _bytes.END_OF_INPUT:
                return self._copy(pos, at, pieces)  # the rest of the header is still to come
            if end < 0:
                self.fail("the snapshot header is not valid JSON")
            try:
                header = json.loads(bytes(self.buf[at:end]))
            except ValueError as e:
                self.fail(f"the snapshot header is not valid JSON ({e.msg})")
            self.shape = _Shape(header, self.label)
            pieces.append(bytes(self.buf[pos:end]))
            self.state = "after"
            return end
        arrays = ("nodes", "edges", "trace_function_infos", "strings")
        if key in arrays:
            if self.shape is None:
                self.fail(f"'{key}' comes before the 'snapshot' header; not a V8 heap snapshot")
            if self.buf[at] != ord("["):
                self.fail(f"expected the {key} array")
            if key == "strings":
                for needed in ("nodes", "edges"):
                    if needed not in self.seen:
                        self.fail(f"the strings come before the '{needed}' array; redacting needs them "
                                  "first, as V8 writes them")
                self.state = "strings"
            else:
                self._start_numbers(key)
                self.state = "numbers"
            pieces.append(bytes(self.buf[pos:at + 1]))
            return at + 1
        self.skip_state[:] = 0
        self.state = "skip"
        return self._copy(pos, at, pieces)

    def _copy(self, a, b, pieces):
        if b > a:
            pieces.append(self._view[a:b].tobytes())
        return b

    # -- inside a value ------------------------------------------------------------------------
    def _inside(self, view, pos, pieces, final):
        n = view.shape[0]
        if self.state == "skip":
            end, ended = skip_stream(view, pos, self.skip_state)
            end = int(end)
            if ended:
                self.state = "after"
                return self._copy(pos, end, pieces)
            return self._copy(pos, end, pieces) if end > pos else None
        if self.state == "numbers":
            return self._numbers(view, pos, pieces)
        return self._strings(view, pos, pieces)

    def _start_numbers(self, key):
        s = self.shape
        if key == "nodes":
            self.numbers = _Numbers(key, s.nf, s.node_counts, s.node_type, [s.node_name], s.node_roles)
        elif key == "edges":
            self.numbers = _Numbers(key, s.ef, s.edge_counts, s.edge_type, [s.edge_name], s.edge_roles)
        else:
            self.numbers = _Numbers(key, max(s.tf, 1), None, -1, s.trace_names, np.array([USER_NAME], np.uint8))

    def _numbers(self, view, pos, pieces):
        """Whole numbers up to the last separator in the input; the array's ']' ends it."""
        num = self.numbers
        close = self.buf.find(b"]", pos)
        cut = close + 1 if close >= 0 else self.buf.rfind(b",", pos) + 1
        if cut <= pos:
            return None
        start = pos
        while True:
            pos, status = mark_roles(view, pos, cut, num.width, num.type_field, num.name_fields, num.type_roles,
                                     self.roles, num.state)
            if status != GROW:
                break
            need = int(num.state[S_GROW])
            if need > 1 << 32:
                self.fail(f"the {num.what} array names a string past any string table (index {need - 1})")
            grown = np.zeros(max(need, 2 * self.roles.shape[0]), np.uint8)
            grown[:self.roles.shape[0]] = self.roles
            self.roles = grown
        if pos < 0:
            what = "a number too large" if pos == _bytes.TOO_LARGE else "an unexpected character"
            self.fail(f"the {num.what} array has {what}")
        seen = int(num.state[S_VALUES])
        if num.total is not None and seen > num.total:
            self.fail(f"the {num.what} array has more values than the header's counts say ({num.total})")
        pieces.append(view[start:pos].tobytes())
        if status == _bytes.DONE:
            if num.state[S_FIELD]:
                self.fail(f"the {num.what} array has {seen} values, not a multiple of its {num.width} fields")
            if num.total is not None and seen != num.total:
                self.fail(f"the {num.what} array has {seen} values but the header's counts say {num.total}")
            self.state = "after"
        return pos

    def _strings(self, view, pos, pieces):
        p = self.policy
        while True:
            end, written, index, status = redact_strings(view, pos, self.out, self.roles, self.index,
                                                         p.names, self.key_words, self.keep, self.builtins,
                                                         self.units, self.counts)
            if end < 0:
                self.fail("the strings array has a malformed string")
            if written:
                pieces.append(self.out[:written].tobytes())
            moved = end != pos
            pos, self.index = end, index
            if status == _bytes.DONE:
                self.state = "after"
                return pos
            if status == NEED_INPUT:
                return pos if moved else None
            if status == OUT_FULL and not written:
                # one string larger than the buffers: make room for it
                self.out = np.empty(2 * self.out.shape[0], np.uint8)
                self.units = np.empty(2 * self.out.shape[0], np.uint8)


# -- files ------------------------------------------------------------------------------------------

READ = 8 << 20


def redact_file(src, dst, policy: Policy | None = None, progress=None) -> Report:
    """Writes a redacted copy of the snapshot `src` (plain or gzip-compressed) to `dst` (gzip-compressed
    when its name ends in .gz): mode 0600, written beside `dst` under a temporary name and renamed into
    place only when whole. Raises SnapshotError (one line) for bad input or an unwritable output."""
    src, dst = os.fspath(src), os.fspath(dst)
    if not os.path.exists(src):
        raise SnapshotError(f"{src}: no such file")
    if os.path.isdir(src):
        raise SnapshotError(f"{src}: is a directory, not a snapshot file")
    if os.path.exists(dst):
        if os.path.samefile(src, dst):
            raise SnapshotError(f"{dst}: the output must be a new file, not the input")
        raise SnapshotError(f"{dst} already exists; choose another name")
    directory = os.path.dirname(os.path.abspath(dst))
    if not os.path.isdir(directory):
        raise SnapshotError(f"{directory}: no such directory")
    redactor = Redactor(policy, label=src)
    total = os.path.getsize(src)
    try:
        fd, part = tempfile.mkstemp(prefix="." + os.path.basename(dst) + ".", suffix=".part", dir=directory)
    except OSError as e:
        raise SnapshotError(f"cannot write in {directory}: {e.strerror}") from None
    done = False
    try:
        with open(src, "rb") as raw, os.fdopen(fd, "wb") as sink:
            compressed = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            reader = gzip.GzipFile(fileobj=raw) if compressed else raw
            writer = gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6, mtime=0) \
                if dst.endswith(".gz") else sink
            _pipeline(reader, writer, redactor, lambda: progress and progress("redacting", raw.tell(), total))
            if writer is not sink:
                writer.close()
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(part, dst)
        done = True
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise SnapshotError(f"{src}: the gzip stream is damaged or truncated ({e})") from None
    except OSError as e:
        raise SnapshotError(f"cannot redact {src} into {dst}: {e.strerror or e}") from None
    finally:
        if not done:
            try:
                os.unlink(part)
            except OSError:
                pass
    return redactor.report


def _pipeline(reader, writer, redactor, report):
    """Reads the next piece and writes the last one on two threads while this one redacts (the
    kernels release the GIL): three pieces in flight at most."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="heaptui-redact") as pool:
        reading = pool.submit(reader.read, READ)
        writing = None
        while True:
            piece = reading.result()
            if not piece:
                break
            report()
            reading = pool.submit(reader.read, READ)
            out = redactor.feed(piece)
            if writing is not None:
                writing.result()
            writing = pool.submit(writer.write, out)
        if writing is not None:
            writing.result()
    writer.write(redactor.finish())


def user_key(path=None) -> bytes:
    """The key for names=True: read from `path`, else heaptui's own key (made on first use, 0600, in
    heaptui's configuration directory), so that every snapshot one user redacts gets the same tokens."""
    from ..paths import config_home
    if path is None:
        path = os.path.join(config_home(), "redact.key")
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(16) + "\n")
    try:
        with open(path, "rb") as f:
            text = f.read(4096)
    except OSError as e:
        raise SnapshotError(f"{path}: cannot read the key: {e.strerror}") from None
    stripped = text.strip()
    try:
        key = bytes.fromhex(stripped.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        key = stripped
    if len(key) < 16:
        raise SnapshotError(f"{path}: a key needs 16 bytes or more (32 hex digits)")
    import hashlib
    return hashlib.blake2b(key, digest_size=16).digest()
