"""Leak hunting against real Node HTTP services with three kinds of leak, and a control that does
not leak. All traffic is to 127.0.0.1; every process started is killed."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICE = os.path.join(HERE, "hunt", "service.js")
LOAD = os.path.join(HERE, "hunt", "load.js")


class Service:
    def __init__(self, mode, tmp_path):
        self.err = open(tmp_path / f"{mode}.stderr", "w+")
        self.proc = subprocess.Popen(["node", "--inspect=127.0.0.1:0", SERVICE, mode], stdout=subprocess.PIPE,
                                     stderr=self.err, start_new_session=True, text=True)
        self.port = int(self.proc.stdout.readline())
        self.inspector = None
        for _ in range(50):
            self.err.seek(0)
            m = re.search(r"ws://127\.0\.0\.1:(\d+)/", self.err.read())
            if m:
                self.inspector = int(m.group(1))
                break
            time.sleep(0.1)
        assert self.inspector, "no inspector port"

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.err.close()


@pytest.fixture
def service(tmp_path):
    started = []

    def start(mode):
        s = Service(mode, tmp_path)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
        assert s.proc.poll() is not None


def hunt(svc, tmp_path, *extra):
    load = f"node {LOAD} {svc.port}"
    return subprocess.run(
        [sys.executable, "-m", "heaptui", "hunt", "--port", str(svc.inspector), "--warmup", f"{load} 30",
         "--exercise", f"{load} 40", "--rounds", "3", "--out-dir", str(tmp_path), "--json", *extra],
        capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("mode,leaker,path_must_show", [
    ("listeners", "RequestContext", ["EventEmitter._events", "->configBus"]),
    ("cache", "CachedResponse", ["->responseCache", "Map {table}"]),
    ("timers", "Poller", ["Timeout._onTimeout", "TimersList"]),
])
def test_hunt_names_the_leak_and_its_path(service, tmp_path, mode, leaker, path_must_show):
    svc = service(mode)
    r = hunt(svc, tmp_path, "--fail-on-leak")
    assert r.returncode == 1, r.stderr  # --fail-on-leak: there is a suspect
    doc = json.loads(r.stdout)
    assert len(doc["snapshots"]) == 4 and all(os.path.exists(p) for p in doc["snapshots"])
    top = doc["suspects"][:3]
    names = [s["name"] for s in top]
    assert leaker in names, names
    suspect = top[names.index(leaker)]
    assert suspect["count"] == 80 and suspect["size_delta"] > 0 and suspect["retained_size"] > 0
    assert suspect["script"].endswith("service.js")
    assert suspect["path"][-1] == leaker
    text = " > ".join(suspect["path"])
    for step in path_must_show:
        assert step in text, text
    assert suspect["similar_paths"] >= 30  # one or two shapes, not one per object


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
    assert suspects[0]["name"] == "RequestContext"  # the developer's own constructor comes first
    text = subprocess.run([sys.executable, "-m", "heaptui", "hunt", *paths], capture_output=True,
                          text=True, timeout=300).stdout
    assert "RequestContext" in text and "held by" in text


def test_hunt_usage_errors(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "heaptui", "hunt", *a], capture_output=True,
                                    text=True, timeout=60)
    for args in ([], ["a", "b"], ["--port", "9229"], ["--port", "1", "--exercise", "true", "--rounds", "1"]):
        r = run(*args)
        assert r.returncode == 2 and r.stderr.startswith("heaptui: error: ") and r.stderr.count("\n") == 1
