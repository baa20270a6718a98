"""Alert rules over call aggregates: the built-in detectors and the rules a team writes in settings.

A :class:`Rule` names an aggregate of LLM calls (error rate, p95 TTFT, refusal
rate, spend per hour …), the slice it is computed per (``by``), the window, and
when it is bad: above or below a threshold, and/or a ``ratio`` away from a
baseline — the same clock hour on the previous days (``same_hour``, for diurnal
traffic; a young install without those days falls back to the trailing hour) or
the trailing window before this one (``trailing``).  It fires once it has been
bad for its ``for`` duration, and resolves at the first evaluation where it is not
(or ``keep_firing_for`` after its last bad one, as Prometheus rules do, to damp flapping).

The built-in detectors are rules too, with the field guides' defaults, so a new
install catches a provider outage, a latency or TTFT spike, a refusal spike and
a spend spike without writing any; settings can tune or turn off each by name
(``alerts.detectors``) and add rules (``alerts.rules``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genlens.errors import BadRequest, ConfigError
from genlens.store.queries import SERIES_KEYS
from genlens.timeparse import NS_PER_HOUR, NS_PER_MINUTE, parse_duration

SEVERITIES = ("page", "ticket", "info")
BASELINES = ("same_hour", "trailing", "none")
# what `genlens detect NAME` runs: the detector families
FAMILIES = ("errors", "latency", "refusals", "spend", "rules")
_QUANTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)_(ttft|latency)$")
# aggregate → (unit, family); quantiles p50_ttft … p99_latency are added by name
AGGREGATES: dict[str, tuple[str, str]] = {
    "error_rate": ("ratio", "errors"),
    "refusal_rate": ("ratio", "refusals"),
    "cost_per_hour": ("usd_per_hour", "spend"),
    "projected_month": ("usd_per_month", "spend"),
    "cache_hit_rate": ("ratio", "rules"),
    "tokens_per_hour": ("tokens_per_hour", "rules"),
    "calls_per_hour": ("calls_per_hour", "rules"),
}


_UNITS: dict[str, Callable[[float], str]] = {
    "ratio": lambda v: f"{v * 100:.1f}%", "seconds": lambda v: f"{v:.2f}s",
    "usd_per_hour": lambda v: f"${v:,.2f}/h", "usd_per_month": lambda v: f"${v:,.0f}/month",
    "tokens_per_hour": lambda v: f"{v:,.0f} tokens/h", "calls_per_hour": lambda v: f"{v:,.0f} calls/h",
}


def shown(value: float | None, unit: str) -> str:
    """A value in its unit's words (``12.5%``, ``3.10s``, ``$4.00/h``)."""
    if value is None:
        return "n/a"
    render = _UNITS.get(unit)
    return render(value) if render is not None else f"{value:g}"


def aggregate_info(name: str) -> tuple[str, str]:
    """(unit, family) of an aggregate name; ``ValueError`` for an unknown one."""
    if name in AGGREGATES:
        return AGGREGATES[name]
    match = _QUANTILE.match(name)
    if match and 0 < float(match.group(1)) < 100:
        return "seconds", "latency"
    raise ValueError(f"unknown aggregate {name!r} (one of: {', '.join(AGGREGATES)}, or p50_ttft … p99_latency)")


def quantile_of(name: str) -> tuple[float, str] | None:
    """(q, 'ttft'|'latency') of a quantile aggregate, else None."""
    match = _QUANTILE.match(name)
    return (float(match.group(1)) / 100, match.group(2)) if match else None


@dataclass(frozen=True)
class Rule:
    name: str  # the alert name
    aggregate: str
    by: tuple[str, ...] = ()
    where: tuple[tuple[str, str], ...] = ()  # slice values the rule is limited to
    window_ns: int = 5 * NS_PER_MINUTE
    for_ns: int = 0
    keep_firing_ns: int = 0  # stays firing this long after its last bad evaluation (damps flapping)
    severity: str = "ticket"
    above: float | None = None  # bad when the value is above this …
    below: float | None = None  # … or below this
    ratio: float | None = None  # … and/or this many times away from the baseline
    baseline: str = "none"
    baseline_days: int = 7
    trailing_ns: int = NS_PER_HOUR
    min_delta: float = 0.0  # the least absolute distance from the baseline that counts
    min_calls: int = 10
    labels: tuple[tuple[str, str], ...] = ()
    runbook: str = "incident.md"
    builtin: bool = False

    @property
    def unit(self) -> str:
        return aggregate_info(self.aggregate)[0]

    @property
    def family(self) -> str:
        """The ``genlens detect`` family it belongs to (errors, latency, refusals, spend, rules)."""
        return aggregate_info(self.aggregate)[1]

    @property
    def falling(self) -> bool:
        """Bad when low (a cache-hit rate), not when high."""
        return self.below is not None and self.above is None

    @property
    def keys(self) -> tuple[str, ...]:
        """Every slice key the rule reads: its ``by`` and its ``where``."""
        return tuple(dict.fromkeys((*self.by, *(k for k, _ in self.where))))

    def check(self) -> Rule:
        where = f"alert rule {self.name!r}"
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$", self.name):
            raise ConfigError(f"{where}: a name is letters, digits and _ (an alert name)")
        try:
            aggregate_info(self.aggregate)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        for key in self.keys:
            if key not in SERIES_KEYS:
                raise ConfigError(f"{where}: cannot slice by {key!r} (one of: {', '.join(SERIES_KEYS)})")
        if self.severity not in SEVERITIES:
            raise ConfigError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        if self.baseline not in BASELINES:
            raise ConfigError(f"{where}: baseline must be one of {', '.join(BASELINES)}")
        if self.above is None and self.below is None and self.ratio is None:
            raise ConfigError(f"{where}: give a threshold (above or below) and/or a ratio to a baseline")
        if self.ratio is not None and (self.ratio <= 1 or self.baseline == "none"):
            raise ConfigError(f"{where}: a ratio must be > 1 and needs a baseline (same_hour or trailing)")
        if self.window_ns <= 0 or self.for_ns < 0 or self.keep_firing_ns < 0 or self.trailing_ns <= 0:
            raise ConfigError(f"{where}: window and trailing must be > 0, for and keep_firing_for >= 0")
        if not 1 <= self.baseline_days <= 28 or self.min_calls < 1 or self.min_delta < 0:
            raise ConfigError(f"{where}: baseline_days 1..28, min_calls >= 1, min_delta >= 0")
        return self


# Built-ins stay firing a minute after their last bad evaluation: a slice whose traffic thins out during an
# incident (calls slow down, clients back off) must not flap between firing and resolved.
BUILTIN: tuple[Rule, ...] = (
    Rule("LLMErrorBurst", "error_rate", ("provider", "model"), window_ns=5 * NS_PER_MINUTE,
         for_ns=2 * NS_PER_MINUTE, severity="page", above=0.05, min_calls=10, runbook="provider-outage.md",
         keep_firing_ns=NS_PER_MINUTE, builtin=True),
    Rule("LLMTTFTSpike", "p95_ttft", ("model",), window_ns=5 * NS_PER_MINUTE, for_ns=3 * NS_PER_MINUTE,
         severity="page", ratio=2.0, baseline="same_hour", min_delta=0.5, min_calls=10,
         runbook="latency-spike.md", keep_firing_ns=NS_PER_MINUTE, builtin=True),
    Rule("LLMLatencySpike", "p95_latency", ("model",), window_ns=10 * NS_PER_MINUTE, for_ns=5 * NS_PER_MINUTE,
         severity="ticket", ratio=2.0, baseline="same_hour", min_delta=1.0, min_calls=10,
         runbook="latency-spike.md", keep_firing_ns=NS_PER_MINUTE, builtin=True),
    Rule("LLMRefusalSpike", "refusal_rate", ("feature",), window_ns=10 * NS_PER_MINUTE, for_ns=5 * NS_PER_MINUTE,
         severity="ticket", above=0.05, ratio=3.0, baseline="same_hour", min_delta=0.03, min_calls=10,
         runbook="refusal-spike.md", keep_firing_ns=NS_PER_MINUTE, builtin=True),
    Rule("LLMSpendSpike", "cost_per_hour", ("feature",), window_ns=30 * NS_PER_MINUTE, for_ns=0,
         severity="ticket", ratio=2.0, baseline="same_hour", min_delta=1.0, min_calls=10,
         runbook="cost-spike.md", keep_firing_ns=NS_PER_MINUTE, builtin=True),
    Rule("LLMSpendHigh", "cost_per_hour", (), window_ns=5 * NS_PER_MINUTE, for_ns=5 * NS_PER_MINUTE,
         severity="ticket", above=50.0, min_calls=1, runbook="cost-spike.md", keep_firing_ns=NS_PER_MINUTE, builtin=True),
)
BUILTIN_BY_NAME = {rule.name: rule for rule in BUILTIN}

_DURATIONS = {"window": "window_ns", "for": "for_ns", "keep_firing_for": "keep_firing_ns",
              "trailing": "trailing_ns"}
_NUMBERS = {"above": float, "below": float, "ratio": float, "min_delta": float, "min_calls": int,
            "baseline_days": int}


def _text_pairs(value: Any, what: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{what} must map names to values")
    return tuple((str(k), str(v)) for k, v in value.items())


def _fields(raw: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Rule fields from one settings mapping (durations as text like 5m; everything checked)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        key = str(key).replace("-", "_")
        try:
            if key in _DURATIONS:
                out[_DURATIONS[key]] = parse_duration(str(value))
            elif key in _NUMBERS:
                if isinstance(value, bool) or value is None:
                    raise ValueError("expected a number")
                out[key] = _NUMBERS[key](value)
            elif key == "by":
                items = [value] if isinstance(value, str) else value
                if not isinstance(items, Sequence):
                    raise ValueError("expected a list of slice keys")
                out["by"] = tuple(str(v) for v in items)
            elif key in ("where", "labels"):
                out[key] = _text_pairs(value, f"{what}: {key}")
            elif key in ("name", "aggregate", "severity", "baseline", "runbook"):
                out[key] = str(value)
            else:
                known = ", ".join(("name", "aggregate", "by", "where", *_DURATIONS, *_NUMBERS, "severity",
                                   "baseline", "labels", "runbook"))
                raise ConfigError(f"{what}: unknown key {key!r} (known: {known})")
        except (ValueError, TypeError, BadRequest) as exc:
            raise ConfigError(f"{what}: {key}: {exc}") from None
    return out


def load_rules(detectors: Mapping[str, Any] | Sequence[tuple[str, Any]] = (),
               rules: Sequence[Mapping[str, Any]] = ()) -> list[Rule]:
    """The built-in detectors with their overrides (``name: {…}`` or ``name: false``), then the written rules."""
    overrides = dict(detectors.items() if isinstance(detectors, Mapping) else detectors)
    unknown = sorted(set(overrides) - set(BUILTIN_BY_NAME))
    if unknown:
        raise ConfigError(f"settings alerts.detectors: unknown detector {unknown[0]!r} "
                          f"(built-in: {', '.join(BUILTIN_BY_NAME)})")
    out: list[Rule] = []
    for rule in BUILTIN:
        change = overrides.get(rule.name, {})
        if change is False or (isinstance(change, Mapping) and change.get("enabled") is False):
            continue
        if change is True or change is None:
            change = {}
        if not isinstance(change, Mapping):
            raise ConfigError(f"settings alerts.detectors.{rule.name}: expected a mapping of fields or false")
        change = {k: v for k, v in change.items() if k != "enabled"}
        fields = _fields(change, f"settings alerts.detectors.{rule.name}")
        if "name" in fields or "aggregate" in fields:
            raise ConfigError(f"settings alerts.detectors.{rule.name}: a built-in keeps its name and aggregate "
                              "(write a rule in alerts.rules instead)")
        out.append(dataclasses.replace(rule, **fields).check())
    names = {r.name for r in out} | set(BUILTIN_BY_NAME)
    for i, raw in enumerate(rules):
        what = f"settings alerts.rules[{i}]"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{what}: expected a mapping")
        fields = _fields(raw, what)
        if "name" not in fields or "aggregate" not in fields:
            raise ConfigError(f"{what}: needs a name and an aggregate")
        rule = Rule(**fields).check()
        if rule.name in names:
            raise ConfigError(f"{what}: alert name {rule.name!r} is taken")
        names.add(rule.name)
        out.append(rule)
    return out
