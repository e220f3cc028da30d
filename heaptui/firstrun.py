"""The first run: compile heaptui's kernels in two processes at once, with progress.

heaptui/snapshot/warmup.py compiles every declared kernel, in two halves. Here each half runs in a
child process: two cores compile about twice as fast as one, and the caller (the terminal UI) keeps
its interpreter to itself, so it stays responsive while numba works. The children report progress as
tab-separated lines on stdout; the caller sees `progress(step, done, total)` summed over both.
"""
from __future__ import annotations

import os
import selectors
import subprocess
import sys

from .snapshot import warmup

needed = warmup.needed
COMPILING = "compiling heaptui's kernels (first run only)"


class CompileError(Exception):
    pass


def compile_kernels(progress=None, cancelled=lambda: False):
    """Compiles everything unless already done. True when finished, False when cancelled; raises
    CompileError (one line) when a child fails."""
    if not warmup.needed():
        return True
    progress = progress or (lambda step, done, total: None)
    procs = []
    try:
        for part in warmup.PARTS:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "heaptui.firstrun", part], cwd=_TOP,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                env=_child_env(), text=True))
        finished = _follow(procs, progress, cancelled)
        if finished:
            warmup.mark_done()
        return finished
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()


# The directory holding this very heaptui package. The children run there and find it first: numba
# keys its cache by the kernels' source paths, so a child that imported another copy (a checkout in
# the current directory, say) would compile for the wrong one, and the parent all over again.
_TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_TOP, env.get("PYTHONPATH", "")) if p)
    return env


def _follow(procs, progress, cancelled):
    sel = selectors.DefaultSelector()
    state = {}
    for p in procs:
        state[p.pid] = (0, 1, "")
        sel.register(p.stdout, selectors.EVENT_READ, p)
    streams = len(procs)
    while streams:
        if cancelled():
            return False
        for key, _events in sel.select(timeout=0.2):
            p = key.data
            line = p.stdout.readline()
            if not line:
                sel.unregister(p.stdout)
                streams -= 1
                continue
            try:
                step, done, total = line.rstrip("\n").rsplit("\t", 2)
                state[p.pid] = (int(done), int(total), step)
            except ValueError:
                continue
            progress(step, sum(s[0] for s in state.values()), sum(s[1] for s in state.values()))
    for p in procs:
        if p.wait() != 0:
            lines = p.stderr.read().strip().splitlines() or ["no message"]
            raise CompileError(f"compiling heaptui's kernels failed: {lines[-1]}")
    return True


def _child(argv):
    (part,) = argv

    def report(step, done, total):
        sys.stdout.write(f"{step}\t{done}\t{total}\n")
        sys.stdout.flush()

    warmup.warm_up(part, report)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
