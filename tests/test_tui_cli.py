"""`heaptui FILE` in a real terminal (a pseudo-terminal): the exit statuses and the one-line errors of
issue #9. Each child runs in its own session and is killed if it outlives its test."""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from heaptui.demo import demo_paths

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")

ALT_SCREEN_ON, ALT_SCREEN_OFF = b"\x1b[?1049h", b"\x1b[?1049l"


def run_in_terminal(argv, answer=None, timeout=180, python=None):
    """Runs heaptui (or `python -c` code) on an 80x24 pseudo-terminal until it exits. `answer`:
    (bytes to wait for in the output, bytes to type then). Returns (exit status, all output)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    command = [sys.executable, "-c", python] if python else [sys.executable, "-m", "heaptui"]
    proc = subprocess.Popen(command + list(argv), stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, env=dict(os.environ, TERM="xterm-256color"))
    os.close(slave)
    out = bytearray()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # EIO: every end of the terminal is closed, the child is gone
                    chunk = b""
                if not chunk:
                    break
                out += chunk
            if answer and answer[0] in out:
                os.write(master, answer[1])
                answer = None
        else:
            raise AssertionError(f"still running after {timeout} s: {bytes(out[-400:])!r}")
        return proc.wait(timeout=30), bytes(out)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)


def after_the_ui(out):
    """What was written once the terminal was restored (everything, when the UI never started)."""
    return out.rpartition(ALT_SCREEN_OFF)[2] if ALT_SCREEN_OFF in out else out


def one_error_line(text):
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", text)  # the terminal modes Textual resets on exit
    lines = [line for line in text.decode(errors="replace").replace("\r", "").split("\n") if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("heaptui: error: "), lines
    return lines[0]


def test_a_text_file_is_refused_before_the_ui_starts(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("remember to take a snapshot\n")
    status, out = run_in_terminal([str(notes)])
    assert status == 2
    assert ALT_SCREEN_ON not in out  # refused from its first bytes: the UI never started
    assert "not a heap snapshot" in one_error_line(out)


def test_a_truncated_snapshot_ends_the_ui_with_status_2(tmp_path):
    data = open(demo_paths()[0], "rb").read()
    cut = tmp_path / "cut.heapsnapshot"
    cut.write_bytes(data[:len(data) * 6 // 10])  # its header is whole: only indexing finds the damage
    status, out = run_in_terminal([str(cut)])
    assert status == 2
    assert ALT_SCREEN_ON in out  # the UI had started
    assert one_error_line(after_the_ui(out)).startswith(f"heaptui: error: {cut}: ")


def test_ctrl_c_quits_the_ui_with_status_130():
    status, out = run_in_terminal(["--demo"], answer=(b"Constructor", b"\x03"))
    assert status == 130
    assert b"Traceback" not in out


def test_a_crash_in_the_ui_exits_with_status_1():
    crash = ("import sys\n"
             "from heaptui.tui.screens import ExploreScreen\n"
             "def boom(self):\n"
             "    raise RuntimeError('boom in the UI')\n"
             "ExploreScreen.on_mount = boom\n"
             "from heaptui.cli import main\n"
             "sys.exit(main(['--demo']))\n")
    status, out = run_in_terminal([], python=crash)
    assert status == 1
    assert b"boom in the UI" in out  # Textual's report of the crash
