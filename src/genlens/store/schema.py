"""The canonical storage schema, defined once from the canonical span model.

Backends translate :data:`TABLES` into their own DDL; migrations are numbered and
applied in order, each exactly once, recorded in ``schema_migrations``.
"""

from __future__ import annotations

from dataclasses import dataclass

from genlens.pipeline.decode_metrics import METRIC_COLUMNS
from genlens.semconv.canonical import COLUMNS, ColumnType


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, ColumnType], ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


SPANS = Table("spans", tuple((c.name, c.type) for c in COLUMNS))

CONTENT = Table(
    "span_content",
    (
        ("tenant", "str"), ("trace_id", "str"), ("span_id", "str"), ("time_ns", "int"),
        ("kind", "str"), ("source", "str"), ("data", "json"),
    ),
)

LOGS = Table(
    "logs",
    (
        ("tenant", "str"), ("time_ns", "int"), ("trace_id", "str"), ("span_id", "str"),
        ("service_name", "str"), ("severity_text", "str"), ("event_name", "str"),
        ("body", "json"), ("attributes", "json"), ("resource_attributes", "json"),
    ),
)

_METRIC_TYPES: dict[str, ColumnType] = {
    "time_ns": "int", "start_ns": "int", "is_monotonic": "bool", "value": "float", "count": "int",
    "sum": "float", "min": "float", "max": "float", "bucket_counts": "int_list",
    "explicit_bounds": "float_list",
    "extra": "json", "attributes": "json", "resource_attributes": "json",
}
METRIC_POINTS = Table("metric_points", tuple((n, _METRIC_TYPES.get(n, "str")) for n in METRIC_COLUMNS))

TABLES: tuple[Table, ...] = (SPANS, CONTENT, LOGS, METRIC_POINTS)

# Findings of the analysis jobs (cost regressions, cache drops, anomalies, budgets, runaways):
# created by migration 2, not part of TABLES (migration 1 must not change).
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
# linked by (trace_id, span_id) of the rated span; created by migration 3, not part of TABLES.
SCORES = Table(
    "scores",
    (
        ("tenant", "str"), ("trace_id", "str"), ("span_id", "str"), ("time_ns", "int"), ("name", "str"),
        ("source", "str"), ("thumbs", "str"), ("value", "float"), ("comment", "str"), ("signal", "str"),
        ("attributes", "json"),
    ),
)
