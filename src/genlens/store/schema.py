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

from genlens.semconv.canonical import COLUMNS, ColumnType

SQL_TYPES: dict[ColumnType, str] = {
    "str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "str_list": "VARCHAR[]",
    "int_list": "BIGINT[]", "float_list": "DOUBLE[]", "json": "JSON",
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, ColumnType], ...]
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

TABLES: tuple[Table, ...] = (SPANS, CONTENT, LOGS, METRIC_POINTS, FINDINGS, SCORES)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
# Tables fed by rows of a WriteBatch, in the order a commit inserts them.
BATCH_TABLES: tuple[Table, ...] = tuple(t for t in TABLES if t.batch_field is not None)
