"""SQL behind the web UI's pages on DuckDB: dashboard aggregates, trace skeletons, conversations.

Every query is bounded: aggregates group a filtered window of spans, lists carry
a LIMIT, and the trace skeleton reads only the columns the waterfall draws (no
attribute JSON), so a 20,000-span trace stays cheap.  Results are plain rows;
shaping them into charts is the backend-neutral query layer's job
(:mod:`genlens.query.overview`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genlens.store.queries import ALL_TENANTS, SpanFilter
from genlens.store.sql_filters import span_filter

Query = Callable[[str, list[Any]], list[dict[str, Any]]]

DAY_NS = 86400 * 10**9
SKELETON_COLUMNS = (
    "span_id", "parent_span_id", "tenant", "name", "kind", "start_ns", "end_ns", "status", "error_class", "error_type",
    "cost_usd", "input_tokens", "output_tokens", "total_tokens", "request_model", "response_model", "tool_name",
)
_MODEL = "coalesce(response_model, request_model)"


def where(f: SpanFilter, *, window: bool = True) -> tuple[str, list[Any]]:
    """WHERE clause for a span filter; ``window=False`` drops the time bounds (for all-time questions)."""
    w = span_filter(f, window=window)
    return w.sql, w.params

def overview(q: Query, f: SpanFilter, bucket_ns: int, day0_ns: int) -> dict[str, list[dict[str, Any]]]:
    """Named result sets for the dashboard; ``day0_ns`` is the first day of the daily series."""
    w, p = where(f)
    out: dict[str, list[dict[str, Any]]] = {}
    out["kpis"] = q(f"""
        SELECT count(*) FILTER (WHERE parent_span_id IS NULL) AS requests,
               count(DISTINCT trace_id) FILTER (WHERE status = 'error') AS failed_traces,
               quantile_cont(duration_ns, 0.95) FILTER (WHERE parent_span_id IS NULL) AS p95_request_ns,
               count(*) FILTER (WHERE kind = 'llm') AS llm_calls,
               count(*) FILTER (WHERE kind = 'llm' AND status = 'error') AS llm_errors,
               sum(cost_usd) AS cost_usd, sum(total_tokens) AS tokens
        FROM spans WHERE {w}""", p)
    # The daily series ignores the picked window: it always covers day0 .. now.
    wd, pd = where(f, window=False)
    out["daily"] = q(f"""
        SELECT (start_ns // {DAY_NS}) * {DAY_NS} AS day_ns, coalesce(feature, '(none)') AS feature,
               sum(cost_usd) AS cost_usd, count(*) FILTER (WHERE kind = 'llm') AS llm_calls
        FROM spans WHERE {wd} AND start_ns >= ? GROUP BY ALL ORDER BY day_ns""", pd + [day0_ns])
    out["by_feature"] = q(f"""
        SELECT coalesce(feature, '(none)') AS feature, count(*) AS calls,
               quantile_cont(ttft_s, [0.5, 0.95, 0.99]) AS ttft_q,
               quantile_cont(duration_ns, [0.5, 0.95, 0.99]) AS latency_q,
               sum(cache_read_tokens) AS cache_read, sum(input_tokens) AS input_tokens, sum(cost_usd) AS cost_usd
        FROM spans WHERE {w} AND kind = 'llm' GROUP BY ALL ORDER BY calls DESC LIMIT 15""", p)
    out["buckets"] = q(f"""
        SELECT (start_ns // {bucket_ns}) * {bucket_ns} AS t,
               count(*) FILTER (WHERE parent_span_id IS NULL) AS requests,
               count(*) FILTER (WHERE kind = 'llm') AS llm_calls,
               count(*) FILTER (WHERE error_class = 'api') AS api_errors,
               count(*) FILTER (WHERE error_class = 'validation') AS validation_errors,
               count(*) FILTER (WHERE error_class = 'guardrail') AS guardrail_rejections,
               sum(input_tokens - coalesce(cache_read_tokens, 0) - coalesce(cache_write_tokens, 0)) AS input_uncached,
               sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cache_read,
               sum(cache_write_tokens) AS cache_write
        FROM spans WHERE {w} GROUP BY ALL ORDER BY t""", p)
    out["decode"] = q(f"""
        WITH top AS (
            SELECT {_MODEL} AS model FROM spans WHERE {w} AND decode_tps IS NOT NULL
            GROUP BY ALL ORDER BY count(*) DESC LIMIT 6
        )
        SELECT (start_ns // {bucket_ns}) * {bucket_ns} AS t, {_MODEL} AS model, avg(decode_tps) AS tps
        FROM spans WHERE {w} AND decode_tps IS NOT NULL AND {_MODEL} IN (SELECT model FROM top)
        GROUP BY ALL ORDER BY t""", p + p)
    out["slowest"] = q(f"""
        SELECT trace_id, name, duration_ns, start_ns, feature, status
        FROM spans WHERE {w} AND parent_span_id IS NULL ORDER BY duration_ns DESC, trace_id LIMIT 10""", p)
    out["failures"] = q(f"""
        SELECT trace_id, span_id, name, start_ns, feature, error_class, error_type, {_MODEL} AS model
        FROM spans WHERE {w} AND status = 'error' ORDER BY start_ns DESC, span_id LIMIT 10""", p)
    # A prompt version "changes" when a sha is first seen while an older sha of the same prompt exists.
    out["prompt_changes"] = q(f"""
        WITH firsts AS (
            SELECT prompt_id, prompt_sha, min(start_ns) AS first_ns
            FROM spans WHERE {wd} AND kind = 'llm' AND prompt_sha IS NOT NULL AND prompt_id IS NOT NULL
            GROUP BY ALL
        ), ranked AS (
            SELECT *, row_number() OVER (PARTITION BY prompt_id ORDER BY first_ns) AS version FROM firsts
        )
        SELECT prompt_id, prompt_sha, first_ns, version FROM ranked
        WHERE version > 1 AND first_ns >= ? AND first_ns < ? ORDER BY first_ns DESC LIMIT 12""",
        pd + [f.start_ns or 0, f.end_ns or 2**62])
    return out


def facets(q: Query, tenant: str, since_ns: int, limit: int = 50) -> dict[str, list[str]]:
    """Values seen recently for each filter dropdown (most frequent first)."""
    out: dict[str, list[str]] = {}
    scope, params = ("TRUE", []) if tenant == ALL_TENANTS else ("tenant = ?", [tenant])
    for key, column in (("service", "service_name"), ("environment", "environment"), ("feature", "feature"),
                        ("model", _MODEL), ("tenant", "tenant")):
        rows = q(f"""SELECT {column} AS v FROM spans WHERE {scope} AND start_ns >= ? AND {column} IS NOT NULL
                     GROUP BY ALL ORDER BY count(*) DESC, v LIMIT ?""", [*params, since_ns, limit])
        out[key] = [str(r["v"]) for r in rows]
    return out


def span_tenant(q: Query, trace_id: str, span_id: str) -> str | None:
    """The tenant a span was stored under (spans of one trace may carry different tenants)."""
    rows = q("SELECT min(tenant) AS tenant FROM spans WHERE trace_id = ? AND span_id = ?", [trace_id, span_id])
    return rows[0]["tenant"] if rows else None


def conversations(q: Query, f: SpanFilter, limit: int, offset: int) -> list[dict[str, Any]]:
    """One row per (tenant, conversation) active in the window, most recently active first (limit + 1 rows)."""
    w, p = where(f)
    return q(f"""
        SELECT tenant, conversation_id, count(DISTINCT trace_id) AS turns, min(start_ns) AS first_ns,
               max(end_ns) AS last_ns, coalesce(sum(total_tokens), 0) AS tokens, sum(cost_usd) AS cost_usd,
               count(*) FILTER (WHERE status = 'error') AS errors,
               any_value(user_id) AS user_id, any_value(feature) AS feature
        FROM spans WHERE {w} AND conversation_id IS NOT NULL
        GROUP BY tenant, conversation_id ORDER BY last_ns DESC, conversation_id, tenant LIMIT ? OFFSET ?""",
             p + [limit + 1, offset])


def turn_inputs(q: Query, tenant: str, trace_ids: list[str]) -> list[dict[str, Any]]:
    """First stored input-message record of each listed trace (what the user said in that turn), with the
    row's tenant, span, kind and source (what sealed content is bound to)."""
    if not trace_ids:
        return []
    marks = ", ".join("?" for _ in trace_ids)
    return q(f"""
        SELECT tenant, trace_id, span_id, kind, source, data FROM span_content
        WHERE {'TRUE' if tenant == ALL_TENANTS else 'tenant = ?'} AND kind = 'input_messages'
          AND trace_id IN ({marks})
        QUALIFY row_number() OVER (PARTITION BY trace_id ORDER BY time_ns) = 1""",
             ([] if tenant == ALL_TENANTS else [tenant]) + trace_ids)
