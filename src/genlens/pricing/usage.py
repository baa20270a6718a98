"""Token usage in canonical form, the cost result, and the usage checks.

Usage arrives from untrusted spans, so it is checked before any arithmetic:
a negative, non-integral or absurd count, or cache tokens that exceed the
input they are part of, makes the span unpriceable (``invalid usage: …``)
rather than producing a wrong number or raising inside the ingest pipeline.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from genlens.semconv.canonical import MAX_TOKENS

# More tokens than this in one span is a bug or an attack, not a real call: the normalizer's
# bound, so a count the store holds is one pricing accepts (see canonical.MAX_TOKENS).
MAX_TOKENS_PER_SPAN = MAX_TOKENS

COST_REPORTED = "reported"
COST_COMPUTED = "computed"
COST_UNKNOWN = "unknown"

REASON_UNKNOWN_MODEL = "unknown model"
REASON_UNKNOWN_PROVIDER = "unknown provider"
REASON_NO_MODEL = "no model"
REASON_NO_USAGE = "no usage"
REASON_INVALID_TIMESTAMP = "invalid timestamp"
REASON_LIBRARY_ERROR = "price library error"


def as_int(value: Any) -> int | None:
    """``value`` as an exact ``int`` (ints, integral floats, numpy integers); ``None`` if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    try:
        return operator.index(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _count(value: Any) -> int | None:
    """Coerce one token count to ``int``; ``None`` stays ``None``; bad values raise ``ValueError``."""
    if value is None:
        return None
    number = as_int(value)
    if number is None:
        raise ValueError(f"not a token count: {value!r}"[:200])
    return number


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


class UsageLike(Protocol):
    """What the price book reads from a usage: :class:`Usage`, the SDK's light one, or any look-alike."""

    @property
    def input_tokens(self) -> Any: ...
    @property
    def output_tokens(self) -> Any: ...
    @property
    def cache_read_tokens(self) -> Any: ...
    @property
    def cache_write_tokens(self) -> Any: ...
    @property
    def reasoning_tokens(self) -> Any: ...


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


def refused_usage(refused: Mapping[str, Any]) -> Cost:
    """The cost of a span with usage counts the normalizer refused (``{column: value}``): unknown.

    Pricing the counts that are left would look exact and be wrong.
    """
    named = ", ".join(f"{col} {value!r}"[:80] for col, value in refused.items())
    return unknown(f"invalid usage: {named} not a token count in [0, {MAX_TOKENS_PER_SPAN}]"[:300])


_INT_OR_NONE = frozenset({int, type(None)})


def check_usage(usage: UsageLike) -> tuple[int, int, int, int, int] | str:
    """Return ``(input, output, cache_read, cache_write, reasoning)`` as ints, or why it cannot be priced.

    Missing counts are zero, but a usage with neither input nor output is
    "no usage": a span that did not report tokens is unknown, not free.
    Any object with the five count attributes is accepted (duck typing).
    """
    inp, out, cread, cwrite, reason = raw = (
        usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens,
        usage.reasoning_tokens)
    # Fast path: exact ints or None (type() is exact, so bool is not let through as int).
    if not (type(inp) in _INT_OR_NONE and type(out) in _INT_OR_NONE and type(cread) in _INT_OR_NONE
            and type(cwrite) in _INT_OR_NONE and type(reason) in _INT_OR_NONE):
        try:
            inp, out, cread, cwrite, reason = (_count(v) for v in raw)
        except ValueError as exc:
            return f"invalid usage: {exc}"
    if inp is None:
        if out is None:
            return REASON_NO_USAGE
        inp = 0
    elif out is None:
        out = 0
    cread = cread or 0
    cwrite = cwrite or 0
    reason = reason or 0
    if (0 <= inp <= MAX_TOKENS_PER_SPAN and 0 <= out <= MAX_TOKENS_PER_SPAN and 0 <= cread and 0 <= cwrite
            and 0 <= reason and cread + cwrite <= inp and reason <= out):
        return inp, out, cread, cwrite, reason
    return _why_invalid(inp, out, cread, cwrite, reason)


def _why_invalid(inp: int, out: int, cread: int, cwrite: int, reason: int) -> str:
    for name, value in (("input", inp), ("output", out), ("cache_read", cread),
                        ("cache_write", cwrite), ("reasoning", reason)):
        if value < 0:
            return f"invalid usage: negative {name} tokens ({value})"
        if value > MAX_TOKENS_PER_SPAN:
            return f"invalid usage: {name} tokens {value} exceed {MAX_TOKENS_PER_SPAN}"
    if cread + cwrite > inp:
        return f"invalid usage: cache tokens ({cread} read + {cwrite} write) exceed input tokens ({inp})"
    return f"invalid usage: reasoning tokens ({reason}) exceed output tokens ({out})"
