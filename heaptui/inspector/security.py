"""Where heaptui may connect. The inspector runs any code for whoever reaches it, so heaptui talks
only to loopback addresses unless the user allows otherwise; the check runs before any connection
is attempted, on the host the user named and on every WebSocket URL a target hands back."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from .errors import NotAllowed


def is_loopback_host(host):
    """True if every address `host` names is a loopback address (IP literals need no lookup;
    names are resolved locally, which sends nothing to the target)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host.lower() == "localhost":
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


def check_host(host, allow_remote=False):
    if not allow_remote and not is_loopback_host(host):
        raise NotAllowed(f"refusing to connect to {host}: not a loopback address. The inspector "
                         "runs any code for whoever reaches it; tunnel it over SSH "
                         "(ssh -L 9229:127.0.0.1:9229 host) or pass --allow-remote")


def check_ws_url(url, allow_remote=False):
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise NotAllowed(f"refusing an inspector URL that is not ws:// or wss://: {url}")
    check_host(parts.hostname, allow_remote)
