"""Adapter over the bundled ``genai-prices`` snapshot.

The library prices one call in ~100 µs (Decimal arithmetic over a unit
registry).  That is far too slow per span, but its prices are piecewise
constant: they change only at a start date (UTC day), at a time of day
(off-peak windows) and at an input-token tier threshold.  So a model is
resolved once into a :class:`LibraryModel` that knows those boundaries, and the
price in force inside one segment is turned into flat :class:`Rates` by asking
the library itself what 1M tokens of each kind cost (so every quirk of its
data — cache tokens without a cache price billed as input, per-request fees,
separate reasoning prices — is reproduced exactly).

Only the bundled snapshot is read; the library's opt-in network updater is
never started.  Lookups go through the provider objects directly rather than
``DataSnapshot.find_provider_model``, whose internal caches grow without bound
on every distinct (possibly hostile) model name.
"""

from __future__ import annotations

import warnings
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import genai_prices
from genai_prices import data_snapshot, types

from genlens.pricing.overrides import date_to_ns
from genlens.pricing.rates import PER_MILLION, Rates
from genlens.pricing.usage import REASON_UNKNOWN_MODEL, REASON_UNKNOWN_PROVIDER
from genlens.timeparse import NS_PER_DAY, NS_PER_SECOND

LIBRARY_LABEL = f"genai-prices {genai_prices.__version__}"

# Provider names as spans carry them (OTel gen_ai.provider.name / gen_ai.system,
# OpenInference llm.provider, OpenLLMetry) → genai-prices provider ids.  Names
# not listed go to the library's own provider matching unchanged.
PROVIDER_ALIASES: dict[str, str] = {
    "x_ai": "x-ai",
    "xai": "x-ai",
    "gcp.gen_ai": "google",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "vertex_ai": "google",
    "vertexai": "google",
    "gemini": "google",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.openai": "azure",
    "az.ai.inference": "azure",
    "aws.bedrock": "aws",
    "amazon": "aws",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "moonshot_ai": "moonshotai",
    "moonshot": "moonshotai",
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Latest instant a datetime can hold; later span timestamps are invalid.
MAX_AT_NS = int((datetime(9999, 12, 30, tzinfo=UTC) - _EPOCH).total_seconds()) * NS_PER_SECOND


def canonical_provider(name: str | None) -> str | None:
    """Lower-cased provider id in genai-prices' vocabulary; ``None`` for none/empty."""
    if name is None:
        return None
    key = name.strip().lower()
    if not key:
        return None
    return PROVIDER_ALIASES.get(key, key)


def ns_to_datetime(at_ns: int) -> datetime:
    """UTC datetime truncated to the microsecond, as the library compares them."""
    return _EPOCH + timedelta(microseconds=at_ns // 1000)


def _tod_ns(value: time) -> int:
    if value.tzinfo is not None:
        value = datetime.combine(date(1970, 1, 1), value).astimezone(UTC).timetz()
    return ((value.hour * 60 + value.minute) * 60 + value.second) * NS_PER_SECOND + value.microsecond * 1000


def _flatten(price: Any, input_tokens: int) -> types.ModelPrice:
    """The price with every tiered value replaced by the tier ``input_tokens`` falls in (library rule)."""
    values: dict[str, Decimal] = {}
    for key, value in price.__dict__.items():
        if key.startswith("_") or value is None:
            continue
        if isinstance(value, types.TieredPrices):
            chosen = value.base
            for tier in reversed(value.tiers):
                if input_tokens > tier.start:
                    chosen = tier.price
                    break
            value = chosen
        values[key] = value
    return types.ModelPrice(**values)


def _lib_usage(inp: int, out: int, cache_read: int, cache_write: int, reasoning: int) -> genai_prices.Usage:
    kwargs = {"input_tokens": inp, "output_tokens": out}
    if cache_read:
        kwargs["cache_read_tokens"] = cache_read
    if cache_write:
        kwargs["cache_write_tokens"] = cache_write
    if reasoning:
        kwargs["output_reasoning_tokens"] = reasoning
    return genai_prices.Usage(**kwargs)


@dataclass(slots=True)
class LibraryModel:
    """One resolved library model and the boundaries where its price can change."""

    provider: Any  # genai_prices.types.Provider
    model: Any  # genai_prices.types.ModelInfo
    date_bounds: tuple[int, ...]
    tod_bounds: tuple[int, ...]
    tier_starts: tuple[int, ...]
    label: str

    @property
    def constant(self) -> bool:
        """True when one set of rates holds for every timestamp and every usage."""
        return not (self.date_bounds or self.tod_bounds or self.tier_starts)

    def segment(self, at_ns: int, input_tokens: int) -> tuple[int, int, int]:
        """Index of the (date period, time-of-day window, tier) that ``at_ns``/``input_tokens`` fall in.

        Within one segment the library's answer is the same function of usage:
        start dates compare UTC dates (midnight boundaries, ``>=``), time-of-day
        windows are ``start <= t < end`` and a tier applies when ``input > start``.
        """
        return (
            bisect_right(self.date_bounds, at_ns) if self.date_bounds else 0,
            bisect_right(self.tod_bounds, at_ns % NS_PER_DAY) if self.tod_bounds else 0,
            bisect_left(self.tier_starts, input_tokens) if self.tier_starts else 0,
        )

    def rates(self, at_ns: int, input_tokens: int) -> Rates:
        """Flat rates in force at ``at_ns`` for a call with ``input_tokens``, probed from the library.

        Raises whatever the library raises when it cannot price this model.
        """
        flat = _flatten(self.model.get_prices(ns_to_datetime(at_ns)), input_tokens)
        m = PER_MILLION
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")

            def total(*usage: int) -> Decimal:
                return flat.calc_price(_lib_usage(*usage))["total_price"]

            base = total(0, 0, 0, 0, 0)
            rin = total(m, 0, 0, 0, 0) - base
            rread = total(m, 0, m, 0, 0) - base
            rwrite = total(m, 0, 0, m, 0) - base
            rout = total(0, m, 0, 0, 0) - base
            rreason = total(0, m, 0, 0, m) - base
        return Rates(float(rin / m), float(rread / m), float(rwrite / m), float(rout / m),
                     float(rreason / m), float(base), self.label)

    def reference_cost(self, at_ns: int, usage: tuple[int, int, int, int, int]) -> float:
        """The library's own answer for one call (slow path, used when probing fails)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = self.model.calc_price(_lib_usage(*usage), self.provider,
                                           genai_request_timestamp=ns_to_datetime(at_ns))
        return float(result.total_price)


def _boundaries(model: Any) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    dates: set[int] = set()
    tods: set[int] = set()
    tiers: set[int] = set()
    conditional = model.prices if isinstance(model.prices, list) else [types.ConditionalPrice(prices=model.prices)]
    for item in conditional:
        constraint = item.constraint
        if isinstance(constraint, types.StartDateConstraint):
            dates.add(date_to_ns(constraint.start_date))
        elif isinstance(constraint, types.TimeOfDateConstraint):
            tods.update((_tod_ns(constraint.start_time), _tod_ns(constraint.end_time)))
        for value in item.prices.__dict__.values():
            if isinstance(value, types.TieredPrices):
                tiers.update(tier.start for tier in value.tiers)
    return tuple(sorted(dates)), tuple(sorted(tods)), tuple(sorted(tiers))


def find(provider: str | None, model: str) -> LibraryModel | str:
    """Resolve ``model`` (any alias or dated version the library knows) under ``provider``.

    ``provider/model`` references (LiteLLM style) name the provider in the
    model when no provider, or the ``litellm`` proxy, is given.  Returns the
    reason as a string when the provider or model is unknown.
    """
    if provider in (None, "litellm") and "/" in model:
        prefix, rest = model.split("/", 1)
        prefixed = canonical_provider(prefix)
        if rest and prefixed and prefixed != "litellm":
            found = _find(prefixed, rest)
            if isinstance(found, LibraryModel):
                return found
    return _find(None if provider == "litellm" else provider, model)


def _find(provider: str | None, model: str) -> LibraryModel | str:
    snapshot = data_snapshot.get_snapshot()
    found: Any = None
    if provider is not None:
        found = data_snapshot.find_provider_by_id(snapshot.providers, provider)
        if found is None:
            return REASON_UNKNOWN_PROVIDER
    else:
        found = next((p for p in snapshot.providers if p.model_match is not None and p.model_match.is_match(model)),
                     None)
        if found is None:
            return REASON_UNKNOWN_MODEL
    info = found.find_model(model, all_providers=snapshot.providers)
    if info is None:
        return REASON_UNKNOWN_MODEL
    dates, tods, tiers = _boundaries(info)
    return LibraryModel(found, info, dates, tods, tiers, f"{LIBRARY_LABEL}: {found.id}/{info.id}")
