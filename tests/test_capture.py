"""Capture from real Node processes. Every process a test starts is killed when the test ends, and all
traffic goes to 127.0.0.1."""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from heaptui import inspector
from heaptui.snapshot import open_snapshot

APP = r"""
class CaptureMarker { constructor(i) { this.i = i; this.label = 'marker-' + i; } }
globalThis.markers = Array.from({length: 1234}, (_, i) => new CaptureMarker(i));
const extra = +(process.env.EXTRA || 0);
globalThis.bulk = Array.from({length: extra}, (_, i) => ({n: i, s: 'bulk-' + i, o: {i}}));
function allocateLots() { const a = []; for (let i = 0; i < 2000; i++) a.push({v: i, w: [i]}); return a; }
// Once optimized, the timer's callback would inline allocateLots, and V8's sampling profiler would
// count its allocations in the caller: keep it a frame of its own whenever sampling starts.
%NeverOptimizeFunction(allocateLots);
globalThis.churn = [];
// 'ready' (with the inspector's URL, when it is open) once the heap is built and, with CHURN, once
// allocateLots has run: the tests wait on this line, not on time.
const ready = () => console.log('ready ' + (require('inspector').url() || ''));
if (process.env.CHURN) {
  let ticks = 0;
  setInterval(() => {
    churn.push(allocateLots()); if (churn.length > 50) churn.shift();
    if (++ticks === 1) ready();
  }, 5);
} else {
  ready();
}
setInterval(() => {}, 1000);
"""


class NodeApp:
    def __init__(self, tmp_path, args=(), env=None):
        self.dir = tmp_path
        script = tmp_path / "app.js"
        script.write_text(APP)
        self.stderr_path = tmp_path / f"stderr-{time.monotonic_ns()}.txt"
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(["node", "--allow-natives-syntax", *args, str(script)], cwd=tmp_path,
                                     stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=dict(os.environ, **(env or {})), start_new_session=True)

    def wait_ready(self):
        self.ready_line = self.proc.stdout.readline().decode()  # blocks until 'ready' or node exits
        assert self.ready_line.startswith("ready"), self.ready_line + self.read_stderr()

    @property
    def pid(self):
        return self.proc.pid

    def read_stderr(self):
        self.stderr.flush()
        return self.stderr_path.read_text()

    def port(self):
        """The inspector's port, from the URL the app printed (started with --inspect)."""
        m = re.search(r"ws://127\.0\.0\.1:(\d+)/", self.ready_line)
        assert m, "the app's inspector is not open: " + self.ready_line
        return int(m.group(1))

    def pause(self):
        """SIGSTOP, and wait until the kernel reports the process stopped (its inspector too)."""
        os.kill(self.pid, signal.SIGSTOP)
        while process_state(self.pid) not in ("T", "t"):
            time.sleep(0.01)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGCONT)
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=60)
        self.stderr.close()


def process_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


@pytest.fixture
def node_app(tmp_path):
    apps = []

    def start(*args, env=None):
        app = NodeApp(tmp_path, args, env)
        apps.append(app)  # before waiting: killed at the end even if it never gets ready
        app.wait_ready()
        return app

    yield start
    for app in apps:
        app.stop()
        assert app.proc.poll() is not None  # gone, whatever happened in the test


def heaptui(*args, timeout=120, **kw):
    return subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, **kw)


def marker_count(path):
    rows = {r.name: r for r in open_snapshot(path, use_cache=False).classes()}
    return rows["CaptureMarker"].count


def assert_private(path):
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_capture_by_port(node_app, tmp_path):
    app = node_app("--inspect=127.0.0.1:0")
    out = tmp_path / "by-port.heapsnapshot"
    r = heaptui("capture", "--port", app.port(), "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    assert_private(out)
    assert not os.path.exists(str(out) + ".part")
    assert marker_count(out) == 1234


def test_capture_by_pid_opens_the_inspector(node_app, tmp_path):
    app = node_app("--inspect-port=0")  # not --inspect: the inspector is closed until SIGUSR1
    assert "Debugger listening" not in app.read_stderr()
    out = tmp_path / "by-pid.heapsnapshot"
    r = heaptui("capture", "--pid", app.pid, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "Debugger listening" in app.read_stderr()
    assert_private(out)
    assert marker_count(out) == 1234


def test_default_name_is_like_nodes(node_app, tmp_path):
    app = node_app("--inspect=127.0.0.1:0")
    r = heaptui("capture", "--port", app.port(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    name = os.path.basename(r.stdout.strip())
    assert re.match(rf"^Heap\.\d{{8}}\.\d{{6}}\.{app.pid}\.0\.001\.heapsnapshot$", name), name
    assert (tmp_path / name).exists()


def test_targets_lists_local_node_processes(node_app):
    a = node_app("--inspect=127.0.0.1:0")
    b = node_app()
    r = heaptui("targets", "--json", "--port", a.port())
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    procs = {p["pid"]: p for p in doc["processes"]}
    assert procs[a.pid]["inspector_port"] == a.port()
    assert procs[b.pid]["inspector_port"] is None
    assert doc["targets"] and doc["targets"][0]["webSocketDebuggerUrl"].startswith("ws://127.0.0.1:")


def test_target_killed_mid_capture(node_app, tmp_path):
    app = node_app("--inspect=127.0.0.1:0", env={"EXTRA": "600000"})
    out = tmp_path / "killed.heapsnapshot"
    proc = subprocess.Popen([sys.executable, "-m", "heaptui", "capture", "--port", str(app.port()),
                             "-o", str(out), "--timeout", "10"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        part = str(out) + ".part"
        # Wait for the stream to start (a snapshot this size streams for seconds), or for heaptui
        # to give up; the deadline only bounds a hang.
        deadline = time.monotonic() + 300
        while not (os.path.exists(part) and os.path.getsize(part) > 0) and proc.poll() is None:
            if time.monotonic() > deadline:  # a hang, not a speed: 300 s with nothing streamed
                pytest.fail("the capture never started streaming")
            time.sleep(0.01)
        assert proc.poll() is None, "heaptui ended before the target was killed: " + proc.stderr.read()
        os.killpg(app.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=120)  # bounds a hang: TimeoutExpired fails the test
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, stderr
    assert stderr.startswith("heaptui: error: ") and "Traceback" not in stderr
    assert not out.exists() and not os.path.exists(str(out) + ".part")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_closed_port(tmp_path):
    out = tmp_path / "x.heapsnapshot"
    r = heaptui("capture", "--port", free_port(), "-o", out)
    assert r.returncode == 2 and r.stderr.startswith("heaptui: error: nothing is listening")
    assert not out.exists() and not os.path.exists(str(out) + ".part")


def test_target_that_never_answers(node_app, tmp_path):
    app = node_app("--inspect=127.0.0.1:0")
    port = app.port()
    app.pause()  # the inspector thread stops too: connections hang
    out = tmp_path / "x.heapsnapshot"
    r = heaptui("capture", "--port", port, "-o", out, "--timeout", "3")
    assert r.returncode == 2 and r.stderr.startswith("heaptui: error: "), r.stderr
    assert "answer" in r.stderr
    assert not out.exists() and not os.path.exists(str(out) + ".part")


@pytest.mark.timeout(120)  # bounds a hang: the call must end after idle_timeout, not never
def test_target_that_stops_answering_mid_session(node_app, tmp_path):
    app = node_app("--inspect=127.0.0.1:0")
    session = inspector.connect(port=app.port(), idle_timeout=2)
    try:
        session.call("HeapProfiler.enable", idle_timeout=60)  # a slow answer here is no failure
        app.pause()
        with pytest.raises(inspector.InspectorTimeout):  # the session's idle_timeout applies
            session.call("Runtime.getHeapUsage")
    finally:
        session.close()


def test_non_loopback_is_refused_before_any_traffic(monkeypatch, capsys):
    def no_traffic(*args, **kw):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", no_traffic)
    monkeypatch.setattr(socket, "create_connection", no_traffic)
    monkeypatch.setattr(socket, "getaddrinfo", no_traffic)
    from heaptui.cli import main
    for host in ("10.1.2.3", "192.168.0.10", "8.8.8.8", "::ffff:10.0.0.1", "fe80::1"):
        for command in (["capture", "--host", host], ["profile", "--host", host, "--duration", "1"],
                        ["targets", "--host", host]):
            assert main(command) == 2
            err = capsys.readouterr().err
            assert err.startswith("heaptui: error: refusing to connect") and err.count("\n") == 1
    with pytest.raises(inspector.NotAllowed):
        inspector.CDPSession("ws://10.0.0.1:9229/abc")
    with pytest.raises(inspector.NotAllowed):
        inspector.list_targets("203.0.113.5", 9229)
    assert inspector.is_loopback_host("127.0.0.1") and inspector.is_loopback_host("::1")


def test_a_target_handing_back_a_remote_websocket_is_refused():
    from heaptui.inspector.security import check_ws_url
    with pytest.raises(inspector.NotAllowed):
        check_ws_url("ws://10.0.0.7:9229/uuid")
    with pytest.raises(inspector.NotAllowed):
        check_ws_url("http://127.0.0.1:9229/uuid")
    check_ws_url("ws://127.0.0.1:9229/uuid")


def test_preflight_refuses_when_memory_is_short(node_app, tmp_path):
    app = node_app("--inspect=127.0.0.1:0")
    out = tmp_path / "risky.heapsnapshot"
    with inspector.connect(port=app.port()) as session:
        check = inspector.preflight(session, available=1 << 20)
        assert check.verdict == "refuse" and check.heap_used > 1 << 20
        assert " MB used of " in check.message() and "host has 1 MB available" in check.message()
        with pytest.raises(inspector.TooRisky):
            inspector.take_snapshot(session, out, available=1 << 20)
        assert not out.exists() and not os.path.exists(str(out) + ".part")
        inspector.take_snapshot(session, out, available=1 << 20, force=True)
    assert marker_count(out) == 1234
    assert inspector.preflight.__doc__


def test_sampling_profile(node_app, tmp_path):
    app = node_app("--inspect=127.0.0.1:0", env={"CHURN": "1"})  # ready once allocateLots has run
    for attempt in range(5):  # a starved target may not have run in one window: sample again
        out = tmp_path / f"p{attempt}"
        r = heaptui("profile", "--port", app.port(), "--duration", "1.5", "-o", out, "--interval", "4096")
        assert r.returncode == 0, r.stderr
        path = tmp_path / f"p{attempt}.heapprofile"
        assert r.stdout.strip() == str(path)
        assert_private(path)
        profile = json.loads(path.read_text())
        if len(profile["samples"]) >= 100:
            break
    else:
        pytest.fail("five profiles of a churning app, none with 100 samples")
    names = set()
    stack = [profile["head"]]
    while stack:
        n = stack.pop()
        names.add(n["callFrame"]["functionName"])
        stack.extend(n["children"])
    assert "allocateLots" in names


def test_signal_path(node_app, tmp_path):
    app = node_app("--heapsnapshot-signal=SIGUSR2")
    r = heaptui("capture", "--pid", app.pid, "--signal", "SIGUSR2", timeout=180)
    assert r.returncode == 0, r.stderr
    path = r.stdout.strip()
    assert os.path.dirname(path) == str(tmp_path)
    assert re.match(r"^Heap\.\d{8}\.\d{6}\.\d+\.0\.\d+\.heapsnapshot$", os.path.basename(path))
    assert marker_count(path) == 1234


def test_signal_path_without_the_flag_times_out_clearly(node_app):
    app = node_app()
    r = heaptui("capture", "--pid", app.pid, "--signal", "SIGUSR2", "--timeout", "2")
    # The default action of SIGUSR2 ends a process that does not handle it.
    assert r.returncode == 2 and r.stderr.startswith("heaptui: error: ")


def test_pid_that_is_not_node(tmp_path):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        r = heaptui("capture", "--pid", sleeper.pid)
        assert r.returncode == 2 and "not a Node.js process" in r.stderr
    finally:
        sleeper.kill()
        sleeper.wait()
    r = heaptui("capture", "--pid", 2**22 + 12345)
    assert r.returncode == 2 and "no process" in r.stderr
