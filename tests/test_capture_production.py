"""Capture as it happens on production servers: a service that counts every request and connection
and sees none from heaptui; a service in its own network and pid namespaces (a container), reached
by host pid; a memory cgroup whose limit cannot hold a snapshot; worker threads; a browser-like port
with two targets; --signal with -o; an inspector port held by another process.

Every process a test starts is killed, and every namespace and cgroup removed, even on failure. The
namespace and cgroup tests need root and a kernel that lets this machine make them: where it does
not, they skip and say why. All traffic goes to 127.0.0.1."""
import http.server
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import pytest

from heaptui import inspector
from heaptui.inspector import procfs

SERVICE = r"""
// A service that counts what reaches it: every connection and every request, written to COUNTS.
const http = require('http'), fs = require('fs');
const counts = { connections: 0, requests: 0 };
const save = () => fs.writeFileSync(process.env.COUNTS, JSON.stringify(counts));
class ServiceMarker { constructor(i) { this.i = i; this.label = process.env.MARK + '-' + i; } }
globalThis.kept = Array.from({ length: 500 }, (_, i) => new ServiceMarker(i));
globalThis.bulk = Array.from({ length: +(process.env.BULK || 0) }, (_, i) => ({ i, s: 'bulk-' + i, o: [i] }));
const server = http.createServer((req, res) => { counts.requests++; save(); res.end('ok'); });
server.on('connection', () => { counts.connections++; save(); });
save();
server.listen(+(process.env.PORT || 0), '127.0.0.1', () => console.log('ready ' + server.address().port));
setInterval(() => {}, 1000);
"""


class Service:
    """`node [flags] service.js` in its own session, optionally wrapped (unshare); killed by stop()."""

    def __init__(self, tmp_path, flags=(), wrap=(), env=None, mark="svc"):
        self.counts = tmp_path / f"counts-{mark}.json"
        script = tmp_path / "service.js"
        script.write_text(SERVICE)
        self.stderr_path = tmp_path / f"stderr-{mark}.txt"
        self.stderr = open(self.stderr_path, "w")
        env = dict(os.environ, COUNTS=str(self.counts), MARK=mark, **(env or {}))
        self.proc = subprocess.Popen([*wrap, "node", *flags, str(script)], cwd=tmp_path, env=env,
                                     stdout=subprocess.PIPE, stderr=self.stderr, start_new_session=True)
        line = self.proc.stdout.readline().decode()  # blocks until 'ready' or the service exits
        assert line.startswith("ready"), line + self.stderr_path.read_text()
        self.port = int(line.split()[1])
        self.pid = self.proc.pid if not wrap else _node_under(self.proc.pid)

    def seen(self):
        return json.loads(self.counts.read_text())

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=60)
        self.stderr.close()


def _node_under(pid):
    """The node process among pid's descendants (unshare forks, then execs node)."""
    for _ in range(3):
        for entry in os.listdir("/proc"):
            if entry.isdigit() and _parent(int(entry)) == pid:
                if procfs.is_node(int(entry)):
                    return int(entry)
                pid = int(entry)
                break
    raise AssertionError("no node process under the wrapper")


def _parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture
def services(tmp_path):
    started = []

    def start(*flags, **kw):
        svc = Service(tmp_path, flags, **kw)
        started.append(svc)
        return svc

    yield start
    for svc in started:
        svc.stop()
        assert svc.proc.poll() is not None


def heaptui(*args, timeout=300, **kw):
    return subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kw)


def contains(path, text):
    with open(path, "rb") as f:
        return text.encode() in f.read()


# -- quiet discovery -------------------------------------------------------------------------------------
@pytest.mark.parametrize("flags", [("--inspect=127.0.0.1:0",), ("--inspect-port=0",)],
                         ids=["inspect-at-start", "opened-by-sigusr1"])
def test_targets_capture_and_hunt_send_nothing_to_the_service(services, tmp_path, flags):
    svc = services(*flags)
    assert svc.seen() == {"connections": 0, "requests": 0}
    listed = heaptui("targets", "--json")
    assert listed.returncode == 0, listed.stderr
    out = tmp_path / "quiet.heapsnapshot"
    done = heaptui("capture", "--pid", svc.pid, "-o", out)
    assert done.returncode == 0, done.stderr
    assert contains(out, "svc-499")
    # Now the inspector is open (by SIGUSR1 in the second case): targets finds it, and still asks
    # nothing of the service.
    again = json.loads(heaptui("targets", "--json").stdout)
    mine = next(p for p in again["processes"] if p["pid"] == svc.pid)
    assert mine["inspector_port"] and mine["inspector_port"] != svc.port
    assert mine["memory"]["heap_used"] > 0 and mine["memory"]["rss"] > mine["memory"]["heap_used"]
    hunt = heaptui("hunt", "--pid", svc.pid, "--exercise", "true", "--rounds", "2",
                   "--out-dir", tmp_path, "--json")
    assert hunt.returncode == 0, hunt.stderr
    assert svc.seen() == {"connections": 0, "requests": 0}
    # The counter counts: one request of our own is seen.
    with socket.create_connection(("127.0.0.1", svc.port), timeout=30) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        while s.recv(4096):
            pass
    assert svc.seen() == {"connections": 1, "requests": 1}


def test_inspector_flags_are_read_as_node_reads_them():
    flags = lambda argv, env=None: procfs.inspector_flags(0, argv, env or {})
    assert flags(["node", "app.js"]) == procfs.InspectorFlags("127.0.0.1", 9229, False, False)
    assert flags(["node", "--inspect", "app.js"]).at_start
    assert flags(["node", "--inspect=9333", "app.js"]).port == 9333
    f = flags(["node", "--inspect-brk=0.0.0.0:9444", "app.js"])
    assert (f.host, f.port, f.at_start) == ("0.0.0.0", 9444, True)
    assert flags(["node", "--inspect-port", "9555", "app.js"]).port == 9555
    assert flags(["node", "--inspect=[::1]:9666", "app.js"]).host == "::1"
    assert not flags(["node", "app.js", "--inspect"]).at_start  # an argument of the script's
    assert not flags(["node", "-r", "--inspect", "app.js"]).at_start  # the value of -r
    f = flags(["node", "--inspect-port=9777", "app.js"], {"NODE_OPTIONS": "--inspect=9888 --disable-sigusr1"})
    assert (f.port, f.at_start, f.disabled) == (9777, True, True)  # the command line wins
    f = flags(["node", "--diagnostic-dir", "/tmp", "--inspect=0", "app.js"])  # a value, not the script
    assert (f.port, f.at_start) == (0, True)
    assert flags(["node", "--inspect_port=9999", "app.js"]).port == 9999  # Node accepts _ for -


def test_an_ipv6_loopback_inspector_is_found_and_captured(services, tmp_path):
    svc = services("--inspect=[::1]:0", mark="six")
    out = tmp_path / "six.heapsnapshot"
    r = heaptui("capture", "--pid", svc.pid, "-o", out)
    assert r.returncode == 0, r.stderr
    assert contains(out, "six-499")
    assert svc.seen() == {"connections": 0, "requests": 0}


def test_signal_capture_refuses_a_signal_the_process_would_die_of(services, tmp_path):
    svc = services(mark="nosig")  # no --heapsnapshot-signal: SIGUSR2 would kill it
    r = heaptui("capture", "--pid", svc.pid, "--signal", "SIGUSR2", "-o", tmp_path / "x.heapsnapshot")
    assert r.returncode == 2 and "does not handle SIGUSR2" in r.stderr, r.stderr
    assert svc.proc.poll() is None


def test_a_taken_inspector_port_names_its_holder(services, tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        taken = holder.getsockname()[1]
        svc = services(f"--inspect-port={taken}")
        r = heaptui("capture", "--pid", svc.pid, "-o", tmp_path / "no.heapsnapshot")
        assert r.returncode == 2
        assert f"port {taken} is taken by process {os.getpid()}" in r.stderr, r.stderr
        assert "--inspect-port=0" in r.stderr and r.stderr.count("\n") == 1
        assert not (tmp_path / "no.heapsnapshot").exists()
    finally:
        holder.close()


# -- containers ------------------------------------------------------------------------------------------
def _namespaces_or_skip():
    if os.geteuid() != 0:
        pytest.skip("network and pid namespaces need root here")
    for tool in ("unshare", "ip"):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in os.environ["PATH"].split(":") + ["/usr/sbin", "/sbin"]):
            pytest.skip(f"{tool} is not installed")
    probe = subprocess.run(["unshare", "--net", "--pid", "--fork", "--mount-proc", "true"], capture_output=True,
                           text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("this kernel or sandbox does not let us make namespaces: " + probe.stderr.strip())


CONTAINER = ["unshare", "--net", "--pid", "--fork", "--mount-proc", "sh", "-c",
             'PATH="$PATH:/usr/sbin:/sbin"; ip link set lo up && exec "$@"', "container"]


def test_a_service_in_its_own_namespaces_is_listed_and_captured_by_host_pid(services, tmp_path):
    _namespaces_or_skip()
    # No inspector flag: SIGUSR1 opens it on 9229 of the container's own loopback, as in a real one.
    svc = services(wrap=CONTAINER, mark="boxed")
    assert procfs.in_other_netns(svc.pid)
    listed = json.loads(heaptui("targets", "--json").stdout)
    mine = next(p for p in listed["processes"] if p["pid"] == svc.pid)
    assert mine["container"] is not None and mine["container"]["pid_inside"] == 1
    out = tmp_path / "boxed.heapsnapshot"
    r = heaptui("capture", "--pid", svc.pid, "-o", out)
    assert r.returncode == 0, r.stderr
    assert contains(out, "boxed-499")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    listed = json.loads(heaptui("targets", "--json").stdout)
    mine = next(p for p in listed["processes"] if p["pid"] == svc.pid)
    assert mine["inspector_port"] == 9229 and mine["memory"]["heap_total"] > 0
    profile = heaptui("profile", "--pid", svc.pid, "--duration", "1", "-o", tmp_path / "boxed")
    assert profile.returncode == 0, profile.stderr
    assert svc.seen() == {"connections": 0, "requests": 0}


# -- memory cgroups --------------------------------------------------------------------------------------
class MemoryCgroup:
    """A memory cgroup of our own below the one this test runs in (v2 or v1), removed by remove()."""

    def __init__(self, name):
        self.dir = None
        with open("/proc/self/cgroup") as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f]
        for _hid, controllers, path in lines:
            if controllers == "" and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
                base, files = "/sys/fs/cgroup", ("memory.max", "cgroup.procs")
            elif "memory" in controllers.split(","):
                base, files = "/sys/fs/cgroup/memory", ("memory.limit_in_bytes", "cgroup.procs")
            else:
                continue
            parent = os.path.join(base, path.lstrip("/"))
            if not os.path.isdir(parent):
                continue
            try:
                os.mkdir(os.path.join(parent, name))
            except OSError:
                continue
            self.dir, self.parent, self.files = os.path.join(parent, name), parent, files
            if os.path.exists(os.path.join(self.dir, files[0])):
                return
            os.rmdir(self.dir)
            self.dir = None
        pytest.skip("no memory cgroup can be made here")

    def limit(self, n):
        with open(os.path.join(self.dir, self.files[0]), "w") as f:
            f.write(str(n))

    def usage(self):
        name = "memory.current" if self.files[0] == "memory.max" else "memory.usage_in_bytes"
        with open(os.path.join(self.dir, name)) as f:
            return int(f.read())

    def add(self, pid):
        move = os.path.join(self.dir, "memory.move_charge_at_immigrate")
        try:  # v1: bring the process's memory along, so usage() counts it (newer kernels refuse)
            with open(move, "w") as f:
                f.write("3")
        except OSError:
            pass
        with open(os.path.join(self.dir, self.files[1]), "w") as f:
            f.write(str(pid))

    def remove(self):
        if self.dir is None:
            return
        with open(os.path.join(self.dir, self.files[1])) as f:
            left = [int(x) for x in f.read().split()]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 60
        while True:
            try:
                os.rmdir(self.dir)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # the killed processes are leaving the cgroup


@pytest.fixture
def cgroup():
    if os.geteuid() != 0:
        pytest.skip("making a memory cgroup needs root here")
    made = MemoryCgroup(f"heaptui-test-{os.getpid()}-{time.monotonic_ns()}")
    yield made
    made.remove()


def test_a_cgroup_limit_that_cannot_hold_a_snapshot_refuses_with_its_numbers(services, cgroup, tmp_path):
    svc = services(env={"BULK": "400000"}, mark="limited")  # a heap of some tens of MB
    cgroup.add(svc.pid)
    cgroup.limit(cgroup.usage() + (16 << 20))  # room for the service as it is, not for a snapshot
    out = tmp_path / "limited.heapsnapshot"
    r = heaptui("capture", "--pid", svc.pid, "-o", out)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "memory cgroup" in r.stderr and cgroup.dir in r.stderr and "limit" in r.stderr, r.stderr
    assert "heaptui profile" in r.stderr and r.stderr.count("\n") == 1
    assert not out.exists() and not os.path.exists(str(out) + ".part")
    assert svc.proc.poll() is None  # refused, not killed
    cgroup.limit(4 << 30)  # roomy
    r = heaptui("capture", "--pid", svc.pid, "-o", out)
    assert r.returncode == 0, r.stderr
    assert contains(out, "limited-499")


def test_cgroup_room_is_the_tightest_ancestor_less_reclaimable_cache(tmp_path):
    root = tmp_path / "cg"
    for version, files in ((2, ("memory.max", "memory.current", "inactive_file")),
                           (1, ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"))):
        mount = root / ("unified" if version == 2 else "memory")
        leaf = mount / "pod" / "box"
        leaf.mkdir(parents=True)
        (mount / "cgroup.procs").write_text("")
        (mount / "pod" / files[0]).write_text(str(1000 << 20))
        (mount / "pod" / files[1]).write_text(str(900 << 20))
        (mount / "pod" / "memory.stat").write_text(f"{files[2]} {100 << 20}\n")
        (leaf / files[0]).write_text("max" if version == 2 else str(2 ** 63 - 4096))
        (leaf / files[1]).write_text(str(500 << 20))
        proc = tmp_path / f"proc-{version}"
        (proc / "4242").mkdir(parents=True)
        (proc / "4242" / "cgroup").write_text("0::/pod/box\n" if version == 2 else "4:memory:/pod/box\n")
        found = procfs.cgroup_memory(4242, root=str(root), proc=str(proc))
        assert found.version == version and found.path == str(mount / "pod")
        assert found.room == (1000 << 20) - (800 << 20)


# -- workers, several targets, --signal -o --------------------------------------------------------------
WORKERS = r"""
const { Worker, isMainThread, parentPort } = require('worker_threads');
class ThreadMarker { constructor(t) { this.t = t; } }
if (isMainThread) {
  globalThis.mine = new ThreadMarker(['main', 'thread', 'marker'].join('~'));  // not in the source text
  const w = new Worker(__filename);
  w.on('message', () => console.log('ready ' + require('inspector').url()));
  setInterval(() => {}, 1000);
} else {
  globalThis.mine = new ThreadMarker(['worker', 'thread', 'marker'].join('~'));
  parentPort.postMessage('up');
  setInterval(() => {}, 1000);
}
"""


def _start_workers(tmp_path):
    """workers.js under --inspect, once its worker runs (the caller kills its process group)."""
    script = tmp_path / "workers.js"
    script.write_text(WORKERS)
    proc = subprocess.Popen(["node", "--inspect=127.0.0.1:0", str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    return proc


def test_a_worker_threads_heap_is_captured(tmp_path):
    proc = _start_workers(tmp_path)
    try:
        assert proc.stdout.readline().startswith(b"ready")
        listed = json.loads(heaptui("targets", "--json").stdout)
        mine = next(p for p in listed["processes"] if p["pid"] == proc.pid)
        assert [w["worker_id"] for w in mine["workers"]] == ["1"]
        with inspector.connect(pid=proc.pid) as session:  # Node reports a worker once per session
            assert [w.worker_id for w in inspector.list_workers(session)] == ["1"]
            assert [w.worker_id for w in inspector.list_workers(session)] == ["1"]
        out = tmp_path / "worker.heapsnapshot"
        r = heaptui("capture", "--pid", proc.pid, "--worker", "1", "-o", out)
        assert r.returncode == 0, r.stderr
        assert "worker 1" in r.stderr
        assert contains(out, "worker~thread~marker") and not contains(out, "main~thread~marker")
        main = tmp_path / "main.heapsnapshot"
        assert heaptui("capture", "--pid", proc.pid, "-o", main).returncode == 0
        assert contains(main, "main~thread~marker") and not contains(main, "worker~thread~marker")
        r = heaptui("capture", "--pid", proc.pid, "--worker", "7", "-o", tmp_path / "none.heapsnapshot")
        assert r.returncode == 2 and "worker id 1" in r.stderr
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


def test_a_number_given_to_worker_names_an_id_or_position_never_part_of_a_path():
    # CI once ran from /tmp/pytest-of-root/pytest-167/: "--worker 7" must not pick a worker by its URL.
    w = inspector.Worker(session_id="s1", worker_id="1", title="[worker 1] job",
                         url="file:///tmp/pytest-167/worker.js", type="worker")
    assert inspector.choose_worker([w], "1") is w
    assert inspector.choose_worker([w], "job") is w
    assert inspector.choose_worker([w], "pytest-167") is w
    with pytest.raises(inspector.InspectorError, match="no worker match --worker 7"):
        inspector.choose_worker([w], "7")


class _BrowserLike(http.server.BaseHTTPRequestHandler):
    """/json/list of a port with two targets, as a browser lists its tabs; each target is a real node."""
    targets = []

    def do_GET(self):
        body = json.dumps(self.targets).encode() if self.path in ("/json", "/json/list") else b"{}"
        self.send_response(200 if self.path in ("/json", "/json/list") else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_port_with_two_targets_needs_target_and_honours_it(services, tmp_path):
    a = services("--inspect=127.0.0.1:0", mark="tab-one")
    b = services("--inspect=127.0.0.1:0", mark="tab-two")
    targets = []
    for i, svc in enumerate((a, b), 1):
        port = next(p for p in json.loads(heaptui("targets", "--json").stdout)["processes"]
                    if p["pid"] == svc.pid)["inspector_port"]
        ws = inspector.list_targets("127.0.0.1", port)[0].ws_url
        targets.append({"id": f"TAB{i}", "type": "page", "title": f"Tab number {i}", "url": f"http://app/{i}",
                        "webSocketDebuggerUrl": ws})
    handler = type("Handler", (_BrowserLike,), {"targets": targets})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        r = heaptui("capture", "--port", port, "-o", tmp_path / "which.heapsnapshot")
        assert r.returncode == 2 and "lists 2 targets" in r.stderr and "Tab number 2" in r.stderr, r.stderr
        for wanted in ("2", "TAB2", "number 2"):
            out = tmp_path / f"tab-{wanted.replace(' ', '_')}.heapsnapshot"
            r = heaptui("capture", "--port", port, "--target", wanted, "-o", out)
            assert r.returncode == 0, r.stderr
            assert "target: Tab number 2 (page, id TAB2)" in r.stderr
            assert contains(out, "tab-two-499") and not contains(out, "tab-one-499")
        listed = heaptui("targets", "--port", port)
        assert "2. Tab number 2  (page, id TAB2)" in listed.stdout
    finally:
        server.shutdown()
        server.server_close()


def test_signal_capture_honours_output(services, tmp_path):
    svc = services("--heapsnapshot-signal=SIGUSR2", mark="sig")
    out = tmp_path / "elsewhere" / "named.heapsnapshot"
    out.parent.mkdir()
    r = heaptui("capture", "--pid", svc.pid, "--signal", "SIGUSR2", "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    assert contains(out, "sig-499")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert not [n for n in os.listdir(tmp_path) if re.match(r"Heap\..*\.heapsnapshot", n)]
    again = heaptui("capture", "--pid", svc.pid, "--signal", "SIGUSR2", "-o", out)
    assert again.returncode == 2 and "already exists" in again.stderr


async def test_the_capture_pane_lists_and_captures_a_worker_thread(tmp_path, monkeypatch):
    from heaptui.tui.app import HeapApp
    from heaptui.tui.screens import CaptureScreen
    from pilot import wait_for

    proc = _start_workers(tmp_path)
    try:
        assert proc.stdout.readline().startswith(b"ready")
        monkeypatch.chdir(tmp_path)
        app = HeapApp([])
        async with app.run_test(size=(80, 24)) as pilot:
            def worker_row():
                screen = app.screen
                rows = getattr(screen, "rows", []) if isinstance(screen, CaptureScreen) else []
                return next((i for i, (pid, w) in enumerate(rows) if pid == proc.pid and w is not None), None)

            await wait_for(pilot, lambda: worker_row() is not None, timeout=300)
            table = app.screen.query_one("#processes")
            assert " / " in str(table.get_cell(str(proc.pid), "heap"))  # its heap figures came too
            table.move_cursor(row=worker_row())
            await pilot.press("c")
            await wait_for(pilot, lambda: app.captured, timeout=300)
            key, path = app.captured[0]
            assert key == f"{proc.pid}/worker 1" and path.endswith(".worker1.heapsnapshot")
            assert contains(path, "worker~thread~marker") and not contains(path, "main~thread~marker")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
