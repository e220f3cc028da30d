"""A small Chrome DevTools Protocol client over websocket-client: numbered calls, events, timeouts.

Synchronous on purpose: a call sends its request and reads messages until its response arrives,
handing every event on the way to the registered handlers. A quiet connection ends in
InspectorTimeout after `idle_timeout` seconds without any message (not after a total time: a large
snapshot streams for minutes, but never goes quiet for long); a closed one in InspectorGone.
"""
from __future__ import annotations

import json
import socket
import time

import websocket

from .errors import InspectorError, InspectorGone, InspectorTimeout
from .security import check_ws_url


class CDPSession:
    def __init__(self, ws_url, allow_remote=False, connect_timeout=5.0, idle_timeout=60.0):
        check_ws_url(ws_url, allow_remote)  # before any connection is attempted
        self.url = ws_url
        self.idle_timeout = idle_timeout
        self._next_id = 0
        self._handlers = {}
        try:
            # Node rejects a Host header that is not an IP literal or localhost; the URL it gave us
            # has the right one. No Origin header: Node's inspector does not need one.
            self._ws = websocket.create_connection(ws_url, timeout=connect_timeout,
                                                   suppress_origin=True, enable_multithread=False)
        except (OSError, websocket.WebSocketException) as e:
            raise InspectorGone(f"cannot connect to the inspector at {ws_url}: {_reason(e)}") from None

    def on(self, method, handler):
        """Calls handler(params) for every event named `method`."""
        self._handlers[method] = handler

    def call(self, method, params=None, idle_timeout=None):
        """Sends a command and returns its result; events arriving meanwhile go to their handlers."""
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
                raw = self._ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except socket.timeout:
                continue
            except (OSError, websocket.WebSocketException) as e:
                raise InspectorGone(f"the target went away during {method} ({_reason(e)})") from None
            if not raw:
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
