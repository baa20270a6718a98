"""Context propagation into threads, so fan-out in threads keeps the right parent spans.

``contextvars`` follow asyncio tasks by themselves but not work handed to a
``ThreadPoolExecutor`` or a new ``threading.Thread``.  While genlens is
initialised, ``submit`` runs each job in a copy of the submitter's context,
and a thread started with ``start()`` runs its ``run()`` in a copy of the
starter's context (the OTel context and ``genlens.context()`` both).
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

# Typed loosely: the stub's ParamSpec signature cannot be carried through functools.wraps.
_original_submit: Callable[..., Future[Any]] = ThreadPoolExecutor.submit
_original_start = threading.Thread.start
_original_run = threading.Thread.run
_ATTR = "_genlens_context"


@functools.wraps(_original_submit)
def _submit(self: Executor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
    ctx = contextvars.copy_context()
    return _original_submit(self, ctx.run, fn, *args, **kwargs)


@functools.wraps(_original_start)
def _start(self: threading.Thread) -> None:
    setattr(self, _ATTR, contextvars.copy_context())
    _original_start(self)


@functools.wraps(_original_run)
def _run(self: threading.Thread) -> None:
    ctx = self.__dict__.pop(_ATTR, None)
    if ctx is None:
        _original_run(self)
    else:
        ctx.run(_original_run, self)


def instrument() -> None:
    ThreadPoolExecutor.submit = _submit  # type: ignore[method-assign]
    threading.Thread.start = _start  # type: ignore[method-assign]
    threading.Thread.run = _run  # type: ignore[method-assign]


def uninstrument() -> None:
    ThreadPoolExecutor.submit = _original_submit  # type: ignore[method-assign]
    threading.Thread.start = _original_start  # type: ignore[method-assign]
    threading.Thread.run = _original_run  # type: ignore[method-assign]
