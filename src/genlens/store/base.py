"""The store plug point: narrow protocols by what callers read, one module per backend.

A backend (``duckdb.py``; ClickHouse later) implements all of them as :class:`Store`;
each caller names only the protocol it needs, so a reader of traces never sees
cost SQL and a job never sees the write path:

* :class:`TraceReader` — spans, traces, content, scores, logs, metric points;
* :class:`AnalyticsReader` — sums over spans (cost, cache, users, conversations,
  dashboard aggregates, filter facets);
* :class:`FindingsReader` — stored findings of the analysis jobs;
* :class:`AuditReader` — the audit log and the erasure requests;
* :class:`Maintenance` — row counts, schema version, rebuilding and compacting derived tables, erasing traces
  and what an erasure request selects, retention purges;
* :class:`BatchSink` — ``write(batch)``, called only by the single writer
  (:mod:`genlens.store.writer`), which is the one path for every write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from genlens.store.queries import CostQuery, SeriesQuery, SliQuery, SpanFilter, TraceQuery
from genlens.store.schema import DERIVED_TABLES

if TYPE_CHECKING:
    from genlens.privacy.cipher import Keyring
    from genlens.privacy.sampling import SamplingPolicy
    from genlens.store.content_rotation import ResealChunk
    from genlens.store.erasure import Selector

_DERIVED_NAMES = frozenset(t.name for t in DERIVED_TABLES)

__all__ = [
    "AnalyticsReader", "AuditReader", "BatchSink", "Committed", "FindingsReader", "Maintenance", "Store",
    "TraceReader", "WriteBatch",
]


@dataclass(slots=True)
class WriteBatch:
    """Everything one export (or several coalesced exports, or one job) adds, committed atomically."""

    spans: list[dict[str, Any]] = field(default_factory=list)
    content: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    # findings of the analysis jobs, merged into earlier findings of the same subject on commit
    findings: list[dict[str, Any]] = field(default_factory=list)
    # the alerting jobs' alerts as they fire and resolve (schema.ALERT_EVENTS)
    alert_events: list[dict[str, Any]] = field(default_factory=list)
    # entries of the audit log (schema.AUDIT_LOG): erasures, retention purges
    audit_log: list[dict[str, Any]] = field(default_factory=list)
    # traces whose content awaits its tail-sampling decision (schema.CONTENT_PENDING), one row per trace
    content_pending: list[dict[str, Any]] = field(default_factory=list)
    # rows already converted to Arrow (genlens.store.columnar.to_columnar): table name → tables
    arrow: dict[str, list[Any]] = field(default_factory=dict)
    # counts the stages report about the batch (e.g. "redaction:pattern:EMAIL"), never stored: /metrics sums them
    notes: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        pending = (len(self.spans) + len(self.content) + len(self.logs) + len(self.metrics) + len(self.scores)
                   + len(self.findings) + len(self.alert_events) + len(self.audit_log))
        # derived partial rows ride along with their spans and are not counted against queue limits
        arrow_rows: int = sum(t.num_rows for name, tables in self.arrow.items() if name not in _DERIVED_NAMES
                              for t in tables)
        return pending + arrow_rows

    def extend(self, other: WriteBatch) -> None:
        self.spans.extend(other.spans)
        self.content.extend(other.content)
        self.logs.extend(other.logs)
        self.metrics.extend(other.metrics)
        self.scores.extend(other.scores)
        self.findings.extend(other.findings)
        self.alert_events.extend(other.alert_events)
        self.audit_log.extend(other.audit_log)
        self.content_pending.extend(other.content_pending)
        for name, tables in other.arrow.items():
            self.arrow.setdefault(name, []).extend(tables)
        for key, n in other.notes.items():
            self.notes[key] = self.notes.get(key, 0) + n


@dataclass(slots=True)
class Committed:
    """What one commit stored beyond the batch itself: findings as merged (ids, widened windows)."""

    findings: list[dict[str, Any]] = field(default_factory=list)


class BatchSink(Protocol):
    def write(self, batch: WriteBatch) -> Committed:
        """Commit a batch durably in one transaction; called only from the writer thread."""

    def close(self) -> None: ...


class TraceReader(Protocol):
    def search_traces(self, query: TraceQuery) -> list[dict[str, Any]]:
        """One summary row per trace (limit + 1 rows so the caller can tell if a next page exists)."""

    def trace_spans(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        """All spans of a trace, canonical columns, in start order (tenant may be ALL_TENANTS)."""

    def trace_skeleton(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        """Spans of a trace in start order, only the columns a waterfall draws (tenant may be ALL_TENANTS)."""

    def span(self, tenant: str, span_id: str) -> dict[str, Any] | None: ...

    def span_tenant(self, trace_id: str, span_id: str) -> str | None:
        """The tenant a span is stored under, None if unknown."""

    def content(self, tenant: str, trace_id: str, span_id: str | None = None) -> list[dict[str, Any]]:
        """Content records of a trace (or of one span), oldest first; sealed content opened (a placeholder saying
        why, and ``unreadable``, where it cannot be: genlens.privacy.cipher)."""

    def first_inputs(self, tenant: str, trace_ids: list[str]) -> list[dict[str, Any]]:
        """The first input-messages content record of each listed trace (``trace_id``, ``data``), opened."""

    def scores(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        """Feedback and other scores of a trace, oldest first."""

    def active_conversations(self, f: SpanFilter, limit: int, offset: int) -> list[dict[str, Any]]:
        """One row per (tenant, conversation) active in the window, most recent first (limit + 1 rows)."""

    def metric_points(self, tenant: str, name: str | None, limit: int) -> list[dict[str, Any]]:
        """Newest metric data points, optionally of one metric name."""

    def logs(self, tenant: str, trace_id: str | None, limit: int) -> list[dict[str, Any]]:
        """Newest log records (GenAI content events are stored as span content, not here)."""


class AnalyticsReader(Protocol):
    def cost_groups(self, query: CostQuery) -> list[dict[str, Any]]:
        """Sums of calls, cost and tokens per group (one row when ``group_by`` is empty); limit + 1 rows."""

    def cache_savings_basis(self, query: CostQuery) -> list[dict[str, Any]]:
        """Cache-read tokens per group (keys other than provider/model), provider, models and UTC day."""

    def top_users(self, query: CostQuery, limit: int) -> list[dict[str, Any]]:
        """Users by cost, from spans (never from metric labels)."""

    def top_conversations(self, query: CostQuery, limit: int, order_by: str = "cost",
                          min_tokens: int | None = None, min_calls: int | None = None) -> list[dict[str, Any]]:
        """Conversations with cumulative tokens and cost, by cost or by tokens."""

    def conversation_turns(self, tenant: str, conversation_ids: list[str], start_ns: int, end_ns: int,
                           last: int) -> list[dict[str, Any]]:
        """The last ``last`` calls of each conversation, oldest first, with running token totals."""

    def example_traces(self, query: CostQuery, n: int, by: str = "cost") -> list[str]:
        """Trace ids of the calls matching a query with the highest cost (or tokens, ``by="tokens"``)."""

    def overview_aggregates(self, f: SpanFilter, bucket_ns: int, day0_ns: int) -> dict[str, list[dict[str, Any]]]:
        """Named result sets of the overview: KPIs, daily cost, per-feature latency, time buckets …"""

    def facet_values(self, tenant: str, since_ns: int) -> dict[str, list[str]]:
        """Recently seen services, environments, features, models and tenants (most frequent first)."""

    def sli_counts(self, query: SliQuery) -> list[tuple[int, int]]:
        """(total, bad) spans of an SLI in each window of the query (an SLO's burn rates read these)."""

    def call_series(self, query: SeriesQuery) -> list[dict[str, Any]]:
        """Per (bucket, slice) call counts, errors, refusals, tokens, cost and latency counts (see SeriesQuery)."""


class FindingsReader(Protocol):
    def findings(self, tenant: str, kind: str | None = None, feature: str | None = None,
                 since_ns: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Stored findings, newest first."""

    def alert_events(self, since_ns: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Alert events (fired, resolved) at or after ``since_ns``, newest first; labels and annotations parsed."""


class AuditReader(Protocol):
    def audit_entries(self, since_ns: int, action: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Audit log entries at or after ``since_ns`` (of one action, if named), newest first; details parsed."""

    def content_decisions(self, tenant: str, since_ns: int) -> list[dict[str, Any]]:
        """Tail-sampling decisions made since ``since_ns`` in a tenant scope, counted per (keep, reason):
        ``{keep, reason, traces, content_rows}``."""

    def erasure_request(self, request_id: str) -> dict[str, Any] | None:
        """A stored erasure request without the selected id itself (receipt parsed), None if unknown."""


class Maintenance(Protocol):
    @property
    def schema_version(self) -> int: ...

    def counts(self) -> dict[str, int]:
        """Row counts per table (for health and tests)."""

    def rebuild_summaries(self) -> None:
        """Refill the derived tables (trace summaries, hourly rollups) from the stored spans, in one transaction."""

    def delete_traces(self, tenant: str, trace_ids: list[str]) -> dict[str, int]:
        """Erase whole traces with everything derived from them, in one transaction (through the writer:
        ``Writer.run``); returns the rows deleted per table."""

    def compact_summaries(self, since_ns: int | None = None) -> dict[str, int]:
        """Fold the partial rows of each key of the derived tables into one (rows from ``since_ns`` on, or all);
        returns the rows removed per table.  Answers do not change; reads get cheaper."""

    def record_erasure(self, request: dict[str, Any]) -> None:
        """Store a new pending erasure request (``erasure.new_request``) with its audit entry, in one transaction
        (through the writer)."""

    def erase(self, request_id: str) -> dict[str, Any]:
        """Carry out a recorded erasure request in one transaction (through the writer): delete what it selects
        (see :mod:`genlens.store.erasure`), count every table again inside the transaction (a row left fails
        it), mark the request done and write its audit entry.  Returns the receipt; a done request answers
        its stored receipt and changes nothing."""

    def pending_erasures(self) -> list[dict[str, Any]]:
        """Ids and request times of the erasure requests not yet done, oldest first."""

    def erasure_matches(self, selector: Selector, trace_ids: list[str] | None = None) -> dict[str, int]:
        """Rows per table an erasure of ``selector`` removes or edits now (the traces it selects, or the given
        ``trace_ids`` with the spans of the selected id): what a receipt calls found, and, after, remaining."""

    def sample_content(self, policy: SamplingPolicy, now_ns: int, wait_ns: int, grace_ns: int) -> dict[str, Any]:
        """Tail sampling of content in one transaction (through the writer): decide every trace that is due
        (root arrived and ``grace_ns`` passed since its last rows, or ``wait_ns`` since its first) with
        ``policy``, make content that came after its trace's decision follow that decision, delete the content
        of dropped traces (clearing their spans' ``content_sampled``) and the pending rows of every settled
        trace.  Returns ``{kept: {reason: traces}, dropped, late, waiting, content_deleted, …}``."""

    def purge(self, table: str, cutoff_ns: int, record: Callable[[dict[str, int]], dict[str, Any]]) -> dict[str, int]:
        """Delete the rows of a retention tier's table older than ``cutoff_ns`` (``genlens.store.retention``),
        with ``record(counts)``'s audit entry, in one transaction (through the writer); the rows deleted."""

    def reseal_content(self, keyring: Keyring, after: int, limit: int) -> ResealChunk:
        """Re-seal up to ``limit`` content rows after position ``after`` that are not under ``keyring``'s active
        key, in one transaction (writer thread only; genlens.store.content_rotation)."""


class Store(TraceReader, AnalyticsReader, FindingsReader, AuditReader, Maintenance, BatchSink, Protocol):
    """Everything one backend implements."""
