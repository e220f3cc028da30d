"""TCP connections to a target's loopback, made inside the target's network namespace when it has its
own (a container's): a short-lived helper thread enters the namespace (setns affects only the thread
that calls it), connects, and hands the connected socket back; the socket stays in that namespace
while the rest of heaptui, and the files it writes, stay on the host. Nothing here listens."""
from __future__ import annotations

import ctypes
import os
import socket
import threading

from .errors import InspectorError, InspectorGone, InspectorTimeout
from .procfs import in_other_netns

CLONE_NEWNET = 0x40000000
# A snapshot streams as fast as V8 serialises it, and V8 does not wait for us: whatever the socket
# cannot take queues in the target's memory. A large receive buffer (set before connecting, so the
# window scales) moves bursts into the kernel's socket memory on our side instead: 32 MiB where the
# kernel allows it (SO_RCVBUFFORCE, root), else as much as net.core.rmem_max lets SO_RCVBUF ask.
RECEIVE_BUFFER = 32 << 20
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def _big_receive_buffer(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)


def _connect(host, port, timeout):
    last = None
    for family, kind, proto, _name, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            _big_receive_buffer(sock)
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as e:
            sock.close()
            last = e
    raise last or OSError(f"cannot resolve {host}")


def _setns(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise PermissionError(err, os.strerror(err))
    finally:
        os.close(fd)


def open_connection(host, port, timeout=5.0, netns_pid=None):
    """A connected TCP socket to host:port, from inside process netns_pid's network namespace when that
    is not ours. Errors are InspectorGone/InspectorTimeout/InspectorError with one line."""
    try:
        if netns_pid is None or not in_other_netns(netns_pid):
            return _connect(host, port, timeout)
        result = {}

        def enter_and_connect():
            try:
                _setns(netns_pid)
                result["sock"] = _connect(host, port, timeout)
            except BaseException as e:  # handed to the caller's thread
                result["error"] = e

        helper = threading.Thread(target=enter_and_connect, name=f"heaptui-netns-{netns_pid}", daemon=True)
        helper.start()
        helper.join()
        if "error" in result:
            error = result["error"]
            if isinstance(error, PermissionError) or (isinstance(error, OSError) and error.errno == 1):
                raise InspectorError(f"process {netns_pid} runs in another network namespace (a container); "
                                     "reaching its inspector from here needs root (or run heaptui inside the "
                                     "container)")
            raise error
        return result["sock"]
    except (ConnectionRefusedError, ConnectionResetError) as e:
        raise InspectorGone(f"nothing is listening on {host}:{port} ({e.strerror or e})") from None
    except (TimeoutError, socket.timeout):
        raise InspectorTimeout(f"{host}:{port} did not answer within {timeout:g} s") from None
    except FileNotFoundError:
        raise InspectorGone(f"no process with pid {netns_pid}") from None
    except OSError as e:
        raise InspectorGone(f"cannot reach {host}:{port}: {e.strerror or e}") from None
