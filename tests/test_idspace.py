"""Snapshots whose object ids do not name the same objects are never compared.

V8 clears its object ids when an inspector session closes, so two `heaptui capture` runs against one
process number objects afresh, and two processes never agree. diff, summary --between and hunt must
refuse such pairs with one clear line, and accept snapshots taken in one id space: the demo (written by
the process itself) and --heapsnapshot-signal snapshots. Real node processes on 127.0.0.1, all killed.
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from heaptui.demo import demo_paths
from heaptui.snapshot import open_snapshot
from heaptui.snapshot.idspace import DifferentSessions, check_ids

APP = """
const http = require('http');
const kept = [];
class Order { constructor(i) { this.id = i; this.note = 'order ' + i; } }
setInterval(() => { for (let i = 0; i < 40; i++) kept.push(new Order(i)); }, 50);
http.createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1');
"""


class NodeApp:
    def __init__(self, tmp_path, name):
        script = tmp_path / f"{name}.js"
        script.write_text(APP)
        self.err = open(tmp_path / f"{name}.stderr", "w+")
        self.proc = subprocess.Popen(
            ["node", "--inspect=127.0.0.1:0", "--heapsnapshot-signal=SIGUSR2", str(script)],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=self.err, start_new_session=True)
        self.port = None
        deadline = time.monotonic() + 60
        while self.port is None and time.monotonic() < deadline:
            self.err.seek(0)
            m = re.search(r"ws://127\.0\.0\.1:(\d+)/", self.err.read())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.05)
        assert self.port, "the inspector did not open"

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.err.close()


@pytest.fixture
def node_apps(tmp_path):
    started = []

    def start(name="app"):
        started.append(NodeApp(tmp_path, name))
        return started[-1]
    yield start
    for app in started:
        app.stop()


def heaptui(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "heaptui", *map(str, args)], capture_output=True,
                          text=True, timeout=600, cwd=cwd, stdin=subprocess.DEVNULL)


def refused(result):
    lines = result.stderr.strip().splitlines()
    return (result.returncode == 2 and len(lines) >= 1 and lines[-1].startswith("heaptui: error: ")
            and "different inspector sessions" in lines[-1] and "Traceback" not in result.stderr)


def test_two_captures_are_two_sessions_and_every_comparison_refuses(node_apps, tmp_path):
    app = node_apps()
    a, b, c = (tmp_path / f"{n}.heapsnapshot" for n in "abc")
    for path in (a, b, c):
        done = heaptui("capture", "--port", app.port, "-o", path)
        assert done.returncode == 0, done.stderr
    check = check_ids(open_snapshot(a), open_snapshot(b))
    assert check.compared > 1000 and not check.same_session
    assert refused(heaptui("diff", a, b))
    assert refused(heaptui("summary", b, "--between", a))
    assert refused(heaptui("hunt", a, b, c))
    with pytest.raises(DifferentSessions):
        from heaptui.snapshot import SnapshotDiff
        SnapshotDiff(open_snapshot(a), open_snapshot(b))


def test_two_processes_are_refused(node_apps, tmp_path):
    one, two = node_apps("one"), node_apps("two")
    a, b = tmp_path / "one.heapsnapshot", tmp_path / "two.heapsnapshot"
    assert heaptui("capture", "--port", one.port, "-o", a).returncode == 0
    assert heaptui("capture", "--port", two.port, "-o", b).returncode == 0
    assert refused(heaptui("diff", a, b))


def test_signal_snapshots_share_one_id_space_and_compare(node_apps, tmp_path):
    app = node_apps()
    paths = []
    for _ in range(2):
        done = heaptui("capture", "--pid", app.proc.pid, "--signal", "SIGUSR2", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        paths.append(done.stdout.strip().splitlines()[-1])
    check = check_ids(open_snapshot(paths[0]), open_snapshot(paths[1]))
    assert check.same_session and check.agreement == 1.0
    diff = heaptui("diff", paths[0], paths[1], "--json")
    assert diff.returncode == 0, diff.stderr
    assert "Order" in diff.stdout


def test_the_demo_pair_shares_ids():
    base, current = (open_snapshot(p) for p in demo_paths())
    check = check_ids(base, current)
    assert check.same_session and check.compared >= 1000


def test_a_live_hunt_stops_when_another_client_resets_the_ids(node_apps, tmp_path):
    """The exercise itself attaches to the inspector and leaves (as browser automation or a debugger
    would): V8 renumbers objects, and the hunt says so instead of comparing."""
    app = node_apps()
    other = tmp_path / "other.heapsnapshot"
    exercise = f"{sys.executable} -m heaptui capture --port {app.port} -o {other} >/dev/null 2>&1; true"
    out = tmp_path / "hunt"
    out.mkdir()
    done = heaptui("hunt", "--port", app.port, "--exercise", exercise, "--rounds", "2", "--out-dir", out)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("heaptui: error: object ids were reset between the baseline and round1")
    assert "another inspector client" in last
