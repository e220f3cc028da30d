"""The names of DevTools' named Summary filters (computed in filters.py), kept apart from the kernels so the
command line can list them without loading numba."""

# In DevTools' order, with the words the app shows for each.
LABELS = {"duplicated-strings": "duplicated strings",
          "retained-by-detached-dom": "retained by detached DOM nodes",
          "retained-by-console": "retained by the DevTools console",
          "retained-by-event-handlers": "retained by event handlers",
          "retained-by-contexts": "retained by contexts (closures' scopes)"}
NAMES = tuple(LABELS)
