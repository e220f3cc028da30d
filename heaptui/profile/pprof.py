"""Sampling heap profiles as pprof (profile.proto, gzipped): for `go tool pprof`, Pyroscope / Grafana and
speedscope.

The messages are those of github.com/google/pprof's proto/profile.proto (package perftools.profiles),
declared here as a descriptor and encoded by the protobuf library (google.protobuf), never by hand.
Every call-tree node with bytes sampled in it becomes one sample: its stack (innermost frame first,
the synthetic "(root)" left out) and the value "space"/"bytes". Functions are DevTools' callUIDs
(name, script, line, column); lines are 1-based, as pprof wants them. No printing.
"""
from __future__ import annotations

import gzip
import os
import tempfile

_CLASSES = None

# (message, [(field, number, type, repeated, message type)]) as in profile.proto.
_I64, _U64, _STR, _BOOL, _MSG = 3, 4, 9, 8, 11
_SCHEMA = [
    ("Profile", [("sample_type", 1, _MSG, True, "ValueType"), ("sample", 2, _MSG, True, "Sample"),
                 ("mapping", 3, _MSG, True, "Mapping"), ("location", 4, _MSG, True, "Location"),
                 ("function", 5, _MSG, True, "Function"), ("string_table", 6, _STR, True, None),
                 ("drop_frames", 7, _I64, False, None), ("keep_frames", 8, _I64, False, None),
                 ("time_nanos", 9, _I64, False, None), ("duration_nanos", 10, _I64, False, None),
                 ("period_type", 11, _MSG, False, "ValueType"), ("period", 12, _I64, False, None),
                 ("comment", 13, _I64, True, None), ("default_sample_type", 14, _I64, False, None)]),
    ("ValueType", [("type", 1, _I64, False, None), ("unit", 2, _I64, False, None)]),
    ("Sample", [("location_id", 1, _U64, True, None), ("value", 2, _I64, True, None),
                ("label", 3, _MSG, True, "Label")]),
    ("Label", [("key", 1, _I64, False, None), ("str", 2, _I64, False, None), ("num", 3, _I64, False, None),
               ("num_unit", 4, _I64, False, None)]),
    ("Mapping", [("id", 1, _U64, False, None), ("memory_start", 2, _U64, False, None),
                 ("memory_limit", 3, _U64, False, None), ("file_offset", 4, _U64, False, None),
                 ("filename", 5, _I64, False, None), ("build_id", 6, _I64, False, None),
                 ("has_functions", 7, _BOOL, False, None), ("has_filenames", 8, _BOOL, False, None),
                 ("has_line_numbers", 9, _BOOL, False, None), ("has_inline_frames", 10, _BOOL, False, None)]),
    ("Location", [("id", 1, _U64, False, None), ("mapping_id", 2, _U64, False, None),
                  ("address", 3, _U64, False, None), ("line", 4, _MSG, True, "Line"),
                  ("is_folded", 5, _BOOL, False, None)]),
    ("Line", [("function_id", 1, _U64, False, None), ("line", 2, _I64, False, None),
              ("column", 3, _I64, False, None)]),
    ("Function", [("id", 1, _U64, False, None), ("name", 2, _I64, False, None),
                  ("system_name", 3, _I64, False, None), ("filename", 4, _I64, False, None),
                  ("start_line", 5, _I64, False, None)]),
]


def message_classes():
    """{name: message class} for profile.proto's messages, built once from the descriptor above."""
    global _CLASSES
    if _CLASSES is None:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
        proto = descriptor_pb2.FileDescriptorProto(name="perftools/profiles/profile.proto",
                                                   package="perftools.profiles", syntax="proto3")
        for name, fields in _SCHEMA:
            message = proto.message_type.add(name=name)
            for field, number, kind, repeated, type_name in fields:
                f = message.field.add(name=field, number=number, type=kind, label=3 if repeated else 1)
                if type_name:
                    f.type_name = f".perftools.profiles.{type_name}"
        pool = descriptor_pool.DescriptorPool()
        pool.Add(proto)
        _CLASSES = {name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"perftools.profiles.{name}")) for name, _fields in _SCHEMA}
    return _CLASSES


def _new_profile():
    """An empty Profile message and its string-table function: text -> index (added once)."""
    out = message_classes()["Profile"]()
    strings = {"": 0}
    out.string_table.append("")

    def s(text):
        if text not in strings:
            strings[text] = len(out.string_table)
            out.string_table.append(text)
        return strings[text]
    return out, s


def to_pprof(profile):
    """The Profile message for a SamplingProfile."""
    out, s = _new_profile()
    out.sample_type.add(type=s("space"), unit=s("bytes"))
    out.period_type.type, out.period_type.unit = s("space"), s("bytes")
    functions, locations = {}, {}

    def location(i):
        frame = profile.nodes[i].frame
        if frame.uid not in locations:
            if frame.uid not in functions:
                functions[frame.uid] = len(functions) + 1
                out.function.add(id=functions[frame.uid], name=s(frame.label), system_name=s(frame.label),
                                 filename=s(frame.url), start_line=frame.line + 1 if frame.line >= 0 else 0)
            locations[frame.uid] = len(locations) + 1
            loc = out.location.add(id=locations[frame.uid])
            loc.line.add(function_id=functions[frame.uid], line=frame.line + 1 if frame.line >= 0 else 0,
                         column=frame.column + 1 if frame.column >= 0 else 0)
        return locations[frame.uid]

    for i, node in enumerate(profile.nodes):
        if i == 0 or node.self_size <= 0:
            continue
        stack, j = [], i
        while j > 0:  # innermost first, up to (not including) the synthetic root
            stack.append(location(j))
            j = profile.nodes[j].parent
        out.sample.add(location_id=stack, value=[node.self_size])
    return out


ALLOCATION_TYPES = (("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"),
                    ("inuse_space", "bytes"))


def traces_to_pprof(traces):
    """The Profile message for a tracked snapshot's allocation stacks (snapshot.allocation_traces()),
    in the sample types of a Go heap profile: what each stack allocated while tracking ran
    (alloc_objects, alloc_space) and what of it is still alive in the snapshot (inuse_objects,
    inuse_space, the default). One sample per trace node with anything in it; stacks innermost first,
    the "(root)" node left out unless it allocated itself (V8 counts allocations it could not place)."""
    out, s = _new_profile()
    for kind, unit in ALLOCATION_TYPES:
        out.sample_type.add(type=s(kind), unit=s(unit))
    out.default_sample_type = s("inuse_space")
    functions, parents, counts, sizes, live_counts, live_sizes = traces.tree()
    frames = traces.functions
    locations = {}

    def location(fi):
        if fi not in locations:
            frame = frames[fi]
            locations[fi] = len(locations) + 1
            name = frame.function or "(anonymous)"
            out.function.add(id=locations[fi], name=s(name), system_name=s(name), filename=s(frame.script),
                             start_line=frame.line)
            out.location.add(id=locations[fi]).line.add(function_id=locations[fi], line=frame.line,
                                                        column=frame.column)
        return locations[fi]

    def is_root(fi):
        return not 0 <= fi < len(frames) or frames[fi].function == "(root)"

    for k in range(functions.shape[0]):
        values = [int(counts[k]), int(sizes[k]), int(live_counts[k]), int(live_sizes[k])]
        if not any(values) or not 0 <= int(functions[k]) < len(frames):
            continue
        stack = [location(int(functions[k]))] if is_root(int(functions[k])) else []
        j = k
        while j >= 0 and not is_root(int(functions[j])) and len(stack) < 1024:
            stack.append(location(int(functions[j])))
            j = int(parents[j])
        out.sample.add(location_id=stack, value=values)
    return out


def write_pprof(profile, path):
    """Writes the profile (a SamplingProfile, or a snapshot's AllocationTraces) as gzipped pprof to
    `path` (0600, renamed into place when complete)."""
    message = traces_to_pprof(profile) if hasattr(profile, "tree") else to_pprof(profile)
    data = gzip.compress(message.SerializeToString(), mtime=0)
    directory = os.path.dirname(os.path.abspath(path))
    fd, part = tempfile.mkstemp(prefix=".heaptui-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(part, path)
    except BaseException:
        os.unlink(part)
        raise
    return len(data)
