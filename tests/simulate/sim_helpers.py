"""Independent re-statements of the simulator's documented rules, for checking its numbers."""

from __future__ import annotations

import math


def tokens(text: str) -> int:
    """The documented token rule, written out independently: ceil(chars / 4)."""
    return math.ceil(len(text) / 4)


def rendered(*messages: tuple[str, str]) -> str:
    """The documented prompt rendering: ``<role>text\\n`` per message."""
    return "".join(f"<{role}>{text}\n" for role, text in messages)
