"""Where heaptui keeps what it writes at run time (never inside the installed package)."""
from __future__ import annotations

import os


def cache_home():
    """heaptui's cache directory: $HEAPTUI_CACHE_DIR, else $XDG_CACHE_HOME/heaptui or ~/.cache/heaptui."""
    env = os.environ.get("HEAPTUI_CACHE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "heaptui")


def config_home():
    """heaptui's settings directory: $HEAPTUI_CONFIG_DIR, else $XDG_CONFIG_HOME/heaptui or ~/.config/heaptui."""
    env = os.environ.get("HEAPTUI_CONFIG_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "heaptui")
