"""Bundled demo snapshots: a small Node "order service" after warm-up and after more traffic.

They ship gzipped and are unpacked once into the user's cache directory. make_demo.js made them.
"""
from __future__ import annotations

import gzip
import os
import shutil
import tempfile

NAMES = ("demo-baseline.heapsnapshot", "demo-leaking.heapsnapshot")


def _demo_dir():
    from ..snapshot.cache import cache_home
    return os.path.join(cache_home(), "demo")


def demo_paths():
    """Paths of the unpacked demo snapshots (baseline, leaking), unpacking them if needed."""
    here = os.path.dirname(os.path.abspath(__file__))
    target = _demo_dir()
    os.makedirs(target, mode=0o700, exist_ok=True)
    paths = []
    for name in NAMES:
        out = os.path.join(target, name)
        src = os.path.join(here, name + ".gz")
        if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
            fd, tmp = tempfile.mkstemp(prefix=".demo-", dir=target)
            try:
                with gzip.open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
                os.replace(tmp, out)
            except BaseException:
                os.unlink(tmp)
                raise
        paths.append(out)
    return paths
