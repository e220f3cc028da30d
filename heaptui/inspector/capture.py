"""Taking heap snapshots and sampling heap profiles from a live Node process, safely.

A snapshot streams to FILE.part (mode 0600: it holds the heap's strings, secrets included) chunk by
chunk as the inspector sends it, and is renamed to FILE only once complete; on any failure the part
file is removed. Before capturing, a preflight compares what the capture may need with what the host
has free: V8 builds the whole snapshot graph inside the target, which can double its heap.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import re
import signal as signals
import time
from dataclasses import dataclass

from .cdp import CDPSession
from . import procfs
from .discovery import process_alive
from .errors import InspectorError, InspectorGone, InspectorTimeout, TooRisky

MiB = 1 << 20


@dataclass
class Preflight:
    heap_used: int
    heap_total: int
    embedder_used: int
    backing_store: int | None  # ArrayBuffer backing stores, where the target reports them (newer V8)
    mem_available: int | None  # the host's MemAvailable
    cgroup: procfs.CgroupMemory | None  # the target's tightest memory cgroup limit, if any
    rss: int | None  # the target's resident memory
    needed: int  # what the capture may add to the target's memory use
    verdict: str  # "ok", "warn" or "refuse"

    @property
    def room(self):
        """What the target may still take: the tighter of the host's available memory and its cgroup's."""
        rooms = [r for r in (self.mem_available, self.cgroup.room if self.cgroup else None) if r is not None]
        return min(rooms) if rooms else None

    @property
    def bound_by(self):
        if self.cgroup is not None and (self.mem_available is None or self.cgroup.room <= self.mem_available):
            return "cgroup"
        return "host" if self.mem_available is not None else None

    @property
    def pause(self):
        """A rough guide to how long the target's main thread stops: V8 walks and serialises the heap
        at about SNAPSHOT_RATE bytes of used heap a second (measured by tests/bench/capture_bench.py)."""
        return self.heap_used / SNAPSHOT_RATE

    def message(self):
        head = f"target heap {_mib(self.heap_used)} used of {_mib(self.heap_total)}"
        if self.rss is not None:
            head += f", RSS {_mib(self.rss)}"
        parts = [head, f"a snapshot may need about {_mib(self.needed)} more and pause the target for "
                       f"{_duration(self.pause)}"]
        host = "unknown" if self.mem_available is None else _mib(self.mem_available)
        if self.cgroup is not None:
            parts.append(f"its memory cgroup ({self.cgroup.path}) has {_mib(self.cgroup.room)} left of a "
                         f"{_mib(self.cgroup.limit)} limit, the host {host} available")
        else:
            parts.append(f"host has {host} available")
        return "; ".join(parts)

    def refusal(self):
        where = "its container" if self.bound_by == "cgroup" else "the host"
        return (self.message() + f"; refusing (this could run {where} out of memory and get the target "
                "killed); heaptui profile (sampling, cheap) shows what allocates; --force captures anyway")


# Used heap a second that V8 turns into a snapshot stream (graph building plus serialisation), on one
# core of a busy 2-core test machine: a guide for the pause estimate, not a promise.
SNAPSHOT_RATE = 8 * MiB


def _mib(n):
    """Megabytes as the rest of heaptui shows them (DevTools' decimal units)."""
    return f"{n / 1e6:,.0f} MB"


def _duration(seconds):
    return f"about {seconds:.0f} s" if seconds >= 2 else "a second or two" if seconds >= 0.5 else "under a second"


def preflight(session: CDPSession, available=None, cgroup=None):
    """Reads the target's heap usage and judges whether a snapshot could exhaust its memory.

    Node's docs: taking a snapshot needs roughly twice the heap's size at that moment. We count the
    extra as the used heap plus embedder memory (the graph V8 builds is about that large) and compare
    it with the room the target has: the host's available memory, and, when the target runs under a
    memory cgroup limit (a container), that limit less what the cgroup uses, whichever is tighter.
    Refuses when it would not fit, warns when it would take over half."""
    usage = session.call("Runtime.getHeapUsage")
    used = int(usage.get("usedSize", 0))
    total = int(usage.get("totalSize", 0))
    embedder = int(usage.get("embedderHeapUsedSize", 0) or 0)
    backing = usage.get("backingStorageSize")
    pid = getattr(session, "pid", None)
    memory = procfs.memory_of(pid) if pid else None
    if cgroup is None and pid:
        cgroup = procfs.cgroup_memory(pid)
    check = Preflight(heap_used=used, heap_total=total, embedder_used=embedder,
                      backing_store=int(backing) if backing is not None else None,
                      mem_available=procfs.mem_available() if available is None else available,
                      cgroup=cgroup, rss=memory.rss if memory else None, needed=used + embedder, verdict="ok")
    room = check.room
    if room is None:
        check.verdict = "warn"
    elif check.needed > room:
        check.verdict = "refuse"
    elif check.needed > room // 2:
        check.verdict = "warn"
    return check


def default_snapshot_name(pid=None, directory="."):
    """A name like Node's own: Heap.<yyyymmdd>.<hhmmss>.<pid>.0.<seq>.heapsnapshot, not yet taken."""
    stamp = time.strftime("%Y%m%d.%H%M%S")
    for seq in range(1, 1000):
        name = os.path.join(directory, f"Heap.{stamp}.{pid or 0}.0.{seq:03d}.heapsnapshot")
        if not os.path.exists(name) and not os.path.exists(name + ".part"):
            return name
    raise InspectorError(f"too many snapshots named Heap.{stamp}.* in {directory}")


class _PartFile:
    """FILE.part, private, renamed to FILE by commit(); removed on any other way out."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.part = self.path + ".part"
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            raise InspectorError(f"{directory}: no such directory")
        if os.path.exists(self.path):
            raise InspectorError(f"{path} already exists; choose another name with -o")
        try:
            fd = os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise InspectorError(f"{self.part} exists: another capture is writing it, or remove it") from None
        except OSError as e:
            raise InspectorError(f"cannot write {self.part}: {e.strerror}") from None
        self.file = os.fdopen(fd, "wb", buffering=1 << 20)
        self.bytes = 0
        self.done = False

    def write(self, data: bytes):
        try:
            self.file.write(data)
        except OSError as e:
            raise InspectorError(f"cannot write {self.part}: {e.strerror}") from None
        self.bytes += len(data)

    def commit(self):
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.part, self.path)
        self.done = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self.done:
            try:
                self.file.close()
            finally:
                try:
                    os.unlink(self.part)
                except OSError:
                    pass


def take_snapshot(session: CDPSession, path, gc=True, progress=None, force=False, available=None,
                  expose_internals=False, track_allocations_for=None, transform=None):
    """Captures a heap snapshot into `path`. progress(phase, done, total) reports the target's graph
    building ("snapshot": objects), then the stream ("writing": bytes so far, total unknown).

    With track_allocations_for=S, allocations are tracked with their stacks for S seconds first and
    the snapshot is the one stopTrackingHeapObjects streams: it carries the allocation stacks.

    With `transform` (an object with feed(bytes) -> bytes and finish() -> bytes, such as a redactor),
    the stream passes through it on its way to disk: only what it gives back is ever written."""
    progress = progress or (lambda phase, done, total: None)
    check = preflight(session, available)
    if check.verdict == "refuse" and not force:
        raise TooRisky(check.refusal())
    with _PartFile(path) as out:
        received = [0]

        def on_chunk(params):
            data = params.get("chunk", "").encode("utf-8", "surrogatepass")
            received[0] += len(data)
            out.write(transform.feed(data) if transform is not None else data)
            progress("writing", received[0], 0)

        def on_progress(params):
            progress("snapshot", int(params.get("done", 0)), int(params.get("total", 0)) or 1)

        session.on("HeapProfiler.addHeapSnapshotChunk", on_chunk)
        session.on("HeapProfiler.reportHeapSnapshotProgress", on_progress)
        session.call("HeapProfiler.enable")
        params = {"reportProgress": True, "captureNumericValue": False}
        if expose_internals:
            params["exposeInternals"] = True
        if track_allocations_for is not None:
            session.call("HeapProfiler.startTrackingHeapObjects", {"trackAllocations": True})
            started = time.monotonic()
            while time.monotonic() - started < track_allocations_for:
                progress("tracking allocations", time.monotonic() - started, track_allocations_for)
                time.sleep(0.2)
                session.call("Runtime.getHeapUsage", idle_timeout=10)  # also drains stats events
            session.call("HeapProfiler.stopTrackingHeapObjects", params)
        else:
            if gc:
                progress("collecting garbage", 0, 1)
                session.call("HeapProfiler.collectGarbage")
            session.call("HeapProfiler.takeHeapSnapshot", params)
        if received[0] == 0:
            raise InspectorError("the target sent no snapshot data")
        if transform is not None:
            out.write(transform.finish())
        out.commit()
        progress("done", out.bytes, out.bytes)
        return check, out.bytes


def sample_heap(session: CDPSession, path, duration=None, interval=32768, stop=None, progress=None):
    """Runs the sampling heap profiler for `duration` seconds (or until stop() returns True) and
    writes DevTools' .heapprofile JSON to `path` (0600, renamed into place when complete)."""
    if interval <= 0:
        raise InspectorError("the sampling interval must be a positive number of bytes")
    progress = progress or (lambda phase, done, total: None)
    with _PartFile(path) as out:
        session.call("HeapProfiler.enable")
        session.call("HeapProfiler.startSampling", {"samplingInterval": int(interval)})
        started = time.monotonic()
        try:
            while True:
                elapsed = time.monotonic() - started
                if duration is not None and elapsed >= duration:
                    break
                if stop is not None and stop():
                    break
                progress("sampling", elapsed, duration or 0)
                time.sleep(0.1 if duration is None else min(0.1, max(0.0, duration - elapsed)))
                # Keep the connection honest: a target that died shows up here, not at the end.
                session.call("Runtime.getHeapUsage", idle_timeout=10)
        finally:
            result = session.call("HeapProfiler.stopSampling")
        profile = result.get("profile")
        if not isinstance(profile, dict) or "head" not in profile:
            raise InspectorError("the target returned no sampling profile")
        out.write(json.dumps(profile, separators=(",", ":")).encode("utf-8", "surrogatepass"))
        out.commit()
        return out.bytes


# -- the signal path (--heapsnapshot-signal) ----------------------------------------------------------
_NODE_NAME = re.compile(r"^Heap\.\d{8}\.\d{6}\.\d+\.\d+\.\d+\.heapsnapshot$")


def _snapshots_in(directory):
    try:
        return {n for n in os.listdir(directory) if _NODE_NAME.match(n)}
    except OSError:
        return set()


def _open_by(pid, path):
    """Whether process pid has `path` open (Node is still writing it). Compared by inode, since the
    process may see the file under another path (its container's)."""
    try:
        st = os.stat(path)
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            other = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return True
    return False


def snapshot_by_signal(pid, signal_name="SIGUSR2", timeout=600.0, progress=None, output=None):
    """For a process started with --heapsnapshot-signal: sends the signal, waits for the new
    Heap.*.heapsnapshot in its working directory to be written completely, and returns its path, or,
    with `output`, moves it there once complete (made private, 0600) and returns that."""
    if output is not None:
        output = os.path.abspath(output)
        if os.path.exists(output):
            raise InspectorError(f"{output} already exists; choose another name with -o")
        if not os.path.isdir(os.path.dirname(output)):
            raise InspectorError(f"{os.path.dirname(output)}: no such directory")
    found = _wait_for_signal_snapshot(pid, signal_name, timeout, progress)
    if output is None:
        return found
    try:
        os.chmod(found, 0o600)
        try:
            os.link(found, output)  # fails rather than replace a file that appeared meanwhile
            os.unlink(found)
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            with _PartFile(output) as out, open(found, "rb") as src:  # another file system: copy
                shutil.copyfileobj(src, out.file, 1 << 20)
                out.commit()
            os.unlink(found)
    except OSError as e:
        raise InspectorError(f"the snapshot is complete at {found} but could not be moved to {output}: "
                             f"{e.strerror or e}") from None
    return output


def _process_dir(pid):
    """Process pid's working directory as a path that works from here, also when it runs in a
    container (another mount namespace): through /proc/PID/root."""
    cwd = os.readlink(f"/proc/{pid}/cwd")
    try:
        same = os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
    except OSError:
        same = True
    return cwd if same else os.path.join(f"/proc/{pid}/root", cwd.lstrip("/"))


def _wait_for_signal_snapshot(pid, signal_name, timeout, progress):
    progress = progress or (lambda phase, done, total: None)
    sig = getattr(signals, signal_name if signal_name.startswith("SIG") else "SIG" + signal_name, None)
    if not isinstance(sig, signals.Signals):
        raise InspectorError(f"unknown signal {signal_name}")
    try:
        cwd = _process_dir(pid)
    except FileNotFoundError:
        raise InspectorGone(f"no process with pid {pid}") from None
    except OSError as e:
        raise InspectorError(f"cannot see process {pid}'s working directory: {e.strerror}") from None
    if procfs.is_node(pid) is None:
        raise InspectorError(f"process {pid} is not a Node.js process")
    if not procfs.catches(pid, sig):
        # Node handles it only when started with --heapsnapshot-signal=SIG; otherwise it would die.
        raise InspectorError(f"process {pid} does not handle {sig.name} (it was not started with "
                             f"--heapsnapshot-signal={sig.name}), and the signal would kill it; capture "
                             f"through its inspector instead: heaptui capture --pid {pid}")
    before = _snapshots_in(cwd)
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        raise InspectorGone(f"process {pid} exited") from None
    except PermissionError:
        raise InspectorError(f"not allowed to signal process {pid} (another user's process?)") from None
    deadline = time.monotonic() + timeout
    found = None
    last_size, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        alive = process_alive(pid)
        if found is None:
            new = sorted(_snapshots_in(cwd) - before)
            if new:
                found = os.path.join(cwd, new[-1])
            elif not alive:
                raise InspectorGone(f"process {pid} exited before writing a snapshot")
            elif time.monotonic() - stable_since > min(timeout, 60.0):
                raise InspectorTimeout(
                    f"no new Heap.*.heapsnapshot in {cwd} {min(timeout, 60.0):g} s after {sig.name}: was process {pid} "
                    f"started with --heapsnapshot-signal={sig.name}?")
            continue
        size = os.path.getsize(found) if os.path.exists(found) else 0
        progress("writing", size, 0)
        if size != last_size:
            last_size, stable_since = size, time.monotonic()
            continue
        if alive and _open_by(pid, found):
            continue
        if time.monotonic() - stable_since >= 0.3:
            if not _looks_complete(found):
                raise InspectorError(f"{found} is incomplete (the process stopped writing it)")
            return found
    raise InspectorTimeout(f"the snapshot was not complete within {timeout:g} s")


def _looks_complete(path):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 64))
            return f.read().rstrip().endswith(b"}")
    except OSError:
        return False
