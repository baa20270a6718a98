"""The store protocol: one plug point, one module per backend (duckdb.py; clickhouse later).

Writes arrive only through :class:`genlens.store.writer.Writer`, a single thread
that owns the write path; reads may come from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from genlens.query.cost import ALL_TENANTS, CostQuery

__all__ = ["ALL_TENANTS", "CostQuery", "SpanFilter", "Store", "TraceQuery", "WriteBatch"]


@dataclass(slots=True)
class WriteBatch:
    """Everything one export (or several coalesced exports) adds, committed atomically."""

    spans: list[dict[str, Any]] = field(default_factory=list)
    content: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    # rows already converted to Arrow (genlens.store.columnar.to_columnar): table name → tables
    arrow: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        pending = len(self.spans) + len(self.content) + len(self.logs) + len(self.metrics) + len(self.scores)
        arrow_rows: int = sum(t.num_rows for tables in self.arrow.values() for t in tables)
        return pending + arrow_rows

    def extend(self, other: WriteBatch) -> None:
        self.spans.extend(other.spans)
        self.content.extend(other.content)
        self.logs.extend(other.logs)
        self.metrics.extend(other.metrics)
        self.scores.extend(other.scores)
        for name, tables in other.arrow.items():
            self.arrow.setdefault(name, []).extend(tables)


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


class Store(Protocol):
    def write(self, batch: WriteBatch) -> None:
        """Commit a batch durably; called only from the writer thread."""

    def close(self) -> None: ...

    def search_traces(self, query: TraceQuery) -> list[dict[str, Any]]:
        """One summary row per trace (limit + 1 rows so the caller can tell if a next page exists)."""

    def trace_spans(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        """All spans of a trace, canonical columns, in start order."""

    def span(self, tenant: str, span_id: str) -> dict[str, Any] | None: ...

    def content(self, tenant: str, trace_id: str, span_id: str | None = None) -> list[dict[str, Any]]:
        """Content records of a trace (or of one span), oldest first."""

    def scores(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        """Feedback and other scores of a trace, oldest first."""

    def metric_points(self, tenant: str, name: str | None, limit: int) -> list[dict[str, Any]]:
        """Newest metric data points, optionally of one metric name."""

    def logs(self, tenant: str, trace_id: str | None, limit: int) -> list[dict[str, Any]]:
        """Newest log records (GenAI content events are stored as span content, not here)."""

    def counts(self) -> dict[str, int]:
        """Row counts per table (for health and tests)."""

    # -- cost aggregations (genlens.query.cost) and analysis findings ------------------------
    def cost_groups(self, query: CostQuery) -> list[dict[str, Any]]:
        """Sums of calls, cost and tokens per group (one row when ``group_by`` is empty); limit + 1 rows."""

    def cache_savings_basis(self, query: CostQuery) -> list[dict[str, Any]]:
        """Cache-read tokens per group (keys other than provider/model), provider, models and UTC day."""

    def top_users(self, query: CostQuery, limit: int) -> list[dict[str, Any]]:
        """Users by cost, from spans (never from metric labels)."""

    def conversations(self, query: CostQuery, limit: int, order_by: str = "cost", min_tokens: int | None = None,
                      min_calls: int | None = None) -> list[dict[str, Any]]:
        """Conversations with cumulative tokens and cost, by cost or by tokens."""

    def conversation_turns(self, tenant: str, conversation_ids: list[str], start_ns: int, end_ns: int,
                           last: int) -> list[dict[str, Any]]:
        """The last ``last`` calls of each conversation, oldest first, with running token totals."""

    def example_traces(self, query: CostQuery, n: int, by: str = "cost") -> list[str]:
        """Trace ids of the calls matching a query with the highest cost (or tokens, ``by="tokens"``)."""

    def findings(self, tenant: str, kind: str | None = None, feature: str | None = None,
                 since_ns: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Stored findings, newest first."""

    def upsert_findings(self, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store findings, de-duplicated against earlier ones of the same subject and window."""

    # -- web UI reads (see genlens.store.duckdb_ui for the DuckDB SQL) ---------
    def ui_overview(self, f: SpanFilter, bucket_ns: int, day0_ns: int, month0_ns: int) -> dict[str, list[dict[str, Any]]]:
        """Named result sets of the overview dashboard."""

    def ui_facets(self, tenant: str, since_ns: int) -> dict[str, list[str]]:
        """Recently seen services, environments, features and models (for the filter bar)."""

    def ui_span_tenant(self, trace_id: str, span_id: str) -> str | None:
        """The tenant a span is stored under, None if unknown (the UI opens traces from every tenant)."""

    def trace_skeleton(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        """Spans of a trace in start order, only the columns a waterfall draws (tenant may be ALL_TENANTS)."""

    def ui_conversations(self, f: SpanFilter, limit: int, offset: int) -> list[dict[str, Any]]:
        """Conversations active in the window, most recent first (limit + 1 rows)."""

    def ui_turn_inputs(self, tenant: str, trace_ids: list[str]) -> list[dict[str, Any]]:
        """First input-messages content record of each trace."""
