"""A small Chrome DevTools Protocol client over websocket-client: numbered calls, events, timeouts.

Synchronous on purpose: a call sends its request and reads messages until its response arrives,
handing every event on the way to the registered handlers. A quiet connection ends in
InspectorTimeout after `idle_timeout` seconds without any message (not after a total time: a large
snapshot streams for minutes, but never goes quiet for long); a closed one in InspectorGone.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import websocket

from .errors import InspectorError, InspectorGone, InspectorTimeout
from .netns import open_connection
from .security import check_ws_url


class CDPSession:
    def __init__(self, ws_url, allow_remote=False, connect_timeout=5.0, idle_timeout=60.0, netns_pid=None,
                 pid=None):
        """A session with the target at ws_url. netns_pid: a local process whose network namespace the
        connection is made in (a container's); pid: the target's local process, when known (the
        preflight reads its memory and cgroup)."""
        check_ws_url(ws_url, allow_remote)  # before any connection is attempted
        self.url = ws_url
        self.pid = pid
        self.idle_timeout = idle_timeout
        self._next_id = 0
        self._handlers = {}
        # One exchange at a time: a front end may ask for heap figures from one thread while another
        # streams a snapshot; the second waits rather than reading the first one's messages.
        self.lock = threading.RLock()
        self.target = None
        parts = urlsplit(ws_url)
        try:
            # UTF-8 validation is off: websocket-client does it in pure Python (about 1.3 MB/s, 90% of a
            # capture's time), and the JSON decoder rejects text that is not UTF-8 anyway.
            options = dict(timeout=connect_timeout, suppress_origin=True, enable_multithread=False,
                           skip_utf8_validation=True)
            if parts.scheme == "ws":
                options["socket"] = open_connection(parts.hostname, parts.port or 80, connect_timeout, netns_pid)
            # Node rejects a Host header that is not an IP literal or localhost; the URL it gave us
            # has the right one. No Origin header: Node's inspector does not need one.
            self._ws = websocket.create_connection(ws_url, **options)
        except (OSError, websocket.WebSocketException) as e:
            raise InspectorGone(f"cannot connect to the inspector at {ws_url}: {_reason(e)}") from None

    @property
    def local_port(self):
        """The local port of this session's connection (None once closed)."""
        try:
            return self._ws.sock.getsockname()[1]
        except (OSError, AttributeError, IndexError):
            return None

    def on(self, method, handler):
        """Calls handler(params) for every event named `method`."""
        self._handlers[method] = handler

    def call(self, method, params=None, idle_timeout=None):
        """Sends a command and returns its result; events arriving meanwhile go to their handlers."""
        with self.lock:
            return self._call(method, params, idle_timeout)

    def _call(self, method, params, idle_timeout):
        self._next_id += 1
        msg_id = self._next_id
        try:
            self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        except (OSError, websocket.WebSocketException) as e:
            raise InspectorGone(f"the target went away ({_reason(e)})") from None
        idle = self.idle_timeout if idle_timeout is None else idle_timeout
        while True:
            msg = self._receive(idle, method)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    err = msg["error"]
                    raise InspectorError(f"{method} failed: {err.get('message', err)}")
                return msg.get("result", {})
            self._dispatch(msg)

    def wait_until(self, done, what, idle_timeout=None):
        """Reads messages, handing events to their handlers, until done() is true."""
        idle = self.idle_timeout if idle_timeout is None else idle_timeout
        with self.lock:
            while not done():
                self._dispatch(self._receive(idle, what))

    def _dispatch(self, msg):
        if "method" in msg:
            handler = self._handlers.get(msg["method"])
            if handler is not None:
                handler(msg.get("params", {}))

    def _receive(self, idle, method):
        deadline = time.monotonic() + idle
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InspectorTimeout(f"the target did not answer {method} for {idle:g} s")
            self._ws.settimeout(min(remaining, 1.0))
            try:
                opcode, raw = self._ws.recv_data()  # bytes: json.loads decodes UTF-8 itself, in C
            except websocket.WebSocketTimeoutException:
                continue
            except socket.timeout:
                continue
            except (OSError, websocket.WebSocketException) as e:
                raise InspectorGone(f"the target went away during {method} ({_reason(e)})") from None
            if not raw or opcode == websocket.ABNF.OPCODE_CLOSE:
                raise InspectorGone(f"the target closed the connection during {method}")
            try:
                return json.loads(raw)
            except ValueError:
                raise InspectorError(f"the target sent something that is not CDP JSON during {method}")

    def close(self):
        try:
            self._ws.close(timeout=1)
        except (OSError, websocket.WebSocketException):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _reason(e):
    text = str(e) or type(e).__name__
    return text.splitlines()[0]
