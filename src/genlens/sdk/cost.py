"""Cost at the source, behind one function: :func:`price_usd`.

When ``genlens.pricing`` provides its ``PriceBook`` that book is used; until
then (or if it fails to load) a minimal book built on the bundled
``genai-prices`` snapshot stands in, with the same ``cost(provider, model,
usage, at_ns)`` interface.  Rates are resolved once per (provider, model) and
applied with float arithmetic, so pricing a call costs microseconds.
"""

from __future__ import annotations

import datetime as _dt
import functools
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from genlens.sdk import _safety


@dataclass(frozen=True)
class Usage:
    """Token usage with OTel semantics: input includes cache tokens, output includes reasoning."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Cost:
    usd: float | None
    source: str  # computed | unknown
    price_source: str
    reason: str | None = None


class Book(Protocol):
    def cost(self, provider: str, model: str, usage: Any, at_ns: int) -> Any: ...


# Price keys of genai-prices → our four rates.
_RATE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")


def _rate(value: Any, input_tokens: int) -> float | None:
    if value is None:
        return None
    tiers = getattr(value, "tiers", None)
    if tiers is None:
        return float(value)
    rate = float(value.base)
    for tier in tiers:  # cliff pricing: crossing a tier prices every token at it
        if input_tokens >= tier.start:
            rate = float(tier.price)
    return rate


class FallbackBook:
    """Minimal price book over the ``genai-prices`` snapshot (offline, bundled)."""

    price_source = "genai-prices"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prices: dict[tuple[str, str], Any] = {}

    def _model_price(self, provider: str, model: str) -> Any:
        key = (provider, model)
        try:
            return self._prices[key]
        except KeyError:
            pass
        from genai_prices import data_snapshot

        try:
            _, info = data_snapshot.get_snapshot().find_provider_model(model, None, provider, None)
            found = info.get_prices(_dt.datetime.now(_dt.UTC))
        except (LookupError, ValueError):
            found = None
        with self._lock:
            if len(self._prices) < 4096:
                self._prices[key] = found
        return found

    def cost(self, provider: str, model: str, usage: Usage, at_ns: int) -> Cost:
        prices = self._model_price(provider, model)
        if prices is None:
            return Cost(None, "unknown", self.price_source, f"no price for {provider}/{model}")
        total_in = usage.input_tokens
        r_in, r_out, r_read, r_write = (_rate(getattr(prices, k, None), total_in) for k in _RATE_KEYS)
        if r_in is None or r_out is None:
            return Cost(None, "unknown", self.price_source, f"incomplete price for {provider}/{model}")
        read = usage.cache_read_tokens
        write = usage.cache_write_tokens
        uncached = max(total_in - read - write, 0)
        usd = uncached * r_in + usage.output_tokens * r_out
        usd += read * (r_read if r_read is not None else r_in)
        usd += write * (r_write if r_write is not None else r_in)
        return Cost(usd / 1_000_000, "computed", self.price_source)


_book: Book | None = None
_book_lock = threading.Lock()
_PROVIDER_IDS = {"openai": "openai", "anthropic": "anthropic", "azure.ai.openai": "azure"}


@functools.cache
def _book_usage() -> Any:
    """The price book's usage type (imported once, not on every call: an import statement costs)."""
    from genlens.pricing import Usage

    return Usage


def _load_book(overrides: Any = None) -> Book:
    try:
        from genlens.pricing import PriceBook
    except ImportError:
        return FallbackBook()
    try:
        return PriceBook.load(overrides=overrides)
    except Exception as exc:
        _safety.report("price book load", exc)
        return FallbackBook()


def set_book(book: Book | None) -> None:
    """Use ``book`` for pricing (``None`` reloads the default on next use)."""
    global _book
    _book = book


def price_usd(provider: str, model: str | None, usage: Usage, at_ns: int) -> float | None:
    """USD cost of one call, or ``None`` when the model is not priced."""
    global _book
    if not model:
        return None
    book = _book
    if book is None:
        with _book_lock:
            if _book is None:
                _book = _load_book()
            book = _book
    if not isinstance(book, FallbackBook):
        usage = _book_usage()(usage.input_tokens, usage.output_tokens, usage.cache_read_tokens,
                              usage.cache_write_tokens, usage.reasoning_tokens)
    try:
        result = book.cost(_PROVIDER_IDS.get(provider, provider), model, usage, at_ns)
    except Exception as exc:
        _safety.report("pricing", exc)
        return None
    usd = getattr(result, "usd", None)
    return float(usd) if usd is not None else None
