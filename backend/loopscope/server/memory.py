"""Give freed heap memory back to the OS (glibc keeps it in per-thread arenas otherwise)."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable

_trim: Callable[[int], int] | None = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _trim = _libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        _trim = None


def release_free_memory() -> bool:
    """malloc_trim(0) where glibc offers it; True when something was returned to the OS."""
    return bool(_trim(0)) if _trim is not None else False
