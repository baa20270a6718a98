"""SQL for trace search on DuckDB: filters select traces, aggregates describe them.

A trace matches when at least one of its spans matches every filter; the summary
row (root name, duration, span and LLM-call counts, tokens, cost, errors) is then
computed over all spans of the matching traces only.
"""

from __future__ import annotations

from typing import Any

from genlens.store.queries import ALL_TENANTS, TraceQuery
from genlens.store.sql_filters import span_filter

# filter field → spans column compared with '=' (beyond the SpanFilter ones: service, environment, feature)
_EQUALS: tuple[tuple[str, str], ...] = (
    ("provider", "provider"),
    ("kind", "kind"),
    ("status", "status"),
    ("error_class", "error_class"),
    ("user_id", "user_id"),
    ("conversation_id", "conversation_id"),
    ("prompt_sha", "prompt_sha"),
)

SORT_KEYS = {"time": "start_ns", "duration": "duration_ns", "cost": "cost_key"}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_sql(q: TraceQuery) -> tuple[str, list[Any]]:
    every_tenant = q.tenant == ALL_TENANTS  # "*" searches across tenants (as the cost reports do)
    w = span_filter(q).equals((column, getattr(q, name)) for name, column in _EQUALS)
    if q.min_duration_ns is not None:
        w.add("duration_ns >= ?", q.min_duration_ns)
    if q.min_cost_usd is not None:
        w.add("cost_usd >= ?", q.min_cost_usd)
    if q.text:
        w.add("name ILIKE ? ESCAPE '\\'", f"%{_like_escape(q.text)}%")

    sort_col = SORT_KEYS[q.sort]
    order = "DESC" if q.descending else "ASC"
    page = ""
    page_params: list[Any] = []
    if q.after is not None:
        cmp = "<" if q.descending else ">"
        page = f"WHERE ({sort_col}, trace_id) {cmp} (?, ?)"
        page_params = [q.after[0], q.after[1]]

    sql = f"""
WITH matched AS (
    SELECT DISTINCT trace_id FROM spans WHERE {w.sql}
), agg AS (
    SELECT
        s.trace_id,
        arg_min(s.tenant, s.start_ns) AS tenant,
        min(s.start_ns) AS start_ns,
        max(s.end_ns) AS end_ns,
        max(s.end_ns) - min(s.start_ns) AS duration_ns,
        count(*) AS span_count,
        count(*) FILTER (WHERE s.kind = 'llm') AS llm_calls,
        coalesce(sum(s.input_tokens), 0) AS input_tokens,
        coalesce(sum(s.output_tokens), 0) AS output_tokens,
        coalesce(sum(s.total_tokens), 0) AS total_tokens,
        sum(s.cost_usd) AS cost_usd,
        coalesce(sum(s.cost_usd), 0) AS cost_key,
        count(*) FILTER (WHERE s.status = 'error') AS errors,
        coalesce(arg_min(s.name, s.start_ns) FILTER (WHERE s.parent_span_id IS NULL), arg_min(s.name, s.start_ns)) AS root_name,
        arg_min(s.service_name, s.start_ns) AS service_name,
        list(DISTINCT s.feature) FILTER (WHERE s.feature IS NOT NULL) AS features
    FROM spans s
    WHERE {'TRUE' if every_tenant else 's.tenant = ?'} AND s.trace_id IN (SELECT trace_id FROM matched)
    GROUP BY s.trace_id
)
SELECT * EXCLUDE (cost_key), cost_key FROM agg {page}
ORDER BY {sort_col} {order}, trace_id {order}
LIMIT ?
"""
    return sql, w.params + ([] if every_tenant else [q.tenant]) + page_params + [q.limit + 1]
