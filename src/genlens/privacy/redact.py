"""Redaction with the default policy (pattern tier, typed placeholders): what the SDK applies at the source.

The SDK runs every piece of captured content through :func:`redact_value`
before it is put on a span, so nothing sensitive leaves the process; the server
runs the same engine (:mod:`genlens.privacy.engine`) as an ingest stage, with
the per-feature policies of its settings, over content from any
instrumentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genlens.privacy.engine import DEFAULT_MAX_CHARS, Counts, Policy, Redactor, truncate

__all__ = ["DEFAULT_MAX_CHARS", "Redaction", "redact", "redact_value", "truncate"]

_DEFAULT = Policy()
_REDACTORS: dict[int, Redactor] = {}


def _redactor(max_chars: int) -> Redactor:
    redactor = _REDACTORS.get(max_chars)
    if redactor is None:
        redactor = _REDACTORS.setdefault(max_chars, Redactor(max_chars=max_chars))
    return redactor


@dataclass(frozen=True)
class Redaction:
    """Result of redacting one text: the safe text and how many values were replaced."""

    text: str
    count: int
    truncated: bool = False


def redact(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> Redaction:
    """Replace every sensitive value the pattern tier finds in ``text`` by its type, ``[EMAIL]``.

    Text beyond ``max_chars`` is dropped (and marked) before scanning, which
    bounds the work per call whatever the caller passes.
    """
    if not isinstance(text, str):
        text = str(text)
    counts = Counts()
    out = _redactor(max_chars).text(text, _DEFAULT, counts)
    return Redaction(out, counts.total, len(text) > max_chars)


def redact_value(value: Any, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[Any, int]:
    """Redact every string inside a JSON-like value; returns the copy and the number of replacements."""
    counts = Counts()
    out = _redactor(max_chars).value(value, _DEFAULT, counts)
    return out, counts.total
