"""Shared fixtures for heaptui's tests.

The parity tests compare heaptui's numbers with Chrome DevTools' own heap
snapshot code, which the npm package ``heap-snapshot-toolkit`` (pinned below)
runs headless under Node. Everything generated lives in ``tests/.work``
(gitignored): the npm install in ``tests/.work/npm`` and the scenario snapshots
in ``tests/.work/snapshots``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTS_DIR = REPO_ROOT / "tests"
WORK_DIR = TESTS_DIR / ".work"
NPM_DIR = WORK_DIR / "npm"
SNAPSHOT_DIR = WORK_DIR / "snapshots"
PARITY_DIR = TESTS_DIR / "parity"
SCENARIO_DIR = PARITY_DIR / "scenarios"
DEVTOOLS_DUMP = PARITY_DIR / "devtools_dump.mjs"

TOOLKIT_PACKAGE = "heap-snapshot-toolkit"
TOOLKIT_VERSION = "1.1.3"

# Other runtimes that write V8 heap snapshots, installed from npm (their packages carry the binaries) at
# exact versions into tests/.work/runtimes. Each runs tests/parity/runtimes/service.cjs as a scenario.
RUNTIMES_DIR = WORK_DIR / "runtimes"
RUNTIME_PACKAGES = {"bun": "1.4.5", "deno": "2.9.6"}
RUNTIME_SCRIPT = PARITY_DIR / "runtimes" / "service.cjs"
RUNTIME_SCENARIOS = {"bun_service": "bun", "deno_service": "deno"}

NPM_INSTALL_TIMEOUT = 600
SCENARIO_TIMEOUT = 180
DUMP_TIMEOUT = 600
HEAPTUI_TIMEOUT = 600

# One numba cache for the whole run, whatever HEAPTUI_CACHE_DIR a test gives its subprocesses, so the
# kernels compile once per checkout rather than once per temporary cache directory.
os.environ.setdefault("NUMBA_CACHE_DIR", str(WORK_DIR / "numba"))


FIXTURE_DIR = TESTS_DIR / "fixtures"


def _fixture_snapshots() -> dict[str, Path]:
    """Snapshots kept as files (made by a browser the test machine may not have): name -> .gz path.
    tests/fixtures/chromium-detached-dom.heapsnapshot.gz is the scenario chromium_detached_dom."""
    return {p.name[:-len(".heapsnapshot.gz")].replace("-", "_"): p
            for p in FIXTURE_DIR.glob("*.heapsnapshot.gz")}


def scenario_names() -> list[str]:
    """Names of the parity scenarios (``tests/parity/scenarios/<name>.js``, and the snapshots kept
    in tests/fixtures), sorted."""
    return sorted([p.stem for p in SCENARIO_DIR.glob("*.js")] + list(_fixture_snapshots())
                  + list(RUNTIME_SCENARIOS))


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` was not found on PATH. The parity tests need Node.js (>= 18) and npm "
            f"to run Chrome DevTools' heap snapshot code ({TOOLKIT_PACKAGE}@{TOOLKIT_VERSION}).",
            pytrace=False,
        )
    return path


def _installed_version(prefix: Path, package: str) -> str | None:
    """The version of an npm package installed under prefix, or None."""
    try:
        return json.loads((prefix / "node_modules" / package / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


@contextlib.contextmanager
def _file_lock(path: Path):
    """Inter-process lock (no-op where fcntl is unavailable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _tail(text: str | bytes | None, limit: int = 4000) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    return text if len(text) <= limit else "...\n" + text[-limit:]


def _ensure_npm_package(prefix: Path, package: str, version: str) -> Path:
    """prefix/node_modules holds `package` at exactly `version` (installed from the registry once, under
    a lock so that two test sessions install one at a time); returns prefix."""
    _require_tool("node")
    npm = _require_tool("npm")
    with _file_lock(prefix.parent / f"{prefix.name}.lock"):
        if _installed_version(prefix, package) != version:
            prefix.mkdir(parents=True, exist_ok=True)
            cmd = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(prefix),
                   f"{package}@{version}"]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=NPM_INSTALL_TIMEOUT, cwd=prefix)
            except subprocess.TimeoutExpired as exc:
                pytest.fail(f"`{' '.join(cmd)}` timed out after {NPM_INSTALL_TIMEOUT}s\n{_tail(exc.stderr)}",
                            pytrace=False)
            if proc.returncode != 0:
                pytest.fail(f"`{' '.join(cmd)}` failed with exit code {proc.returncode}\n"
                            f"stdout:\n{_tail(proc.stdout)}\nstderr:\n{_tail(proc.stderr)}", pytrace=False)
            found = _installed_version(prefix, package)
            if found != version:
                pytest.fail(f"after npm install, {prefix}/node_modules/{package} has version {found!r}, "
                            f"expected {version}", pytrace=False)
    return prefix


@pytest.fixture(scope="session")
def toolkit_dir() -> Path:
    """Directory whose node_modules holds heap-snapshot-toolkit at exactly TOOLKIT_VERSION."""
    return _ensure_npm_package(NPM_DIR, TOOLKIT_PACKAGE, TOOLKIT_VERSION)


# An independent pprof reader (DataDog's, used by their Node profiler) for the pprof files heaptui writes.
PPROF_READER = ("pprof-format", "2.3.2")
PPROF_READER_SCRIPT = PARITY_DIR / "pprof_read.mjs"


@pytest.fixture(scope="session")
def pprof_reader():
    """read(path) -> what pprof-format decodes from a gzipped pprof file: the sample types and, per
    innermost function (name, file, start line), the sum of each sample value."""
    prefix = _ensure_npm_package(WORK_DIR / "pprof-npm", *PPROF_READER)

    def read(path):
        env = dict(os.environ, HEAPTUI_PPROF_DIR=str(prefix))
        proc = subprocess.run([_require_tool("node"), str(PPROF_READER_SCRIPT), str(path)], capture_output=True,
                              text=True, timeout=DUMP_TIMEOUT, env=env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    return read


def runtime_command(name: str) -> list[str]:
    """The command that runs a script with Bun or Deno (installed on first use), script path to follow."""
    npm = _require_tool("npm")
    with _file_lock(WORK_DIR / "runtimes.lock"):
        if any(_installed_version(RUNTIMES_DIR, p) != v for p, v in RUNTIME_PACKAGES.items()):
            RUNTIMES_DIR.mkdir(parents=True, exist_ok=True)
            cmd = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(RUNTIMES_DIR),
                   *(f"{p}@{v}" for p, v in RUNTIME_PACKAGES.items())]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=NPM_INSTALL_TIMEOUT,
                                  cwd=RUNTIMES_DIR)
            if proc.returncode != 0:
                raise RuntimeError(f"`{' '.join(cmd)}` failed with exit code {proc.returncode}\n"
                                   f"{_tail(proc.stderr)}")
    binary = str(RUNTIMES_DIR / "node_modules" / ".bin" / name)
    return [binary, "run", "--allow-all"] if name == "deno" else [binary]


def runtime_env() -> dict:
    """No update checks, no telemetry, nothing through a proxy: the runtimes talk only to 127.0.0.1."""
    return dict(os.environ, DENO_NO_UPDATE_CHECK="1", DENO_NO_PROMPT="1", DO_NOT_TRACK="1",
                NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")


def _generate_snapshot(command: list[str], script: Path, out: Path) -> None:
    part = out.with_name(out.name + ".part")
    part.unlink(missing_ok=True)
    try:
        proc = subprocess.run(
            [*command, str(script), str(part)],
            capture_output=True, text=True, timeout=SCENARIO_TIMEOUT, cwd=SCENARIO_DIR, env=runtime_env(),
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"scenario {script.name} timed out after {SCENARIO_TIMEOUT}s\n{_tail(exc.stderr)}")
    if proc.returncode != 0:
        raise RuntimeError(
            f"scenario {script.name} failed with exit code {proc.returncode}\n"
            f"stdout:\n{_tail(proc.stdout)}\nstderr:\n{_tail(proc.stderr)}"
        )
    if not part.is_file() or part.stat().st_size == 0:
        raise RuntimeError(f"scenario {script.name} exited 0 but wrote no snapshot to {part}")
    os.replace(part, out)


def _unpack_fixture(gz: Path, out: Path) -> None:
    """DevTools' code reads plain JSON: the kept snapshot, unpacked (heaptui opens the .gz itself)."""
    import gzip
    part = out.with_name(out.name + ".part")
    with gzip.open(gz, "rb") as src, open(part, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.replace(part, out)


@pytest.fixture(scope="session")
def parity_snapshots() -> dict[str, Path]:
    """Run every scenario script once per session; {scenario name: .heapsnapshot path}."""
    node = _require_tool("node")
    names = scenario_names()
    if not names:
        pytest.fail(f"no scenario scripts found in {SCENARIO_DIR}", pytrace=False)
    SNAPSHOT_DIR.mkdir(parents=True, exist_ok=True)
    paths = {name: SNAPSHOT_DIR / f"{name}.heapsnapshot" for name in names}
    workers = max(1, min(4, os.cpu_count() or 1))
    errors = []
    kept = _fixture_snapshots()
    def make(name):
        if name in kept:
            _unpack_fixture(kept[name], paths[name])
        elif name in RUNTIME_SCENARIOS:
            _generate_snapshot(runtime_command(RUNTIME_SCENARIOS[name]), RUNTIME_SCRIPT, paths[name])
        else:
            _generate_snapshot([node], SCENARIO_DIR / f"{name}.js", paths[name])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(make, name) for name in names}
        for name, fut in futures.items():
            try:
                fut.result()
            except Exception as exc:  # collect all failures, report together
                errors.append(f"[{name}] {exc}")
    if errors:
        pytest.fail("could not generate parity snapshots:\n" + "\n".join(errors), pytrace=False)
    return paths


def run_devtools_dump(toolkit_dir: Path, path: Path) -> dict:
    """Run DevTools' code on a snapshot (tests/parity/devtools_dump.mjs) and return its JSON document:
    {"toolkit", "statistics", "summary": [...], "nodes": [...]}."""
    env = dict(os.environ, HEAPTUI_TOOLKIT_DIR=str(toolkit_dir))
    cmd = [_require_tool("node"), str(DEVTOOLS_DUMP), str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=DUMP_TIMEOUT, env=env)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"devtools_dump timed out after {DUMP_TIMEOUT}s on {path}\n{_tail(exc.stderr)}", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(
            f"devtools_dump failed on {path} with exit code {proc.returncode}\n{_tail(proc.stderr)}",
            pytrace=False,
        )
    try:
        return json.loads(proc.stdout)
    except ValueError as exc:
        pytest.fail(f"devtools_dump printed invalid JSON for {path}: {exc}", pytrace=False)


def run_heaptui(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m heaptui ARGS`` from the repository root and capture its output (text)."""
    return subprocess.run(
        [sys.executable, "-m", "heaptui", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=HEAPTUI_TIMEOUT,
    )


@pytest.fixture(autouse=True, scope="session")
def _private_index_cache(tmp_path_factory):
    """Keep the tests' index cache out of the user's ~/.cache (subprocesses inherit it)."""
    os.environ["HEAPTUI_CACHE_DIR"] = str(tmp_path_factory.mktemp("index-cache"))
    yield
