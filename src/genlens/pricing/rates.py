"""Flat per-token rates: what a price resolves to once, so each span is priced by arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field

PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per single token (and per request), plus the label of where they came from.

    Cache-read and cache-write tokens are part of the input, so the input rate
    applies only to what is left; reasoning tokens are part of the output and
    are billed at ``reasoning`` (equal to ``output`` unless the provider prices
    reasoning separately).
    """

    input: float
    cache_read: float
    cache_write: float
    output: float
    reasoning: float
    per_request: float
    source: str

    # Deltas against the plain rate, so that a breakdown priced like the plain rate
    # (reasoning billed as output) adds exactly 0.0 and never changes the float result.
    _read_delta: float = field(init=False, repr=False, compare=False)
    _write_delta: float = field(init=False, repr=False, compare=False)
    _reasoning_delta: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_read_delta", self.cache_read - self.input)
        object.__setattr__(self, "_write_delta", self.cache_write - self.input)
        object.__setattr__(self, "_reasoning_delta", self.reasoning - self.output)

    def price(self, inp: int, out: int, cache_read: int, cache_write: int, reasoning: int) -> float:
        """(input − cache) × input + cache_read × read + cache_write × write + output × output (+ per request)."""
        total = (
            inp * self.input
            + cache_read * self._read_delta
            + cache_write * self._write_delta
            + out * self.output
            + reasoning * self._reasoning_delta
            + self.per_request
        )
        return total if total > 0.0 else 0.0  # no -1e-22 from rounding when every token is cached

def per_million(
    source: str,
    *,
    input: float,
    output: float,
    cache_read: float | None = None,
    cache_write: float | None = None,
) -> Rates:
    """Rates from prices in USD per 1M tokens; missing cache prices bill those tokens as plain input."""
    return Rates(
        input=input / PER_MILLION,
        cache_read=(input if cache_read is None else cache_read) / PER_MILLION,
        cache_write=(input if cache_write is None else cache_write) / PER_MILLION,
        output=output / PER_MILLION,
        reasoning=output / PER_MILLION,
        per_request=0.0,
        source=source,
    )
