"""The one place where instrumentation's own errors go.

Instrumentation must never break the host application: every internal
exception is caught at the boundary, logged once per site and counted.  Under
the test suite (``set_strict(True)``) the same errors are re-raised instead,
so bugs in genlens cannot hide behind the safety net.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

_log = logging.getLogger("genlens.sdk")
_lock = threading.Lock()
_counts: Counter[str] = Counter()
_strict = False


def set_strict(strict: bool) -> None:
    """Re-raise internal errors instead of swallowing them (tests turn this on)."""
    global _strict
    _strict = strict


def is_strict() -> bool:
    return _strict


def report(site: str, exc: BaseException) -> None:
    """Record an internal error at ``site``: count it, log it the first time, re-raise when strict."""
    with _lock:
        _counts[site] += 1
        first = _counts[site] == 1
    if first:
        _log.warning("genlens instrumentation error in %s (further ones are counted, not logged)",
                     site, exc_info=exc)
    if _strict:
        raise exc


def error_counts() -> dict[str, int]:
    """Internal errors seen so far, by site."""
    with _lock:
        return dict(_counts)


def reset_error_counts() -> None:
    with _lock:
        _counts.clear()
