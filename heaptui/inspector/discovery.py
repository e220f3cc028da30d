"""Finding inspectable Node processes without disturbing them.

An inspector answers HTTP on the same kind of socket as the application's own servers, and asking the
wrong one is a request the application sees. So discovery never asks a port that is not the
inspector's: it finds the inspector's port from the process's own flags (`--inspect[=[host:]port]`,
`--inspect-port`, `NODE_OPTIONS`), the default 9229, the socket that appears after SIGUSR1 (remembered
for later), and for `--inspect=0` the first socket the process opened, which Node's inspector opens
before any script runs. Sockets are read from the process's own network namespace, and connections
to a process in a container are made inside its namespace (netns.py).
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import time
from dataclasses import dataclass, field

from ..paths import cache_home
from . import procfs
from .errors import InspectorError, InspectorGone, InspectorTimeout
from .netns import open_connection
from .procfs import is_node
from .security import check_host


@dataclass
class Target:
    id: str
    title: str
    url: str
    ws_url: str
    type: str
    host: str
    port: int
    netns_pid: int | None = None  # connections go through this process's network namespace


@dataclass
class NodeProcess:
    pid: int
    command: str
    cwd: str | None
    inspector_port: int | None  # loopback port of its inspector, if open
    inspector_host: str | None = None  # the loopback address it listens on
    listening: list = field(default_factory=list)  # (address, port) of every listening TCP socket
    container: procfs.Container | None = None  # set when it runs in other namespaces than heaptui
    memory: procfs.ProcessMemory | None = None


def http_json(host, port, path, timeout=2.0, allow_remote=False, netns_pid=None):
    """GET a JSON document from an inspector's HTTP endpoint (loopback only unless allowed)."""
    check_host(host, allow_remote)
    sock = open_connection(host, port, timeout, netns_pid)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.sock = sock
    try:
        conn.request("GET", path, headers={"Host": f"{_literal(host)}:{port}"})
        resp = conn.getresponse()
        body = resp.read(4 << 20)
        if resp.status != 200:
            raise InspectorError(f"{host}:{port}{path} answered HTTP {resp.status}")
        return json.loads(body)
    except (ConnectionRefusedError, ConnectionResetError) as e:
        raise InspectorGone(f"nothing is listening on {host}:{port} ({e.strerror or e})") from None
    except TimeoutError:
        raise InspectorTimeout(f"{host}:{port} did not answer within {timeout:g} s") from None
    except OSError as e:
        raise InspectorGone(f"cannot reach {host}:{port}: {e.strerror or e}") from None
    except (ValueError, http.client.HTTPException):
        raise InspectorError(f"{host}:{port} is not a Node inspector (no JSON at {path})") from None
    finally:
        conn.close()


def _literal(host):
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def list_targets(host="127.0.0.1", port=9229, timeout=2.0, allow_remote=False, netns_pid=None):
    """The debuggable targets an inspector port offers (one per Node process; a browser lists a page
    per tab, and workers)."""
    doc = http_json(host, port, "/json/list", timeout, allow_remote, netns_pid)
    if not isinstance(doc, list):
        raise InspectorError(f"{host}:{port}/json/list is not a list of targets")
    out = []
    for t in doc:
        if isinstance(t, dict) and t.get("webSocketDebuggerUrl"):
            out.append(Target(id=str(t.get("id", "")), title=str(t.get("title", "")),
                              url=str(t.get("url", "")), ws_url=str(t["webSocketDebuggerUrl"]),
                              type=str(t.get("type", "")), host=host, port=int(port), netns_pid=netns_pid))
    return out


def choose_target(targets, wanted=None, where=""):
    """The target `wanted` names (its id, its position from 1, or a unique part of its title or URL);
    the only one when there is one. Several and no choice is an error that lists them."""
    if not targets:
        raise InspectorError(f"the inspector{where} lists no target (is a debugger attached?)")
    if wanted is None:
        if len(targets) == 1:
            return targets[0]
        raise InspectorError(f"the inspector{where} lists {len(targets)} targets; choose one with --target "
                             + _listing(targets))
    text = str(wanted)
    exact = [t for t in targets if t.id == text]
    if exact:
        return exact[0]
    if text.isdigit() and 1 <= int(text) <= len(targets):
        return targets[int(text) - 1]
    matches = [t for t in targets if text.lower() in t.title.lower() or text.lower() in t.url.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InspectorError(f"no target{where} matches --target {text}: " + _listing(targets))
    raise InspectorError(f"--target {text} matches {len(matches)} targets{where}: " + _listing(matches))


def _listing(targets):
    return "; ".join(f"{i}: {t.title or t.url} ({t.type or 'target'}, id {t.id})"
                     for i, t in enumerate(targets, 1))


def _inspector_verdict(port, host="127.0.0.1", timeout=1.0, netns_pid=None):
    """True: a Node inspector answered; False: something else answered; None: no answer (yet).
    Only ever asked of a socket discovery has already judged to be the inspector's."""
    try:
        doc = http_json(host, port, "/json/version", timeout, netns_pid=netns_pid)
    except (InspectorTimeout, InspectorGone):
        return None
    except InspectorError:
        return False
    return isinstance(doc, dict) and str(doc.get("Browser", "")).startswith("node")


# -- local processes --------------------------------------------------------------------------------
def process_alive(pid):
    """Whether process pid still runs: not gone, and not a zombie that its parent has yet to reap
    (a dead child of the caller's keeps its /proc entry until then)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X", "x")


def _remembered_path():
    return os.path.join(cache_home(), "inspectors.json")


def _remembered():
    try:
        with open(_remembered_path(), encoding="utf-8") as f:
            doc = json.load(f)
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def _remember(pid, port):
    """Records that process pid (this incarnation of it) opened its inspector on `port` after our
    SIGUSR1: with --inspect-port=0 nothing else says which of its sockets that was."""
    known = {k: v for k, v in _remembered().items()
             if k.split(":")[0].isdigit() and procfs.start_time(int(k.split(":")[0])) == _int(k.split(":")[-1])}
    known[f"{pid}:{procfs.start_time(pid)}"] = port
    path = _remembered_path()
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        part = f"{path}.{os.getpid()}.part"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(known, f)
        os.replace(part, path)
    except OSError:
        pass  # only a convenience for later runs


def _int(text):
    try:
        return int(text)
    except ValueError:
        return None


def inspector_candidates(pid, listening=None, flags=None, ambiguous=False):
    """(host, port) of process pid's inspector, judged from /proc alone (no traffic): the port it opened
    after our SIGUSR1 (remembered), the port its flags name when it was started with --inspect, and with
    --inspect=0 the first socket it opened. With ambiguous=True also the port its flags (or the default
    9229) name when it was not started with --inspect: its inspector if someone opened it with SIGUSR1,
    or a server of its own; only a capture the user asked for tries that one."""
    listening = procfs.listening_of(pid) if listening is None else listening
    flags = procfs.inspector_flags(pid) if flags is None else flags
    found = []
    remembered = _remembered().get(f"{pid}:{procfs.start_time(pid)}")
    for _fd, address, port in listening:
        if port == remembered and (procfs.is_loopback(address) or procfs.is_any(address)):
            found.append((connect_host(address), port))
    if flags.port and (flags.at_start or ambiguous):
        found += [(connect_host(address), port) for _fd, address, port in listening
                  if port == flags.port and procfs.address_matches(address, flags.host)]
    elif not flags.port and flags.at_start:
        first = [(connect_host(address), port) for _fd, address, port in listening
                 if procfs.address_matches(address, flags.host)]
        found += first[:1]  # the lowest file descriptor: opened before the script ran
    return list(dict.fromkeys(found))


def connect_host(address):
    """The address to connect to for a socket listening on `address`: itself when it is a loopback
    address, the loopback of its family when it listens on every address."""
    if address == "::":
        return "::1"
    if address == "0.0.0.0":
        return "127.0.0.1"
    return address


def find_inspector(pid, ambiguous=False):
    """(host, port) of process pid's open inspector, or None; asks nothing but that port."""
    netns_pid = pid if procfs.in_other_netns(pid) else None
    for host, port in inspector_candidates(pid, ambiguous=ambiguous):
        if _inspector_verdict(port, host, netns_pid=netns_pid):
            return host, port
    return None


def node_processes(with_memory=True):
    """Local Node processes this user can see, in every namespace, with their inspector port if it is
    open, the container they run in and their memory."""
    out = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        argv = is_node(pid)
        if argv is None:
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = None
        listening = procfs.listening_of(pid)
        try:
            found = find_inspector(pid)
        except InspectorError:
            found = None
        out.append(NodeProcess(pid=pid, command=" ".join(argv), cwd=cwd,
                               inspector_port=found[1] if found else None,
                               inspector_host=found[0] if found else None,
                               listening=sorted((a, p) for _fd, a, p in listening),
                               container=procfs.container_of(pid),
                               memory=procfs.memory_of(pid) if with_memory else None))
    return sorted(out, key=lambda p: p.pid)


def _holder_message(pid, flags):
    """Names the process that holds the port pid's inspector would open on, if another one does."""
    if not flags.port:
        return None
    held = procfs.holders_of([(a, flags.port) for a in ("127.0.0.1", "0.0.0.0", "::", "::1")], pid)
    for (address, port), (holder, argv) in held.items():
        if holder == pid:
            what = "its own server (not an inspector)"
        else:
            what = f"process {holder} ({' '.join(argv)[:60] or '?'})"
        return (f"process {pid}'s inspector port {port} is taken by {what} on {address}; "
                f"{'stop that inspector or process, or ' if holder != pid else ''}restart {pid} with "
                f"--inspect-port=0 (any free port), or with --heapsnapshot-signal=SIGUSR2 and use "
                f"heaptui capture --pid {pid} --signal SIGUSR2")
    return None


def attach(pid, timeout=10.0):
    """Opens the inspector of a running Node process (SIGUSR1, as Node's docs describe) and returns
    the (host, port) it listens on. Returns at once when it is already open. Sends nothing to any
    other port, and no signal the process would die of."""
    if is_node(pid) is None:
        if not os.path.exists(f"/proc/{pid}"):
            raise InspectorGone(f"no process with pid {pid}")
        raise InspectorError(f"process {pid} is not a Node.js process")
    netns_pid = pid if procfs.in_other_netns(pid) else None
    flags = procfs.inspector_flags(pid)
    before = procfs.listening_of(pid)
    for host, port in inspector_candidates(pid, before, flags):
        if _inspector_verdict(port, host, netns_pid=netns_pid):
            return host, port
    if flags.disabled or not procfs.catches(pid, signal.SIGUSR1):
        raise InspectorError(f"process {pid} does not handle SIGUSR1 (started with --disable-sigusr1?): its "
                             "inspector cannot be opened from outside, and the signal would kill it; restart "
                             "it with --inspect, or use --signal with --heapsnapshot-signal")
    # Its own socket on the inspector's port: an inspector someone opened earlier, or a server of its
    # own. The user asked to capture this process, so that one port may be asked.
    for host, port in inspector_candidates(pid, before, flags, ambiguous=True):
        verdict = _inspector_verdict(port, host, netns_pid=netns_pid)
        if verdict:
            _remember(pid, port)
            return host, port
    taken = _holder_message(pid, flags)
    if taken:
        raise InspectorError(taken)
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        raise InspectorGone(f"process {pid} exited") from None
    except PermissionError:
        raise InspectorError(f"not allowed to signal process {pid} (it belongs to another user; "
                             "run heaptui as that user)") from None
    old = {(address, port) for _fd, address, port in before}
    deadline = time.monotonic() + timeout
    asked = set()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if not process_alive(pid):
            raise InspectorGone(f"process {pid} exited")
        fresh = [(address, port) for _fd, address, port in procfs.listening_of(pid)
                 if (address, port) not in old and (address, port) not in asked
                 and (procfs.is_loopback(address) or procfs.is_any(address))]
        # The socket that appeared after our signal is the inspector's; the flags' port first.
        fresh.sort(key=lambda ap: (ap[1] != flags.port, ap[1]))
        for address, port in fresh:
            verdict = _inspector_verdict(port, connect_host(address), netns_pid=netns_pid)
            if verdict:
                _remember(pid, port)
                return connect_host(address), port
            if verdict is False:
                asked.add((address, port))
    taken = _holder_message(pid, flags)
    if taken:
        raise InspectorError(taken)
    raise InspectorTimeout(
        f"process {pid} did not open its inspector within {timeout:g} s after SIGUSR1 (is it stopped, or "
        "busy in a long synchronous task?)")


@dataclass
class HeapUsage:
    """Where a process's memory is: /proc's RSS and the inspector's V8 heap figures (never by running
    code in the target)."""
    rss: int | None
    heap_used: int | None = None
    heap_total: int | None = None
    backing_store: int | None = None  # ArrayBuffer/external backing stores, where V8 reports them
    embedder: int | None = None

    @property
    def outside_heap(self):
        """Resident memory that is not the V8 heap's committed pages (nor, where reported, ArrayBuffer
        backing stores): native code, buffers, allocator caches, thread stacks."""
        if self.rss is None or self.heap_total is None:
            return None
        return max(0, self.rss - self.heap_total - (self.backing_store or 0))

    def as_json(self):
        return {"rss": self.rss, "heap_used": self.heap_used, "heap_total": self.heap_total,
                "backing_store": self.backing_store, "embedder": self.embedder,
                "outside_heap": self.outside_heap}


def usage_from(session, rss=None):
    """HeapUsage from an open session (Runtime.getHeapUsage) and the target's RSS."""
    doc = session.call("Runtime.getHeapUsage", idle_timeout=5)
    backing = doc.get("backingStorageSize")
    embedder = doc.get("embedderHeapUsedSize")
    return HeapUsage(rss=rss, heap_used=int(doc.get("usedSize", 0)), heap_total=int(doc.get("totalSize", 0)),
                     backing_store=int(backing) if backing is not None else None,
                     embedder=int(embedder) if embedder is not None else None)
