"""Trace search on DuckDB, read from the trace summaries instead of aggregating spans.

A trace matches when at least one of its spans lies in the scope and window and
matches every filter; its row describes all of its spans.  The search runs in
three steps:

1. **Which traces match.**  A span belongs to exactly one partial summary row,
   so a trace matches when one of its partial rows does.  A partial row whose
   spans all start inside the window answers the filters of
   :func:`~genlens.store.summaries.summary_filter` by itself (errors > 0, an
   LLM call, a feature or service among its sets, its longest span); only a
   partial row that straddles an edge of the window is checked against its
   spans, in the time range where they can be.  Any other filter (text, model,
   user …) selects traces from the spans, as before.
2. **Which page.**  The matching traces' partial rows are folded into their sort
   key (start, duration or cost) and keyset-paged.
3. **What the rows say**: the full fold (:func:`duckdb_summaries.fold_sql`) of
   the page's traces only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genlens.store.duckdb_summaries import fold_sql
from genlens.store.queries import ALL_TENANTS, TraceQuery
from genlens.store.sql_filters import Where, span_filter
from genlens.store.summaries import scope_key, summary_filter, usd

Query = Callable[[str, list[Any]], list[dict[str, Any]]]

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
# The partial-row predicate that answers each summary filter for the spans of that row.
_PARTIAL_TESTS: dict[str, str] = {
    "status": "errors > 0", "kind": "llm_calls > 0", "feature": "list_contains(features, ?)",
    "service": "list_contains(services, ?)", "min_duration_ns": "max_span_duration_ns >= ?",
}
_PARTIAL_VALUES = {"feature": "feature", "service": "service", "min_duration_ns": "min_duration_ns"}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def span_where(q: TraceQuery) -> Where:
    """The predicate on spans of every filter of ``q`` (scope and window included)."""
    w = span_filter(q).equals((column, getattr(q, name)) for name, column in _EQUALS)
    if q.min_duration_ns is not None:
        w.add("duration_ns >= ?", q.min_duration_ns)
    if q.min_cost_usd is not None:
        w.add("cost_usd >= ?", q.min_cost_usd)
    if q.text:
        w.add("name ILIKE ? ESCAPE '\\'", f"%{_like_escape(q.text)}%")
    return w


def _scope(q: TraceQuery, key: str) -> Where:
    """Partial rows of the scope (their tenant column holds the tenant, NULL_KEY for none)."""
    w = Where(ALL_TENANTS)
    if q.tenant != ALL_TENANTS:
        w.add("tenant = ?", key)
    return w


def _window(w: Where, q: TraceQuery, *, inside: bool) -> Where:
    """Partial rows whose spans all start in the window (``inside``), or that overlap it at all."""
    if q.start_ns is not None:
        w.add("start_ns >= ?" if inside else "last_start_ns >= ?", q.start_ns)
    if q.end_ns is not None:
        w.add("last_start_ns < ?" if inside else "start_ns < ?", q.end_ns)
    return w


def _partial_test(w: Where, q: TraceQuery, name: str | None) -> Where:
    if name is not None:
        values = [getattr(q, _PARTIAL_VALUES[name])] if name in _PARTIAL_VALUES else []
        w.add(_PARTIAL_TESTS[name], *values)
    return w


def _matching(run: Query, q: TraceQuery, key: str) -> tuple[str, list[Any]]:
    """SQL (and parameters) of the ids of the matching traces (step 1)."""
    name, answerable = summary_filter(q)
    if not answerable:
        w = span_where(q)
        return f"SELECT DISTINCT trace_id FROM spans WHERE {w.sql}", w.params
    inside = _partial_test(_window(_scope(q, key), q, inside=True), q, name)
    straddling = _partial_test(_window(_scope(q, key), q, inside=False), q, name)
    if q.start_ns is not None or q.end_ns is not None:
        edges = [c for c, v in (("start_ns < ?", q.start_ns), ("last_start_ns >= ?", q.end_ns)) if v is not None]
        straddling.add(f"({' OR '.join(edges)})", *(v for v in (q.start_ns, q.end_ns) if v is not None))
        rows = run(f"SELECT DISTINCT trace_id, start_ns, last_start_ns FROM trace_summaries WHERE {straddling.sql}",
                   straddling.params)
    else:
        rows = []
    verified: list[str] = []
    if rows:  # check the straddling rows' spans, only in the range where those spans can start
        lo = max(q.start_ns, min(r["start_ns"] for r in rows)) if q.start_ns is not None else None
        hi = min(q.end_ns, max(r["last_start_ns"] for r in rows) + 1) if q.end_ns is not None else None
        w = span_where(q).window(lo, hi)
        ids = sorted({r["trace_id"] for r in rows})
        w.add(f"trace_id IN ({', '.join('?' for _ in ids)})", *ids)
        verified = [r["trace_id"] for r in run(f"SELECT DISTINCT trace_id FROM spans WHERE {w.sql}", w.params)]
    sql = f"SELECT trace_id FROM trace_summaries WHERE {inside.sql}"
    params = list(inside.params)
    if verified:
        sql += " UNION SELECT unnest(?::VARCHAR[])"
        params.append(verified)
    return sql, params


def search(run: Query, q: TraceQuery) -> list[dict[str, Any]]:
    """One summary row per matching trace, sorted and keyset-paged (limit + 1 rows)."""
    key = scope_key(q.tenant)
    if key is None:
        return []
    across = q.tenant == ALL_TENANTS
    matching, params = _matching(run, q, key)
    scope = _scope(q, key)
    sort_col = SORT_KEYS[q.sort]
    order = "DESC" if q.descending else "ASC"
    page, page_params = "", []
    if q.after is not None:
        page = f"WHERE ({sort_col}, trace_id) {'<' if q.descending else '>'} (?, ?)"
        page_params = [q.after[0], q.after[1]]
    keys_sql = f"""
WITH hit AS ({matching}), agg AS (
    SELECT trace_id, min(start_ns) AS start_ns, max(end_ns) - min(start_ns) AS duration_ns,
           CAST(sum(cost_atto) AS DOUBLE) / 1e18 AS cost_key
    FROM trace_summaries WHERE {scope.sql} AND trace_id IN (SELECT trace_id FROM hit) GROUP BY trace_id
)
SELECT trace_id, cost_key FROM agg {page} ORDER BY {sort_col} {order}, trace_id {order} LIMIT ?"""
    keys = run(keys_sql, params + scope.params + page_params + [q.limit + 1])
    if not keys:
        return []
    ids = [r["trace_id"] for r in keys]
    where = scope.add(f"trace_id IN ({', '.join('?' for _ in ids)})", *ids)
    folded = {r["trace_id"]: r for r in run(fold_sql(where.sql, across_tenants=across), where.params)}
    return [_row(folded[k["trace_id"]], k["cost_key"], across) for k in keys]


def _row(s: dict[str, Any], cost_key: float, across: bool) -> dict[str, Any]:
    """A search row from a trace's folded summary (``cost_key``: the sort value a cursor resumes from)."""
    cost = usd(int(s["cost_atto"])) if s["priced_spans"] else None
    return {
        "trace_id": s["trace_id"], "tenant": s["first_tenant"] if across else s["tenant"],
        "start_ns": s["start_ns"], "end_ns": s["end_ns"], "duration_ns": s["duration_ns"],
        "span_count": s["span_count"], "llm_calls": s["llm_calls"], "input_tokens": s["input_tokens"],
        "output_tokens": s["output_tokens"], "total_tokens": s["total_tokens"], "cost_usd": cost,
        "errors": s["errors"], "root_name": s["root_name"] if s["root_name"] is not None else s["first_name"],
        "service_name": s["service_name"], "features": s["features"] or [],
        "cost_key": cost_key,
    }
