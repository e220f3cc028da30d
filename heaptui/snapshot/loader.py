"""Reads a `.heapsnapshot` file into compact numpy arrays.

The file is memory-mapped and walked once. The header (`snapshot.meta`) and the `strings` array go
through ijson, and the nested `trace_tree` streams through ijson's events into three flat arrays (never
held as nested lists); the flat integer arrays go through compiled scanners straight into
preallocated numpy columns, a window at a time, and pages already parsed are handed back to the kernel so
resident memory does not grow with the file.
"""
from __future__ import annotations

import errno
import io
import json
import mmap
import os
import threading
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import ijson
import numpy as np

from . import _bytes
from .errors import SnapshotError, one_line
from .strings import StringTable

PAGE = mmap.PAGESIZE

REQUIRED_NODE_FIELDS = ("type", "name", "id", "edge_count")
REQUIRED_EDGE_FIELDS = ("type", "name_or_index", "to_node")
# Optional field lists of snapshot.meta, with the names heaptui reads when the list is there.
OPTIONAL_FIELD_LISTS = {
    "location_fields": ("object_index", "script_id", "line", "column"),
    "trace_function_info_fields": (),
    "trace_node_fields": ("id", "function_info_index", "children"),
    "sample_fields": (),
}
DEFAULT_TRACE_NODE_FIELDS = ["id", "function_info_index", "count", "size", "children"]
MAX_TYPES = 255  # type codes are bytes, and 255 stands for a type the file does not have
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class RawSnapshot:
    """What the file says, in columns; node references are ordinals (not DevTools' node indexes)."""

    meta: dict
    node_types: list
    edge_types: list
    node_count: int
    edge_count: int
    root_ordinal: int
    extra_native_bytes: int
    node_type: np.ndarray  # uint8
    node_name: np.ndarray  # uint32 string index
    node_id: np.ndarray  # uint32
    node_self: np.ndarray  # uint32, as in the file (before redistribution)
    first_edge: np.ndarray  # uint32 or int64, node_count + 1
    edge_type: np.ndarray  # uint8
    edge_name: np.ndarray  # uint32: string index, or element/hidden slot number
    edge_to: np.ndarray  # uint32 ordinal
    strings: StringTable
    node_detachedness: np.ndarray | None = None  # uint8
    node_trace: np.ndarray | None = None  # uint32 trace node id
    locations: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    location_fields: list = field(default_factory=list)
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    trace_function_infos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    # The allocation trace tree, flattened as it streams in (never held as nested lists): one entry per
    # trace node, its id, its function_info_index and its parent's id (0 under the root).
    trace_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    trace_functions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    trace_parents: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    # What each trace node allocated while tracking ran (objects, bytes), dead or alive since.
    trace_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    trace_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))


class _MapReader(io.RawIOBase):
    """A file-like window onto part of the mapped file, for ijson."""

    def __init__(self, mm, start, end):
        self._mm, self._pos, self._end = mm, start, end

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self._end - self._pos)
        if n <= 0:
            return 0
        b[:n] = self._mm[self._pos:self._pos + n]
        self._pos += n
        return n


def _json_error(e):
    """What ijson says went wrong, without the excerpt it draws under it on further lines."""
    lines = [line for line in str(e).splitlines() if line.strip()]
    return one_line(lines[0] if lines else type(e).__name__, 120)


def _noop(phase, done, total):
    pass


class _Parser:
    def __init__(self, path, mm, progress, fd=None):
        self.path = path
        self.mm = mm
        self.fd = fd
        self.buf = np.frombuffer(mm, dtype=np.uint8)
        self.size = len(mm)
        self.progress = progress or _noop

    def find(self, needle, start, end=None):
        """mm.find, but read through the file descriptor: a search over hundreds of MB would otherwise
        map every page it passes into this process."""
        end = self.size if end is None else min(end, self.size)
        if self.fd is None:
            return self.mm.find(needle, start, end)
        step = FIND_BYTES
        while start < end:
            try:
                block = os.pread(self.fd, min(step + len(needle) - 1, end - start), start)
            except OSError:
                return self.mm.find(needle, start, end)
            if not block:
                break
            at = block.find(needle)
            if at >= 0:
                return start + at
            start += step
        return -1

    # -- low-level helpers ---------------------------------------------------------------
    def fail(self, what, pos=None):
        where = f" at byte {pos}" if pos is not None and pos >= 0 else ""
        raise SnapshotError(f"{self.path}: {what}{where}")

    def check(self, pos, what):
        if pos == _bytes.END_OF_INPUT:
            self.fail(f"the file ends inside {what} (truncated?)")
        if pos == _bytes.BAD_CHARACTER:
            self.fail(f"unexpected character in {what}")
        if pos == _bytes.TOO_LARGE:
            self.fail(f"a number in {what} is too large for its field")
        return pos

    def ws(self, pos):
        return _bytes.skip_ws(self.buf, pos)

    def expect(self, pos, char, what):
        pos = self.ws(pos)
        if pos >= self.size:
            self.fail(f"the file ends where {what} was expected (truncated?)")
        if self.buf[pos] != ord(char):
            got = chr(self.buf[pos]) if 32 <= self.buf[pos] < 127 else f"byte 0x{self.buf[pos]:02x}"
            self.fail(f"expected {what} but found {got!r}", pos)
        return pos + 1

    def release(self, start, upto, at_least=64 << 20):
        """Drops pages of the mapping between start and upto (already parsed) from this process's
        resident set, once there are at least `at_least` bytes of them. Returns the new start."""
        first = start - start % PAGE
        stop = upto - upto % PAGE
        if stop - first >= at_least:
            try:
                self.mm.madvise(mmap.MADV_DONTNEED, first, stop - first)
            except (AttributeError, OSError, ValueError):
                pass
            return stop
        return start

    def json_items(self, start, end, prefix):
        return ijson.items(_MapReader(self.mm, start, end), prefix, use_float=True)

    def json_value(self, start, end, what):
        """The JSON value between start and end, parsed by ijson; a one-line error when it is not JSON."""
        try:
            return next(self.json_items(start, end, ""))
        except StopIteration:
            self.fail(f"{what} is empty")
        except ijson.JSONError as e:
            self.fail(f"{what} is not valid JSON ({_json_error(e)})")

    # -- values ---------------------------------------------------------------------------
    def value_end(self, pos, what):
        return self.check(_bytes.skip_value(self.buf, pos), what)

    def read_key(self, pos):
        pos = self.expect(pos, '"', "a key")
        end = self.check(_bytes.skip_string(self.buf, pos - 1), "a key")
        key = bytes(self.mm[pos:end - 1]).decode("utf-8", "replace")
        pos = self.expect(end, ":", "':'")
        return key, self.ws(pos)

    def parse_unknown_flat(self, pos, what, end=None):
        if end is None:
            end = self.value_end(pos, f"the {what} array")
        start = self.expect(pos, "[", f"the {what} array")
        out = np.empty(_bytes.count_top_level_items(self.buf, start - 1, end), dtype=np.uint32)
        got_pos, count, status = _bytes.parse_uints(self.buf, start, out, out.shape[0])
        if got_pos < 0:
            self.check(got_pos, f"the {what} array")
        if count != out.shape[0] or status != _bytes.DONE:
            self.fail(f"the {what} array is malformed")
        self.release(pos, end, 0)
        return out, end


def _parse_strings(p, pos):
    """The strings array: a compiled pass copies every string's bytes; ijson decodes the escaped ones."""
    end = p.value_end(pos, "the strings array")
    p.progress("strings", 0, 1)
    upper = _bytes.count_strings_upper_bound(p.buf, pos, end)
    blob = np.empty(max(end - pos, 1), dtype=np.uint8)
    offsets = np.empty(upper + 1, dtype=np.uint64)
    escaped = np.zeros(upper, dtype=np.uint8)
    after, count = _bytes.scan_strings(p.buf, pos, blob, offsets, escaped)
    if after < 0:
        p.check(after, "the strings array")
    offsets = offsets[:count + 1]
    escaped = escaped[:count]
    todo = np.nonzero(escaped)[0]
    if todo.size:
        literal = bytearray(b"[")
        for k, i in enumerate(todo):
            if k:
                literal += b","
            literal += b'"' + blob[int(offsets[i]):int(offsets[i + 1])].tobytes() + b'"'
        literal += b"]"
        new_lengths = np.zeros(count, dtype=np.uint64)
        try:
            decoded = ijson.items(io.BytesIO(bytes(literal)), "item")
            for i, text in zip(todo, decoded):
                b = text.encode("utf-8", "surrogatepass")
                a = int(offsets[i])
                blob[a:a + len(b)] = np.frombuffer(b, dtype=np.uint8)
                new_lengths[i] = len(b)
        except ijson.JSONError as e:
            p.fail(f"the strings array has a malformed string ({_json_error(e)})")
        used = _bytes.compact_strings(blob, offsets, new_lengths, escaped)
    else:
        used = int(offsets[-1])
    p.progress("strings", 1, 1)
    p.release(pos, after, 0)
    return StringTable(blob[:used].copy() if used < blob.shape[0] // 2 else blob[:used], offsets), after


def _fixed_mmap_threshold():
    """Large arrays come and go while indexing. glibc raises its mmap threshold after each large free,
    so later mid-sized buffers land on the heap and stay resident after they are freed; a fixed
    threshold keeps every buffer over 128 KiB in its own mapping, returned to the system when freed."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


_fixed_mmap_threshold()


GZIP_MAGIC = b"\x1f\x8b"


def load(path, progress=None) -> RawSnapshot:
    """Parses the file at `path` (a .heapsnapshot, or one gzip-compressed); raises SnapshotError with a
    one-line reason on bad input."""
    path = os.fspath(path)
    if _is_gzip(path):
        return _load_gzip(path, progress)
    return _load_plain(path, path, progress)


def _is_gzip(path):
    try:
        with open(path, "rb") as f:
            return f.read(2) == GZIP_MAGIC
    except OSError:
        return False  # the plain path says why the file cannot be read


def _load_gzip(path, progress):
    """Decompresses to a private file in heaptui's cache directory (the parser maps a plain file),
    parses it, and removes it: what the parse keeps is copied out of the mapping."""
    import gzip
    import tempfile
    import zlib
    from ..paths import cache_home
    directory = os.path.join(cache_home(), "unpack")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, plain = tempfile.mkstemp(prefix="unpacking-", suffix=".heapsnapshot", dir=directory)
    except OSError as e:
        raise SnapshotError(f"{path}: cannot decompress into {directory}: {e.strerror}") from None
    try:
        total = os.path.getsize(path)
        with gzip.open(path, "rb") as src, os.fdopen(fd, "wb") as out:
            raw = src.fileobj  # the compressed stream: its position is the progress
            while True:
                block = src.read(8 << 20)
                if not block:
                    break
                out.write(block)
                if progress:
                    progress("decompressing", raw.tell() if raw is not None else 0, total)
        return _load_plain(plain, path, progress)
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise SnapshotError(f"{path}: the gzip stream is damaged or truncated ({e})") from None
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise SnapshotError(f"{path}: no space left in {directory} to decompress it") from None
        raise SnapshotError(f"{path}: cannot decompress: {e.strerror or e}") from None
    finally:
        try:
            os.unlink(plain)
        except OSError:
            pass


def _load_plain(path, label, progress):
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise SnapshotError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise SnapshotError(f"{label}: is a directory, not a snapshot file") from None
    except OSError as e:
        raise SnapshotError(f"{label}: cannot open: {e.strerror}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise SnapshotError(f"{label}: the file is empty")
        try:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as e:
            raise SnapshotError(f"{label}: cannot map the file: {e}") from None
        try:
            try:
                mm.madvise(mmap.MADV_SEQUENTIAL)
            except (AttributeError, OSError):
                pass
            parser = _Parser(label, mm, progress, f.fileno())
            try:
                return _parse(parser)
            finally:
                parser.buf = None
        finally:
            mm.close()


def _parse(p: _Parser) -> RawSnapshot:
    # DevTools reads a file that starts with a UTF-8 byte-order mark (some editors and tools add one).
    pos = p.ws(len(UTF8_BOM) if bytes(p.mm[:len(UTF8_BOM)]) == UTF8_BOM else 0)
    if pos >= p.size:
        p.fail("the file holds only white space")
    first = p.buf[pos]
    if p.size >= 2 and p.buf[0] == 0x1F and p.buf[1] == 0x8B:
        p.fail("the file is gzip-compressed twice; gunzip it once first")
    if first != ord("{"):
        p.fail("not a heap snapshot (it is not a JSON object)")
    pos += 1
    arrays = {}
    seen_keys = []
    deferred = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="heaptui-parse") as side:
        try:
            header, shape = _parse_top_level(p, pos, arrays, seen_keys, deferred, side)
        except BaseException:
            for future in deferred.values():
                future.cancel()
            raise
        for key, future in deferred.items():
            arrays[key] = future.result()[0]
    if header is None:
        if "head" in seen_keys and "samples" in seen_keys:
            p.fail("this is a sampling heap profile (.heapprofile), not a heap snapshot; "
                   "use 'heaptui allocations'")
        p.fail("not a heap snapshot (no 'snapshot' header)")
    for key in ("nodes", "edges", "strings"):
        if key not in arrays:
            p.fail(f"the '{key}' array is missing")
    return _assemble(p, header, shape, arrays)


def _parse_top_level(p, pos, arrays, seen_keys, deferred, side):
    """Walks the top-level object from `pos` (after its '{'), filling `arrays`; returns (header, shape)."""
    header = shape = None
    while True:
        pos = p.ws(pos)
        if pos < p.size and p.buf[pos] == ord("}"):
            break
        key, pos = p.read_key(pos)
        if key in seen_keys:
            p.fail(f"the key {key!r} appears twice at the top level")
        seen_keys.append(key)
        if key == "snapshot":
            end = p.value_end(pos, "the snapshot header")
            header = p.json_value(pos, end, "the snapshot header")
            shape = _check_header(p, header)
            pos = end
        elif key in ("nodes", "edges"):
            if header is None:
                p.fail(f"'{key}' comes before the 'snapshot' header; not a V8 heap snapshot")
            if key == "nodes" and "edges" not in arrays:
                pos = _parse_nodes_and_edges(p, pos, shape, arrays)
            else:
                pos = _parse_graph_array(p, key, pos, shape, arrays)
        elif key == "locations":
            # Parsed on a second thread while this one goes on to the strings (it comes just before).
            end = p.value_end(pos, "the locations array")
            deferred[key] = side.submit(p.parse_unknown_flat, pos, key, end)
            pos = end
        elif key in ("samples", "trace_function_infos"):
            arrays[key], pos = p.parse_unknown_flat(pos, key)
        elif key == "trace_tree":
            end = p.value_end(pos, "trace_tree")
            arrays[key] = (pos, end)  # flattened once the header's trace_node_fields are known
            pos = end
        elif key == "strings":
            arrays[key], pos = _parse_strings(p, pos)
        else:
            pos = p.value_end(pos, f"'{key}'")
        pos = p.ws(pos)
        if pos >= p.size:
            p.fail("the file ends before the closing '}' (truncated?)")
        if p.buf[pos] == ord(","):
            pos += 1
        elif p.buf[pos] != ord("}"):
            p.fail("expected ',' or '}' after a top-level value", pos)
    return header, shape


def _check_header(p, header):
    """Validates the header up front, so that a damaged one is named here in one line rather than
    failing later inside a pass. Returns the shape the array parsers need."""
    if not isinstance(header, dict):
        p.fail("the snapshot header is not a JSON object")
    meta = header.get("meta")
    if not isinstance(meta, dict):
        p.fail("the snapshot header has no 'meta' object")
    node_fields = _field_names(p, meta, "node_fields", REQUIRED_NODE_FIELDS)
    edge_fields = _field_names(p, meta, "edge_fields", REQUIRED_EDGE_FIELDS)
    node_types = _type_names(p, meta, "node_types", node_fields)
    edge_types = _type_names(p, meta, "edge_types", edge_fields)
    for key, required in OPTIONAL_FIELD_LISTS.items():
        if meta.get(key) not in (None, []):  # absent or empty: the file has none of those records
            _field_names(p, meta, key, required)
    node_count = _count(p, header, "node_count")
    edge_count = _count(p, header, "edge_count")
    if node_count == 0:
        p.fail("the snapshot has no nodes")
    # Each value takes a digit and a separator at least. Counts the file cannot hold are damage, and
    # must not become arrays of that size.
    if 2 * (node_count * len(node_fields) + edge_count * len(edge_fields)) > p.size:
        p.fail(f"the header's node_count and edge_count ({node_count:,} and {edge_count:,}) are more "
               f"than a file of {p.size:,} bytes can hold")
    _count(p, header, "root_index", required=False)
    _count(p, header, "extra_native_bytes", required=False)
    return {
        "nf": len(node_fields), "ef": len(edge_fields), "node_fields": node_fields, "edge_fields": edge_fields,
        "node_types": node_types, "edge_types": edge_types, "N": node_count, "E": edge_count,
        # Allocation trace ids mean something only when the file has trace function infos.
        "traced": bool(_count(p, header, "trace_function_count", required=False)),
    }


def _field_names(p, meta, key, required):
    """snapshot.meta[key]: a list of distinct field names that has every required one."""
    fields = meta.get(key)
    if fields is None:
        p.fail(f"snapshot.meta has no '{key}'")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        p.fail(f"snapshot.meta.{key} is not a list of field names")
    if len(set(fields)) != len(fields):
        p.fail(f"snapshot.meta.{key} names a field twice")
    for name in required:
        if name not in fields:
            p.fail(f"snapshot.meta.{key} has no '{name}'")
    return fields


def _type_names(p, meta, key, fields):
    """The type names listed in snapshot.meta[key] at the position of the 'type' field."""
    kinds = meta.get(key)
    if not isinstance(kinds, list):
        p.fail(f"snapshot.meta has no '{key}' list")
    at = fields.index("type")
    names = kinds[at] if len(kinds) > at else None
    if not isinstance(names, list) or not names or not all(isinstance(t, str) for t in names):
        p.fail(f"snapshot.meta.{key} does not list the type names")
    if len(names) > MAX_TYPES:
        p.fail(f"snapshot.meta.{key} lists {len(names)} types; heaptui reads up to {MAX_TYPES}")
    return names


def _count(p, header, key, required=True):
    """A whole number of the header, 0 or more (0 when an optional one is absent)."""
    value = header.get(key)
    if value is None:
        if required:
            p.fail(f"the snapshot header has no {key}")
        return 0
    # JSON true is not a count, though Python's bool is an int.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        p.fail(f"the snapshot header's {key} is not a whole number: {one_line(json.dumps(value), 40)}")
    return value


RECORDS_PER_CALL = 1 << 19  # records per compiled call, between progress reports
RELEASE_BYTES = 16 << 20    # parsed pages of the file given back in steps of this many bytes
FIND_BYTES = 4 << 20        # read at a time when searching the file
SPLIT_MIN_BYTES = 16 << 20  # a part of the edges array shorter than this is not worth a cut
# Per byte, against parsing the edges: parsing the nodes (more, shorter numbers) and counting commas.
NODE_BYTE_COST = 1.9
COUNT_BYTE_COST = 0.27


def _split_target(nodes_bytes, edges_open, close):
    """Where to cut the edges array so that the nodes plus the head (one thread) take as long as
    counting the head plus parsing the tail (the other); None when a cut would not pay."""
    head = ((close - edges_open) - NODE_BYTE_COST * nodes_bytes) / (2 - COUNT_BYTE_COST)
    return edges_open + int(head) if head >= SPLIT_MIN_BYTES else None


def _parse_nodes_and_edges(p, pos, shape, arrays):
    """Parses `nodes` and, when `edges` follows it as V8 writes them, both at once on two threads.

    The nodes array holds only digits, commas and white space, so the first `"edges"` after it is
    the key of the edges array, and the first ']' after that ends it; that the arrays really end
    there is checked after. The work is split in two equal halves: one thread parses the nodes and
    the head of the edges, the other counts the values in that head (to know where its own part
    starts) and parses the rest.
    """
    key_at = p.find(b'"edges"', pos)
    if key_at < 0:
        return _parse_graph_array(p, "nodes", pos, shape, arrays)
    key, edges_pos = p.read_key(key_at)
    node_cols = arrays["nodes"] = _node_columns(shape)
    edge_cols = arrays["edges"] = _edge_columns(shape)
    edges_open = p.expect(edges_pos, "[", "the edges array")
    close = p.find(b"]", edges_open)
    split = _split_target(key_at - pos, edges_open, close) if close > 0 else None
    counter = _Counter(p)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="heaptui-parse") as pool:
        if split is None:
            nodes = pool.submit(_parse_records, p, "nodes", pos, shape, node_cols, counter)
            try:
                edges_end = _parse_records(p, "edges", edges_pos, shape, edge_cols, counter)
            finally:
                nodes_end = nodes.result()
        else:
            cut = _Cut()
            head = pool.submit(_nodes_then_edges_head, p, pos, edges_pos, shape, node_cols, edge_cols,
                               counter, cut)
            try:
                try:
                    cut.at, cut.first = _cut_after(p, edges_open, split, close, shape["ef"])
                finally:
                    cut.ready.set()  # at stays None when there is no cut: the head then stops
                if cut.at is None:
                    edges_end = _parse_records(p, "edges", edges_pos, shape, edge_cols, counter)
                else:
                    edges_end = _parse_records(p, "edges", cut.at, shape, edge_cols, counter,
                                               first=cut.first, opened=True)
            finally:
                nodes_end = head.result()
    after = p.ws(nodes_end)
    if after >= p.size or p.buf[after] != ord(","):
        p.fail("expected ',' after the nodes array", after)
    if p.ws(after + 1) != key_at:
        p.fail("unexpected content between the nodes and edges arrays", after)
    return edges_end


class _Cut:
    """Where the second thread's part of the edges begins: its position and first record."""

    def __init__(self):
        self.ready = threading.Event()
        self.at = None
        self.first = 0


class _Counter:
    """Values parsed so far per array, summed over the threads that parse it, for progress."""

    def __init__(self, p):
        self.p = p
        self.done = {}
        self.lock = threading.Lock()

    def add(self, key, values, total):
        with self.lock:
            done = self.done[key] = self.done.get(key, 0) + values
        self.p.progress(key, done, total)


def _cut_after(p, opened, target, close, width):
    """A record boundary near byte `target` of the edges array (`opened` is just after its '['):
    (the position after the comma that ends the record before it, the number of records before it),
    or (None, 0) when the array has no comma past the target."""
    at = p.mm.find(b",", target, close)
    if at < 0:
        return None, 0
    values = _bytes.count_byte(p.buf, opened, at, ord(",")) + 1
    while values % width:
        at = p.mm.find(b",", at + 1, close)
        if at < 0:
            return None, 0
        values += 1
    return at + 1, values // width


def _nodes_then_edges_head(p, pos, edges_pos, shape, node_cols, edge_cols, counter, cut):
    end = _parse_records(p, "nodes", pos, shape, node_cols, counter)
    cut.ready.wait()
    if cut.at is not None:
        stopped = _parse_records(p, "edges", edges_pos, shape, edge_cols, counter, stop=cut.first)
        if p.ws(stopped) != p.ws(cut.at):
            p.fail("the edges array is malformed", stopped)
    return end


NODE_COLUMNS = ("type", "name", "id", "self_size", "edge_count", "detachedness", "trace_node_id")
EDGE_COLUMNS = ("type", "name_or_index", "to_node")


def _node_columns(shape):
    n, fields = shape["N"], shape["node_fields"]
    cols = {"type": np.empty(n, np.uint8), "name": np.empty(n, np.uint32), "id": np.empty(n, np.uint32),
            "edge_count": np.empty(n, np.uint32)}
    # Without a self_size field (DevTools' flag-only test vectors) every size is 0.
    cols["self_size"] = np.empty(n, np.uint32) if "self_size" in fields else np.zeros(n, np.uint32)
    if "detachedness" in fields:
        cols["detachedness"] = np.empty(n, np.uint8)
    if "trace_node_id" in fields and shape["traced"]:
        cols["trace_node_id"] = np.empty(n, np.uint32)
    return cols


def _edge_columns(shape):
    n = shape["E"]
    return {"type": np.empty(n, np.uint8), "name_or_index": np.empty(n, np.uint32),
            "to_node": np.empty(n, np.uint32)}


def _field_positions(fields, cols, names):
    """Where each of `names` sits in a record (-1: not read), then the record's width."""
    return np.array([fields.index(f) if f in fields and f in cols else -1 for f in names] + [len(fields)],
                    dtype=np.int64)


_NO_U8 = np.zeros(1, np.uint8)
_NO_U32 = np.zeros(1, np.uint32)


def _parse_graph_array(p, key, pos, shape, arrays):
    cols = arrays[key] = _node_columns(shape) if key == "nodes" else _edge_columns(shape)
    return _parse_records(p, key, pos, shape, cols, _Counter(p))


def _parse_records(p, key, pos, shape, cols, counter, first=0, stop=None, opened=False):
    """Parses records [first, stop) of the nodes or edges array into `cols` (all of them when stop is
    None: the array must then end after the header's count). Returns the position after the last
    record parsed (after the array's ']' when it was parsed to its end)."""
    nodes = key == "nodes"
    fields = shape["node_fields"] if nodes else shape["edge_fields"]
    width = len(fields)
    total = shape["N"] if nodes else shape["E"]
    type_limit = len(shape["node_types"] if nodes else shape["edge_types"])
    at = _field_positions(fields, cols, NODE_COLUMNS if nodes else EDGE_COLUMNS)
    if not opened:
        pos = p.expect(pos, "[", f"the {key} array")
    at_start = not opened
    released = pos
    r = first
    end_record = total if stop is None else stop
    if at_start and end_record == first:
        # Nothing to read (an empty array): the compiled loop would stop before looking for its ']'.
        close = p.ws(pos)
        if close < p.size and p.buf[close] == ord("]"):
            return close + 1
    while True:
        upto = min(r + RECORDS_PER_CALL, end_record)
        if nodes:
            pos2, done, status, value, f = _bytes.parse_node_records(
                p.buf, pos, r, at, upto, type_limit, at_start, cols["type"], cols["name"], cols["id"],
                cols["self_size"], cols["edge_count"], cols.get("detachedness", _NO_U8),
                cols.get("trace_node_id", _NO_U32))
        else:
            pos2, done, status, value, f = _bytes.parse_edge_records(
                p.buf, pos, r, at, upto, type_limit, at_start, shape["nf"], shape["N"], cols["type"],
                cols["name_or_index"], cols["to_node"])
        at_start = False
        r += done
        pos = pos2
        if done:
            counter.add(key, done * width, total * width)
            released = p.release(released, pos, RELEASE_BYTES)
        if status == _bytes.MORE:
            if stop is not None and r >= stop:
                return pos
            continue
        if status == _bytes.DONE:
            if stop is not None:
                p.fail(f"the {key} array ends before the header's count", pos)
            if r != total:
                p.fail(f"the {key} array has {r * width} values but the header's counts say {total * width}")
            return pos
        if status == _bytes.WIDE_SELF:
            # V8 writes a node's self size as a 64-bit number: a backing store or wasm memory of 4 GiB
            # or more has its true size in the file. The column widens to int64 when one appears
            # (DevTools keeps 32 bits and shows such a size modulo 4 GiB).
            cols["self_size"] = cols["self_size"].astype(np.int64)
            continue
        _record_error(p, key, status, value, fields[f] if f >= 0 else "", width, r, f, total, type_limit,
                      shape["nf"])


_RECORD_ERRORS = {
    _bytes.END_OF_INPUT: "the file ends inside {what} (truncated?)",
    _bytes.BAD_CHARACTER: "unexpected character in {what}",
    _bytes.TOO_LARGE: "a number in {what} is too large for its field",
    _bytes.BAD_WIDE: "a node's {field} ({value}) does not fit in 32 bits",
    _bytes.BAD_SELF: "a node's self_size ({value}) is not a size",
    _bytes.BAD_TYPE: "{a_record} has type {value}, but snapshot.meta lists only {types} types",
    _bytes.PARTIAL: "{what} has {values} values, not a multiple of its {width} fields",
    _bytes.TOO_MANY_CHECK: "{what} has more values than the header's counts say ({expected})",
    _bytes.BAD_TO_MOD: "an edge's to_node {value} is not a multiple of the node field count {nf}",
    _bytes.BAD_TO_RANGE: "an edge's to_node {value} points past the last node",
}


def _record_error(p, key, status, value, field_name, width, records, f, total, type_limit, nf):
    p.fail(_RECORD_ERRORS.get(status, "{what} is malformed").format(
        what=f"the {key} array", field=field_name, value=value, a_record="a node" if key == "nodes" else "an edge",
        types=type_limit, values=records * width + f + 1, width=width, expected=total * width, nf=nf))


def _check_records(p, values, key, fields):
    if fields and values.shape[0] % len(fields):
        p.fail(f"the {key} array has {values.shape[0]} values, not a whole number of "
               f"{len(fields)}-field records")


def _check_traces(p, header, arrays, string_count):
    """Allocation traces are read only when an object's stack is asked for: check them now, so a
    damaged file fails when it is opened, like any other."""
    meta = header["meta"]
    fields = meta.get("trace_function_info_fields") or []
    infos = arrays.get("trace_function_infos", np.zeros(0, np.uint32))
    if fields:
        _check_records(p, infos, "trace_function_infos", fields)
        count = header.get("trace_function_count")
        if count is not None and infos.shape[0] // len(fields) != count:
            p.fail(f"the trace_function_infos array holds {infos.shape[0] // len(fields)} functions but the "
                   f"header's trace_function_count says {count}")
        rows = infos.reshape(-1, len(fields))
        for name in ("name", "script_name"):
            if name in fields and rows.shape[0] and int(rows[:, fields.index(name)].max()) >= string_count:
                p.fail(f"a trace function's {name} refers to a string past the end of the strings array")
    tree_fields = meta.get("trace_node_fields") or DEFAULT_TRACE_NODE_FIELDS
    span = arrays.get("trace_tree")
    arrays["trace_tree"] = _flatten_trace_tree(p, *span, tree_fields) if span else None


def _flatten_trace_tree(p, start, end, fields):
    """trace_tree, a flat list of trace nodes `fields` long whose children are such lists, streamed
    through ijson into (ids, function indexes, parent ids, allocation counts, allocation sizes): memory in
    proportion to the nodes, never the nested lists a whole-document parse would build. Counts and sizes
    are 0 when trace_node_fields lacks them."""
    width = len(fields)
    try:
        id_at, fi_at, ch_at = (fields.index(n) for n in ("id", "function_info_index", "children"))
    except ValueError:
        p.fail("trace_node_fields lacks id, function_info_index or children")
    if not (id_at < ch_at and fi_at < ch_at):
        p.fail("trace_node_fields puts children before id or function_info_index")
    count_at = fields.index("count") if "count" in fields else -1
    size_at = fields.index("size") if "size" in fields else -1
    not_values = f"trace_tree has a node that is not {width} values ({', '.join(fields)})"
    not_whole = "trace_tree has a node whose id or function index is not a whole number"
    ids, functions, parents, counts, sizes = array("I"), array("I"), array("I"), array("Q"), array("Q")
    out = (ids, functions, parents, counts, sizes)
    # per open list: [values so far, parent id, this node's id, its function, its count, its size]
    stack = []
    try:
        for event, value in ijson.basic_parse(_MapReader(p.mm, start, end), use_float=True):
            if event == "start_array":
                if stack:
                    top = stack[-1]
                    if top[0] % width != ch_at:
                        p.fail(not_values)
                    stack.append([0, top[2], 0, 0, 0, 0])
                else:
                    stack.append([0, 0, 0, 0, 0, 0])
            elif event == "end_array":
                done = stack.pop()
                if done[0] % width:
                    p.fail(not_values)
                if stack:
                    stack[-1][0] += 1
                    _node_done(stack[-1], width, out)
            elif event == "number" and stack:
                top = stack[-1]
                k = top[0] % width
                if k in (id_at, fi_at):
                    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 32:
                        p.fail(not_whole)
                    top[2 if k == id_at else 3] = value
                elif k in (count_at, size_at) and isinstance(value, int) and 0 <= value < 1 << 63:
                    top[4 if k == count_at else 5] = value
                top[0] += 1
                _node_done(top, width, out)
            elif stack and stack[-1][0] % width in (id_at, fi_at):
                p.fail(not_whole)
            else:
                p.fail(not_values)
    except ijson.JSONError as e:
        p.fail(f"trace_tree is not valid JSON ({_json_error(e)})")
    if stack:
        p.fail("trace_tree is not valid JSON (it ends inside a list)")
    return tuple(np.frombuffer(a, dtype=np.uint32 if a.typecode == "I" else np.uint64).copy() for a in out)


def _node_done(state, width, out):
    """Records the node a list has just completed (after its last field)."""
    if state[0] % width == 0:
        ids, functions, parents, counts, sizes = out
        ids.append(state[2])
        functions.append(state[3])
        parents.append(state[1])
        counts.append(state[4])
        sizes.append(state[5])


def _assemble(p, header, shape, arrays) -> RawSnapshot:
    nodes, edges = arrays["nodes"], arrays["edges"]
    n, e = shape["N"], shape["E"]
    edge_counts = nodes["edge_count"]
    total = int(edge_counts.sum(dtype=np.int64))
    if total != e:
        p.fail(f"the nodes' edge counts add up to {total} but the file has {e} edges")
    dtype = np.uint32 if e < 2**32 else np.int64
    first_edge = np.empty(n + 1, dtype=dtype)
    first_edge[0] = 0
    np.cumsum(edge_counts, out=first_edge[1:], dtype=dtype)
    del nodes["edge_count"]
    strings = arrays["strings"]
    nstr = len(strings)
    if n and int(nodes["name"].max()) >= nstr:
        p.fail(f"a node's name refers to string {int(nodes['name'].max())} of {nstr}")
    edge_types = shape["edge_types"]
    numeric = [edge_types.index(t) if t in edge_types else 255 for t in ("element", "hidden")]
    if e and _bytes.max_string_name(edges["type"], edges["name_or_index"], *numeric) >= nstr:
        p.fail("an edge's name refers to a string past the end of the strings array")
    root_index = header.get("root_index", 0) or 0
    if not isinstance(root_index, int) or root_index % shape["nf"] or root_index // shape["nf"] >= n:
        p.fail(f"the snapshot's root_index {root_index!r} is not a node")
    root = root_index // shape["nf"]
    if root not in (0, n - 1):
        p.fail("the root node must be the first or the last node")
    meta = header["meta"]
    loc_fields = meta.get("location_fields") or []
    locations = arrays.get("locations", np.zeros(0, np.uint32)) if loc_fields else np.zeros(0, np.uint32)
    _check_records(p, locations, "locations", loc_fields)
    samples = arrays.get("samples", np.zeros(0, np.uint32))
    _check_records(p, samples, "samples", meta.get("sample_fields") or [])
    _check_traces(p, header, arrays, nstr)
    extra = header.get("extra_native_bytes", 0) or 0
    raw = RawSnapshot(
        meta=meta,
        node_types=shape["node_types"],
        edge_types=edge_types,
        node_count=n,
        edge_count=e,
        root_ordinal=root,
        extra_native_bytes=int(extra),
        node_type=nodes["type"],
        node_name=nodes["name"],
        node_id=nodes["id"],
        node_self=nodes["self_size"],
        first_edge=first_edge,
        edge_type=edges["type"],
        edge_name=edges["name_or_index"],
        edge_to=edges["to_node"],
        strings=strings,
        node_detachedness=nodes.get("detachedness"),
        node_trace=nodes.get("trace_node_id"),
        locations=locations,
        location_fields=list(loc_fields),
        samples=samples if meta.get("sample_fields") else np.zeros(0, np.uint32),
        trace_function_infos=arrays.get("trace_function_infos", np.zeros(0, np.uint32)),
    )
    if arrays.get("trace_tree") is not None:
        raw.trace_ids, raw.trace_functions, raw.trace_parents, raw.trace_counts, raw.trace_sizes = \
            arrays["trace_tree"]
    return raw
