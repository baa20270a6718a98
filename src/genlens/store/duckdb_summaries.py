"""DuckDB SQL that keeps the derived tables: merged on every write, rebuilt from spans on demand.

On a write the batch's spans are registered as a relation; each derived table
gets one ``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`` from it, which
aggregates the batch and merges the result into the stored rows through the
table's unique index — the stored spans of a trace are never read again.  A
rebuild runs the same aggregates over the whole ``spans`` table instead
(:func:`rebuild_statements`).  What each column means is in
:mod:`genlens.store.summaries` and :mod:`genlens.store.schema`.
"""

from __future__ import annotations

from genlens.store.schema import COST_HOURLY, LATENCY_HOURLY, ROLLUP_DIMENSIONS, TRACE_SUMMARIES, Table
from genlens.store.summaries import ALL_KEY, LN_GAMMA, MAX_SPAN_USD, NULL_KEY
from genlens.timeparse import NS_PER_HOUR

NUL = "chr(0)"  # NULL_KEY as SQL
ALL = "chr(0) || '*'"  # ALL_KEY as SQL
assert NULL_KEY == "\x00" and ALL_KEY == "\x00*"


def atto(expr: str) -> str:
    """A cost in atto-dollars (HUGEINT); NULL for no cost and 0 for one not finite or absurd (summaries.atto_of)."""
    return (f"CASE WHEN {expr} IS NULL THEN NULL WHEN abs({expr}) < {MAX_SPAN_USD:.0e} "
            f"THEN CAST(round({expr} * CAST(1e18 AS DOUBLE)) AS HUGEINT) ELSE CAST(0 AS HUGEINT) END")


def key(column: str) -> str:
    return f"coalesce({column}, {NUL})"


BUCKET = f"CASE WHEN duration_ns <= 0 THEN 0 ELSE 1 + CAST(ceil(ln(duration_ns) / {LN_GAMMA!r}) AS BIGINT) END"
_CALLS = "kind IN ('llm', 'embedding') AND start_ns IS NOT NULL"

# -- trace summaries -----------------------------------------------------------------------------------------
# (value column, its start/span-id columns, the spans it may come from, the span column it is read from)
_EARLIEST: tuple[tuple[str, str, str, str, str], ...] = (
    ("root_name", "root_start_ns", "root_span_id", "parent_span_id IS NULL", "name"),
    ("first_name", "first_start_ns", "first_span_id", "TRUE", "name"),
    ("service_name", "service_start_ns", "service_span_id", "TRUE", "service_name"),
    ("first_tenant", "tenant_start_ns", "tenant_span_id", "TRUE", "tenant"),
)
_SUMMED = ("span_count", "llm_calls", "errors", "input_tokens", "output_tokens", "total_tokens", "cost_atto",
           "priced_spans", "unknown_cost_calls")


def _summary_select(tenant_key: str, group: str) -> str:
    earliest = []
    for value, start, span, cond, source in _EARLIEST:
        f = f"FILTER (WHERE {cond} AND {source} IS NOT NULL AND start_ns IS NOT NULL)"
        earliest += [f"arg_min({source}, (start_ns, span_id)) {f} AS {value}", f"min(start_ns) {f} AS {start}",
                     f"arg_min(span_id, (start_ns, span_id)) {f} AS {span}"]
    exprs = {
        "tenant": tenant_key, "trace_id": "trace_id",
        "start_ns": "min(start_ns)", "end_ns": "max(end_ns)", "duration_ns": "max(end_ns) - min(start_ns)",
        "last_start_ns": "max(start_ns)",
        "span_count": "count(*)", "llm_calls": "count(*) FILTER (WHERE kind = 'llm')",
        "errors": "count(*) FILTER (WHERE status = 'error')",
        "input_tokens": "coalesce(sum(input_tokens), 0)", "output_tokens": "coalesce(sum(output_tokens), 0)",
        "total_tokens": "coalesce(sum(total_tokens), 0)",
        "cost_atto": f"coalesce(sum({atto('cost_usd')}), 0)", "priced_spans": "count(cost_usd)",
        "unknown_cost_calls": "count(*) FILTER (WHERE kind IN ('llm', 'embedding') AND cost_usd IS NULL)",
        "max_span_duration_ns": "max(duration_ns)",
        "services": "list_sort(list(DISTINCT service_name) FILTER (WHERE service_name IS NOT NULL))",
        "features": "list_sort(list(DISTINCT feature) FILTER (WHERE feature IS NOT NULL))",
    }
    by_name = {e.rsplit(" AS ", 1)[1]: e.rsplit(" AS ", 1)[0] for e in earliest}
    exprs.update(by_name)
    cols = ", ".join(f"{exprs[c]} AS {c}" for c in TRACE_SUMMARIES.column_names)
    return f"SELECT {cols} FROM {{source}} WHERE trace_id IS NOT NULL GROUP BY {group}"


def _summary_merge() -> str:
    t = TRACE_SUMMARIES.name
    sets = [f"{c} = {t}.{c} + excluded.{c}" for c in _SUMMED]
    sets += [f"start_ns = least({t}.start_ns, excluded.start_ns)",
             f"end_ns = greatest({t}.end_ns, excluded.end_ns)",
             f"duration_ns = greatest({t}.end_ns, excluded.end_ns) - least({t}.start_ns, excluded.start_ns)",
             f"last_start_ns = greatest({t}.last_start_ns, excluded.last_start_ns)",
             f"max_span_duration_ns = greatest({t}.max_span_duration_ns, excluded.max_span_duration_ns)"]
    for value, start, span, _, _ in _EARLIEST:
        wins = (f"(excluded.{start} IS NOT NULL AND ({t}.{start} IS NULL OR excluded.{start} < {t}.{start} OR "
                f"(excluded.{start} = {t}.{start} AND excluded.{span} < {t}.{span})))")
        sets += [f"{c} = CASE WHEN {wins} THEN excluded.{c} ELSE {t}.{c} END" for c in (value, start, span)]
    sets += [f"{c} = list_sort(list_distinct(list_concat({t}.{c}, excluded.{c})))" for c in ("services", "features")]
    return f"ON CONFLICT (tenant, trace_id) DO UPDATE SET {', '.join(sets)}"


# -- hourly rollups ------------------------------------------------------------------------------------------
_HOUR = f"start_ns // {NS_PER_HOUR} * {NS_PER_HOUR}"
_DIMS = ", ".join(ROLLUP_DIMENSIONS)
_DIM_KEYS = ", ".join(f"{key(d)} AS {d}" for d in ROLLUP_DIMENSIONS)
_COST_SUMS = {
    "calls": "count(*)", "unknown_cost_calls": "count(*) - count(cost_usd)",
    "cost_atto": f"coalesce(sum({atto('cost_usd')}), 0)",
    **{c: f"coalesce(sum({c}), 0)" for c in ("input_tokens", "output_tokens", "cache_read_tokens",
                                             "cache_write_tokens", "reasoning_tokens")},
    "errors": "count(*) FILTER (WHERE status = 'error')",
    "cache_read_basis": "coalesce(sum(cache_read_tokens) FILTER (WHERE cache_read_tokens > 0), 0)",
    "cache_read_first_ns": "min(start_ns) FILTER (WHERE cache_read_tokens > 0)",
}


def _cost_select() -> str:
    sums = ", ".join(f"{expr} AS {c}" for c, expr in _COST_SUMS.items())
    return (f"SELECT {_HOUR} AS hour_ns, {_DIM_KEYS}, {sums} FROM {{source}} WHERE {_CALLS} "
            f"GROUP BY hour_ns, {_DIMS}")


def _latency_select() -> str:
    return (f"SELECT {_HOUR} AS hour_ns, {_DIM_KEYS}, {BUCKET} AS bucket, count(*) AS calls FROM {{source}} "
            f"WHERE {_CALLS} AND duration_ns IS NOT NULL GROUP BY hour_ns, {_DIMS}, bucket")


def _rollup_merge(table: Table, keys: tuple[str, ...]) -> str:
    measures = [c for c in table.column_names if c not in keys]
    sets = [f"{c} = least({table.name}.{c}, excluded.{c})" if c == "cache_read_first_ns"
            else f"{c} = {table.name}.{c} + excluded.{c}" for c in measures]
    return f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(sets)}"


_COST_KEYS = ("hour_ns", *ROLLUP_DIMENSIONS)
_LATENCY_KEYS = (*_COST_KEYS, "bucket")

# (table, SELECT over {source}, merge clause) — in the order a write applies them
_DERIVED: tuple[tuple[Table, str, str], ...] = (
    (TRACE_SUMMARIES, _summary_select(key("tenant"), "tenant, trace_id"), _summary_merge()),
    (TRACE_SUMMARIES, _summary_select(ALL, "trace_id"), _summary_merge()),
    (COST_HOURLY, _cost_select(), _rollup_merge(COST_HOURLY, _COST_KEYS)),
    (LATENCY_HOURLY, _latency_select(), _rollup_merge(LATENCY_HOURLY, _LATENCY_KEYS)),
)
DERIVED_TABLES: tuple[Table, ...] = (TRACE_SUMMARIES, COST_HOURLY, LATENCY_HOURLY)

# Unique indexes the merges resolve conflicts on (declared by migration 5).
INDEXES: dict[str, tuple[str, ...]] = {
    TRACE_SUMMARIES.name: ("tenant", "trace_id"), COST_HOURLY.name: _COST_KEYS, LATENCY_HOURLY.name: _LATENCY_KEYS,
}


def _insert(table: Table, select: str) -> str:
    return f"INSERT INTO {table.name} ({', '.join(table.column_names)}) {select}"


def merge_statements(source: str) -> list[str]:
    """Statements that fold the spans of relation ``source`` into every derived table."""
    return [f"{_insert(table, select.format(source=source))} {merge}" for table, select, merge in _DERIVED]


def rebuild_statements() -> list[str]:
    """Statements that empty every derived table and fill it again from all stored spans (one transaction)."""
    deletes = [f"DELETE FROM {table.name}" for table in DERIVED_TABLES]
    return deletes + [_insert(table, select.format(source="spans")) for table, select, _ in _DERIVED]
