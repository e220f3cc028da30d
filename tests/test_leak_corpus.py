"""A corpus of memory leaks as real Node services have them, and clean controls on the same stacks.

Each mode below is an express service (tests/leaks/*.js) built on real npm packages, pinned in
tests/leaks/package.json and package-lock.json and installed once per checkout into
tests/.work/leaks-npm (never committed). A service listens on 127.0.0.1 (port 0, printed on stdout)
under `node --inspect=127.0.0.1:0`, and tests/leaks/load.js drives it over HTTP with a bounded
number of cookie-less requests, each with a unique request id and, where the path asks for it, a
unique query string. Per mode, `heaptui hunt` runs once live (warm-up, baseline, three rounds of
exercise) and once more from the snapshots it wrote; every test of that mode reads those results.

For each leak, LEAKS records what a developer wants named: the holder (the nearest long-lived object
through which the new memory is kept: an instance of a class, or the module's closure context with
the variable's name), the edge (the property or variable on it) and the source file of the code
involved. Three kinds of test:

- the service leaks (or, for a control, does not): checked without the hunt, on the hunt's snapshots,
  by `heaptui diff` between rounds (class counts and sizes) and by following the expected holder and
  edge in the raw snapshot JSON (its entries or size grow every round);
- the hunt names the leak: among the first three suspects is one on the expected holder and edge
  with the expected source, and `--fail-on-leak` exits 1; for a control it exits 0, no suspects;
- the live hunt and the hunt from the files it wrote agree.

Every process started here is killed, even on failure (own session, killpg). Nothing sleeps for
correctness: waits are on conditions, and no assertion is about time.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
LEAKS_DIR = HERE / "leaks"
LOAD = LEAKS_DIR / "load.js"
NPM_PREFIX = HERE / ".work" / "leaks-npm"
STAMP = NPM_PREFIX / ".installed-from"
COMMAND_TIMEOUT = 600  # a safety net for a stuck process, never an assertion
N = 40  # requests per exercise round
WARMUP = 30  # requests before the baseline
ROUNDS = 3
MIB = 1024 * 1024


@dataclass(frozen=True)
class Mode:
    mode: str
    script: str  # tests/leaks/<script>
    arg: str  # the service's mode argument
    paths: tuple  # load.js specs for one exercise round ({n}: unique per request)
    warmup: tuple
    leak: bool
    # What the hunt should name (leaks only): alternatives accepted for each.
    holder: tuple = ()
    edge: tuple = ()
    source: tuple = ()
    packages: tuple = ()
    # The independent check. `grow`: (class, least count_delta per request or per round, least size
    # delta) over the two rounds between round 1 and round 3 in `heaptui diff` (for a control: the
    # same classes may not grow by more than CONTROL_SLACK); `follow`: where the expected holder is
    # in the raw snapshot, as (start, edge names..., measure), the measure being "entries" (elements,
    # properties or hash-table slots), "bytes" (self size) or "chain:EDGE" (a linked list's length).
    grow: tuple = ()
    per: str = "request"  # "request": thresholds scale with N; "round": with rounds
    follow: tuple = ()
    note: str = ""


LEAKS = [
    Mode("session-store", "sessions.js", "leak", (f"{N}x/products/{{n}}",), (f"{WARMUP}x/products/{{n}}",),
         True, holder=("MemoryStore",), edge=("sessions",),
         source=("express-session/session/memory.js",), packages=("express", "express-session"),
         grow=(("(string)", 2, 0),), follow=(("class", "MemoryStore"), "sessions", "entries"),
         note="a JSON string (and its sid key) per cookie-less request in MemoryStore.sessions"),
    Mode("interval-text", "interval.js", "leak", (f"{N}x/jobs/{{n}}",), (f"{WARMUP}x/jobs/{{n}}",),
         True, holder=("Array", "system / Context", "pollLog"), edge=("pollLog",),
         source=("leaks/interval.js",), packages=("express",),
         grow=(("(string)", 1, 0), ("Timeout", 1, 0)), follow=(("var", "pollLog"), "entries"),
         note="a setInterval per request, never cleared, appending JSON lines to pollLog"),
    Mode("stats-numbers", "metrics.js", "numbers", (f"{N}x/orders/{{n}}",), (f"{WARMUP}x/orders/{{n}}",),
         True, holder=("Array", "system / Context", "latencies"), edge=("latencies",),
         source=("leaks/stats.js",), packages=("express", "prom-client"),
         grow=(), follow=(("var", "latencies"), "elements", "bytes"),
         note="a double per request in stats.js's latencies: V8 keeps them unboxed in one backing "
              "store, so no new object survives, only the store grows"),
    Mode("prom-labels", "metrics.js", "labels", (f"{N}x/orders/{{n}}?rid={{n}}",),
         (f"{WARMUP}x/orders/{{n}}?rid={{n}}",),
         True, holder=("Histogram",), edge=("hashMap",),
         source=("prom-client/lib/histogram.js",), packages=("express", "prom-client"),
         grow=(("(string)", 1, 0), ("Object", 1, 0)), follow=(("class", "Histogram"), "hashMap", "entries"),
         note="the raw URL as a histogram label: a label set per request in Histogram.hashMap"),
    Mode("report-buffer", "report.js", "leak", ("1x/report", f"{N // 2}x/orders/{{n}}"),
         ("1x/report", f"{WARMUP // 3}x/orders/{{n}}"),
         True, holder=("Array", "system / Context", "savedReports"), edge=("savedReports",),
         source=("leaks/report.js",), packages=("express",),
         grow=(("Buffer", 1, 0), ("system / JSArrayBufferData", 1, 10 * MIB)), per="round",
         follow=(("var", "savedReports"), "entries"),
         note="one 10 MiB Buffer per round kept in savedReports"),
    Mode("listeners", "listeners.js", "leak", (f"{N}x/orders/{{n}}",), (f"{WARMUP}x/orders/{{n}}",),
         True, holder=("EventEmitter", "Events", "Array"), edge=("_events", "reload"),
         source=("leaks/listeners.js", "eventemitter3/index.js"), packages=("express", "eventemitter3"),
         grow=(("EE", 1, 0), ("IncomingMessage", 1, 0), ("ServerResponse", 1, 0)),
         follow=(("var", "configBus"), "_events", "reload", "entries"),
         note="a listener per request (capturing req and res) on an eventemitter3 bus, never removed"),
    Mode("axios-interceptors", "proxy.js", "leak", (f"{N}x/orders/{{n}}",), (f"{WARMUP}x/orders/{{n}}",),
         True, holder=("InterceptorManager",), edge=("handlers",),
         source=("axios/dist/node/axios.cjs", "axios/lib/core/InterceptorManager.js", "leaks/proxy.js"),
         packages=("express", "axios"),
         grow=(("IncomingMessage", 1, 0),),
         follow=(("class", "InterceptorManager"), "handlers", "entries"),
         note="an axios request interceptor per request (capturing req) on a shared instance"),
    Mode("logger-children", "logger.js", "leak", (f"{N}x/orders/{{n}}",), (f"{WARMUP}x/orders/{{n}}",),
         True, holder=("Map", "system / Context", "requestLoggers"), edge=("requestLoggers",),
         source=("leaks/logger.js",), packages=("express", "winston"),
         grow=(("DerivedLogger", 1, 0),), follow=(("var", "requestLoggers"), "table", "entries"),
         note="a winston child logger per request in the Map requestLoggers, never deleted"),
    Mode("map-cache", "cache.js", "map", (f"{N}x/search?q={{n}}",), (f"{WARMUP}x/search?q={{n}}",),
         True, holder=("Map", "system / Context", "responseCache"), edge=("responseCache",),
         source=("leaks/cache.js",), packages=("express",),
         grow=(("(string)", 2, 0),), follow=(("var", "responseCache"), "table", "entries"),
         note="URL -> body string in a Map with no eviction, every URL unique"),
    Mode("node-cache", "cache.js", "node-cache", (f"{N}x/search?q={{n}}",), (f"{WARMUP}x/search?q={{n}}",),
         True, holder=("NodeCache",), edge=("data",),
         source=("node-cache/lib/node_cache.js",), packages=("express", "node-cache"),
         grow=(("(string)", 2, 0),), follow=(("class", "NodeCache"), "data", "entries"),
         note="node-cache with stdTTL 0: every unique URL stays in NodeCache.data"),
    Mode("audit-list", "audit.js", "leak", (f"{N}x/orders/{{n}}",), (f"{WARMUP}x/orders/{{n}}",),
         True, holder=("system / Context", "AuditEntry", "auditTrail"), edge=("auditTrail",),
         source=("leaks/audit.js",), packages=("express",),
         grow=(("AuditEntry", 1, 0),), follow=(("var", "auditTrail"), "chain:prev"),
         note="a linked list: each request's AuditEntry points at the previous one, never cut"),
    Mode("closure-set", "shutdown.js", "leak", (f"{N}x/orders/{{n}}",), (f"{WARMUP}x/orders/{{n}}",),
         True, holder=("Set", "system / Context", "shutdownHooks"), edge=("shutdownHooks",),
         source=("leaks/shutdown.js",), packages=("express",),
         grow=(("ServerResponse", 1, 0), ("IncomingMessage", 1, 0)),
         follow=(("var", "shutdownHooks"), "table", "entries"),
         note="a shutdown hook (a closure over res) per request in a Set, never deleted"),
]

CONTROLS = [
    Mode("session-store-control", "sessions.js", "control", (f"{N}x/products/{{n}}",),
         (f"{WARMUP}x/products/{{n}}",), False, packages=("express", "express-session"),
         grow=(("(string)", 0, 0), ("(concatenated string)", 0, 0)),
         follow=(("class", "MemoryStore"), "sessions", "entries"),
         note="saveUninitialized: false"),
    Mode("interval-control", "interval.js", "control", (f"{N}x/jobs/{{n}}",), (f"{WARMUP}x/jobs/{{n}}",),
         False, packages=("express",), grow=(("(string)", 0, 0), ("Timeout", 0, 0)),
         follow=(("var", "pollLog"), "entries"), note="interval cleared on finish, log of 20 lines"),
    Mode("listeners-control", "listeners.js", "control", (f"{N}x/orders/{{n}}",),
         (f"{WARMUP}x/orders/{{n}}",), False, packages=("express", "eventemitter3"),
         grow=(("EE", 0, 0), ("IncomingMessage", 0, 0), ("ServerResponse", 0, 0)),
         follow=(("var", "configBus"), "_events", "reload", "entries"), note="listener removed on finish"),
    Mode("cache-control", "cache.js", "control", (f"{N}x/search?q={{n}}",), (f"{WARMUP}x/search?q={{n}}",),
         False, packages=("express", "lru-cache"), grow=(("(string)", 0, 0),),
         follow=(("class", "LRUCache"), "#keyMap", "table", "entries"), note="lru-cache, max 20"),
]

ALL = {m.mode: m for m in LEAKS + CONTROLS}
CONTROL_SLACK = N // 4  # what a control may gain between round 1 and round 3, per class or holder
MARGIN = 0.9  # a leak's growth must reach this share of the expected (a string freed meanwhile counts -1)


# -- setup: npm packages, services, hunts -------------------------------------------------------------

def _tail(text, limit=3000):
    text = text or ""
    return text if len(text) <= limit else "...\n" + text[-limit:]


@pytest.fixture(scope="module")
def leaks_npm():
    """tests/.work/leaks-npm/node_modules with tests/leaks/package.json's pinned packages; installed
    once, and again only when package.json (or its lock) changes."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        pytest.fail("the leak corpus needs node and npm on PATH", pytrace=False)
    manifests = [LEAKS_DIR / "package.json", LEAKS_DIR / "package-lock.json"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in manifests if p.exists())).hexdigest()
    modules = NPM_PREFIX / "node_modules"
    NPM_PREFIX.mkdir(parents=True, exist_ok=True)
    with open(NPM_PREFIX.parent / "leaks-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions at once install one at a time
        if STAMP.exists() and STAMP.read_text().strip() == digest and modules.is_dir():
            return modules
        STAMP.unlink(missing_ok=True)
        for p in manifests:
            if p.exists():
                shutil.copyfile(p, NPM_PREFIX / p.name)
        cmd = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(NPM_PREFIX)]
        r = _run(cmd, cwd=NPM_PREFIX)
        if r.returncode != 0:
            pytest.fail(f"`{' '.join(cmd)}` failed ({r.returncode}):\n{_tail(r.stdout)}\n{_tail(r.stderr)}",
                        pytrace=False)
        STAMP.write_text(digest + "\n")
    return modules


def _kill_group(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=60)


def _run(cmd, cwd=None, env=None):
    """Runs a command in its own session; whatever it started is killed with it if it hangs."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        err = (err or "") + f"\n[killed: still running after {COMMAND_TIMEOUT} s]"
    finally:
        _kill_group(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def heaptui(*args):
    return _run([sys.executable, "-m", "heaptui", *map(str, args)], cwd=HERE.parent)


class Service:
    """`node --inspect=127.0.0.1:0 tests/leaks/SCRIPT ARG` in its own session."""

    def __init__(self, mode: Mode, modules: Path, workdir: Path):
        self.stderr_path = workdir / "service.stderr"
        self.err = open(self.stderr_path, "w+")
        env = dict(os.environ, NODE_PATH=str(modules))
        env.pop("NODE_OPTIONS", None)
        self.proc = subprocess.Popen(["node", "--inspect=127.0.0.1:0", str(LEAKS_DIR / mode.script), mode.arg],
                                     stdout=subprocess.PIPE, stderr=self.err, stdin=subprocess.DEVNULL,
                                     env=env, cwd=workdir, start_new_session=True, text=True)
        self.port = self.inspector = None
        try:
            self.port = int(self._first_line())
            self.inspector = self._inspector_port()
        except BaseException:
            self.stop()
            raise

    def _first_line(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(timeout=COMMAND_TIMEOUT):
                raise RuntimeError(f"the service printed no port:\n{self.stderr()}")
        finally:
            sel.close()
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the service printed {line!r}, not a port:\n{self.stderr()}")
        return line

    def _inspector_port(self):
        # Node prints the inspector's address before it runs the script, so it is there by now; the
        # loop only covers a slow flush, and ends on the condition (or on the process dying).
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            m = re.search(r"ws://127\.0\.0\.1:(\d+)/", self.stderr())
            if m:
                return int(m.group(1))
            time.sleep(0.05)
        raise RuntimeError(f"no inspector address on the service's stderr:\n{self.stderr()}")

    def stderr(self):
        self.err.flush()
        return self.stderr_path.read_text(errors="replace")

    def stop(self):
        _kill_group(self.proc)
        self.proc.stdout.close()
        self.err.close()


@dataclass
class Hunt:
    mode: Mode
    live: subprocess.CompletedProcess
    doc: dict | None = None
    files: subprocess.CompletedProcess | None = None
    files_doc: dict | None = None
    snapshots: list = field(default_factory=list)
    service_stderr: str = ""

    def explain(self):
        return (f"[{self.mode.mode}] live hunt exit {self.live.returncode}\nstdout:\n{_tail(self.live.stdout)}\n"
                f"stderr:\n{_tail(self.live.stderr)}\nservice stderr:\n{_tail(self.service_stderr)}")

    def require_snapshots(self):
        if len(self.snapshots) != ROUNDS + 1 or not all(os.path.exists(p) for p in self.snapshots):
            pytest.fail("the live hunt wrote no usable snapshots\n" + self.explain(), pytrace=False)
        return self.snapshots


class Hunts:
    """Runs each mode's live hunt (and the hunt from its files) once, on first use."""

    def __init__(self, modules, root):
        self.modules, self.root, self.done = modules, root, {}

    def __call__(self, name) -> Hunt:
        if name not in self.done:
            self.done[name] = self._hunt(ALL[name])
        return self.done[name]

    def _hunt(self, mode: Mode) -> Hunt:
        workdir = self.root / mode.mode
        workdir.mkdir()
        svc = Service(mode, self.modules, workdir)
        try:
            load = f"node {LOAD} {svc.port}"
            live = heaptui("hunt", "--port", svc.inspector, "--warmup", f"{load} {' '.join(mode.warmup)}",
                           "--exercise", f"{load} {' '.join(mode.paths)}", "--rounds", ROUNDS,
                           "--out-dir", workdir, "--json", "--fail-on-leak")
        finally:
            svc.stop()
        hunt = Hunt(mode, live, service_stderr=svc.stderr_path.read_text(errors="replace"))
        (workdir / "hunt-live.json").write_text(live.stdout)
        (workdir / "hunt-live.stderr").write_text(live.stderr)
        try:
            hunt.doc = json.loads(live.stdout)
        except ValueError:
            return hunt
        hunt.snapshots = list(hunt.doc.get("snapshots") or [])
        if len(hunt.snapshots) == ROUNDS + 1:
            hunt.files = heaptui("hunt", *hunt.snapshots, "--json", "--fail-on-leak")
            (workdir / "hunt-files.json").write_text(hunt.files.stdout)
            try:
                hunt.files_doc = json.loads(hunt.files.stdout)
            except ValueError:
                pass
        return hunt


@pytest.fixture(scope="module")
def hunts(leaks_npm, tmp_path_factory):
    return Hunts(leaks_npm, tmp_path_factory.mktemp("leak-corpus"))


# -- independent checks: heaptui diff, and the raw snapshot JSON -----------------------------------------

def diff_rows(old, new):
    r = heaptui("diff", old, new, "--json")
    assert r.returncode == 0, f"heaptui diff failed:\n{_tail(r.stderr)}"
    return {row["name"]: row for row in json.loads(r.stdout)}


class RawSnapshot:
    """Just enough of the .heapsnapshot format to follow named edges from a class instance or a
    closure variable, independently of heaptui."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        meta = doc["snapshot"]["meta"]
        self.nodes, self.edges, self.strings = doc["nodes"], doc["edges"], doc["strings"]
        self.nw, self.ew = len(meta["node_fields"]), len(meta["edge_fields"])
        self.node_types, self.edge_types = meta["node_types"][0], meta["edge_types"][0]
        count = meta["node_fields"].index("edge_count")
        self.first = [0] * (len(self.nodes) // self.nw + 1)
        for i in range(len(self.first) - 1):
            self.first[i + 1] = self.first[i] + self.nodes[i * self.nw + count] * self.ew

    def name(self, v):
        return self.strings[self.nodes[v * self.nw + 1]]

    def self_size(self, v):
        return self.nodes[v * self.nw + 3]

    def out(self, v):
        """(edge type, edge name or index, target) of v's edges."""
        for e in range(self.first[v], self.first[v + 1], self.ew):
            kind = self.edge_types[self.edges[e]]
            label = self.edges[e + 1]
            if kind not in ("element", "hidden"):
                label = self.strings[label]
            yield kind, label, self.edges[e + 2] // self.nw

    def starts(self, start):
        kind, name = start
        if kind == "class":
            obj = self.node_types.index("object")
            return [v for v in range(len(self.first) - 1)
                    if self.nodes[v * self.nw] == obj and self.name(v) == name]
        return [t for v in range(len(self.first) - 1) for k, label, t in self.out(v)
                if k == "context" and label == name]

    def entries(self, v):
        """What a collection holds: elements and properties (not __proto__), or a hash table's slots."""
        return sum(1 for kind, label, _ in self.out(v)
                   if kind in ("element", "property") and label != "__proto__"
                   or kind == "internal" and str(label).isdigit())

    def measure(self, follow):
        """The largest value of the measure at the end of `follow` over all its starting points; 0
        when the path is not there (an emptied emitter has no 'reload' key)."""
        start, *steps, how = follow
        best = 0
        for v in self.starts(start):
            for step in steps:
                v = next((t for _, label, t in self.out(v) if label == step), None)
                if v is None:
                    break
            if v is None:
                continue
            if how.startswith("chain:"):  # a linked list's length along the named edge
                best = max(best, self.chain(v, how[len("chain:"):]))
            else:
                best = max(best, self.entries(v) if how == "entries" else self.self_size(v))
        return best

    def chain(self, v, edge):
        """How many objects of v's class follow one another along `edge`, v included."""
        seen, cls = set(), self.name(v)
        while v is not None and v not in seen and self.name(v) == cls:
            seen.add(v)
            v = next((t for _, label, t in self.out(v) if label == edge), None)
        return len(seen)


def holder_series(hunt):
    return [RawSnapshot(p).measure(hunt.mode.follow) for p in hunt.require_snapshots()]


def class_growth(hunt):
    """{class: (count delta, size delta)} from round 1 to the last round (two rounds of exercise)."""
    snaps = hunt.require_snapshots()
    rows = diff_rows(snaps[1], snaps[-1])
    return {name: (rows[name]["count_delta"], rows[name]["size_delta"]) if name in rows else (0, 0)
            for name, _, _ in hunt.mode.grow}


# -- the hunt's answer -----------------------------------------------------------------------------------

def _where(suspect):
    holder = suspect.get("holder") or {}
    return f"{suspect.get('source') or ''} {holder.get('location') or ''}"


def names_the_leak(suspect, mode: Mode):
    """The suspect is on the expected holder and edge, with the expected source."""
    edge = suspect.get("edge") or ""
    holder = (suspect.get("holder") or {}).get("class") or ""
    return (any(e in edge for e in mode.edge)
            and any(h == holder or h in edge for h in mode.holder)
            and any(src in _where(suspect) for src in mode.source))


def assert_names_the_leak(doc, mode: Mode):
    suspects = doc["suspects"]
    top = suspects[:3]
    shown = [{"holder": s.get("holder"), "edge": s.get("edge"), "source": s.get("source")} for s in top]
    match = next((s for s in top if names_the_leak(s, mode)), None)
    assert match is not None, (f"[{mode.mode}] expected holder {mode.holder} / edge {mode.edge} / source "
                               f"{mode.source} among the first three suspects, got {json.dumps(shown, indent=1)}")
    # Objects arrived, or (values stored inline, like unboxed numbers) the collection's own size grew
    # in every snapshot.
    grew = match.get("own_sizes") and all(b > a for a, b in zip(match["own_sizes"], match["own_sizes"][1:]))
    assert (match["count"] > 0 or grew) and match["bytes"] > 0, match
    assert len(match["per_round"]) >= ROUNDS - 1, match
    assert match["path"] and match["sentence"], match
    return match


def _comparable(doc):
    return [{k: s.get(k) for k in ("holder", "edge", "path", "count", "bytes", "per_round", "classes", "source")}
            for s in doc["suspects"]]


# -- tests -----------------------------------------------------------------------------------------------

LEAK_IDS = [m.mode for m in LEAKS]
CONTROL_IDS = [m.mode for m in CONTROLS]


def test_corpus_table():
    assert len(LEAKS) >= 8 and len(CONTROLS) >= 3
    manifest = json.loads((LEAKS_DIR / "package.json").read_text())
    deps = manifest["dependencies"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in deps.values()), deps  # exact pins
    for m in LEAKS + CONTROLS:
        assert (LEAKS_DIR / m.script).is_file(), m.script
        assert set(m.packages) <= set(deps), m.packages
        assert m.follow, m.mode
        if m.leak:
            assert m.holder and m.edge and m.source, m.mode


@pytest.mark.parametrize("name", LEAK_IDS)
def test_service_leaks(hunts, name):
    """The leak is really there: the expected holder grows every round, and (where the leak adds
    objects) `heaptui diff` from round 1 to round 3 shows the expected classes growing."""
    hunt = hunts(name)
    mode = hunt.mode
    series = holder_series(hunt)
    scale = 2 * (N if mode.per == "request" else 1)  # two rounds between round 1 and round 3
    if mode.follow[-1] != "bytes":
        assert all(b > a for a, b in zip(series, series[1:])), f"[{name}] {mode.follow}: {series}"
        assert series[-1] - series[1] >= MARGIN * scale, f"[{name}] {mode.follow}: {series}"
    else:  # the bytes of an unboxed double array's store: its capacity grows in steps, 8 bytes a slot
        assert all(b >= a for a, b in zip(series, series[1:])), f"[{name}] {mode.follow}: {series}"
        assert series[-1] - series[0] >= 8 * ROUNDS * N * 3 // 4, f"[{name}] {mode.follow}: {series}"
    growth = class_growth(hunt)
    for cls, per, least_bytes in mode.grow:
        count, size = growth[cls]
        assert count >= MARGIN * per * scale and size >= MARGIN * least_bytes * scale, \
            f"[{name}] {cls}: count {count}, bytes {size} from round 1 to round {ROUNDS}"


@pytest.mark.parametrize("name", CONTROL_IDS)
def test_control_does_not_leak(hunts, name):
    """The same stack without the leak: the holder and the classes the leak would grow stay flat."""
    hunt = hunts(name)
    series = holder_series(hunt)
    assert max(series) - min(series) <= CONTROL_SLACK, f"[{name}] {hunt.mode.follow}: {series}"
    for cls, (count, size) in class_growth(hunt).items():
        assert count <= CONTROL_SLACK, f"[{name}] {cls}: count {count}, bytes {size} from round 1 to {ROUNDS}"


@pytest.mark.parametrize("name", LEAK_IDS)
def test_hunt_names_the_leak(hunts, name):
    hunt = hunts(name)
    assert hunt.doc is not None, hunt.explain()
    assert hunt.live.returncode == 1, hunt.explain()  # --fail-on-leak: there is a suspect
    assert_names_the_leak(hunt.doc, hunt.mode)


@pytest.mark.parametrize("name", CONTROL_IDS)
def test_hunt_control_is_clean(hunts, name):
    hunt = hunts(name)
    assert hunt.doc is not None, hunt.explain()
    assert hunt.doc["suspects"] == [], hunt.explain()
    assert hunt.live.returncode == 0, hunt.explain()


@pytest.mark.parametrize("name", LEAK_IDS + CONTROL_IDS)
def test_hunt_from_files_agrees(hunts, name):
    """The snapshots the live hunt wrote give the same answer when hunted again from the files."""
    hunt = hunts(name)
    hunt.require_snapshots()
    assert hunt.files is not None and hunt.files_doc is not None, \
        f"{hunt.explain()}\nfrom files:\n{_tail(hunt.files.stderr if hunt.files else '')}"
    assert hunt.files.returncode == hunt.live.returncode, _tail(hunt.files.stderr)
    assert hunt.files_doc["snapshots"] == hunt.snapshots
    assert _comparable(hunt.files_doc) == _comparable(hunt.doc)
