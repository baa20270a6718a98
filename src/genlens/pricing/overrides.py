"""The user's price file: parsing and strict validation.

A typo in a price file must fail loudly at start-up, naming the file, the
entry and the key, rather than silently leaving a negotiated rate unused.
The format is documented in :mod:`genlens.pricing`.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from genlens.errors import ConfigError
from genlens.pricing.rates import Rates, per_million
from genlens.timeparse import NS_PER_SECOND

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_ENTRIES = 100_000
MAX_NAME_CHARS = 256
# USD per 1M tokens; anything above is a unit mistake (per token vs per 1M), not a price.
MAX_PRICE_PER_MTOK = 100_000.0

_ENTRY_KEYS = frozenset({"model", "provider", "aliases", "input", "output", "cache_read", "cache_write", "valid_from"})
_PRICE_KEYS = ("input", "output", "cache_read", "cache_write")
_REQUIRED = ("model", "input", "output")
_DATE_SUFFIX = re.compile(r"(?:[-@](?:20\d\d-\d\d-\d\d|20\d{6}))$")


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: a bad date then reaches the validator, which names the entry."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def normalize_model(name: str) -> str:
    return name.strip().lower()


def strip_date_suffix(model: str) -> str:
    """``my-model-2025-01-31`` / ``my-model-20250131`` / ``my-model@20250131`` → ``my-model``."""
    return _DATE_SUFFIX.sub("", model)


def date_to_ns(day: date) -> int:
    """UTC midnight of ``day`` in ns since the epoch: prices change at the start of a UTC day."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * NS_PER_SECOND


@dataclass(frozen=True, slots=True)
class History:
    """Price history of one overridden model: ``rates[i]`` is in force from ``starts[i]`` (ns)."""

    starts: tuple[int, ...]
    rates: tuple[Rates, ...]

    def at(self, at_ns: int) -> Rates | None:
        """The rates in force at ``at_ns``; ``None`` before the first ``valid_from`` (the library applies)."""
        index = bisect_right(self.starts, at_ns) - 1
        return self.rates[index] if index >= 0 else None


@dataclass(frozen=True, slots=True)
class _Entry:
    provider: str | None
    names: tuple[str, ...]
    start_ns: int
    rates: Rates
    label: str


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {message}")


def _price(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"key {key!r}: bad value {value!r} (expected a number of USD per 1M tokens)")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise _fail(where, f"key {key!r}: bad value {value!r} (must be a finite number >= 0)")
    if number > MAX_PRICE_PER_MTOK:
        raise _fail(where, f"key {key!r}: bad value {value!r} (above {MAX_PRICE_PER_MTOK:g} USD per 1M tokens)")
    return number


def _name(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_CHARS:
        raise _fail(where, f"key {key!r}: bad value {value!r} (expected a non-empty string of at most "
                           f"{MAX_NAME_CHARS} characters)")
    return normalize_model(value)


def _valid_from(where: str, value: Any) -> date:
    if isinstance(value, datetime):
        raise _fail(where, f"key 'valid_from': bad value {value!r} (expected a date YYYY-MM-DD)")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(where, f"key 'valid_from': bad value {value!r} (expected a date YYYY-MM-DD)")


def _entry(where: str, raw: Any, source: str, provider_alias: Any) -> _Entry:
    if not isinstance(raw, dict):
        raise _fail(where, f"bad value {raw!r} (expected a mapping)")
    unknown_keys = sorted(str(k) for k in raw if k not in _ENTRY_KEYS)
    if unknown_keys:
        raise _fail(where, f"unknown key(s) {', '.join(map(repr, unknown_keys))} "
                           f"(allowed: {', '.join(sorted(_ENTRY_KEYS))})")
    missing = [k for k in _REQUIRED if raw.get(k) is None]
    if missing:
        raise _fail(where, f"missing key(s) {', '.join(map(repr, missing))}")
    model = _name(where, "model", raw["model"])
    where = f"{where} (model {model!r})"
    provider = provider_alias(_name(where, "provider", raw["provider"])) if raw.get("provider") is not None else None
    aliases_raw = raw.get("aliases") or []
    if not isinstance(aliases_raw, list):
        raise _fail(where, f"key 'aliases': bad value {aliases_raw!r} (expected a list of model names)")
    names = (model, *(_name(where, "aliases", a) for a in aliases_raw))
    prices = {k: _price(where, k, raw[k]) for k in _PRICE_KEYS if raw.get(k) is not None}
    start = _valid_from(where, raw["valid_from"]) if raw.get("valid_from") is not None else None
    label = f"override:{source}: {provider + '/' if provider else ''}{model}"
    if start is not None:
        label += f" from {start.isoformat()}"
    rates = per_million(label, input=prices["input"], output=prices["output"],
                        cache_read=prices.get("cache_read"), cache_write=prices.get("cache_write"))
    return _Entry(provider, names, date_to_ns(start) if start else -(2**63), rates, label)


def read_price_file(path: Path) -> Any:
    """Read a YAML or JSON price file, translating every failure into a ``ConfigError``."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(f"price file {str(path)!r} is {size} bytes, above the {MAX_FILE_BYTES} byte limit")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"price file {str(path)!r} cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"price file {str(path)!r} is not UTF-8 text") from exc
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        raise ConfigError(f"price file {str(path)!r} is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: "
                          f"{exc}") from exc


def parse_overrides(data: Any, source: str, provider_alias: Any) -> dict[tuple[str | None, str], History]:
    """Validate the loaded document and index it by ``(provider or None, model name or alias)``.

    ``provider_alias`` maps a provider name to the canonical id used for
    lookups, so ``aws.bedrock`` in the file matches ``aws`` on a span.
    """
    if data is None:
        return {}
    if isinstance(data, dict):
        extra = sorted(str(k) for k in data if k != "prices")
        if extra:
            raise ConfigError(f"price file {source!r}: unknown top-level key(s) {', '.join(map(repr, extra))} "
                              f"(expected 'prices')")
        data = data.get("prices") or []
    if not isinstance(data, list):
        raise ConfigError(f"price file {source!r}: 'prices' must be a list of entries, got {type(data).__name__}")
    if len(data) > MAX_ENTRIES:
        raise ConfigError(f"price file {source!r}: {len(data)} entries, above the limit of {MAX_ENTRIES}")
    grouped: dict[tuple[str | None, str], dict[int, _Entry]] = {}
    for index, raw in enumerate(data):
        entry = _entry(f"price file {source!r} entry {index}", raw, source, provider_alias)
        for name in entry.names:
            slot = grouped.setdefault((entry.provider, name), {})
            if entry.start_ns in slot:
                raise ConfigError(f"price file {source!r} entry {index} (model {name!r}): duplicates "
                                  f"{slot[entry.start_ns].label!r} for the same provider and valid_from")
            slot[entry.start_ns] = entry
    return {
        key: History(tuple(sorted(slot)), tuple(slot[s].rates for s in sorted(slot)))
        for key, slot in grouped.items()
    }
