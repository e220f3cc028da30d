"""heaptui's compiled kernels: where numba keeps them, the first run, and that using heaptui never
compiles anything beyond the declared signatures (which the first run compiles up front)."""
import os
import pty
import select
import subprocess
import sys
import textwrap

import heaptui
from heaptui.demo import demo_paths

PACKAGE_DIR = os.path.dirname(os.path.abspath(heaptui.__file__))


def numba_files(top):
    return [os.path.join(d, f) for d, _dirs, files in os.walk(top) for f in files
            if f.endswith((".nbi", ".nbc"))]


def run_heaptui(args, env, timeout=600):
    return subprocess.run([sys.executable, "-m", "heaptui", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def run_with_terminal_stderr(args, env, timeout=600):
    """Runs heaptui with stderr on a pseudo-terminal (where progress is shown); (status, stdout,
    everything written to the terminal)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "heaptui", *args], env=env, stdout=subprocess.PIPE,
                                stderr=slave, stdin=subprocess.DEVNULL, text=True)
        os.close(slave)
        seen = b""
        while True:
            ready, _w, _x = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                raise AssertionError("heaptui printed nothing for too long")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        out = proc.stdout.read()
        return proc.wait(timeout=timeout), out, seen.decode("utf-8", "replace")
    finally:
        os.close(master)


def test_first_run_compiles_into_the_cache_directory_and_says_so(tmp_path):
    env = dict(os.environ, HEAPTUI_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("NUMBA_CACHE_DIR", None)  # a user's first run: heaptui decides where numba writes
    demo = demo_paths()[0]
    status, out, terminal = run_with_terminal_stderr(["summary", demo, "--top", "1"], env)
    assert status == 0, terminal
    assert "compiling heaptui's kernels (first run only)" in terminal
    assert numba_files(tmp_path / "cache" / "numba"), "numba's cache should be in heaptui's cache directory"
    assert not numba_files(PACKAGE_DIR), "nothing may be written inside the installed package"
    again = run_heaptui(["summary", demo, "--top", "1", "--no-cache"], env)
    assert again.returncode == 0 and again.stdout == out
    assert again.stderr == ""  # not a terminal: no progress; and no compiling, it was done


def test_every_kernel_signature_used_is_declared(tmp_path):
    """What the command line, the comparison, the hunt and the terminal UI ask of the demo snapshots
    (fresh and from the index cache) uses only declared signatures: nothing compiles after the first
    run."""
    script = textwrap.dedent("""
        import asyncio, json, time
        from heaptui.demo import demo_paths
        from heaptui.snapshot import warmup
        from heaptui.tui.app import HeapApp
        from heaptui.tui.screens import ExploreScreen

        warmup.exercise(demo_paths())

        async def drive():
            app = HeapApp(demo_paths())
            async with app.run_test(size=(100, 30)) as pilot:
                deadline = time.monotonic() + 300
                while not isinstance(app.screen, ExploreScreen) and time.monotonic() < deadline:
                    await pilot.pause(0.05)
                for key in ("enter", "down", "enter", "down", "down", "right", "s", "c", "down",
                            "enter", "escape", "t", "escape", "o", "enter", "escape"):
                    await pilot.press(key)
                    await pilot.pause()
                await app.workers.wait_for_complete()
        asyncio.run(drive())
        print(json.dumps([[name, str(sig)] for name, sig in warmup.undeclared()]))
    """)
    # A numba cache of its own, empty: kernels loaded from a cache do not list the specialisations
    # compiled inside them, so only a fresh compile shows every signature used.
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), HEAPTUI_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", (
        "kernels called with undeclared argument types (declare them with @kernel(...)): "
        + done.stdout.strip().splitlines()[-1])


def test_signatures_parse_to_numba_types():
    from numba.core import types
    from heaptui.snapshot import jit
    assert jit.parse_signature("(uint32[::1], int64)") == (types.uint32[::1], types.int64)
    (ro,) = jit.parse_signature("(ro(uint8[::1]),)")
    assert isinstance(ro, types.Array) and not ro.mutable and ro.dtype == types.uint8
    declared = jit.declared()
    assert len(declared) >= 40 and all(isinstance(a, tuple) for _d, a in declared)
