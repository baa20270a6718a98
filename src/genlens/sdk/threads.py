"""Context propagation into thread pools, so fan-out in threads keeps the right parent spans.

``contextvars`` follow asyncio tasks by themselves but not work submitted to a
``ThreadPoolExecutor``; while genlens is initialised, ``submit`` runs each job
in a copy of the submitter's context (the OTel context and genlens.context()).
"""

from __future__ import annotations

import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_original = ThreadPoolExecutor.submit


@functools.wraps(_original)
def _submit(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    ctx = contextvars.copy_context()
    return _original(self, ctx.run, fn, *args, **kwargs)


def instrument() -> None:
    ThreadPoolExecutor.submit = _submit  # type: ignore[method-assign]


def uninstrument() -> None:
    ThreadPoolExecutor.submit = _original  # type: ignore[method-assign]
