"""Call series: LLM and embedding calls per time bucket and slice, in one scan, for the alert detectors.

Each bucket row carries what a detector needs to judge any window made of whole
buckets (sums combine; the ``*_le`` lists are cumulative counts per bound, like
a Prometheus histogram) and one example trace per signal, so an alert can name
traces to open without a second query.  Examples are chosen deterministically
(the largest failing or refused trace id; the slowest or dearest call and its
value), so buckets of finer slices merge into the same examples as coarse ones.  Slice keys map to fixed expressions
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


def _top(expr: str) -> str:
    """The trace of the largest ``expr`` in the group, the largest trace id among ties (deterministic)."""
    return f"(max(struct_pack(v := {expr}, t := trace_id)) FILTER (WHERE {expr} IS NOT NULL)).t"


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
    max(trace_id) FILTER (WHERE {_API_ERROR}) AS error_trace,
    max(trace_id) FILTER (WHERE {_REFUSED}) AS refusal_trace,
    {_top("ttft_s")} AS slow_ttft_trace, max(ttft_s) AS slow_ttft_s,
    {_top("duration_ns / 1e9")} AS slow_trace, max(duration_ns) / 1e9 AS slow_s,
    {_top("cost_usd")} AS cost_trace, max(cost_usd) AS cost_max
FROM spans WHERE {where.sql}
GROUP BY ALL ORDER BY bucket"""
    return sql, [*params, *where.params]
