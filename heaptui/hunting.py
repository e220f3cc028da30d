"""The live leak hunt, written once for every front end (the command line, the terminal UI, agents).

The Node.js docs' recipe, automated: warm the process up, take a baseline snapshot, exercise the suspect
feature, take a snapshot, repeat, compare. Everything happens in one inspector session, because V8
renumbers objects when a session closes; after every snapshot the hunt checks that ids still name the
same objects (another client that attached and left in between, a debugger or browser automation,
would have reset them) and stops with a clear error if not. The same preflight guards every capture:
a snapshot that could exhaust the host's or the container's memory is refused unless forced.

Snapshots go to one directory per hunt: the one given, else a new `heaptui-hunt-<pid>-<time>` in the
current directory (0700; files 0600). No printing: progress and remarks go through callbacks.
"""
from __future__ import annotations

import os
import subprocess
import time

from . import inspector
from .snapshot import open_snapshot
from .snapshot.hunt import find_suspects
from .snapshot.idspace import check_ids


class HuntError(Exception):
    """The hunt cannot go on; the message says why and what to do, in one line."""


def make_out_dir(pid, parent=None):
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = os.path.join(parent or os.getcwd(), f"heaptui-hunt-{pid or 0}-{stamp}")
    for n in range(100):
        candidate = path if n == 0 else f"{path}-{n}"
        try:
            os.makedirs(candidate, mode=0o700)
            return candidate
        except FileExistsError:
            continue
    raise HuntError(f"cannot create a directory for the snapshots in {parent or os.getcwd()}")


class LiveHunt:
    """One hunt against one process, step by step: baseline(), exercise(...) and snapshot(),
    suspects(). `session` is an open inspector.CDPSession, kept for the whole hunt."""

    def __init__(self, session, pid=None, out_dir=None, force=False, progress=None, say=None,
                 use_cache=True):
        self.session, self.pid, self.force = session, pid, force
        self.out_dir = out_dir
        self.progress = progress or (lambda phase, done, total: None)
        self.say = say or (lambda message: None)
        self.use_cache = use_cache
        self.taken = []  # [(label, path, Snapshot)]

    @property
    def paths(self):
        return [path for _label, path, _snap in self.taken]

    def run_command(self, command, what, timeout=600.0):
        """Runs a shell command (warm-up, exercise) and waits for it; HuntError if it fails. Its
        output is kept from the terminal (a UI's screen, a --json stdout); its last words go into
        the error when it fails."""
        self.say(f"{what}: {command}")
        try:
            done = subprocess.run(command, shell=True, timeout=timeout, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except subprocess.TimeoutExpired:
            raise HuntError(f"the {what} command did not finish within {timeout:g} s") from None
        if done.returncode != 0:
            last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise HuntError(f"the {what} command failed with exit status {done.returncode}"
                            + (f": {last[0][:200]}" if last[0] else ""))

    def baseline(self):
        if self.taken:
            raise HuntError("the baseline is taken already")
        return self._take("baseline")

    def snapshot(self):
        """The snapshot after a round of exercise."""
        if not self.taken:
            raise HuntError("take the baseline first")
        return self._take(f"round{len(self.taken)}")

    def _take(self, label):
        if self.out_dir is None:
            self.out_dir = make_out_dir(self.pid)
        path = os.path.join(self.out_dir, f"{label}.heapsnapshot")
        check = inspector.preflight(self.session)
        if check.verdict == "refuse" and not self.force:
            raise inspector.TooRisky(check.refusal())
        if check.verdict != "ok":
            self.say("warning: " + check.message())
        inspector.take_snapshot(self.session, path, progress=self.progress, force=True)
        self.say(f"{label} snapshot: {path}")
        snap = open_snapshot(path, progress=self.progress, use_cache=self.use_cache)
        if self.taken:
            self._check_ids(self.taken[-1], (label, path, snap))
        self.taken.append((label, path, snap))
        return path

    def _check_ids(self, earlier, later):
        check = check_ids(earlier[2], later[2])
        if not check.same_session:
            raise HuntError(
                f"object ids were reset between the {earlier[0]} and {later[0]} snapshots (only "
                f"{check.agreement:.0%} of shared ids still name the same object): another inspector "
                f"client (a debugger, browser automation, another heaptui) attached to the process and "
                f"left, and V8 renumbers objects when a session closes; run the hunt again with no other "
                f"client attached")

    def suspects(self):
        if len(self.taken) < 3:
            raise HuntError("suspects need the baseline and two rounds at least")
        return find_suspects([snap for _label, _path, snap in self.taken])


def run(session, pid, exercise, rounds, warmup=None, out_dir=None, force=False, progress=None, say=None,
        command_timeout=600.0, use_cache=True):
    """The whole hunt: warm-up, baseline, `rounds` rounds of exercise and snapshot; returns the
    LiveHunt (its paths and its suspects())."""
    hunt = LiveHunt(session, pid, out_dir, force, progress, say, use_cache)
    if warmup:
        hunt.run_command(warmup, "warm-up", command_timeout)
    hunt.baseline()
    for i in range(1, rounds + 1):
        hunt.run_command(exercise, f"exercise {i}", command_timeout)
        hunt.snapshot()
    return hunt
