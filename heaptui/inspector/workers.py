"""Worker threads of a Node process, through the inspector's NodeWorker domain: each worker has its
own V8 isolate and heap, reached through the main target's session (commands go in, and replies and
events come back, as JSON text inside NodeWorker messages). A WorkerSession behaves like a CDPSession,
so the same capture code takes a worker's snapshot or profile."""
from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import InspectorError, InspectorGone


@dataclass
class Worker:
    session_id: str
    worker_id: str
    title: str
    url: str
    type: str


def list_workers(session, idle_timeout=10.0):
    """The target's worker threads. Node reports each worker once per session (when NodeWorker is
    enabled, and as workers start and stop), so the session keeps the list, updated by those events."""
    known = getattr(session, "_workers", None)
    if known is None:
        known = session._workers = {}

        def attached(params):
            info = params.get("workerInfo", {})
            known[str(params.get("sessionId"))] = Worker(
                session_id=str(params.get("sessionId")), worker_id=str(info.get("workerId", "")),
                title=str(info.get("title", "")), url=str(info.get("url", "")), type=str(info.get("type", "worker")))

        def detached(params):
            known.pop(str(params.get("sessionId")), None)

        session.on("NodeWorker.attachedToWorker", attached)
        session.on("NodeWorker.detachedFromWorker", detached)
        try:
            session.call("NodeWorker.enable", {"waitForDebuggerOnStart": False}, idle_timeout=idle_timeout)
        except InspectorError as e:
            if isinstance(e, InspectorGone):
                raise
            return []  # not Node, or a Node without workers support
    # Node reports workers right after its reply; a harmless round trip lets those events arrive.
    session.call("Runtime.getHeapUsage", idle_timeout=idle_timeout)
    return list(known.values())


def choose_worker(workers, wanted):
    """The worker `wanted` names: its worker id, its position from 1, or a unique part of its title/URL."""
    if not workers:
        raise InspectorError("the target has no worker threads")
    text = str(wanted)
    for w in workers:
        if w.worker_id == text:
            return w
    if text.isdigit() and 1 <= int(text) <= len(workers):
        return workers[int(text) - 1]
    # A number names an id or a position, never a part of a title: "7" must not pick a worker whose
    # script lives under /tmp/pytest-167/.
    matches = [] if text.isdigit() else [
        w for w in workers if text.lower() in w.title.lower() or text.lower() in w.url.lower()]
    if len(matches) == 1:
        return matches[0]
    listing = "; ".join(f"{i}: {w.title or w.url} (worker id {w.worker_id})" for i, w in enumerate(workers, 1))
    raise InspectorError(f"{'no worker' if not matches else 'several workers'} match --worker {text}: {listing}")


class WorkerSession:
    """A CDP session with one worker thread, carried by its parent's session."""

    def __init__(self, parent, worker, owns_parent=True):
        self.parent = parent
        self.owns_parent = owns_parent  # close() closes the parent too (the CLI's one-shot sessions)
        self.worker = worker
        self.pid = getattr(parent, "pid", None)
        self.target = getattr(parent, "target", None)
        self._next_id = 0
        self._replies = {}
        self._handlers = {}
        parent.on("NodeWorker.receivedMessageFromWorker", self._received)

    def _received(self, params):
        if params.get("sessionId") != self.worker.session_id:
            return
        try:
            msg = json.loads(params.get("message", ""))
        except ValueError:
            raise InspectorError("the worker sent something that is not CDP JSON") from None
        if "id" in msg:
            self._replies[msg["id"]] = msg
        elif "method" in msg:
            handler = self._handlers.get(msg["method"])
            if handler is not None:
                handler(msg.get("params", {}))

    def on(self, method, handler):
        self._handlers[method] = handler

    def _gone(self):
        return self.worker.session_id not in getattr(self.parent, "_workers", {})

    def call(self, method, params=None, idle_timeout=None):
        with self.parent.lock:  # one exchange at a time on the parent's connection
            self._next_id += 1
            msg_id = self._next_id
            message = json.dumps({"id": msg_id, "method": method, "params": params or {}})
            self.parent.call("NodeWorker.sendMessageToWorker", {"sessionId": self.worker.session_id,
                                                                "message": message}, idle_timeout=idle_timeout)
            self.parent.wait_until(lambda: msg_id in self._replies or self._gone(), method, idle_timeout)
        if msg_id not in self._replies:
            raise InspectorGone(f"the worker thread exited during {method}")
        msg = self._replies.pop(msg_id)
        if "error" in msg:
            err = msg["error"]
            raise InspectorError(f"{method} failed in the worker: {err.get('message', err)}")
        return msg.get("result", {})

    def close(self):
        try:
            self.parent.call("NodeWorker.detach", {"sessionId": self.worker.session_id}, idle_timeout=5)
        except InspectorError:
            pass
        if self.owns_parent:
            self.parent.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
