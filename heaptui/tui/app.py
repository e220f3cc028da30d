"""The heaptui terminal app."""
from __future__ import annotations

import re

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Provider

from .screens import CaptureScreen, CompareScreen, ExploreScreen, HelpScreen, LoadingScreen


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
        if m and isinstance(self.app.screen, ExploreScreen):
            node_id = m.group(1)
            yield Hit(1.0, f"Go to object @{node_id}",
                      lambda: self.app.screen.jump_to_id(node_id), help="reveal it in the Summary")
        matcher = self.matcher(query)
        for text, fn in self._commands():
            if fn is None:
                continue
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), fn)


class HeapApp(App):
    CSS_PATH = "heaptui.tcss"
    TITLE = "heaptui"
    COMMANDS = App.COMMANDS | {HeapCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False),
    ]

    def __init__(self, paths=(), ansi=False):
        super().__init__()
        self.initial_paths = list(paths)
        self.loaded = []  # (path, Snapshot), in the order opened
        self.captured = []
        if ansi:
            self.theme = "textual-ansi"

    def on_mount(self):
        if self.initial_paths:
            self.open_paths(self.initial_paths)
        else:
            self.push_screen(CaptureScreen())

    def open_paths(self, paths):
        from ..profile import ProfileError, load_profile
        from .screens import ProfileScreen
        profiles = [p for p in paths if p.endswith(".heapprofile")]
        snapshots = [p for p in paths if p not in profiles]
        for path in profiles:
            try:
                self.push_screen(ProfileScreen(path, load_profile(path)))
            except ProfileError as e:
                self.notify(str(e), severity="error", timeout=10)
        if snapshots:
            self.push_screen(LoadingScreen(snapshots, self._loaded))
        elif not profiles:
            self.push_screen(CaptureScreen())

    def _loaded(self, loaded, error):
        self.pop_screen()  # the loading screen
        if error:
            self.notify(error, severity="error", timeout=10)
            if not self.loaded and not isinstance(self.screen, CaptureScreen):
                self.push_screen(CaptureScreen())
            return
        self.loaded.extend(loaded)
        path, snap = self.loaded[-1]
        self.push_screen(ExploreScreen(path, snap))
        if len(loaded) >= 2:
            self.notify("Two snapshots loaded: c compares them", timeout=6)

    def action_compare(self):
        if len(self.loaded) < 2:
            self.notify("Comparison needs two snapshots of one process: open two files "
                        "(heaptui A B) or capture twice", severity="warning")
            return
        current = len(self.loaded) - 1
        if isinstance(self.screen, ExploreScreen):
            current = next(i for i, (p, s) in enumerate(self.loaded) if s is self.screen.snap)
        self.push_screen(CompareScreen(self.loaded, current))

    def action_help(self):
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
