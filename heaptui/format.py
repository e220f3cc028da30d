"""Number and name formatting shared by the command line and the terminal UI."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .snapshot.query import format_distance  # noqa: F401  (re-exported)


def human_size(n):
    """Bytes as DevTools shows them (i18n.ByteUtilities.bytesToString, en-US): decimal units, so
    1 kB is 1000 B; one decimal below 100 of a unit and none from 100 up; MB is the largest unit
    ("2,048 MB"). A negative size (a delta) is its magnitude with a minus sign."""
    n = int(n)
    if n < 0:
        return "-" + human_size(-n)
    if n < 1000:
        return _devtools_number(n, 0) + " B"
    kilobytes = float(n) / 1000
    if kilobytes < 1000:
        return _devtools_number(kilobytes, 1 if kilobytes < 100 else 0) + " kB"
    megabytes = kilobytes / 1000  # divided twice, as DevTools does: the same double, the same digits
    return _devtools_number(megabytes, 1 if megabytes < 100 else 0) + " MB"


def _devtools_number(x, decimals):
    """x as Intl.NumberFormat("en-US") writes it with exactly `decimals` decimals: it rounds the
    shortest decimal that reads back as x (what repr gives), halves away from zero, and groups
    thousands with commas. Rounding the binary value instead would write 1.05 as "1.0"."""
    exact = Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}"


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
