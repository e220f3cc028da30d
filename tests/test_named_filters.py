"""DevTools' two newest Summary filters, "Objects retained by event handlers" and "by contexts", on
hand-built graphs that pin each rule. DevTools added them after the code the parity tests pin
(heap-snapshot-toolkit 1.1.3), so there is no DevTools code to compare with; the three older filters
are compared with it in tests/parity/test_filter_parity.py."""
import json
import subprocess
import sys

from heaptui.snapshot import open_snapshot
from snapbuilder import Builder


def _page(tmp_path):
    """A window with three event listeners and a closure whose scope keeps data alive.

    - listener 1: edge `1` to a function with a `code` edge: the handler is that function, and what
      only it holds (Payload1) is retained by event handlers.
    - listener 2: edge `1` to a wrapper object without code; its second child has code: that child is
      the handler (Payload2); the wrapper itself is still reached.
    - listener 3: edge `1` to an object with no code anywhere below: it is the handler (Payload3).
    - Shared: held by handler 1 and by the window: reached without handlers, not kept.
    - a `system / Context` holds Captured (and a `system / Context / scope` holds Scoped); the window
      holds Plain directly.
    """
    b = Builder()
    root = b.node("synthetic", "", 0)
    window = b.node("object", "Window", 100)
    l1 = b.node("native", "V8EventListener", 10)
    l2 = b.node("native", "V8EventListener", 10)
    l3 = b.node("native", "V8EventListener", 10)
    f1 = b.node("closure", "onClick", 40)
    code1 = b.node("code", "(code)", 8)
    p1 = b.node("object", "Payload1", 1000)
    wrapper = b.node("object", "Wrapper", 30)
    first = b.node("object", "FirstChild", 5)
    f2 = b.node("closure", "onKey", 40)
    code2 = b.node("code", "(code)", 8)
    p2 = b.node("object", "Payload2", 2000)
    obj3 = b.node("object", "HandlerObject", 20)
    p3 = b.node("object", "Payload3", 3000)
    shared = b.node("object", "Shared", 50)
    ctx = b.node("hidden", "system / Context", 60)
    captured = b.node("object", "Captured", 700)
    scope = b.node("hidden", "system / Context / scope", 60)
    scoped = b.node("object", "Scoped", 800)
    plain = b.node("object", "Plain", 900)
    not_ctx = b.node("hidden", "system / ContextSidecar", 10)  # a name that only starts alike
    beside = b.node("object", "Beside", 90)

    b.edge(root, "element", 1, window)
    for i, listener in enumerate((l1, l2, l3), start=1):
        b.edge(window, "element", i, listener)
    b.edge(l1, "element", 1, f1)
    b.edge(f1, "internal", "code", code1)
    b.edge(f1, "property", "payload", p1)
    b.edge(f1, "property", "shared", shared)
    b.edge(window, "property", "shared", shared)
    b.edge(l2, "element", 0, obj3)  # edge 0 is not the callback
    b.edge(l2, "element", 1, wrapper)
    b.edge(wrapper, "property", "first", first)
    b.edge(wrapper, "property", "handler", f2)
    b.edge(f2, "internal", "code", code2)
    b.edge(f2, "property", "payload", p2)
    b.edge(l3, "element", 1, obj3)
    b.edge(obj3, "property", "payload", p3)
    b.edge(window, "property", "ctx", ctx)
    b.edge(ctx, "context", "captured", captured)
    b.edge(window, "property", "scope", scope)
    b.edge(scope, "context", "scoped", scoped)
    b.edge(window, "property", "plain", plain)
    b.edge(window, "property", "sidecar", not_ctx)
    b.edge(not_ctx, "property", "beside", beside)
    path = b.write(tmp_path / "page.heapsnapshot")
    return path, open_snapshot(path, use_cache=False)


def kept(snap, name):
    return {r.name for r in snap.classes(mask=snap.filter_mask(name))}


def test_retained_by_event_handlers_follows_devtools_rules(tmp_path):
    _path, snap = _page(tmp_path)
    handlers = kept(snap, "retained-by-event-handlers")
    assert handlers == {
        "Function", "(compiled code)", "Payload1",  # listener 1: the callback has code
        "Payload2",                                  # listener 2: the wrapper's child with code (a Function)
        "HandlerObject", "Payload3",                 # listener 3: no code: the callback itself
    }
    functions = snap.instances(next(r.index for r in snap.classes(mask=snap.filter_mask(
        "retained-by-event-handlers")) if r.name == "Function"), limit=10)[0]
    assert sorted(snap.raw_name(int(v)) for v in functions) == ["onClick", "onKey"]


def test_retained_by_contexts_skips_context_nodes(tmp_path):
    _path, snap = _page(tmp_path)
    names = kept(snap, "retained-by-contexts")
    assert {"Captured", "Scoped"} <= names
    assert not names & {"Plain", "Beside", "Window", "Payload1"}


def test_the_command_line_lists_and_applies_both(tmp_path):
    path, _snap = _page(tmp_path)
    for name, expected in (("retained-by-event-handlers", "Payload3"), ("retained-by-contexts", "Scoped")):
        proc = subprocess.run([sys.executable, "-m", "heaptui", "summary", str(path), "--filter", name, "--json",
                               "--no-cache"], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert expected in {r["name"] for r in json.loads(proc.stdout)}
