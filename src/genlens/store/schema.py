"""The table registry: every stored table declared once, in the shape the newest migration leaves it.

From this one declaration come the Arrow conversion (:mod:`genlens.store.columnar`),
the write batch's tables (``batch_field``: which :class:`~genlens.store.base.WriteBatch`
list feeds a table) and the DDL of new tables (:func:`create_sql`).  Migrations
themselves are frozen literal SQL in :mod:`genlens.store.migrations`: declaring a
column here does not add it to existing files — a new migration does, and
``tests/store/test_migrations.py`` fails until the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from genlens.semconv.canonical import COLUMNS

# The canonical span column types, plus a 128-bit integer for exact sums (costs in atto-dollars).
StoreType = Literal["str", "int", "float", "bool", "str_list", "int_list", "float_list", "json", "int128"]

SQL_TYPES: dict[StoreType, str] = {
    "str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "str_list": "VARCHAR[]",
    "int_list": "BIGINT[]", "float_list": "DOUBLE[]", "json": "JSON", "int128": "HUGEINT",
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, StoreType], ...]
    batch_field: str | None = None  # the WriteBatch list whose rows go to this table, if any

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def create_sql(table: Table) -> str:
    """``CREATE TABLE`` for a new table (paste it, literally, into a new migration)."""
    cols = ", ".join(f'"{name}" {SQL_TYPES[kind]}' for name, kind in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({cols})"


SPANS = Table("spans", tuple((c.name, c.type) for c in COLUMNS), "spans")

CONTENT = Table(
    "span_content",
    (
        ("tenant", "str"), ("trace_id", "str"), ("span_id", "str"), ("time_ns", "int"),
        ("kind", "str"), ("source", "str"), ("data", "json"),
    ),
    "content",
)

LOGS = Table(
    "logs",
    (
        ("tenant", "str"), ("time_ns", "int"), ("trace_id", "str"), ("span_id", "str"),
        ("service_name", "str"), ("severity_text", "str"), ("event_name", "str"),
        ("body", "json"), ("attributes", "json"), ("resource_attributes", "json"),
    ),
    "logs",
)

METRIC_POINTS = Table(
    "metric_points",
    (
        ("tenant", "str"), ("time_ns", "int"), ("start_ns", "int"), ("service_name", "str"),
        ("scope_name", "str"), ("name", "str"), ("description", "str"), ("unit", "str"), ("type", "str"),
        ("temporality", "str"), ("is_monotonic", "bool"), ("value", "float"), ("count", "int"), ("sum", "float"),
        ("min", "float"), ("max", "float"), ("bucket_counts", "int_list"), ("explicit_bounds", "float_list"),
        ("extra", "json"), ("attributes", "json"), ("resource_attributes", "json"),
    ),
    "metrics",
)
METRIC_COLUMNS: tuple[str, ...] = METRIC_POINTS.column_names

# Findings of the analysis jobs (cost regressions, cache drops, anomalies, budgets, runaways); written
# through the writer as WriteBatch.findings and merged into earlier findings of the same subject.
FINDINGS = Table(
    "findings",
    (
        ("id", "str"), ("kind", "str"), ("severity", "str"), ("tenant", "str"), ("feature", "str"),
        ("prompt_sha", "str"), ("conversation_id", "str"), ("window_start_ns", "int"), ("window_end_ns", "int"),
        ("observed", "float"), ("baseline", "float"), ("ratio", "float"), ("unit", "str"),
        ("example_trace_ids", "str_list"), ("first_detected_ns", "int"), ("detected_at_ns", "int"),
        ("details", "json"),
    ),
)

# Scores: user feedback and implicit signals (evaluations later), one row per rating of a span or trace,
# linked by (trace_id, span_id) of the rated span.
SCORES = Table(
    "scores",
    (
        ("tenant", "str"), ("trace_id", "str"), ("span_id", "str"), ("time_ns", "int"), ("name", "str"),
        ("source", "str"), ("thumbs", "str"), ("value", "float"), ("comment", "str"), ("signal", "str"),
        ("attributes", "json"),
    ),
    "scores",
)

# Alert events: each alert of the alerting jobs when it fired and when it resolved — the alert history,
# kept across restarts — written through the writer as WriteBatch.alert_events.
ALERT_EVENTS = Table(
    "alert_events",
    (
        ("at_ns", "int"), ("status", "str"), ("fingerprint", "str"), ("name", "str"), ("severity", "str"),
        ("labels", "json"), ("summary", "str"), ("annotations", "json"), ("example_trace_ids", "str_list"),
        ("starts_ns", "int"), ("ends_ns", "int"),
    ),
    "alert_events",
)

# The audit log: who did what to the stored data and why (erasures, retention purges), written through the
# writer as WriteBatch.audit_log — by a maintenance task in the transaction of the change it records.
# Entries never hold a raw user or conversation id, only a salted hash of it (genlens.store.erasure).
AUDIT_LOG = Table(
    "audit_log",
    (
        ("at_ns", "int"), ("actor", "str"), ("action", "str"), ("tenant", "str"), ("target", "str"),
        ("purpose", "str"), ("details", "json"),
    ),
    "audit_log",
)

# Erasure requests, recorded before the erasure runs so that one a crash interrupted is resumed at start:
# ``value`` holds the selected id only while the request is pending (NULL once done; ``value_sha256`` stays),
# ``receipt`` what the erasure found, deleted and left (genlens.store.erasure).
ERASURE_REQUESTS = Table(
    "erasure_requests",
    (
        ("id", "str"), ("selector", "str"), ("value", "str"), ("value_sha256", "str"), ("tenant", "str"),
        ("purpose", "str"), ("actor", "str"), ("requested_ns", "int"), ("status", "str"), ("done_ns", "int"),
        ("receipt", "json"),
    ),
)

# Tail sampling of content (genlens.privacy.sampling): one row per trace and batch while the trace's content
# awaits its decision — written by the sampling stage in the transaction of the spans, so what waits survives a
# restart — and one decision per (tenant, trace), kept so that content arriving late follows it.
CONTENT_PENDING = Table(
    "content_pending",
    (
        ("tenant", "str"), ("trace_id", "str"), ("received_ns", "int"), ("content_rows", "int"),
        ("root", "bool"), ("error_classes", "str_list"), ("over_budget", "bool"),
    ),
    "content_pending",
)
CONTENT_DECISIONS = Table(
    "content_decisions",
    (
        ("tenant", "str"), ("trace_id", "str"), ("decided_ns", "int"), ("keep", "bool"), ("reason", "str"),
        ("content_rows", "int"), ("features", "str_list"),
    ),
)

# Derived tables, kept by the writer in the transaction of the spans they summarise (see
# genlens.store.summaries) and rebuilt from spans by Maintenance.rebuild_summaries.  Key columns of
# derived tables hold NULL as summaries.NULL_KEY, so that a unique index can merge on them.

# One row per (tenant, trace) and one per trace across every tenant (tenant = summaries.ALL_KEY).
# Each "earliest" value carries the (start_ns, span_id) of the span it came from, so merging two
# partial summaries keeps the value of the earlier span whatever order the spans arrived in.
TRACE_SUMMARIES = Table(
    "trace_summaries",
    (
        ("tenant", "str"), ("trace_id", "str"),
        ("start_ns", "int"), ("end_ns", "int"), ("duration_ns", "int"), ("last_start_ns", "int"),
        ("span_count", "int"), ("llm_calls", "int"), ("errors", "int"),
        ("input_tokens", "int"), ("output_tokens", "int"), ("total_tokens", "int"),
        ("cost_atto", "int128"), ("priced_spans", "int"), ("unknown_cost_calls", "int"),
        ("max_span_duration_ns", "int"),
        ("root_name", "str"), ("root_start_ns", "int"), ("root_span_id", "str"),
        ("first_name", "str"), ("first_start_ns", "int"), ("first_span_id", "str"),
        ("service_name", "str"), ("service_start_ns", "int"), ("service_span_id", "str"),
        ("first_tenant", "str"), ("tenant_start_ns", "int"), ("tenant_span_id", "str"),
        ("services", "str_list"), ("features", "str_list"),
    ),
)

# The dimensions of the hourly rollups: every cost filter and group key they can answer.
ROLLUP_DIMENSIONS: tuple[str, ...] = (
    "tenant", "service_name", "environment", "feature", "provider", "request_model", "response_model",
    "prompt_id", "prompt_sha",
)

# Sums over llm/embedding calls per UTC hour and dimension values.
COST_HOURLY = Table(
    "cost_hourly",
    (
        ("hour_ns", "int"), *((d, "str") for d in ROLLUP_DIMENSIONS),
        ("calls", "int"), ("unknown_cost_calls", "int"), ("cost_atto", "int128"),
        ("input_tokens", "int"), ("output_tokens", "int"), ("cache_read_tokens", "int"),
        ("cache_write_tokens", "int"), ("reasoning_tokens", "int"), ("errors", "int"),
        # what pricing cache savings needs: cache-read tokens of calls that had some, and the first such call
        ("cache_read_basis", "int"), ("cache_read_first_ns", "int"),
    ),
)

# Latency sketch of the same calls: call counts per log-scale duration bucket (summaries.latency_bucket).
LATENCY_HOURLY = Table(
    "latency_hourly",
    (("hour_ns", "int"), *((d, "str") for d in ROLLUP_DIMENSIONS), ("bucket", "int"), ("calls", "int")),
)

TABLES: tuple[Table, ...] = (
    SPANS, CONTENT, LOGS, METRIC_POINTS, FINDINGS, SCORES, ALERT_EVENTS, AUDIT_LOG, ERASURE_REQUESTS,
    CONTENT_PENDING, CONTENT_DECISIONS, TRACE_SUMMARIES, COST_HOURLY, LATENCY_HOURLY,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
# Tables fed by rows of a WriteBatch, in the order a commit inserts them.
BATCH_TABLES: tuple[Table, ...] = tuple(t for t in TABLES if t.batch_field is not None)
# Tables of partial rows derived from the spans of a batch, inserted after them in the same transaction.
DERIVED_TABLES: tuple[Table, ...] = (TRACE_SUMMARIES, COST_HOURLY, LATENCY_HOURLY)
