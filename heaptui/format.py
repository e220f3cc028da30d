"""Number and name formatting shared by the command line and the terminal UI."""
from __future__ import annotations

from .snapshot.query import format_distance  # noqa: F401  (re-exported)


def human_size(n):
    n = int(n)
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def percent(part, total):
    return f"{round(part / total * 100) if total else 0} %"


def signed(n, fmt=str):
    """DevTools' comparison signs: + for positive, U+2212 for negative, nothing for zero."""
    if n > 0:
        return "+" + fmt(n)
    if n < 0:
        return "\u2212" + fmt(-n)
    return fmt(0) if fmt is not str else "0"


def node_label(snap, v, limit=60):
    """An object as DevTools' grids show it: strings quoted, functions name(), regexps /src/,
    internal arrays name[], then @id."""
    h = snap.heap
    t = snap.node_type_name(v)
    name = snap.display_name(v)
    if len(name) > limit:
        name = name[:limit - 1] + "\u2026"
    if t in ("string", "concatenated string", "sliced string"):
        text = '"' + name.replace("\n", "\\n") + '"'
    elif t == "closure":
        text = (name or "(anonymous)") + "()"
    elif t == "regexp":
        text = "/" + name + "/"
    elif t == "array":
        text = (name or "(internal array)") + "[]"
    elif v == snap.root:
        text = "(root)"
    else:
        text = name or f"({t})"
    return f"{text} @{int(h.node_id[v])}"
