"""The price book: user overrides over the library, resolved once and cached.

Hot path per span: one dict lookup for ``(provider, model)``, a couple of
bisects when the model's price changes over time or by tier, one more dict
lookup for the flat rates, then five multiplications.  Both caches are bounded
(cleared when full, with the clears counted), and so is the count of unknown
models, because model names come from untrusted spans.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genlens.pricing import library
from genlens.pricing.overrides import (
    MAX_NAME_CHARS,
    History,
    normalize_model,
    parse_overrides,
    read_price_file,
    strip_date_suffix,
)
from genlens.pricing.rates import Rates
from genlens.pricing.usage import (
    COST_COMPUTED,
    REASON_INVALID_TIMESTAMP,
    REASON_LIBRARY_ERROR,
    REASON_NO_MODEL,
    REASON_UNKNOWN_MODEL,
    Cost,
    UsageLike,
    as_int,
    check_usage,
    unknown,
)

MAX_RESOLVED = 4096
MAX_RATES = 16384
MAX_UNKNOWN_KEYS = 4096
OTHER_UNKNOWN = ("*", "*other*")  # where unknown models beyond MAX_UNKNOWN_KEYS are counted
_NAME_TYPES = (str, type(None))


@dataclass(frozen=True, slots=True)
class _Resolved:
    """What one ``(provider, model)`` pair prices with: an override history, the library, or neither."""

    override: History | None
    lib: library.LibraryModel | None
    fixed: Rates | None  # library rates when they never change
    reason: str | None  # why the library could not price it


_UNUSABLE = _Resolved(None, None, None, REASON_UNKNOWN_MODEL)


class PriceBook:
    """Prices spans: overrides first, then the genai-prices snapshot; unknown stays unknown."""

    def __init__(self, overrides: dict[tuple[str | None, str], History] | None = None,
                 source: str | None = None) -> None:
        self._overrides = overrides or {}
        self.override_source = source
        self._resolved: dict[tuple[str | None, str], _Resolved] = {}
        # Raw (provider, model) as spans spell them → normalized key and resolution: skips normalizing.
        self._hot: dict[tuple[str | None, str], tuple[tuple[str | None, str], _Resolved]] = {}
        self._rates: dict[tuple[Any, ...], Rates | None] = {}
        self.unknown_models: Counter[tuple[str | None, str | None]] = Counter()
        self.stats: Counter[str] = Counter()  # cache clears, unknown-model overflow, library fallbacks

    @classmethod
    def load(cls, overrides: Path | str | None = None) -> PriceBook:
        """The library snapshot plus, when given, the user's YAML/JSON price file (``ConfigError`` on any flaw)."""
        if overrides is None or overrides == "":
            return cls()
        path = Path(overrides).expanduser()
        data = read_price_file(path)
        return cls(parse_overrides(data, str(path), library.canonical_provider), str(path))

    @classmethod
    def from_data(cls, data: Any, source: str = "settings") -> PriceBook:
        """Overrides given as already-loaded data, e.g. the ``prices:`` section of the settings file."""
        return cls(parse_overrides(data, source, library.canonical_provider), source)

    def override_keys(self) -> list[tuple[str | None, str]]:
        """``(provider or None, model name or alias)`` of every override, for listing."""
        return list(self._overrides)

    # -- resolution (slow path, cached) --------------------------------------------------------

    def _override_for(self, provider: str | None, names: list[str]) -> History | None:
        for name in names:
            for key in ((provider, name), (None, name)):
                found = self._overrides.get(key)
                if found is not None:
                    return found
        return None

    def _resolve(self, provider: str | None, model: str) -> _Resolved:
        found = library.find(provider, model)
        lib = found if isinstance(found, library.LibraryModel) else None
        override = None
        if self._overrides:
            names = [model, strip_date_suffix(model)]
            if lib is not None:
                names.append(lib.model.id.lower())
            override = self._override_for(provider, names)
        fixed = None
        if lib is not None and lib.constant:
            try:
                fixed = lib.rates(0, 0)
            except Exception:  # noqa: BLE001 - library data it cannot price; priced per call below
                fixed = None
        resolved = _Resolved(override, lib, fixed, None if lib is not None else str(found))
        if len(self._resolved) >= MAX_RESOLVED:
            self._resolved.clear()
            self._hot.clear()
            self._rates.clear()
            self.stats["resolved_cache_clears"] += 1
        self._resolved[(provider, model)] = resolved
        return resolved

    def _library_rates(self, key: tuple[str | None, str | None], lib: library.LibraryModel, at_ns: int,
                       inp: int) -> Rates | None:
        segment = (key, lib.segment(at_ns, inp))
        try:
            return self._rates[segment]
        except KeyError:
            pass
        try:
            rates: Rates | None = lib.rates(at_ns, inp)
        except Exception:  # noqa: BLE001 - fall back to the library's own per-call path
            rates = None
        if len(self._rates) >= MAX_RATES:
            self._rates.clear()
            self.stats["rates_cache_clears"] += 1
        self._rates[segment] = rates
        return rates

    def _count_unknown(self, provider: str | None, model: str | None) -> None:
        key = (provider, model)
        if key in self.unknown_models or len(self.unknown_models) < MAX_UNKNOWN_KEYS:
            self.unknown_models[key] += 1
        else:
            self.unknown_models[OTHER_UNKNOWN] += 1
            self.stats["unknown_models_overflow"] += 1

    # -- pricing (hot path) --------------------------------------------------------------------

    def cost(self, provider: str | None, model: str | None, usage: UsageLike, at_ns: int | None = None) -> Cost:
        """Cost of one call at ``at_ns`` (ns since the epoch; now when ``None``). Never raises on bad input."""
        cost, counted = self._price(provider, model, usage, at_ns)
        if counted is not None:
            self._count_unknown(*counted)
        return cost

    def cost_first_known(self, provider: str | None, models: tuple[str | None, ...], usage: UsageLike,
                         at_ns: int | None = None) -> Cost:
        """Like :meth:`cost`, trying each model name in turn (e.g. response model, then request model).

        A span whose names are all unknown is counted once, under the first name.
        """
        first: tuple[Cost, tuple[str | None, str | None]] | None = None
        names: list[str | None] = [m for m in models if isinstance(m, str) and m.strip()]
        for model in names or [None]:
            cost, counted = self._price(provider, model, usage, at_ns)
            if counted is None:
                return cost
            if first is None:
                first = (cost, counted)
        assert first is not None
        self._count_unknown(*first[1])
        return first[0]

    def _lookup(self, provider: Any, model: Any) -> tuple[tuple[str | None, str | None], _Resolved | None]:
        """Normalize names and resolve them (slow path); ``None`` when the model name is unusable."""
        prov = library.canonical_provider(provider) if isinstance(provider, str) else None
        if not isinstance(model, str) or not model.strip():
            return (prov, None), None
        name = normalize_model(model)
        if len(name) > MAX_NAME_CHARS:
            return (prov, name[:MAX_NAME_CHARS]), _UNUSABLE
        key = (prov, name)
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = self._resolve(prov, name)
        if type(provider) in _NAME_TYPES and type(model) is str and len(model) <= MAX_NAME_CHARS:
            if len(self._hot) >= MAX_RESOLVED:
                self._hot.clear()
                self.stats["hot_cache_clears"] += 1
            self._hot[(provider, model)] = (key, resolved)
        return key, resolved

    def _price(self, provider: Any, model: Any, usage: UsageLike,
               at_ns: Any) -> tuple[Cost, tuple[str | None, str | None] | None]:
        """The cost, and the ``(provider, model)`` to count as unknown when the model could not be priced."""
        checked = check_usage(usage)
        if isinstance(checked, str):
            return unknown(checked), None
        if at_ns is None:
            at_ns = time.time_ns()
        elif type(at_ns) is not int:
            at_ns = as_int(at_ns)
        if at_ns is None or not 0 <= at_ns <= library.MAX_AT_NS:
            return unknown(REASON_INVALID_TIMESTAMP), None
        hot = self._hot.get((provider, model)) if type(provider) in _NAME_TYPES and type(model) is str else None
        key, resolved = hot if hot is not None else self._lookup(provider, model)
        if resolved is None:
            return unknown(REASON_NO_MODEL), key
        if resolved.override is not None:
            rates = resolved.override.at(at_ns)
            if rates is not None:
                return Cost(rates.price(*checked), COST_COMPUTED, rates.source), None
        if resolved.fixed is not None:
            rates = resolved.fixed
        elif resolved.lib is not None:
            rates = self._library_rates(key, resolved.lib, at_ns, checked[0])
            if rates is None:
                return self._fallback(resolved.lib, at_ns, checked), None
        else:
            return unknown(resolved.reason or REASON_UNKNOWN_MODEL), key
        return Cost(rates.price(*checked), COST_COMPUTED, rates.source), None

    def _fallback(self, lib: library.LibraryModel, at_ns: int, usage: tuple[int, int, int, int, int]) -> Cost:
        self.stats["library_fallbacks"] += 1
        try:
            return Cost(lib.reference_cost(at_ns, usage), COST_COMPUTED, lib.label)
        except Exception as exc:  # noqa: BLE001 - the library rejects this usage for this model
            return unknown(f"{REASON_LIBRARY_ERROR}: {exc}"[:300])
