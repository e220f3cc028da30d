"""The heaptui terminal app."""
from __future__ import annotations

import gc
import re
import threading

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Provider
from textual.worker import get_current_worker

from ..snapshot import SnapshotDiff

from .screens import CANCELLED, CaptureScreen, CompareScreen, ExploreScreen, HelpScreen, LoadingScreen


class HeapCommands(Provider):
    """Command palette: go to @id, and the views."""

    def _commands(self):
        app = self.app
        yield "Go to object @id (type @12345)", None
        yield "Statistics", lambda: app.screen.action_statistics() if hasattr(app.screen, "action_statistics") else None
        yield "Containment (from the root)", lambda: app.screen.action_containment() if hasattr(app.screen, "action_containment") else None
        yield "Compare snapshots", app.action_compare
        yield "Capture from a live process", lambda: app.push_screen(CaptureScreen())
        yield "Help", app.action_help

    async def discover(self):
        for text, fn in self._commands():
            if fn is not None:
                yield DiscoveryHit(text, fn)

    async def search(self, query):
        m = re.fullmatch(r"\s*@?(\d+)\s*", query)
        explore = self.screen  # the screen the palette was opened over (app.screen is the palette)
        if m and isinstance(explore, ExploreScreen):
            node_id = m.group(1)
            yield Hit(1.0, f"Go to object @{node_id}",
                      lambda: explore.jump_to_id(node_id), help="reveal it in the Summary")
        matcher = self.matcher(query)
        for text, fn in self._commands():
            if fn is None:
                continue
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), fn)


EXIT_FAILED = 2  # the files given could not be opened (as the command line's errors)
EXIT_INTERRUPTED = 130  # ctrl+c, as a shell reports SIGINT


class HeapApp(App):
    CSS_PATH = "heaptui.tcss"
    TITLE = "heaptui"
    COMMANDS = App.COMMANDS | {HeapCommands}
    # Below 120 columns the Summary's lower panes take turns (see heaptui.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False),
        # Textual's ctrl+c only says how to quit; in a terminal program it should quit.
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
    ]

    def __init__(self, paths=(), ansi=False):
        super().__init__()
        self.initial_paths = list(paths)
        self.loaded = []  # (path, Snapshot), in the order opened
        self.captured = []  # (pid, path) of the snapshots taken in the capture pane
        self.sessions = {}  # pid -> its inspector session, kept while the app runs (see session_for)
        self.failure = None  # why the files given could not be opened, when the app ends for it
        self._comparison = None  # (base, current, SnapshotDiff): the last comparison computed
        if ansi:
            self.theme = "ansi-dark"  # Textual's theme that keeps the terminal's own 16 colours

    def on_mount(self):
        if self.initial_paths:
            self.open_paths(self.initial_paths, given=True)
        else:
            self.push_screen(CaptureScreen())

    def open_paths(self, paths, given=False):
        """Opens snapshots and profiles. `given`: the files named on the command line, which end
        the app (exit status 2, the reason in self.failure) when none of them opens."""
        from ..profile import ProfileError, load_profile
        from .screens import ProfileScreen
        profiles = [p for p in paths if p.endswith(".heapprofile")]
        snapshots = [p for p in paths if p not in profiles]
        errors = []
        for path in profiles:
            try:
                self.push_screen(ProfileScreen(path, load_profile(path)))
            except ProfileError as e:
                errors.append(str(e))
        if snapshots:
            loading = LoadingScreen(snapshots, lambda loaded, error: self._loaded(loading, loaded, error, given))
            self.push_screen(loading)
        elif errors and given and not self._anything_open():
            self._fail(errors[0])
        else:
            for error in errors:
                self.notify(error, severity="error", timeout=10)
            self._capture_pane_unless_open()

    def _anything_open(self):
        from .screens import ProfileScreen
        return bool(self.loaded) or any(isinstance(s, ProfileScreen) for s in self.screen_stack)

    def _fail(self, message):
        self.failure = message
        self.exit(return_code=EXIT_FAILED)

    def _capture_pane_unless_open(self):
        if not self._anything_open() and not isinstance(self.screen, CaptureScreen):
            self.push_screen(CaptureScreen())

    def _loaded(self, loading, loaded, error, given=False):
        while loading in self.screen_stack:  # with what was opened over it (help, the palette)
            self.pop_screen()
        if error and error != CANCELLED and given and not self._anything_open():
            self._fail(error)  # nothing to show: end, and let the command line say why
            return
        if error:
            self.notify(error, severity="error", timeout=10)
            self._capture_pane_unless_open()
            return
        self.loaded.extend(loaded)
        path, snap = self.loaded[-1]
        self.push_screen(ExploreScreen(path, snap))
        if len(loaded) >= 2:
            self.notify("Two snapshots loaded: c compares them", timeout=6)

    def session_for(self, pid):
        """The inspector session to process pid, opened once and kept, as DevTools keeps its own
        while attached: V8 renumbers objects when a session closes, so snapshots taken through one
        session compare, and snapshots from two sessions never do. Called from worker threads."""
        from .. import inspector
        session = self.sessions.get(pid)
        if session is None:
            session = self.sessions[pid] = inspector.connect(pid=pid)
        return session

    def drop_session(self, pid):
        """Forgets a session that failed (the process went away or stopped answering)."""
        session = self.sessions.pop(pid, None)
        if session is not None:
            session.close()

    def on_unmount(self):
        for pid in list(self.sessions):
            self.drop_session(pid)

    def action_compare(self):
        if len(self.loaded) < 2:
            self.notify("Comparison needs two snapshots of one process: open two files "
                        "(heaptui A B) or capture twice in the capture pane", severity="warning")
            return
        current = len(self.loaded) - 1
        if isinstance(self.screen, ExploreScreen):
            current = next(i for i, (p, s) in enumerate(self.loaded) if s is self.screen.snap)
        base = current - 1 if current > 0 else 1
        from ..snapshot.idspace import DifferentSessions, require_same_session
        try:
            require_same_session(self.loaded[base][1], self.loaded[current][1])
        except DifferentSessions as e:
            self.notify(str(e), severity="error", timeout=15)
            return
        kept = self._comparison
        if (kept is None or kept[0] is not self.loaded[base][1] or kept[1] is not self.loaded[current][1]) \
                and self.loaded[current][1].node_count > 1_000_000:
            # Seconds of work, some of it holding Python's lock: say so before it starts.
            self.notify("Comparing the snapshots\u2026", timeout=4)
            self.call_after_refresh(self._open_comparison, base, current)
        else:
            self._open_comparison(base, current)

    @work(thread=True, exclusive=True, group="comparison", exit_on_error=False)
    def _open_comparison(self, base, current):
        """The comparison is computed off the UI thread (seconds at 10M objects); its screen opens
        when it is ready."""
        diff = self.comparison(base, current)
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self.push_screen, CompareScreen(self.loaded, current, base, diff))
            self.call_from_thread(gc.freeze)  # see LoadingScreen.load

    def comparison(self, base, current):
        """The SnapshotDiff of loaded snapshots `base` and `current` (indexes), the last one kept
        (Esc and c again, or b back and forth between two bases, do not compute it again). Then both
        snapshots' id indexes are built, so their new and deleted objects are found at once. May
        raise DifferentSessions. Called from worker threads."""
        b, c = self.loaded[base][1], self.loaded[current][1]
        kept = self._comparison
        if kept is not None and kept[0] is b and kept[1] is c:
            return kept[2]
        self._comparison = None  # two comparisons of big snapshots are not held at once
        diff = SnapshotDiff(b, c)
        self._comparison = (b, c, diff)
        threading.Thread(target=lambda: (c.id_order(), b.id_order()), daemon=True,
                         name="heaptui-id-index").start()
        return diff

    def action_help(self):
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_interrupt(self):
        self.exit(return_code=EXIT_INTERRUPTED)
