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

from genlens.store import partials
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


def _verified(run: Query, q: TraceQuery, key: str, name: str | None) -> list[str]:
    """Traces with a partial row straddling an edge of the window that has a span in it matching ``q``."""
    if q.start_ns is None and q.end_ns is None:
        return []
    straddling = _partial_test(_window(_scope(q, key), q, inside=False), q, name)
    edges = [c for c, v in (("start_ns < ?", q.start_ns), ("last_start_ns >= ?", q.end_ns)) if v is not None]
    straddling.add(f"({' OR '.join(edges)})", *(v for v in (q.start_ns, q.end_ns) if v is not None))
    rows = run(f"SELECT DISTINCT trace_id, start_ns, last_start_ns FROM trace_summaries WHERE {straddling.sql}",
               straddling.params)
    if not rows:
        return []
    # check their spans, only in the range where those spans can start
    lo = max(q.start_ns, min(r["start_ns"] for r in rows)) if q.start_ns is not None else None
    hi = min(q.end_ns, max(r["last_start_ns"] for r in rows) + 1) if q.end_ns is not None else None
    w = span_where(q).window(lo, hi)
    ids = sorted({r["trace_id"] for r in rows})
    w.add(f"trace_id IN ({', '.join('?' for _ in ids)})", *ids)
    return [r["trace_id"] for r in run(f"SELECT DISTINCT trace_id FROM spans WHERE {w.sql}", w.params)]


def _matching(run: Query, q: TraceQuery, key: str) -> tuple[str, list[Any]]:
    """SQL (and parameters) of the ids of the matching traces (step 1)."""
    name, answerable = summary_filter(q)
    if not answerable:
        w = span_where(q)
        return f"SELECT DISTINCT trace_id FROM spans WHERE {w.sql}", w.params
    inside = _partial_test(_window(_scope(q, key), q, inside=True), q, name)
    verified = _verified(run, q, key, name)
    sql = f"SELECT trace_id FROM trace_summaries WHERE {inside.sql}"
    params = list(inside.params)
    if verified:
        sql += " UNION SELECT unnest(?::VARCHAR[])"
        params.append(verified)
    return sql, params


def _partial_rows(run: Query, q: TraceQuery, key: str, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every partial row of the scope of these traces, by trace (an index lookup on trace_id)."""
    w = _scope(q, key)
    w.add(f"trace_id IN ({', '.join('?' for _ in ids)})", *ids)
    by_trace: dict[str, list[dict[str, Any]]] = {}
    for row in run(f"SELECT * FROM trace_summaries WHERE {w.sql}", w.params):
        by_trace.setdefault(row["trace_id"], []).append(row)
    return by_trace


def _folded(by_trace: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The folded summary of each trace, folded in Python from its few partial rows."""
    return {trace_id: partials.fold(rows) for trace_id, rows in by_trace.items()}


def _newest_first(run: Query, q: TraceQuery, key: str) -> list[dict[str, Any]] | None:
    """The first page of an unfiltered newest-first search without aggregating the window, or None.

    Partial rows overlapping the window are read newest first (by start, then
    trace id), K at a time.  Every trace that matches has such a row, and a
    trace not yet seen sorts below the last row read (the frontier): its rows
    all do, and its start is at most theirs.  So once ``limit + 1`` matching
    traces seen sort at or above the frontier (their starts and rows folded
    from all their partial rows, looked up by trace id), they are the first
    page.  A seen trace with no partial row inside the window matches only if
    its spans say so; those are checked together.  None when that takes too
    many rounds; the caller then aggregates.
    """
    overlap = _window(_scope(q, key), q, inside=False)
    want = q.limit + 1
    k = want + max(8, want // 4)  # a few more rows than traces: most traces have one row once compacted
    for _ in range(4):
        head = run(f"SELECT trace_id, start_ns FROM trace_summaries WHERE {overlap.sql} "
                   "ORDER BY start_ns DESC, trace_id DESC LIMIT ?", [*overlap.params, k])
        if not head:
            return []
        exhausted = len(head) < k
        frontier = (head[-1]["start_ns"], head[-1]["trace_id"])
        by_trace = _partial_rows(run, q, key, sorted({r["trace_id"] for r in head}))
        folded = _folded(by_trace)
        ranked = sorted(((f["start_ns"], t) for t, f in folded.items()
                         if f["start_ns"] is not None and (exhausted or (f["start_ns"], t) >= frontier)),
                        reverse=True)
        unsure = [t for _, t in ranked if not any(_inside(r, q) for r in by_trace[t])]
        if unsure:  # matched only if a span of theirs lies in the window
            found = set(_with_spans_in_window(run, q, unsure, folded))
            ranked = [(s, t) for s, t in ranked if t not in unsure or t in found]
        if len(ranked) >= want or exhausted:
            return [_row(folded[t], float(folded[t]["cost_atto"] or 0) / 1e18, q.tenant == ALL_TENANTS)
                    for _, t in ranked[:want]]
        k *= 4
    return None


def _inside(row: dict[str, Any], q: TraceQuery) -> bool:
    """Whether every span of a partial row starts in the window."""
    if row["start_ns"] is None:
        return False
    return ((q.start_ns is None or row["start_ns"] >= q.start_ns)
            and (q.end_ns is None or row["last_start_ns"] < q.end_ns))


def _with_spans_in_window(run: Query, q: TraceQuery, ids: list[str], folded: dict[str, dict[str, Any]]) -> list[str]:
    """Which of these traces have a span in the window matching ``q`` (read in the range their spans start)."""
    earliest: int = min(folded[t]["start_ns"] for t in ids)
    w = span_where(q).window(earliest if q.start_ns is None else max(q.start_ns, earliest), None)
    w.add(f"trace_id IN ({', '.join('?' for _ in ids)})", *ids)
    return [r["trace_id"] for r in run(f"SELECT DISTINCT trace_id FROM spans WHERE {w.sql}", w.params)]


def search(run: Query, q: TraceQuery) -> list[dict[str, Any]]:
    """One summary row per matching trace, sorted and keyset-paged (limit + 1 rows)."""
    key = scope_key(q.tenant)
    if key is None:
        return []
    across = q.tenant == ALL_TENANTS
    name, answerable = summary_filter(q)
    # (only with a window start: without one, spans without a start time match too, and only the
    # aggregate below sees them)
    if answerable and name is None and q.sort == "time" and q.descending and q.after is None \
            and q.start_ns is not None:
        first = _newest_first(run, q, key)
        if first is not None:
            return first
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
    folded = _folded(_partial_rows(run, q, key, [r["trace_id"] for r in keys]))
    # a trace erased between the two reads (each runs on its own snapshot) is left out
    return [_row(folded[k["trace_id"]], k["cost_key"], across) for k in keys if k["trace_id"] in folded]


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
