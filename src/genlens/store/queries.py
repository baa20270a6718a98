"""Descriptions of what a caller may ask a store: the tenant scope, span filters, trace searches, cost sums.

They live below the store because a backend executes them; the layers above
(``query/``, ``analysis/``, ``server/``) build them and shape the answers.  Each
is a frozen value: a description, never a connection or a cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALL_TENANTS = "*"  # a tenant scope meaning every tenant

# Cost group keys a user may name; each backend maps every key to an expression.
GROUP_KEYS: tuple[str, ...] = (
    "hour", "day", "feature", "tenant", "model", "provider", "prompt_id", "prompt_sha", "experiment_variant",
    "service_version",
)
TIME_KEYS = frozenset({"hour", "day"})
CACHE_KEYS: tuple[str, ...] = ("feature", "model", "provider", "tenant")
TOKEN_FIELDS: tuple[str, ...] = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
)
# Equality filters of a cost query: query field → canonical column.
FILTER_COLUMNS: dict[str, str] = {
    "service": "service_name", "environment": "environment", "feature": "feature", "provider": "provider",
    "prompt_sha": "prompt_sha", "experiment_variant": "experiment_variant", "service_version": "service_version",
    "user_id": "user_id", "conversation_id": "conversation_id",
}


@dataclass(frozen=True, slots=True)
class SpanFilter:
    """A tenant (or ALL_TENANTS), a time window and the equality filters every span view offers.

    The web UI's filter bar is exactly this; a trace search (:class:`TraceQuery`) adds its own.
    """

    tenant: str
    start_ns: int | None = None
    end_ns: int | None = None
    service: str | None = None
    environment: str | None = None
    feature: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class TraceQuery(SpanFilter):
    """Filters of a trace search; every filter narrows to traces with at least one matching span."""

    provider: str | None = None
    kind: str | None = None
    status: str | None = None
    error_class: str | None = None
    min_duration_ns: int | None = None
    min_cost_usd: float | None = None
    user_id: str | None = None
    conversation_id: str | None = None
    prompt_sha: str | None = None
    text: str | None = None
    sort: str = "time"  # time | duration | cost
    descending: bool = True
    limit: int = 50
    after: tuple[Any, str] | None = None  # (sort value, trace_id) of the last row of the previous page


@dataclass(frozen=True, slots=True)
class CostQuery:
    """What to sum over: one tenant (or ``*``, all), a half-open time range, equality filters, group keys."""

    tenant: str
    start_ns: int
    end_ns: int
    group_by: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()  # (field in FILTER_COLUMNS, value)
    model: str | None = None  # matches request or response model
    limit: int = 1000


# Span fields a predicate may test: field → (SQL over the spans table, kind).  "model" is the request
# model, or the response model when none was recorded (as the metrics' model label); "duration_s" is
# seconds; "finish_reason" tests membership in the span's finish reasons.
PREDICATE_FIELDS: dict[str, tuple[str, str]] = {
    "kind": ("kind", "str"), "status": ("status", "str"), "error_class": ("error_class", "str"),
    "error_type": ("error_type", "str"), "provider": ("provider", "str"),
    "model": ("coalesce(request_model, response_model)", "str"), "feature": ("feature", "str"),
    "tenant": ("tenant", "str"), "service": ("service_name", "str"), "environment": ("environment", "str"),
    "prompt_sha": ("prompt_sha", "str"), "experiment_variant": ("experiment_variant", "str"),
    "finish_reason": ("finish_reasons", "list"),
    "ttft_s": ("ttft_s", "num"), "tpot_s": ("tpot_s", "num"), "duration_s": ("duration_ns / 1e9", "num"),
    "cost_usd": ("cost_usd", "num"), "input_tokens": ("input_tokens", "num"),
    "output_tokens": ("output_tokens", "num"), "total_tokens": ("total_tokens", "num"),
}
PREDICATE_OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not in")


@dataclass(frozen=True, slots=True)
class Condition:
    """``field op value``: a value is a str or a number, or a tuple of them for ``in``/``not in``.

    A missing (NULL) field satisfies no condition but ``!=`` and ``not in``, so a span without a TTFT
    is neither fast nor slow, and a span without a status is not an error.
    """

    field: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.field not in PREDICATE_FIELDS:
            raise ValueError(f"unknown span field {self.field!r} (one of: {', '.join(PREDICATE_FIELDS)})")
        if self.op not in PREDICATE_OPS:
            raise ValueError(f"unknown operator {self.op!r} (one of: {', '.join(PREDICATE_OPS)})")


@dataclass(frozen=True, slots=True)
class SliQuery:
    """Counts of ``total`` spans and of those also ``bad``, in windows that all end at ``end_ns``.

    Each predicate is a conjunction of conditions (empty: every span); spans are placed in time by
    their start.  One answer ``(total, bad)`` per window start, in the order given.
    """

    tenant: str
    end_ns: int
    window_starts: tuple[int, ...]
    total: tuple[Condition, ...]
    bad: tuple[Condition, ...]


# Slices a call series may be grouped by: field → canonical SQL expression.
SERIES_KEYS: dict[str, str] = {
    "provider": "provider", "model": "coalesce(request_model, response_model)", "feature": "feature",
    "tenant": "tenant", "service": "service_name", "environment": "environment",
}


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """LLM and embedding calls counted in time buckets of ``bucket_ns`` per slice (the alert detectors' input).

    Each row holds one (bucket, slice): calls, API errors (failed calls that are not the app's own
    validation or guardrail rejections), refusals (finish reason ``content_filter``), tokens, cost, and
    cumulative counts of TTFT and total latency at or below each of ``bounds`` (seconds), so windows of
    any length combine by summing buckets and quantiles come from the counts as from a histogram.
    Example traces per row: ``error_trace`` and ``refusal_trace`` (the largest such trace id),
    ``slow_ttft_trace``/``slow_ttft_s``, ``slow_trace``/``slow_s`` and ``cost_trace``/``cost_max`` (the call
    with the largest value, the largest trace id among ties).
    """

    tenant: str
    start_ns: int
    end_ns: int
    bucket_ns: int
    group_by: tuple[str, ...] = ()
    bounds: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        unknown = [k for k in self.group_by if k not in SERIES_KEYS]
        if unknown:
            raise ValueError(f"unknown series key(s) {unknown} (one of: {', '.join(SERIES_KEYS)})")
        if self.bucket_ns <= 0:
            raise ValueError(f"bucket_ns must be > 0, got {self.bucket_ns}")
        if list(self.bounds) != sorted(set(self.bounds)):
            raise ValueError("bounds must be strictly increasing")
