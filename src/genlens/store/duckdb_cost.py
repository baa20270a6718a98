"""SQL for cost aggregations and findings on DuckDB, kept apart like the search SQL.

Every aggregate reads only ``llm`` and ``embedding`` rows (the only rows with
token columns), over a half-open ``[start, end)`` range on ``start_ns``, so the
time filter is a range predicate that DuckDB's zone maps can skip row groups on.
Values are always bound as parameters; only names from fixed tables below are
spliced into the SQL text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genlens.store.duckdb_summaries import NUL, atto
from genlens.store.queries import ALL_TENANTS, FILTER_COLUMNS, GROUP_KEYS, TOKEN_FIELDS, CostQuery
from genlens.store.schema import FINDINGS
from genlens.store.sql_filters import Where
from genlens.store.summaries import rollup_answers, whole_hours
from genlens.timeparse import NS_PER_DAY, NS_PER_HOUR

GROUP_EXPR: dict[str, str] = {
    "hour": f"(start_ns // {NS_PER_HOUR}) * {NS_PER_HOUR}",
    "day": f"(start_ns // {NS_PER_DAY}) * {NS_PER_DAY}",
    "feature": "feature",
    "tenant": "tenant",
    "model": "coalesce(response_model, request_model)",
    "provider": "provider",
    "prompt_id": "prompt_id",
    "prompt_sha": "prompt_sha",
    "experiment_variant": "experiment_variant",
    "service_version": "service_version",
}
assert set(GROUP_EXPR) == set(GROUP_KEYS)

TOTAL_TOKENS = "coalesce(total_tokens, coalesce(input_tokens, 0) + coalesce(output_tokens, 0))"

SUMS = """
    count(*) AS calls,
    count(*) - count(cost_usd) AS unknown_cost_calls,
    sum(cost_usd) AS cost_usd,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens,
    coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens"""


def where(q: CostQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (without the keyword) every cost query shares."""
    w = Where(q.tenant).window(q.start_ns, q.end_ns).add("kind IN ('llm', 'embedding')")
    w.equals((FILTER_COLUMNS[name], value) for name, value in q.filters).model(q.model)
    return w.sql, w.params

def _keys(keys: tuple[str, ...]) -> tuple[str, str]:
    select = ", ".join(f"{GROUP_EXPR[k]} AS {k}" for k in keys)
    group = ", ".join(k for k in keys)
    return select, group


# Exact sums for cost groups: costs as atto-dollar integers (summaries.atto_of), NULL when no call was priced.
EXACT_SUMS = ("calls", "unknown_cost_calls", "cost_atto", *TOKEN_FIELDS)
_SPAN_PARTS = {
    "calls": "1", "unknown_cost_calls": "CAST(cost_usd IS NULL AS BIGINT)",
    "cost_atto": f"coalesce({atto('cost_usd')}, 0)", **{c: f"coalesce({c}, 0)" for c in TOKEN_FIELDS},
}
ROLLUP_EXPR: dict[str, str] = {
    "hour": "hour_ns",
    "day": f"(hour_ns // {NS_PER_DAY}) * {NS_PER_DAY}",
    "model": f"coalesce(nullif(response_model, {NUL}), nullif(request_model, {NUL}))",
    **{k: f"nullif({k}, {NUL})" for k in ("feature", "tenant", "provider", "prompt_id", "prompt_sha")},
}


def _rollup_where(q: CostQuery, hours: tuple[int, int]) -> Where:
    w = Where(q.tenant).add("hour_ns >= ? AND hour_ns < ?", *hours)
    return w.equals((FILTER_COLUMNS[name], value) for name, value in q.filters).model(q.model)


def _spans_or_rollup(q: CostQuery, span_select: str, rollup_select: Callable[[], str], span_where: str = "TRUE",
                     rollup_where: str = "TRUE") -> tuple[str, list[Any]]:
    """SQL (and parameters) of the rows ``span_select`` takes from the spans ``q`` matches — with the whole
    hours of its range taken instead from the hourly rollup (``rollup_select``) when the rollup holds every
    key and filter of ``q`` (:func:`genlens.store.summaries.rollup_answers`; only then is ``rollup_select``
    asked for, since it names rollup columns)."""
    cond, params = where(q)
    source, source_params = f"SELECT {span_select} FROM spans WHERE {cond} AND {span_where}", list(params)
    hours = whole_hours(q.start_ns, q.end_ns, NS_PER_HOUR) if rollup_answers(q) else None
    if hours is not None:
        rw = _rollup_where(q, hours)
        source += (f" AND NOT (start_ns >= ? AND start_ns < ?) "
                   f"UNION ALL SELECT {rollup_select()} FROM cost_hourly WHERE {rw.sql} AND {rollup_where}")
        source_params += [*hours, *rw.params]
    return source, source_params


def groups_sql(q: CostQuery) -> tuple[str, list[Any]]:
    """One row per group, most expensive first (limit + 1 rows so the caller can tell it was cut).

    Rows carry ``cost_atto`` (exact, NULL when no call of the group was priced).
    When the hourly rollup holds every key and filter of ``q``, the whole hours
    of the range are read from it and only the spans of the partial hours at its
    edges from ``spans`` (:func:`genlens.store.summaries.rollup_answers`).
    """
    source, source_params = _spans_or_rollup(
        q,
        "".join(f"{GROUP_EXPR[k]} AS {k}, " for k in q.group_by) + ", ".join(f"{_SPAN_PARTS[c]} AS {c}" for c in EXACT_SUMS),
        lambda: "".join(f"{ROLLUP_EXPR[k]} AS {k}, " for k in q.group_by) + ", ".join(EXACT_SUMS))
    sums = ("coalesce(sum(calls), 0) AS calls, coalesce(sum(unknown_cost_calls), 0) AS unknown_cost_calls, "
            "CASE WHEN sum(calls) > sum(unknown_cost_calls) THEN sum(cost_atto) END AS cost_atto, "
            + ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in TOKEN_FIELDS))
    if not q.group_by:
        return f"SELECT {sums} FROM ({source})", source_params
    group = ", ".join(q.group_by)
    order = "cost_atto DESC NULLS LAST, calls DESC, " + ", ".join(f"{k} NULLS LAST" for k in q.group_by)
    if set(q.group_by) & {"hour", "day"}:
        order = ", ".join(f"{k} NULLS LAST" for k in q.group_by)
    sql = f"SELECT {group}, {sums} FROM ({source}) GROUP BY {group} ORDER BY {order} LIMIT ?"
    return sql, source_params + [q.limit + 1]


def savings_basis_sql(q: CostQuery) -> tuple[str, list[Any]]:
    """Cache-read tokens per group, provider, model and UTC day: what the price book needs to price savings.

    Per day because prices change at UTC midnight; the earliest span of the day
    gives the instant the price is looked up at.  Like cost groups, the whole
    hours of the range come from the hourly rollup when it holds every key and
    filter (its ``cache_read_basis`` and ``cache_read_first_ns``), the edges from spans.
    """
    keys = tuple(k for k in q.group_by if k not in ("provider", "model"))
    spans, source_params = _spans_or_rollup(
        q,
        "".join(f"{GROUP_EXPR[k]} AS {k}, " for k in keys) + "provider AS price_provider, response_model, "
        f"request_model, {GROUP_EXPR['day']} AS price_day, start_ns AS at_ns, cache_read_tokens",
        lambda: "".join(f"{ROLLUP_EXPR[k]} AS {k}, " for k in keys) + f"nullif(provider, {NUL}) AS price_provider, "
        f"nullif(response_model, {NUL}) AS response_model, nullif(request_model, {NUL}) AS request_model, "
        f"(hour_ns // {NS_PER_DAY}) * {NS_PER_DAY} AS price_day, cache_read_first_ns AS at_ns, "
        "cache_read_basis AS cache_read_tokens",
        span_where="cache_read_tokens > 0", rollup_where="cache_read_basis > 0")
    group = "".join(f"{k}, " for k in keys)
    sql = (f"SELECT {group}price_provider, response_model, request_model, price_day, min(at_ns) AS at_ns, "
           f"sum(cache_read_tokens) AS cache_read_tokens FROM ({spans}) "
           f"GROUP BY {group}price_provider, response_model, request_model, price_day")
    return sql, source_params


def users_sql(q: CostQuery, limit: int) -> tuple[str, list[Any]]:
    cond, params = where(q)
    sql = f"""SELECT user_id, {SUMS} FROM spans WHERE {cond} AND user_id IS NOT NULL
GROUP BY user_id ORDER BY cost_usd DESC NULLS LAST, calls DESC, user_id LIMIT ?"""
    return sql, params + [limit]


def conversations_sql(q: CostQuery, limit: int, order_by: str, min_tokens: int | None,
                      min_calls: int | None) -> tuple[str, list[Any]]:
    """Conversations with cumulative tokens; ``min_tokens``/``min_calls`` keep those above either bound."""
    cond, params = where(q)
    having: list[str] = []
    having_params: list[Any] = []
    if min_tokens is not None:
        having.append("total_tokens >= ?")
        having_params.append(min_tokens)
    if min_calls is not None:
        having.append("calls >= ?")
        having_params.append(min_calls)
    having_sql = f"HAVING {' OR '.join(having)}" if having else ""
    order = "cost_usd DESC NULLS LAST" if order_by == "cost" else "total_tokens DESC"
    sql = f"""
SELECT tenant, conversation_id, {SUMS}, sum({TOTAL_TOKENS}) AS total_tokens,
       min(start_ns) AS first_ns, max(coalesce(end_ns, start_ns)) AS last_ns,
       arg_max(trace_id, start_ns) AS last_trace_id
FROM spans WHERE {cond} AND conversation_id IS NOT NULL
GROUP BY tenant, conversation_id {having_sql}
ORDER BY {order}, calls DESC, conversation_id LIMIT ?"""
    return sql, params + having_params + [limit]


def turns_sql(tenant: str, conversation_ids: list[str], start_ns: int, end_ns: int,
              last: int) -> tuple[str, list[Any]]:
    """The last ``last`` calls of each conversation, oldest first, with running token totals."""
    marks = ", ".join("?" for _ in conversation_ids)
    sql = f"""
SELECT * FROM (
    SELECT conversation_id, trace_id, span_id, start_ns, feature, coalesce(response_model, request_model) AS model,
           coalesce(input_tokens, 0) AS input_tokens, coalesce(output_tokens, 0) AS output_tokens,
           {TOTAL_TOKENS} AS total_tokens, cost_usd,
           sum({TOTAL_TOKENS}) OVER (PARTITION BY conversation_id ORDER BY start_ns, span_id) AS cumulative_tokens,
           row_number() OVER (PARTITION BY conversation_id ORDER BY start_ns DESC, span_id DESC) AS from_end
    FROM spans
    WHERE tenant = ? AND conversation_id IN ({marks}) AND start_ns >= ? AND start_ns < ?
      AND kind IN ('llm', 'embedding')
) WHERE from_end <= ? ORDER BY conversation_id, start_ns, span_id"""
    return sql, [tenant, *conversation_ids, start_ns, end_ns, last]


def examples_sql(q: CostQuery, n: int, by: str = "cost") -> tuple[str, list[Any]]:
    """Trace ids of the most expensive (or most token-hungry) calls matching the query: a finding's evidence."""
    cond, params = where(q)
    measure = "cost_usd" if by == "cost" else TOTAL_TOKENS
    sql = f"""SELECT trace_id, max({measure}) AS top FROM spans WHERE {cond}
GROUP BY trace_id ORDER BY top DESC NULLS LAST, trace_id LIMIT ?"""
    return sql, params + [n]


FINDING_COLUMNS: tuple[str, ...] = FINDINGS.column_names


def findings_sql(tenant: str, kind: str | None, feature: str | None, since_ns: int | None,
                 limit: int) -> tuple[str, list[Any]]:
    clauses = ["TRUE" if tenant == ALL_TENANTS else "tenant = ?"]
    params: list[Any] = [] if tenant == ALL_TENANTS else [tenant]
    for column, value in (("kind", kind), ("feature", feature)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if since_ns is not None:
        clauses.append("window_end_ns > ?")
        params.append(since_ns)
    sql = f"""SELECT {', '.join(FINDING_COLUMNS)} FROM findings WHERE {' AND '.join(clauses)}
ORDER BY detected_at_ns DESC, window_start_ns DESC, id LIMIT ?"""
    return sql, params + [limit]
