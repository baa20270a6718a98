"""What the derived tables mean, for every backend: key sentinels, exact cost sums, the latency sketch, and
which cost questions the hourly rollup can answer.

The writer keeps three tables beside the spans, in the same transaction
(:mod:`genlens.store.schema`: ``trace_summaries``, ``cost_hourly``,
``latency_hourly``), so an acknowledged batch is summarised too.  Every value
in them is *mergeable* — a minimum, maximum, sum, count, set union, or "the
value of the earliest span" carried with that span's ``(start_ns, span_id)`` —
so a trace whose spans arrive over many batches and out of order ends up with
the summary a scan of all its spans would give, and a rebuild from spans gives
the same rows.

**Costs are summed exactly.**  A span's ``cost_usd`` (a double) is counted as a
whole number of atto-dollars (``round(cost_usd × 10¹⁸)``, half away from zero,
at most 5·10⁻¹⁹ USD off per span; see :func:`atto_of`), and sums are 128-bit integers.  Integer sums
do not depend on order or grouping, so a total built from hourly rollup rows
plus edge spans equals the span scan's to the last bit; the answer is
``atto / 10¹⁸`` correctly rounded (:func:`usd`).

**Latency sketch.**  Call durations are counted per log-scale bucket
(:func:`latency_bucket`, ratio :data:`GAMMA`); a percentile estimated from the
counts (:func:`quantile`) is within :data:`LATENCY_RELATIVE_ERROR` (2 %) of the
exact nearest-rank percentile of the same calls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from genlens.store.queries import ALL_TENANTS, CostQuery, TraceQuery

# NULL in a key column of a derived table (a unique index must see it as a value); ALL_KEY is the
# tenant of the one summary row per trace that spans every tenant.  Neither is a tenant or a value a
# span can carry in practice (they start with U+0000); queries carrying one are not answered from them.
NULL_KEY = "\x00"
ALL_KEY = "\x00*"

ATTO = 10**18  # atto-dollars per dollar
MAX_SPAN_USD = 1e12  # a span's cost beyond this (or not finite) adds nothing to sums

LATENCY_RELATIVE_ERROR = 0.02
GAMMA = (1 + LATENCY_RELATIVE_ERROR) / (1 - LATENCY_RELATIVE_ERROR)
LN_GAMMA = math.log(GAMMA)

# Cost group keys and filters the hourly rollup holds (its dimensions); any other key or filter is answered
# from spans.  experiment_variant and service_version are left out on purpose: crossed with prompt versions
# they multiply the rollup's rows for little use.
ROLLUP_GROUP_KEYS = frozenset({"hour", "day", "tenant", "feature", "model", "provider", "prompt_id", "prompt_sha"})
ROLLUP_FILTERS = frozenset({"service", "environment", "feature", "provider", "prompt_sha"})


def usd(atto: int | None) -> float | None:
    """An exact atto-dollar sum as dollars, correctly rounded (Python's int division is)."""
    return None if atto is None else atto / ATTO


def atto_of(cost_usd: float) -> int:
    """One span's cost in atto-dollars, exactly as every backend counts it (for independent checks).

    A cost that is not finite or not below :data:`MAX_SPAN_USD` in size counts as 0 (the span still
    counts as priced), so one absurd value can neither fail a commit nor overflow a sum.
    """
    if not math.isfinite(cost_usd) or abs(cost_usd) >= MAX_SPAN_USD:
        return 0
    scaled = cost_usd * 1e18
    size = abs(scaled)
    if size < 2**52:  # round half away from zero, as SQL's round() does (size + 0.5 could itself round up)
        whole = math.floor(size)
        size = whole + (size - whole >= 0.5)
    return int(math.copysign(size, scaled))


def atto_array(costs: Any) -> Any:
    """:func:`atto_of` of each cost in a float64 numpy array, as int64 — or None when one of them does not
    fit in an int64 (a span costing more than ~$4.6; the caller then uses :func:`atto_of` one by one)."""
    import numpy as np

    with np.errstate(invalid="ignore", over="ignore"):
        scaled = costs * 1e18
        size = np.abs(scaled)
        whole = np.floor(size)
        rounded = np.where(size < 2**52, whole + ((size - whole) >= 0.5), size)
        counted = np.isfinite(costs) & (np.abs(costs) < MAX_SPAN_USD)
        if bool(np.any(counted & (rounded >= 2**62))):
            return None
        return np.where(counted, np.copysign(rounded, scaled), 0.0).astype(np.int64)


def scope_key(tenant: str) -> str | None:
    """The ``tenant`` column value of the summary rows a scope reads, None if no row can match."""
    if tenant == ALL_TENANTS:
        return ALL_KEY
    return None if NULL_KEY in tenant else tenant


def latency_bucket(duration_ns: int) -> int:
    """Bucket of a duration: 0 for ≤ 0 ns, else ``1 + ceil(log_γ(ns))``; bucket ``b`` holds (γ^(b-2), γ^(b-1)]."""
    if duration_ns <= 0:
        return 0
    return 1 + math.ceil(math.log(duration_ns) / LN_GAMMA)


def bucket_value(bucket: int) -> float:
    """The estimate for every duration in a bucket: within LATENCY_RELATIVE_ERROR of each of them."""
    if bucket <= 0:
        return 0.0
    return 2 * GAMMA ** (bucket - 1) / (GAMMA + 1)


def quantile(buckets: Mapping[int, int], q: float) -> float | None:
    """Estimated nearest-rank ``q`` quantile (0 < q ≤ 1) of the durations counted in ``buckets``.

    The nearest-rank value is the ⌈q·n⌉-th smallest duration; it lies in the
    bucket where the running count first reaches that rank, so the bucket's
    estimate is within the sketch's relative error of it.
    """
    n = sum(buckets.values())
    if n == 0:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(max(buckets))


def rollup_answers(q: CostQuery) -> bool:
    """Whether every group key and filter of ``q`` is a rollup dimension (else only spans can answer)."""
    if not set(q.group_by) <= ROLLUP_GROUP_KEYS or any(name not in ROLLUP_FILTERS for name, _ in q.filters):
        return False
    values = [q.tenant, q.model or "", *(value for _, value in q.filters)]
    return not any(NULL_KEY in value for value in values)


def whole_hours(start_ns: int, end_ns: int, hour_ns: int) -> tuple[int, int] | None:
    """The whole hours ``[h0, h1)`` inside ``[start_ns, end_ns)``, None if there is none."""
    h0 = -(-start_ns // hour_ns) * hour_ns
    h1 = end_ns // hour_ns * hour_ns
    return (h0, h1) if h0 < h1 else None


# A trace search reads only summary rows when it has no span filter, or exactly one of these, which a
# summary answers for a trace whose spans all lie in the window (other traces are checked against spans).
SUMMARY_FILTERS = ("min_duration_ns", "status", "kind", "feature", "service")
_SPAN_FILTERS = (
    "service", "environment", "feature", "model", "provider", "kind", "status", "error_class", "min_duration_ns",
    "min_cost_usd", "user_id", "conversation_id", "prompt_sha", "text",
)


def summary_filter(q: TraceQuery) -> tuple[str | None, bool]:
    """(the one span filter of ``q`` a summary can answer or None, whether summaries can answer ``q`` at all)."""
    given = [name for name in _SPAN_FILTERS if getattr(q, name) not in (None, "")]
    if not given:
        return None, True
    if len(given) > 1 or given[0] not in SUMMARY_FILTERS:
        return None, False
    name = given[0]
    if (name == "status" and q.status != "error") or (name == "kind" and q.kind != "llm"):
        return None, False
    return name, True
