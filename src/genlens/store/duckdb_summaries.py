"""DuckDB SQL over the derived tables: rebuilt from spans, folded for reads, compacted in place.

A write appends the partial rows the ingest stage computed
(:mod:`genlens.store.partials`); nothing here runs on the write path.  A
rebuild computes the same rows from the whole ``spans`` table, one per key
(:func:`rebuild_statements`); :func:`fold_sql` folds a trace's partial
summaries into one for readers; :func:`compact_statements` folds them in the
table.  What each column means is in :mod:`genlens.store.summaries` and
:mod:`genlens.store.schema`.
"""

from __future__ import annotations

from genlens.store.partials import EARLIEST, SUMMED
from genlens.store.schema import (
    COST_HOURLY,
    DERIVED_TABLES,
    LATENCY_HOURLY,
    ROLLUP_DIMENSIONS,
    TRACE_SUMMARIES,
    Table,
)
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
# (value column, its start/span-id columns, the spans it may come from, the span column it is read from):
# partials.EARLIEST with its root-only flag as SQL
_EARLIEST: tuple[tuple[str, str, str, str, str], ...] = tuple(
    (value, start, span, "parent_span_id IS NULL" if root_only else "TRUE", source)
    for value, start, span, root_only, source in EARLIEST
)


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


def fold_sql(where: str = "TRUE", *, across_tenants: bool = False) -> str:
    """SELECT folding the partial trace summaries matching ``where`` into one row per (tenant, trace) —
    or per trace, tenant ALL_KEY, when ``across_tenants`` (the all-tenant scope)."""
    t = TRACE_SUMMARIES.name
    exprs = {c: f"sum({c})" for c in SUMMED}
    exprs.update(
        tenant=ALL if across_tenants else "tenant", trace_id="trace_id",
        start_ns="min(start_ns)", end_ns="max(end_ns)", duration_ns="max(end_ns) - min(start_ns)",
        last_start_ns="max(last_start_ns)", max_span_duration_ns="max(max_span_duration_ns)",
        services="list_sort(list_distinct(flatten(list(services) FILTER (WHERE services IS NOT NULL))))",
        features="list_sort(list_distinct(flatten(list(features) FILTER (WHERE features IS NOT NULL))))",
    )
    for value, start, span, _, _ in _EARLIEST:
        f = f"FILTER (WHERE {start} IS NOT NULL)"
        exprs[value] = f"arg_min({value}, ({start}, {span})) {f}"
        exprs[start] = f"min({start})"
        exprs[span] = f"arg_min({span}, ({start}, {span})) {f}"
    cols = ", ".join(f"{exprs[c]} AS {c}" for c in TRACE_SUMMARIES.column_names)
    group = "trace_id" if across_tenants else "tenant, trace_id"
    return f"SELECT {cols} FROM {t} WHERE {where} GROUP BY {group}"


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


_COST_KEYS = ("hour_ns", *ROLLUP_DIMENSIONS)
_LATENCY_KEYS = (*_COST_KEYS, "bucket")


def _rollup_fold(table: Table, keys: tuple[str, ...], where: str) -> str:
    """SELECT folding the partial rows of a rollup matching ``where`` into one row per key."""
    measures = [f"min({c}) AS {c}" if c == "cache_read_first_ns" else f"sum({c}) AS {c}"
                for c in table.column_names if c not in keys]
    return f"SELECT {', '.join(keys)}, {', '.join(measures)} FROM {table.name} WHERE {where} GROUP BY ALL"


# (table, SELECT of its rows from the spans of {source}) — what a rebuild inserts, one row per key
_DERIVED: tuple[tuple[Table, str], ...] = (
    (TRACE_SUMMARIES, _summary_select(key("tenant"), "tenant, trace_id")),
    (COST_HOURLY, _cost_select()),
    (LATENCY_HOURLY, _latency_select()),
)
# (table, its key columns, the column that bounds a compaction in time)
_KEYS: tuple[tuple[Table, tuple[str, ...], str], ...] = (
    (TRACE_SUMMARIES, ("tenant", "trace_id"), "last_start_ns"),
    (COST_HOURLY, _COST_KEYS, "hour_ns"),
    (LATENCY_HOURLY, _LATENCY_KEYS, "hour_ns"),
)


def _insert(table: Table, select: str) -> str:
    return f"INSERT INTO {table.name} ({', '.join(table.column_names)}) {select}"


def touched_hours_sql(span_where: str) -> str:
    """SELECT the (tenant key, hour) pairs of the calls among the spans matching ``span_where``: the rollup
    rows a change to those spans makes stale."""
    return (f"SELECT DISTINCT {key('tenant')} AS tenant, {_HOUR} AS hour_ns FROM spans "
            f"WHERE {span_where} AND {_CALLS}")


def rederive_statements(touched: str) -> list[tuple[str, str]]:
    """(table, statement) pairs that replace the rollup rows of the (tenant, hour) pairs in table ``touched``
    by rows derived again from the spans stored now (after an erasure)."""
    out: list[tuple[str, str]] = []
    match = f"EXISTS (SELECT 1 FROM {touched} x WHERE x.tenant = {{t}}.tenant AND x.hour_ns = {{t}}.hour_ns)"
    spans = (f"(SELECT * FROM spans s WHERE EXISTS (SELECT 1 FROM {touched} x WHERE x.tenant = {key('s.tenant')} "
             f"AND x.hour_ns = s.start_ns // {NS_PER_HOUR} * {NS_PER_HOUR}))")
    for table, select in _DERIVED:
        if table is TRACE_SUMMARIES:
            continue
        out.append((table.name, f"DELETE FROM {table.name} WHERE {match.format(t=table.name)}"))
        out.append((table.name, _insert(table, select.format(source=spans))))
    return out


def stale_calls_sql(touched: str) -> list[tuple[str, str]]:
    """(table, SELECT) pairs answering, for the (tenant, hour) pairs in table ``touched``, how many calls the
    rollup counts beyond the calls stored in ``spans`` there: 0 when the rollup agrees with the spans."""
    out: list[tuple[str, str]] = []
    for table, calls in ((COST_HOURLY, _CALLS), (LATENCY_HOURLY, f"{_CALLS} AND duration_ns IS NOT NULL")):
        name = table.name
        rolled = (f"SELECT coalesce(sum(calls), 0) FROM {name} WHERE EXISTS (SELECT 1 FROM {touched} x "
                  f"WHERE x.tenant = {name}.tenant AND x.hour_ns = {name}.hour_ns)")
        stored = (f"SELECT count(*) FROM spans s WHERE {calls} AND EXISTS (SELECT 1 FROM {touched} x "
                  f"WHERE x.tenant = {key('s.tenant')} AND x.hour_ns = s.start_ns // {NS_PER_HOUR} * {NS_PER_HOUR})")
        out.append((name, f"SELECT ({rolled}) - ({stored})"))
    return out


def resummarise_statements(keys: str) -> list[str]:
    """Statements that replace the trace summaries of the (tenant key, trace_id) pairs in table ``keys`` by
    one row per trace summarising the spans stored now (none for a trace without spans left)."""
    match = "EXISTS (SELECT 1 FROM {keys} k WHERE k.tenant = {tenant} AND k.trace_id = {trace})"
    spans = f"(SELECT * FROM spans s WHERE {match.format(keys=keys, tenant=key('s.tenant'), trace='s.trace_id')})"
    summaries = TRACE_SUMMARIES.name
    return [f"DELETE FROM {summaries} WHERE "
            f"{match.format(keys=keys, tenant=f'{summaries}.tenant', trace=f'{summaries}.trace_id')}",
            _insert(TRACE_SUMMARIES, _DERIVED[0][1].format(source=spans))]


def rebuild_statements() -> list[str]:
    """Statements that empty every derived table and fill it again from all stored spans (one transaction)."""
    deletes = [f"DELETE FROM {table.name}" for table in DERIVED_TABLES]
    return deletes + [_insert(table, select.format(source="spans")) for table, select in _DERIVED]


def compact_statements(since_ns: int | None) -> list[tuple[str, str]]:
    """(table, statement) pairs folding, in each derived table, the rows from ``since_ns`` on (or all) of
    every key that has more than one: folded rows go to a temporary table, the originals are deleted,
    the folds inserted.  Folding any subset of a key's partial rows keeps every answer the same."""
    out: list[tuple[str, str]] = []
    for table, keys, clock in _KEYS:
        name = table.name
        window = f"{name}.{clock} >= {int(since_ns)}" if since_ns is not None else "TRUE"
        dup = f"SELECT {', '.join(keys)} FROM {name} WHERE {window} GROUP BY ALL HAVING count(*) > 1"
        # key columns hold no NULL (NULL_KEY stands for it), so plain equality matches a key
        where = f"{window} AND EXISTS (SELECT 1 FROM _dup WHERE {' AND '.join(f'_dup.{k} = {name}.{k}' for k in keys)})"
        fold = fold_sql(where) if table is TRACE_SUMMARIES else _rollup_fold(table, keys, where)
        out += [
            (name, f"CREATE OR REPLACE TEMP TABLE _dup AS {dup}"),
            (name, f"CREATE OR REPLACE TEMP TABLE _fold AS {fold}"),
            (name, f"DELETE FROM {name} WHERE {where}"),
            (name, _insert(table, "SELECT * FROM _fold")),
        ]
    return out
