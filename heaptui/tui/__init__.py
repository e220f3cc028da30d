"""The terminal UI (Textual). Everything that imports Textual lives here."""


def run(paths=(), mouse=True, ansi=False):
    from .app import HeapApp
    HeapApp(paths, ansi=ansi).run(mouse=mouse)
