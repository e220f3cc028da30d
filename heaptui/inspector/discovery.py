"""Finding inspectable Node processes: the /json/list of an inspector port, and local Node processes
read from /proc with the loopback port their inspector listens on, if any."""
from __future__ import annotations

import http.client
import json
import os
import signal
import time
from dataclasses import dataclass, field

from .errors import InspectorError, InspectorGone, InspectorTimeout
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


@dataclass
class NodeProcess:
    pid: int
    command: str
    cwd: str | None
    inspector_port: int | None  # loopback port of its inspector, if open
    listening: list = field(default_factory=list)  # (address, port) of every listening TCP socket


def http_json(host, port, path, timeout=2.0, allow_remote=False):
    """GET a JSON document from an inspector's HTTP endpoint (loopback only unless allowed)."""
    check_host(host, allow_remote)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
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


def list_targets(host="127.0.0.1", port=9229, timeout=2.0, allow_remote=False):
    """The debuggable targets an inspector port offers (usually one per Node process)."""
    doc = http_json(host, port, "/json/list", timeout, allow_remote)
    if not isinstance(doc, list):
        raise InspectorError(f"{host}:{port}/json/list is not a list of targets")
    out = []
    for t in doc:
        if isinstance(t, dict) and t.get("webSocketDebuggerUrl"):
            out.append(Target(id=str(t.get("id", "")), title=str(t.get("title", "")),
                              url=str(t.get("url", "")), ws_url=str(t["webSocketDebuggerUrl"]),
                              type=str(t.get("type", "")), host=host, port=int(port)))
    return out


def first_target(host, port, timeout=2.0, allow_remote=False):
    targets = list_targets(host, port, timeout, allow_remote)
    if not targets:
        raise InspectorError(f"the inspector on {host}:{port} lists no target (is a debugger attached?)")
    return targets[0]


def is_inspector(port, host="127.0.0.1", timeout=0.5):
    return _inspector_verdict(port, host, timeout) is True


def _inspector_verdict(port, host="127.0.0.1", timeout=0.5):
    """True: a Node inspector answered; False: something else answered; None: no answer (yet)."""
    try:
        doc = http_json(host, port, "/json/version", timeout)
    except (InspectorTimeout, InspectorGone):
        return None
    except InspectorError:
        return False
    return isinstance(doc, dict) and str(doc.get("Browser", "")).startswith("node")


# -- local processes --------------------------------------------------------------------------------
def _listening_sockets():
    """inode -> (address, port) for every listening TCP socket on this host (from /proc/net)."""
    out = {}
    for name, width in (("tcp", 8), ("tcp6", 32)):
        try:
            with open(f"/proc/net/{name}", encoding="ascii") as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if len(parts) < 10 or parts[3] != "0A":  # 0A: LISTEN
                        continue
                    addr_hex, port_hex = parts[1].split(":")
                    out[int(parts[9])] = (_address(addr_hex, width), int(port_hex, 16))
        except OSError:
            continue
    return out


def _address(hexaddr, width):
    raw = bytes.fromhex(hexaddr)
    if width == 8:
        return ".".join(str(b) for b in raw[::-1])
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
    import ipaddress
    return str(ipaddress.IPv6Address(b"".join(words)))


def _socket_inodes(pid):
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(int(link[8:-1]))
    except OSError:
        pass
    return inodes


def _is_node(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return None
    if not argv:
        return None
    names = {os.path.basename(argv[0])}
    try:
        names.add(os.path.basename(os.readlink(f"/proc/{pid}/exe")))
    except OSError:
        pass
    if names & {"node", "nodejs"} or any(n.startswith("node") and n[4:].replace(".", "").isdigit()
                                         for n in names):
        return argv
    return None


def process_alive(pid):
    """Whether process pid still runs: not gone, and not a zombie that its parent has yet to reap
    (a dead child of the caller's keeps its /proc entry until then)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X", "x")


def _loopback(address):
    return address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")


def _any_address(address):
    return address in ("0.0.0.0", "::")


def inspector_port_of(pid, sockets=None, not_inspectors=None):
    """The loopback port the process's inspector listens on, or None. Every candidate is asked for
    /json/version, a request the process's own HTTP servers see too: sockets that answered as
    something else are added to the set `not_inspectors`, if given, and not asked again."""
    sockets = _listening_sockets() if sockets is None else sockets
    skip = not_inspectors if not_inspectors is not None else set()
    mine = [sockets[i] for i in _socket_inodes(pid) if i in sockets and sockets[i] not in skip]
    for address, port in sorted(mine, key=lambda ap: ap[1]):
        if not (_loopback(address) or _any_address(address)):
            continue
        verdict = _inspector_verdict(port)
        if verdict:
            return port
        if verdict is False:
            skip.add((address, port))
    return None


def node_processes():
    """Local Node processes this user can see, with their inspector port if it is open."""
    sockets = _listening_sockets()
    out = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        argv = _is_node(pid)
        if argv is None:
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = None
        mine = sorted(sockets[i] for i in _socket_inodes(pid) if i in sockets)
        port = None
        for address, p in mine:
            if (_loopback(address) or _any_address(address)) and is_inspector(p):
                port = p
                break
        out.append(NodeProcess(pid=pid, command=" ".join(argv), cwd=cwd, inspector_port=port,
                               listening=mine))
    return sorted(out, key=lambda p: p.pid)


def attach(pid, timeout=10.0):
    """Opens the inspector of a running Node process (SIGUSR1, as Node's docs describe) and returns
    its loopback port. Returns at once when it is already open."""
    if _is_node(pid) is None:
        if not os.path.exists(f"/proc/{pid}"):
            raise InspectorGone(f"no process with pid {pid}")
        raise InspectorError(f"process {pid} is not a Node.js process")
    not_inspectors = set()  # the process's own servers: each is asked once, not every 0.1 s
    port = inspector_port_of(pid, not_inspectors=not_inspectors)
    if port is not None:
        return port
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        raise InspectorGone(f"process {pid} exited") from None
    except PermissionError:
        raise InspectorError(f"not allowed to signal process {pid} (it belongs to another user; "
                             "run heaptui as that user)") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if not process_alive(pid):
            raise InspectorGone(f"process {pid} exited")
        port = inspector_port_of(pid, not_inspectors=not_inspectors)
        if port is not None:
            return port
    raise InspectorTimeout(
        f"process {pid} did not open its inspector within {timeout:g} s after SIGUSR1 (started with "
        "--disable-sigusr1? or is its inspector port, 9229 by default, taken by another process?)")
