"""Flat per-token rates: what a price resolves to once, so each span is priced by arithmetic."""

from __future__ import annotations

from dataclasses import dataclass

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

    def price(self, inp: int, out: int, cache_read: int, cache_write: int, reasoning: int) -> float:
        return (
            (inp - cache_read - cache_write) * self.input
            + cache_read * self.cache_read
            + cache_write * self.cache_write
            + (out - reasoning) * self.output
            + reasoning * self.reasoning
            + self.per_request
        )


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
