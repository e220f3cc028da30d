"""Capture from live Node.js processes over the inspector protocol. No UI, no printing.

Connects only to loopback addresses unless allowed otherwise, and never listens on a port.
"""
import os

from .capture import (Preflight, default_snapshot_name, mem_available, preflight, sample_heap,
                      snapshot_by_signal, take_snapshot)
from .cdp import CDPSession
from .discovery import NodeProcess, Target, attach, first_target, list_targets, node_processes
from .errors import InspectorError, InspectorGone, InspectorTimeout, NotAllowed, TooRisky
from .security import check_host, is_loopback_host


def connect(host="127.0.0.1", port=None, pid=None, allow_remote=False, idle_timeout=60.0,
            connect_timeout=5.0):
    """A CDP session to the target on host:port, or to process pid (opening its inspector with
    SIGUSR1 if needed). The host is checked before anything is sent."""
    check_host(host, allow_remote)
    if pid is not None:
        port = attach(pid)
        host = "127.0.0.1"
    target = first_target(host, port if port is not None else 9229, connect_timeout, allow_remote)
    return CDPSession(target.ws_url, allow_remote=allow_remote, connect_timeout=connect_timeout,
                      idle_timeout=idle_timeout)


def pid_listening_on(port):
    """The local process whose socket listens on this port, if it can be seen."""
    from .discovery import _listening_sockets, _socket_inodes
    sockets = _listening_sockets()
    wanted = {inode for inode, (_addr, p) in sockets.items() if p == port}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _socket_inodes(int(entry)) & wanted:
            return int(entry)
    return None


__all__ = ["connect", "CDPSession", "Target", "NodeProcess", "list_targets", "node_processes", "attach",
           "first_target", "preflight", "Preflight", "take_snapshot", "sample_heap", "snapshot_by_signal",
           "default_snapshot_name", "mem_available", "InspectorError", "InspectorGone",
           "InspectorTimeout", "NotAllowed", "TooRisky", "check_host", "is_loopback_host",
           "pid_listening_on"]
