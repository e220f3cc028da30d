"""Where numba keeps compiled kernels: heaptui's cache directory, never inside the installed package.

numba's default is a `__pycache__` beside each source file. Inside site-packages that leaves files
pip does not know about: they survive `pip uninstall`, and a leftover `heaptui/` directory of them
shadows a later editable install. This module is imported before any kernel is defined (the package's
`__init__` imports it first) and points numba at `<heaptui cache>/numba` instead (or at
$NUMBA_CACHE_DIR, numba's own setting, when that is set; heaptui's child processes inherit it).
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading

from ..paths import cache_home  # noqa: F401  (re-exported)


def _usable(directory):
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        return os.access(directory, os.W_OK | os.X_OK)
    except OSError:
        return False


def _choose():
    chosen = os.environ.get("NUMBA_CACHE_DIR")  # numba's own setting, when someone set it
    if chosen and _usable(chosen):
        return chosen
    preferred = os.path.join(cache_home(), "numba")
    if _usable(preferred):
        return preferred
    # An unwritable home (a read-only container, a service account): a private temporary directory.
    fallback = os.path.join(tempfile.gettempdir(), f"heaptui-{os.getuid()}", "numba")
    if _usable(fallback):
        return fallback
    return preferred


_DIR = _choose()


def cache_dir():
    return _DIR


def cpu_name():
    try:
        from llvmlite import binding
        return binding.get_host_cpu_name()
    except Exception:
        return "unknown"


def _point_numba_here():
    # The variable is read when numba's configuration loads; if numba is already imported, its
    # configuration is set directly (each kernel reads it when it is defined).
    os.environ["NUMBA_CACHE_DIR"] = _DIR
    config = sys.modules.get("numba.core.config")
    if config is not None:
        config.CACHE_DIR = _DIR


_point_numba_here()


# -- kernels with declared argument types ------------------------------------------------------------
# Every kernel the front ends call is declared with the argument types real snapshots give it, so that
# the first run can compile them all ahead of use (heaptui/snapshot/warmup.py), in two processes at
# once, and a test can check that using the app never compiles anything else. A signature is written
# as a tuple of numba types, e.g. "(uint32[::1], int64)"; ro(...) marks a read-only array (the
# memory-mapped snapshot file).
KERNELS = []  # (kernel, signature strings)
_MADE = threading.RLock()
_numba_ready = False


class Kernel:
    """A kernel before numba sees it. Importing heaptui does not import numba (a fifth of a second,
    and more to set up its compiler): work served from the index cache needs no kernel at all. The
    first kernel called makes numba dispatchers for every kernel defined so far and puts each one in
    its module in place of its Kernel (kernels call each other, and numba must find dispatchers
    there); a name imported elsewhere still holds the Kernel, which passes calls on."""

    __slots__ = ("py_func", "options", "dispatcher")

    def __init__(self, fn, options):
        self.py_func = fn
        self.options = options
        self.dispatcher = None

    def __call__(self, *args):
        d = self.dispatcher
        if d is None:
            d = _dispatcher(self)
        return d(*args)

    def __getattr__(self, name):  # compile, signatures, stats, ... of the numba dispatcher
        return getattr(_dispatcher(self), name)

    def __repr__(self):
        return f"<heaptui kernel {self.py_func.__module__}.{self.py_func.__name__}>"


def _make(k):
    from numba import njit
    k.dispatcher = njit(cache=True, nogil=True, **k.options)(k.py_func)
    k.py_func.__globals__[k.py_func.__name__] = k.dispatcher


def _dispatcher(k):
    global _numba_ready
    with _MADE:
        if not _numba_ready:
            _ready_code_generator()
            for other, _sigs in KERNELS:
                if other.dispatcher is None:
                    _make(other)
            _numba_ready = True
        elif k.dispatcher is None:
            _make(k)
    return k.dispatcher


def _ready_code_generator():
    """Sets numba's code generator up as its first compile or cache load in a process would, but
    without scipy.linalg: when SciPy is installed numba imports it then (0.3-0.5 s, more than the rest
    of a reply from the index cache) only so that np.dot and np.linalg can call BLAS. heaptui's kernels
    are loops that call neither; one that did would fail to compile in tests/test_kernels.py."""
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.registry import cpu_target
    hidden = "scipy.linalg" not in sys.modules
    if hidden:
        sys.modules["scipy.linalg"] = None  # importing it raises ImportError: numba goes on without BLAS
    try:
        with global_compiler_lock:  # held as numba's own compiles hold it
            cpu_target.target_context.refresh()
    finally:
        if hidden and sys.modules.get("scipy.linalg", 0) is None:
            del sys.modules["scipy.linalg"]


def numba_loaded():
    """Whether any kernel has been made (and numba imported) in this process."""
    return _numba_ready


def kernel(*signatures, **options):
    """numba.njit(cache=True, nogil=True, **options), made on first use (see Kernel), with the kernel's
    signatures recorded for compile_declared()."""
    def wrap(fn):
        k = Kernel(fn, options)
        with _MADE:
            KERNELS.append((k, signatures))
            if _numba_ready:
                _make(k)
        return k
    return wrap


def _namespace():
    from numba import types
    names = {n: getattr(types, n) for n in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                                            "uint64", "float32", "float64", "boolean")}
    names["bool"] = types.boolean  # numba spells a boolean array's dtype "bool"
    names["ro"] = lambda array_type: array_type.copy(readonly=True)
    return names


def parse_signature(text):
    args = eval(text, {"__builtins__": {}}, _namespace())  # only type names: see _namespace()
    return args if isinstance(args, tuple) else (args,)


def declared():
    """[(dispatcher, argument-type tuple)] for every declared signature, in definition order."""
    from . import contexts, diff, hunt, idspace, kernels, loader, query  # noqa: F401  (defining modules register their kernels)
    return [(d, parse_signature(s)) for d, sigs in KERNELS for s in sigs]


def compile_declared(share=(0, 1), progress=None):
    """Compiles (or loads from numba's cache) share=(i, n): every n-th declared signature from the
    i-th, heaviest first so two processes finish together."""
    progress = progress or (lambda step, done, total: None)
    todo = declared()
    todo.sort(key=lambda item: -len(item[0].py_func.__code__.co_code))
    mine = todo[share[0]::share[1]]
    for i, (dispatcher, args) in enumerate(mine):
        progress(dispatcher.py_func.__name__, i, len(mine))
        dispatcher.compile(args)
    return len(mine)
