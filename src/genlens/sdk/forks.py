"""Background threads do not survive ``fork()``: restart them in the child.

Pre-forking web servers (gunicorn ``--preload`` and the like) run ``genlens.init()``
once in the parent and then fork their workers; without a hook the workers'
spans and metric records would queue up with no thread to send them.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class Restartable(Protocol):
    def _restart_in_child(self) -> None: ...


def restart_in_children(owner: Restartable) -> None:
    """Call ``owner._restart_in_child()`` in every forked child, without the hook keeping ``owner`` alive."""
    if not hasattr(os, "register_at_fork"):
        return
    ref = weakref.ref(owner)

    def restart() -> None:
        live = ref()
        if live is not None:
            live._restart_in_child()

    os.register_at_fork(after_in_child=restart)
