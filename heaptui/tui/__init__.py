"""The terminal UI (Textual). Everything that imports Textual lives here."""


class OpenFailed(Exception):
    """None of the files given to the app could be opened; str() is the one-line reason."""


def run(paths=(), mouse=True, ansi=False):
    """Runs the app until it ends; returns its exit status: 0, 1 after a crash (Textual's), 130 after
    ctrl+c. Raises OpenFailed, once the terminal is restored, when the files given could not be
    opened and so there was nothing to show."""
    from .app import HeapApp
    app = HeapApp(paths, ansi=ansi)
    app.run(mouse=mouse)
    if app.failure:
        raise OpenFailed(app.failure)
    return app.return_code or 0
