"""Tail sampling of content: which traces keep their prompts and outputs, decided once per trace.

Skeleton spans (timings, tokens, cost, status) are always stored, so every total stays exact; what a
sampling decision drops is only the trace's *content* (messages, tool arguments and results, documents).
The decision is made when the trace has completed — its root span arrived and nothing more came for a short
grace — or, for a trace whose root never comes, once ``decision_wait`` has passed since its first span.

Policies are shaped like the OpenTelemetry Collector's ``tail_sampling`` processor: a list of
``{name, type, <type>: {...}}``; a trace keeps its content when **any** policy keeps it, and the decision
names the first policy that did (its ``reason``).  Types:

=================  ==========================================================  ===========================
type               keeps a trace …                                             options
=================  ==========================================================  ===========================
status_code        with a span whose status is in ``status_codes``             ``status_codes: [ERROR]``
error_class        with a span of one of these error classes                   ``classes: [validation,
                                                                               guardrail]``
latency            lasting at least ``threshold_ms``                           ``threshold_ms: 5000``
cost               costing at least ``threshold_usd``                          ``threshold_usd: 0.10``
tokens             using at least ``max_tokens`` tokens                        ``max_tokens: 100000``
budget             with a call over its token budget (``budget_exceeded``)     —
feedback           rated thumbs-down when decided                              —
string_attribute   whose ``key`` (tenant or feature) is one of ``values``      ``key, values``
min_volume         of a feature with fewer traces than this in the last 24 h   ``min_daily_traces: 100``
probabilistic      whose trace-id hash falls under ``sampling_percentage``     ``sampling_percentage: 10``
always_sample      always                                                      —
=================  ==========================================================  ===========================

The probabilistic choice hashes the salted trace id (SHA-256), so it is the same on every replica and
after every restart, and the kept share converges on the configured percentage.

This module is a leaf: it knows policies and facts, not where the facts come from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# A policy's test: the trace's facts and how many traces each feature had decided in the last 24 h.
Test = Callable[["TraceFacts", Mapping[str, int]], bool]

__all__ = [
    "DEFAULT_POLICIES", "POLICY_TYPES", "Decision", "Policy", "SamplingPolicy", "TraceFacts", "parse_policies",
]

ERROR_CLASSES = ("api", "validation", "guardrail", "timeout", "cancelled")
STATUS_CODES = ("ERROR", "OK", "UNSET")
STRING_KEYS = ("tenant", "feature")
MAX_POLICIES = 64
MAX_VALUES = 1000
NO_POLICY = "not_sampled"  # the reason of a trace no policy keeps


@dataclass(frozen=True, slots=True)
class TraceFacts:
    """What a decision looks at, for one trace of one tenant.

    ``errors`` counts spans of status error; ``flagged`` holds the error classes seen (validation,
    guardrail, …).
    """

    tenant: str
    trace_id: str
    duration_ns: int = 0
    cost_usd: float = 0.0
    total_tokens: int = 0
    errors: int = 0
    statuses: frozenset[str] = frozenset()
    error_classes: frozenset[str] = frozenset()
    over_budget: bool = False
    negative_feedback: bool = False
    features: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    tenant: str
    trace_id: str
    keep: bool
    reason: str  # the policy that kept it, or NO_POLICY


@dataclass(frozen=True, slots=True)
class Policy:
    """One named policy: ``test(facts)`` answers whether it keeps the trace."""

    name: str
    type: str
    test: Test
    options: Mapping[str, Any]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, self.type: dict(self.options)} if self.options else \
            {"name": self.name, "type": self.type}


def _number(options: Mapping[str, Any], key: str, *, low: float = 0.0, high: float | None = None) -> float:
    value = options.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ValueError(f"{key} must be a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise ValueError(f"{key} must be {bound}, got {value!r}")
    return float(value)


def _words(options: Mapping[str, Any], key: str, allowed: Sequence[str] | None = None,
           upper: bool = False) -> frozenset[str]:
    value = options.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value or len(value) > MAX_VALUES:
        raise ValueError(f"{key} must be a list of 1 to {MAX_VALUES} values, got {value!r}"[:200])
    out = set()
    for item in value:
        if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
            raise ValueError(f"{key}: {item!r} is not a name"[:200])
        word = str(item).strip()
        word = word.upper() if upper else word
        if allowed is not None and word not in allowed:
            raise ValueError(f"{key}: unknown value {word!r} (one of {', '.join(allowed)})")
        out.add(word)
    return frozenset(out)


def _status_code(o: Mapping[str, Any]) -> Test:
    codes = _words(o, "status_codes", STATUS_CODES, upper=True)
    return lambda f, v: ("ERROR" in codes and f.errors > 0) or bool(codes & f.statuses)


def _error_class(o: Mapping[str, Any]) -> Test:
    classes = _words(o, "classes", ERROR_CLASSES)
    return lambda f, v: bool(classes & f.error_classes)


def _latency(o: Mapping[str, Any]) -> Test:
    threshold_ns = _number(o, "threshold_ms") * 1e6
    return lambda f, v: f.duration_ns >= threshold_ns


def _cost(o: Mapping[str, Any]) -> Test:
    threshold = _number(o, "threshold_usd")
    return lambda f, v: f.cost_usd >= threshold


def _tokens(o: Mapping[str, Any]) -> Test:
    threshold = _number(o, "max_tokens", low=1)
    return lambda f, v: f.total_tokens >= threshold


def _string_attribute(o: Mapping[str, Any]) -> Test:
    key = o.get("key")
    if key not in STRING_KEYS:
        raise ValueError(f"key must be one of {', '.join(STRING_KEYS)}, got {key!r}"[:200])
    values = _words(o, "values")
    if key == "tenant":
        return lambda f, v: f.tenant in values
    return lambda f, v: any(feature in values for feature in f.features)


def _min_volume(o: Mapping[str, Any]) -> Test:
    floor = _number(o, "min_daily_traces", low=1)
    return lambda f, v: any(v.get(feature, 0) < floor for feature in f.features)


def _probabilistic(o: Mapping[str, Any], salt: str) -> Test:
    share = _number(o, "sampling_percentage", high=100.0) / 100.0
    own_salt = o.get("hash_salt", salt)
    if not isinstance(own_salt, str):
        raise ValueError(f"hash_salt must be text, got {own_salt!r}"[:200])
    bound = int(share * 2**64)
    return lambda f, v: baseline_hash(f.trace_id, own_salt) < bound


def baseline_hash(trace_id: str, salt: str) -> int:
    """The trace's place in [0, 2**64) for the probabilistic policy: the first 8 bytes of SHA-256(salt, id)."""
    digest = hashlib.sha256(f"{salt}\x00{trace_id.lower()}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


_PLAIN: dict[str, Test] = {
    "budget": lambda f, v: f.over_budget,
    "feedback": lambda f, v: f.negative_feedback,
    "always_sample": lambda f, v: True,
}
_WITH_OPTIONS: dict[str, Callable[[Mapping[str, Any]], Test]] = {
    "status_code": _status_code, "error_class": _error_class, "latency": _latency, "cost": _cost,
    "tokens": _tokens, "string_attribute": _string_attribute, "min_volume": _min_volume,
}
POLICY_TYPES: tuple[str, ...] = (*_WITH_OPTIONS, *_PLAIN, "probabilistic")

# What a user gets without writing a policy: every trace worth debugging keeps its content, 10 % of the rest.
DEFAULT_POLICIES: tuple[dict[str, Any], ...] = (
    {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
    {"name": "rejected", "type": "error_class", "error_class": {"classes": ["validation", "guardrail"]}},
    {"name": "slow", "type": "latency", "latency": {"threshold_ms": 5000}},
    {"name": "expensive", "type": "cost", "cost": {"threshold_usd": 0.10}},
    {"name": "over-budget", "type": "budget"},
    {"name": "negative-feedback", "type": "feedback"},
    {"name": "baseline", "type": "probabilistic", "probabilistic": {"sampling_percentage": 10}},
)


def _one(entry: Any, salt: str, index: int) -> Policy:
    if not isinstance(entry, Mapping):
        raise ValueError(f"policy {index}: expected a mapping {{name, type, <type>: {{...}}}}, "
                         f"got {type(entry).__name__}")
    name, kind = entry.get("name"), entry.get("type")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"policy {index}: needs a name")
    if kind not in POLICY_TYPES:
        raise ValueError(f"policy {name!r}: unknown type {kind!r} (types: {', '.join(POLICY_TYPES)})"[:300])
    extra = sorted(str(k) for k in set(entry) - {"name", "type", kind})
    if extra:
        raise ValueError(f"policy {name!r}: unknown key(s) {', '.join(extra)[:100]}; the options of a {kind} "
                         f"policy go under {kind}:")
    options = entry.get(kind) or {}
    if not isinstance(options, Mapping):
        raise ValueError(f"policy {name!r}: {kind} must be a mapping of options")
    try:
        if kind in _PLAIN:
            if options:
                raise ValueError(f"a {kind} policy takes no options")
            test = _PLAIN[kind]
        elif kind == "probabilistic":
            test = _probabilistic(options, salt)
        else:
            test = _WITH_OPTIONS[kind](options)
    except ValueError as exc:
        raise ValueError(f"policy {name!r} ({kind}): {exc}") from None
    return Policy(name.strip(), str(kind), test, dict(options))


def parse_policies(entries: Iterable[Any], salt: str = "") -> tuple[Policy, ...]:
    """Policies from their settings entries; ValueError naming the policy and the problem."""
    entries = list(entries)
    if len(entries) > MAX_POLICIES:
        raise ValueError(f"at most {MAX_POLICIES} policies, got {len(entries)}")
    policies = tuple(_one(entry, salt, i) for i, entry in enumerate(entries))
    names = [p.name for p in policies]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"policy names must be unique: {', '.join(dupes)}")
    return policies


class SamplingPolicy:
    """The policies in force: ``decide(facts)`` for each trace, in the order given."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = tuple(policies)
        self.volume_features = any(p.type == "min_volume" for p in self.policies)

    @classmethod
    def of(cls, entries: Iterable[Any], salt: str = "") -> SamplingPolicy:
        return cls(parse_policies(entries, salt))

    def decide(self, facts: TraceFacts, volume: Mapping[str, int] | None = None) -> Decision:
        """The decision on one trace; ``volume``: traces decided per feature in the last 24 h."""
        seen = volume if volume is not None else {}
        for policy in self.policies:
            if policy.test(facts, seen):
                return Decision(facts.tenant, facts.trace_id, True, policy.name)
        return Decision(facts.tenant, facts.trace_id, False, NO_POLICY)

    def decide_all(self, traces: Iterable[TraceFacts], volume: Mapping[str, int] | None = None) -> list[Decision]:
        """Decisions in order, each trace counted into the volume of its features before the next is decided
        (so a burst of a rare feature keeps only what its floor allows)."""
        running = dict(volume or {})
        out = []
        for facts in traces:
            out.append(self.decide(facts, running))
            for feature in facts.features:
                running[feature] = running.get(feature, 0) + 1
        return out

    def describe(self) -> list[dict[str, Any]]:
        return [p.describe() for p in self.policies]
