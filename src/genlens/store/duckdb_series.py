"""Call series: LLM and embedding calls per time bucket and slice, in one scan, for the alert detectors.

Each bucket row carries what a detector needs to judge any window made of whole
buckets (sums combine; the ``*_le`` lists are cumulative counts per bound, like
a Prometheus histogram) and one example trace per signal, so an alert can name
traces to open without a second query.  Slice keys map to fixed expressions
(``SERIES_KEYS``); every value is a bound parameter.
"""

from __future__ import annotations

from typing import Any

from genlens.store.queries import SERIES_KEYS, SeriesQuery
from genlens.store.sql_filters import Where

# an API error: a failed call that is not the application's own rejection (validation, guardrail)
_API_ERROR = "status = 'error' AND coalesce(error_class, '') NOT IN ('validation', 'guardrail')"
_REFUSED = "list_has(coalesce(finish_reasons, []::VARCHAR[]), 'content_filter')"


def _le(expr: str, bounds: tuple[float, ...], params: list[Any]) -> str:
    if not bounds:
        return "[]::BIGINT[]"
    params.extend(bounds)
    return "list_value(" + ", ".join(f"count(*) FILTER (WHERE {expr} <= ?::DOUBLE)" for _ in bounds) + ")"


def series_sql(query: SeriesQuery) -> tuple[str, list[Any]]:
    keys = [f"{SERIES_KEYS[k]} AS {k}" for k in query.group_by]
    params: list[Any] = [query.bucket_ns, query.bucket_ns]
    ttft_le = _le("ttft_s", query.bounds, params)
    latency_le = _le("duration_ns / 1e9", query.bounds, params)
    where = Where(query.tenant).window(query.start_ns, query.end_ns).add("kind IN ('llm', 'embedding')")
    sql = f"""SELECT (start_ns // ?) * ? AS bucket, {''.join(k + ', ' for k in keys)}
    count(*) AS calls,
    count(*) FILTER (WHERE {_API_ERROR}) AS errors,
    count(*) FILTER (WHERE {_REFUSED}) AS refusals,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cost_usd), 0) AS cost_usd,
    count(ttft_s) AS ttft_count, {ttft_le} AS ttft_le,
    count(duration_ns) AS latency_count, {latency_le} AS latency_le,
    any_value(trace_id) FILTER (WHERE {_API_ERROR}) AS error_trace,
    any_value(trace_id) FILTER (WHERE {_REFUSED}) AS refusal_trace,
    arg_max(trace_id, ttft_s) AS slow_ttft_trace,
    arg_max(trace_id, duration_ns) AS slow_trace,
    arg_max(trace_id, cost_usd) AS cost_trace
FROM spans WHERE {where.sql}
GROUP BY ALL ORDER BY bucket"""
    return sql, [*params, *where.params]
