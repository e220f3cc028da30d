"""Leak hunting against real Node HTTP services with three kinds of leak, and a control that does
not leak. All traffic is to 127.0.0.1; every process started is killed."""
import json
import os
import re
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICE = os.path.join(HERE, "hunt", "service.js")
LOAD = os.path.join(HERE, "hunt", "load.js")


class Service:
    def __init__(self, mode, tmp_path):
        self.err = open(tmp_path / f"{mode}.stderr", "w+")
        self.proc = subprocess.Popen(["node", "--inspect=127.0.0.1:0", SERVICE, mode], stdout=subprocess.PIPE,
                                     stderr=self.err, start_new_session=True, text=True)

    def wait_ready(self):
        line = self.proc.stdout.readline()  # the HTTP port, once the service listens ('' if it died)
        assert line.strip().isdigit(), f"the service did not start: {line!r} {self.read_stderr()}"
        self.port = int(line)
        # Node prints the inspector's URL before it runs the script, so it is there by now.
        m = re.search(r"ws://127\.0\.0\.1:(\d+)/", self.read_stderr())
        assert m, "no inspector port: " + self.read_stderr()
        self.inspector = int(m.group(1))

    def read_stderr(self):
        self.err.flush()
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        self.err.close()


@pytest.fixture
def service(tmp_path):
    started = []

    def start(mode):
        s = Service(mode, tmp_path)
        started.append(s)  # before waiting: killed at the end even if it never gets ready
        s.wait_ready()
        return s

    yield start
    for s in started:
        s.stop()
        assert s.proc.poll() is not None


def run_group(cmd, timeout):
    """subprocess.run in a session of its own, so that the whole group goes at the end (the
    exercise commands heaptui started included) even when the timeout, a bound on a hang, expires."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def hunt(svc, tmp_path, *extra):
    load = f"node {LOAD} {svc.port}"
    return run_group(
        [sys.executable, "-m", "heaptui", "hunt", "--port", str(svc.inspector), "--warmup", f"{load} 30",
         "--exercise", f"{load} 40", "--rounds", "3", "--out-dir", str(tmp_path), "--json", *extra],
        timeout=600)


@pytest.mark.parametrize("mode,holder,arrives,path_must_show", [
    ("listeners", "EventEmitter._events.reload", "RequestContext", ["EventEmitter._events", "->configBus"]),
    ("cache", "responseCache (variable)", "CachedResponse", ["Context->responseCache", "Map"]),
    ("timers", "TimersList", "Poller", ["TimersList"]),
])
def test_hunt_names_the_holder_and_its_path(service, tmp_path, mode, holder, arrives, path_must_show):
    svc = service(mode)
    r = hunt(svc, tmp_path, "--fail-on-leak")
    assert r.returncode == 1, r.stderr  # --fail-on-leak: there is a suspect
    doc = json.loads(r.stdout)
    assert len(doc["snapshots"]) == 4 and all(os.path.exists(p) for p in doc["snapshots"])
    top = doc["suspects"][:3]
    edges = [s["edge"] for s in top]
    found = [s for s in top if s["edge"].startswith(holder)]
    assert found, edges
    suspect = found[0]
    arrived = {c["name"]: c["count"] for c in suspect["classes"]}
    assert arrived.get(arrives) == 80, arrived  # 40 requests in each of the two counted rounds
    assert [r["count"] > 0 for r in suspect["per_round"]] == [True, True]
    assert suspect["bytes"] == sum(r["bytes"] for r in suspect["per_round"]) > 0
    assert suspect["holder_retained"][-1] > suspect["holder_retained"][0]
    assert re.search(r"service\.js:\d+:\d+$", suspect["source"]), suspect["source"]
    text = " > ".join(suspect["path"])
    for step in path_must_show:
        assert step in text, text
    assert holder in suspect["sentence"]


def test_control_service_has_no_suspects(service, tmp_path):
    svc = service("control")
    r = hunt(svc, tmp_path, "--fail-on-leak")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["suspects"] == []


def test_hunt_from_files_and_ranking(service, tmp_path):
    svc = service("listeners")
    r = hunt(svc, tmp_path)
    paths = json.loads(r.stdout)["snapshots"]
    again = subprocess.run([sys.executable, "-m", "heaptui", "hunt", *paths[:3], "--json"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    suspects = json.loads(again.stdout)["suspects"]
    assert suspects[0]["edge"] == "EventEmitter._events.reload"
    assert suspects[0]["classes"][0]["name"] == "RequestContext"  # the program's own class first
    text = subprocess.run([sys.executable, "-m", "heaptui", "hunt", *paths], capture_output=True,
                          text=True, timeout=300).stdout
    assert "EventEmitter._events.reload keeps growing" in text and "held by" in text


def test_hunt_usage_errors(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "heaptui", "hunt", *a], capture_output=True,
                                    text=True, timeout=60)
    for args in ([], ["a", "b"], ["--port", "9229"], ["--port", "1", "--exercise", "true", "--rounds", "1"]):
        r = run(*args)
        assert r.returncode == 2 and r.stderr.startswith("heaptui: error: ") and r.stderr.count("\n") == 1
