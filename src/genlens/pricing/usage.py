"""Token usage in canonical form, the cost result, and the usage checks.

Usage arrives from untrusted spans, so it is checked before any arithmetic:
a negative, non-integral or absurd count, or cache tokens that exceed the
input they are part of, makes the span unpriceable (``invalid usage: …``)
rather than producing a wrong number or raising inside the ingest pipeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# More tokens than this in one span is a bug or an attack, not a real call:
# the largest context windows are a few million tokens.
MAX_TOKENS_PER_SPAN = 100_000_000

COST_REPORTED = "reported"
COST_COMPUTED = "computed"
COST_UNKNOWN = "unknown"

REASON_UNKNOWN_MODEL = "unknown model"
REASON_UNKNOWN_PROVIDER = "unknown provider"
REASON_NO_MODEL = "no model"
REASON_NO_USAGE = "no usage"
REASON_INVALID_TIMESTAMP = "invalid timestamp"
REASON_LIBRARY_ERROR = "price library error"


def _count(value: Any) -> int | None:
    """Coerce one token count to ``int``; ``None`` stays ``None``; bad values raise ``ValueError``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a token count: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"not a token count: {value!r}")
        return int(value)
    raise ValueError(f"not a token count: {value!r}")


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage of one call, in canonical semantics.

    ``input_tokens`` INCLUDES cache-read and cache-write tokens and
    ``output_tokens`` INCLUDES reasoning tokens, so nothing is ever counted
    twice.  The provider helpers convert each provider's own way of
    reporting into this form.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None

    @classmethod
    def anthropic(
        cls,
        input_tokens: int | None,
        output_tokens: int | None,
        cache_read: int | None = None,
        cache_creation: int | None = None,
    ) -> Usage:
        """Anthropic reports cache reads/creations *beside* ``input_tokens``; add them in."""
        parts = [v for v in (input_tokens, cache_read, cache_creation) if v is not None]
        total: int | None = None
        if parts:
            try:
                total = sum(_count(v) or 0 for v in parts)
            except ValueError:
                total = input_tokens  # leave the bad value for the usage check to reject
        return cls(total, output_tokens, cache_read, cache_creation, None)

    @classmethod
    def openai(
        cls,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        cached_tokens: int | None = 0,
        reasoning_tokens: int | None = 0,
    ) -> Usage:
        """OpenAI already counts cached tokens in ``prompt_tokens`` and reasoning in ``completion_tokens``."""
        return cls(prompt_tokens, completion_tokens, cached_tokens, None, reasoning_tokens)


@dataclass(frozen=True, slots=True)
class Cost:
    """The cost of one span and where it came from.

    ``usd`` is ``None`` whenever the cost is not known: an unknown model must
    never look free.
    """

    usd: float | None
    source: str
    price_source: str | None
    reason: str | None = None


def unknown(reason: str) -> Cost:
    return Cost(None, COST_UNKNOWN, None, reason)


def check_usage(usage: Usage) -> tuple[int, int, int, int, int] | str:
    """Return ``(input, output, cache_read, cache_write, reasoning)`` as ints, or why it cannot be priced.

    Missing counts are zero, but a usage with neither input nor output is
    "no usage": a span that did not report tokens is unknown, not free.
    """
    try:
        raw = (
            _count(usage.input_tokens),
            _count(usage.output_tokens),
            _count(usage.cache_read_tokens),
            _count(usage.cache_write_tokens),
            _count(usage.reasoning_tokens),
        )
    except ValueError as exc:
        return f"invalid usage: {exc}"
    if raw[0] is None and raw[1] is None:
        return REASON_NO_USAGE
    inp, out, cread, cwrite, reason = (v or 0 for v in raw)
    for name, value in (("input", inp), ("output", out), ("cache_read", cread),
                        ("cache_write", cwrite), ("reasoning", reason)):
        if value < 0:
            return f"invalid usage: negative {name} tokens ({value})"
        if value > MAX_TOKENS_PER_SPAN:
            return f"invalid usage: {name} tokens {value} exceed {MAX_TOKENS_PER_SPAN}"
    if cread + cwrite > inp:
        return f"invalid usage: cache tokens ({cread} read + {cwrite} write) exceed input tokens ({inp})"
    if reason > out:
        return f"invalid usage: reasoning tokens ({reason}) exceed output tokens ({out})"
    return inp, out, cread, cwrite, reason
