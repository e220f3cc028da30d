"""What /proc and /sys tell about a local process, without sending it a byte: its command line and
environment, the inspector flags they carry, its listening sockets (seen from its own network
namespace), the container it runs in, its memory and its memory cgroup's limit."""
from __future__ import annotations

import ipaddress
import os
import re
import shlex
from dataclasses import dataclass

DEFAULT_PORT = 9229
DEFAULT_HOST = "127.0.0.1"


def read_argv(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return None


def read_environ(pid):
    """The process's environment as it started (None when it cannot be read: another user's)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    out = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            out[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return out


def is_node(pid):
    """The command line of process pid when it is Node.js, else None."""
    argv = read_argv(pid)
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


def catches(pid, signum):
    """Whether process pid has a handler for signal `signum` (SigCgt in /proc/PID/status): a signal it
    does not catch would kill it (SIGUSR1 and SIGUSR2 do by default)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def start_time(pid):
    """The process's start time in clock ticks since boot: with the pid, it names one process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


# -- inspector flags -----------------------------------------------------------------------------------
@dataclass
class InspectorFlags:
    host: str  # where the inspector listens (or will, after SIGUSR1)
    port: int  # 0: a port the system chose
    at_start: bool  # --inspect, --inspect-brk or --inspect-wait: open since the process started
    disabled: bool  # --disable-sigusr1: SIGUSR1 will not open it


# Node options that take their value as the next argument (so that value is not the script).
_VALUE_OPTIONS = {"-r", "--require", "-e", "--eval", "-p", "--print", "--import", "--loader",
                  "--experimental-loader", "-C", "--conditions", "--title", "--inspect-port", "--debug-port",
                  "--env-file", "--input-type", "--stack-trace-limit", "--redirect-warnings", "--icu-data-dir",
                  "--openssl-config", "--tls-cipher-list", "--unhandled-rejections", "--dns-result-order",
                  "--diagnostic-dir", "--heapsnapshot-signal", "--heapsnapshot-near-heap-limit", "--report-dir",
                  "--report-directory", "--report-filename", "--report-signal", "--cpu-prof-dir",
                  "--cpu-prof-name", "--cpu-prof-interval", "--heap-prof-dir", "--heap-prof-name",
                  "--heap-prof-interval", "--watch-path", "--disable-warning", "--experimental-policy",
                  "--policy-integrity", "--secure-heap", "--secure-heap-min", "--max-http-header-size",
                  "--trace-event-categories", "--trace-event-file-pattern", "--tls-keylog", "--use-largepages",
                  "--experimental-sea-config", "--test-reporter", "--test-reporter-destination",
                  "--test-name-pattern", "--test-concurrency", "--localstorage-file", "--snapshot-blob",
                  "--build-snapshot-config", "--experimental-config-file", "--run", "--env-file-if-exists",
                  "--experimental-default-type", "--inspect-publish-uid"}


def _option_name(arg):
    """Node accepts `_` for `-` inside option names (--inspect_port)."""
    name, eq, value = arg.partition("=")
    if name.startswith("--"):
        name = "--" + name[2:].replace("_", "-")
    return name + eq + value


def _node_options(argv, environ):
    """Node's own options, in the order Node applies them: NODE_OPTIONS, then the command line up to
    the script (later ones win). An option whose value is the next argument comes as "name=value"."""
    options = []

    def take(args, stop_at_script):
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--" or a == "-" or not a.startswith("-"):
                if stop_at_script:
                    break
                i += 1
                continue
            a = _option_name(a)
            if a in _VALUE_OPTIONS and i + 1 < len(args):
                options.append(f"{a}={args[i + 1]}")
                i += 1
            else:
                options.append(a)
            i += 1

    node_options = (environ or {}).get("NODE_OPTIONS", "")
    if node_options:
        try:
            take(shlex.split(node_options), False)
        except ValueError:
            take(node_options.split(), False)
    take(argv[1:], True)
    return options


def _host_port(value, host):
    """'9230', 'host:9230' or '[::1]:9230' -> (host, port); None when it is not such a thing."""
    m = re.fullmatch(r"(?:\[([^\]]+)\]:|([^:\[\]]+):)?(\d+)", value)
    if m:
        return (m.group(1) or m.group(2) or host), int(m.group(3))
    if value:  # a host alone keeps the port
        return value.strip("[]"), None
    return None


def inspector_flags(pid, argv=None, environ=None):
    argv = read_argv(pid) if argv is None else argv
    environ = read_environ(pid) if environ is None else environ
    host, port, at_start, disabled = DEFAULT_HOST, DEFAULT_PORT, False, False
    options = _node_options(argv or [], environ)
    i = 0
    while i < len(options):
        name, eq, value = options[i].partition("=")
        if name in ("--inspect", "--inspect-brk", "--inspect-wait", "--debug", "--debug-brk"):
            at_start = True
            if eq:
                parsed = _host_port(value, host)
                if parsed:
                    host, port = parsed[0], parsed[1] if parsed[1] is not None else port
        elif name in ("--inspect-port", "--debug-port"):
            parsed = _host_port(value, host)
            if parsed:
                host, port = parsed[0], parsed[1] if parsed[1] is not None else port
        elif name == "--disable-sigusr1":
            disabled = True
        i += 1
    return InspectorFlags(host=host, port=port, at_start=at_start, disabled=disabled)


# -- sockets -------------------------------------------------------------------------------------------
def _tcp_sockets(pid=None):
    """(state, local address, local port, remote port, inode) of every TCP socket in process pid's
    network namespace (this process's when pid is None), from /proc/PID/net/tcp and tcp6."""
    base = "/proc/net" if pid is None else f"/proc/{pid}/net"
    for name, width in (("tcp", 8), ("tcp6", 32)):
        try:
            with open(f"{base}/{name}", encoding="ascii") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in rows:
            parts = line.split()
            try:
                local_hex, local_port = parts[1].split(":")
                yield (parts[3], _address(local_hex, width), int(local_port, 16),
                       int(parts[2].rsplit(":", 1)[1], 16), int(parts[9]))
            except (IndexError, ValueError):
                continue


def listening_sockets(pid=None):
    """inode -> (address, port) of every listening TCP socket in process pid's network namespace (this
    process's when pid is None)."""
    return {inode: (address, port) for state, address, port, _remote, inode in _tcp_sockets(pid)
            if state == "0A"}  # 0A: LISTEN


def _address(hexaddr, width):
    raw = bytes.fromhex(hexaddr)
    if width == 8:
        return ".".join(str(b) for b in raw[::-1])
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
    address = ipaddress.IPv6Address(b"".join(words))
    return str(address.ipv4_mapped) if address.ipv4_mapped else str(address)


def socket_fds(pid):
    """inode -> file descriptor number of every socket process pid holds."""
    out = {}
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return out
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            out.setdefault(int(link[8:-1]), int(fd))
    return out


def listening_of(pid):
    """[(fd, address, port)] of the sockets process pid listens on, lowest file descriptor first."""
    sockets = listening_sockets(pid)
    return sorted((fd, *sockets[inode]) for inode, fd in socket_fds(pid).items() if inode in sockets)


def holders_of(address_port_pairs, netns_of_pid=None):
    """{(address, port): (pid, argv)} for listening sockets in the network namespace of netns_of_pid
    (this process's when None), as far as /proc lets this user see."""
    sockets = listening_sockets(netns_of_pid)
    wanted = {inode: ap for inode, ap in sockets.items() if ap in set(address_port_pairs)}
    found = {}
    if not wanted:
        return found
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        for inode in socket_fds(int(entry)):
            if inode in wanted and wanted[inode] not in found:
                found[wanted[inode]] = (int(entry), read_argv(int(entry)) or [])
    return found


def is_loopback(address):
    return address.startswith("127.") or address == "::1"


def is_any(address):
    return address in ("0.0.0.0", "::")


def address_matches(listening, wanted_host):
    """Whether a socket listening on `listening` serves connections to wanted_host's loopback."""
    if is_any(listening):
        return True
    if wanted_host in ("localhost", listening):
        return True
    return is_loopback(listening) and is_loopback(wanted_host)


# -- namespaces and containers ---------------------------------------------------------------------------
def netns_id(pid="self"):
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def in_other_netns(pid):
    """True when process pid has a network namespace of its own (a container's), seen from here."""
    theirs, ours = netns_id(pid), netns_id("self")
    return theirs is not None and ours is not None and theirs != ours


_CONTAINER_ID = re.compile(r"(?:docker|cri-containerd|crio|libpod|containerd)[-/:]?([0-9a-f]{64})|/([0-9a-f]{64})(?:\.scope)?$")
_POD = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")


@dataclass
class Container:
    id: str | None  # the runtime's container id (64 hex digits), when its cgroup names one
    pod: str | None  # a Kubernetes pod uid
    hostname: str | None  # the container's host name
    pid_inside: int | None  # the process's pid in its own pid namespace

    def label(self):
        parts = []
        if self.hostname:
            parts.append(self.hostname)
        if self.id:
            parts.append(self.id[:12])
        if self.pod and not self.id:
            parts.append("pod " + self.pod[:8])
        return " ".join(parts) or "another namespace"


def container_of(pid):
    """The container process pid runs in, seen from here, or None when it shares our namespaces."""
    other_net = in_other_netns(pid)
    try:
        other_pid = os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
    except OSError:
        other_pid = False
    if not (other_net or other_pid):
        return None
    cid = pod = None
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as f:
            for line in f:
                path = line.rstrip("\n").split(":", 2)[-1]
                m = _CONTAINER_ID.search(path)
                if m and not cid:
                    cid = m.group(1) or m.group(2)
                p = _POD.search(path)
                if p and not pod:
                    pod = p.group(1).replace("_", "-")
    except OSError:
        pass
    hostname = None
    if _uts_differs(pid):
        try:
            with open(f"/proc/{pid}/root/etc/hostname", encoding="utf-8", errors="replace") as f:
                hostname = f.read().strip() or None
        except OSError:
            pass
    return Container(id=cid, pod=pod, hostname=hostname, pid_inside=pid_inside(pid))


def _uts_differs(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/uts") != os.readlink("/proc/self/ns/uts")
    except OSError:
        return False


def pid_inside(pid):
    """The innermost pid of process pid (its pid inside its container)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        pass
    return None


# -- memory ----------------------------------------------------------------------------------------------
@dataclass
class ProcessMemory:
    rss: int
    anon: int
    file: int
    peak: int  # VmHWM


def memory_of(pid):
    values = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                    values[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    if "VmRSS" not in values:
        return None
    return ProcessMemory(rss=values["VmRSS"], anon=values.get("RssAnon", 0),
                        file=values.get("RssFile", 0) + values.get("RssShmem", 0), peak=values.get("VmHWM", 0))


def mem_available():
    """MemAvailable from /proc/meminfo, in bytes (None where there is no such file)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


@dataclass
class CgroupMemory:
    path: str  # the cgroup whose limit binds (the tightest on the way to the root)
    version: int
    limit: int
    usage: int

    @property
    def room(self):
        return max(0, self.limit - self.usage)


_UNLIMITED = 1 << 60


def cgroup_memory(pid, root="/sys/fs/cgroup", proc="/proc"):
    """The memory cgroup limit that binds process pid: of its cgroup and every ancestor, the one with
    the least room (limit minus usage). None when no limit is set or nothing can be read."""
    try:
        with open(f"{proc}/{pid}/cgroup", encoding="utf-8", errors="replace") as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f if line.count(":") >= 2]
    except OSError:
        return None
    best = None
    for _hid, controllers, path in lines:
        if ".." in path.split("/"):
            # The target is in another cgroup namespace than heaptui (heaptui in a sibling container):
            # in its own view of /sys/fs/cgroup its cgroup is the root, with the limit on it.
            theirs = os.path.join(proc, str(pid), "root", root.lstrip("/"))
            if os.path.realpath(theirs) == os.path.realpath(root):
                continue
            found = _limit_on_path(theirs, controllers, "/")
        else:
            found = _limit_on_path(root, controllers, path)
        if found is not None and (best is None or found.room < best.room):
            best = found
    return best


def _limit_on_path(root, controllers, path):
    """The tightest memory limit from cgroup `path` up to the root of the hierarchy mounted under
    `root` for `controllers` ("" for cgroup v2), or None."""
    if controllers == "":  # cgroup v2
        candidates = [(os.path.join(root, "unified"), 2), (root, 2)]
        files = ("memory.max", "memory.current")
    elif "memory" in controllers.split(","):
        candidates = [(os.path.join(root, "memory"), 1), (os.path.join(root, controllers), 1)]
        files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
    else:
        return None
    mount, version = next(((m, v) for m, v in candidates if os.path.exists(os.path.join(m, "cgroup.procs"))),
                          (None, None))
    best = None
    for directory in _ancestors(mount, path) if mount else ():
        limit = _read_int(os.path.join(directory, files[0]))
        usage = _read_int(os.path.join(directory, files[1]))
        if limit is None or usage is None or limit >= _UNLIMITED:
            continue
        # Page cache the kernel reclaims before it kills anything is not use (as `docker stats`).
        usage -= _stat(os.path.join(directory, "memory.stat"),
                       "total_inactive_file" if version == 1 else "inactive_file")
        found = CgroupMemory(path=directory, version=version, limit=limit, usage=usage)
        if best is None or found.room < best.room:
            best = found
    return best


def _ancestors(mount, path):
    """The cgroup directories from the process's own up to the mount's root, those that exist."""
    parts = [p for p in path.split("/") if p]
    out = []
    for n in range(len(parts), -1, -1):
        directory = os.path.join(mount, *parts[:n])
        if os.path.isdir(directory):
            out.append(directory)
    return out


def _read_int(path):
    try:
        with open(path, encoding="ascii") as f:
            text = f.read().strip()
    except OSError:
        return None
    if text == "max":
        return _UNLIMITED
    try:
        return int(text)
    except ValueError:
        return None


def _stat(path, key):
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def inspector_clients(pid, port, exclude_remote_ports=()):
    """How many TCP connections are established to `port` in process pid's network namespace (clients
    of its inspector: a debugger, DevTools, a hunt), not counting connections from the local ports in
    exclude_remote_ports (our own). Closing any inspector session makes V8 renumber heap objects for
    every session, so a tool that only wants to look must not open and close one beside a client."""
    return sum(1 for state, _address, local, remote, _inode in _tcp_sockets(pid)
               if state == "01" and local == port and remote not in exclude_remote_ports)  # 01: ESTABLISHED
