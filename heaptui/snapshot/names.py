"""String rules DevTools applies to names: property-name quoting, JS string order, WeakMap edge names."""
from __future__ import annotations

import json
import re

# V8 names the two edges that hold a WeakMap value (one from the table, one from the key) alike but for
# the leading number. DevTools' pattern; [0-9] because JS's \d is ASCII-only.
EPHEMERON_EDGE = re.compile(
    r"^[0-9]+( / part of key \(.*? @[0-9]+\) -> value \(.*? @[0-9]+\) pair in WeakMap \(table @([0-9]+)\))$")

_NEEDS_QUOTES = re.compile(r"[,'\"{}]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def format_property_name(name: str) -> str:
    """A property name as DevTools prints it in `{a, b}` labels: quoted as JSON when it could confuse."""
    if not _NEEDS_QUOTES.search(name):
        return name
    quoted = json.dumps(name, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), quoted)


def utf16_len(s: str) -> int:
    """String length as JavaScript counts it (UTF-16 code units)."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def js_order_key(s: str) -> bytes:
    """A sort key giving JavaScript's default string order (by UTF-16 code units)."""
    return s.encode("utf-16-be", "surrogatepass")


_INT_PREFIX = re.compile(r"^[\s\ufeff]*([+-]?[0-9]+)")


def js_parse_int(s: str):
    """JavaScript's parseInt(s, 10): the leading integer, or None for NaN."""
    m = _INT_PREFIX.match(s)
    return int(m.group(1)) if m else None


def class_name_for_tag(name: str) -> str | None:
    """DevTools shortens '<div id="a">' to '<div>' (and 'Detached <div ...>' likewise); None if not a tag."""
    if name.startswith("<"):
        space = name.find(" ")
        return name[:space] + ">" if space != -1 else name
    if name.startswith("Detached <"):
        space = name.find(" ", 10)
        return name[:space] + ">" if space != -1 else name
    return None
