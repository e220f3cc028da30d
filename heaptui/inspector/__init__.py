"""Capture from live Node.js processes over the inspector protocol. No UI, no printing.

Connects only to loopback addresses unless allowed otherwise, and never listens on a port.
"""
import os

from . import procfs
from .capture import (Preflight, default_snapshot_name, preflight, sample_heap, snapshot_by_signal,
                      take_snapshot)
from .cdp import CDPSession
from .discovery import (HeapUsage, NodeProcess, Target, attach, choose_target, find_inspector, list_targets,
                        node_processes, usage_from)
from .workers import Worker, WorkerSession, choose_worker, list_workers
from .errors import InspectorError, InspectorGone, InspectorTimeout, NotAllowed, TooRisky
from .procfs import mem_available
from .security import check_host, is_loopback_host


def connect(host="127.0.0.1", port=None, pid=None, allow_remote=False, idle_timeout=60.0,
            connect_timeout=5.0, target=None):
    """A CDP session to a target on host:port, or to local process pid (opening its inspector with
    SIGUSR1 if needed; inside its network namespace when it runs in a container). `target` chooses
    among several targets of one port (see choose_target). The host is checked before anything is
    sent. The session's `target` is the Target chosen, its `pid` the local process, when known."""
    check_host(host, allow_remote)
    netns_pid = None
    if pid is not None:
        host, port = attach(pid)
        netns_pid = pid if procfs.in_other_netns(pid) else None
    port = port if port is not None else 9229
    chosen = choose_target(list_targets(host, port, connect_timeout, allow_remote, netns_pid), target,
                           f" on {host}:{port}")
    if pid is None and is_loopback_host(host):
        pid = pid_listening_on(port)
    session = CDPSession(chosen.ws_url, allow_remote=allow_remote, connect_timeout=connect_timeout,
                         idle_timeout=idle_timeout, netns_pid=netns_pid, pid=pid)
    session.target = chosen
    return session


def pid_listening_on(port):
    """The local process (in heaptui's network namespace) whose socket listens on this port, if it can
    be seen."""
    held = procfs.holders_of([(a, port) for a in ("127.0.0.1", "0.0.0.0", "::", "::1")])
    # A forwarder (docker-proxy for -p 127.0.0.1:9229:9229) is not the target: only a Node process is.
    nodes = [pid for pid, _argv in held.values() if procfs.is_node(pid)]
    return nodes[0] if nodes else None


__all__ = ["connect", "CDPSession", "Target", "NodeProcess", "list_targets", "node_processes", "attach",
           "choose_target", "find_inspector", "preflight", "Preflight", "take_snapshot", "sample_heap",
           "snapshot_by_signal", "default_snapshot_name", "mem_available", "InspectorError", "InspectorGone",
           "InspectorTimeout", "NotAllowed", "TooRisky", "check_host", "is_loopback_host",
           "pid_listening_on", "procfs", "HeapUsage", "usage_from", "Worker", "WorkerSession",
           "choose_worker", "list_workers"]
