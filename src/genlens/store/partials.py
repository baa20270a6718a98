"""The derived-table rows one batch of spans adds: partial trace summaries and partial hourly rollups.

The derived tables (:mod:`genlens.store.summaries`) are append-only: every
write adds, for each trace and each rollup key the batch touches, one *partial*
row summarising only that batch's spans.  Readers fold the partials of a key
into one (every value is mergeable), and a compaction folds them in the table
now and then, so a key holds few rows.  Appending costs the writer one plain
insert per table; merging into a unique row on every write cost it several
times the insert of the spans themselves (an ``ON CONFLICT`` upsert is slow in
DuckDB, measured 20-30 ms a batch).

The partials are computed here, in Python, in the ingest stage (a worker
thread or process), not by the writer: a batch of 512 spans takes about a
millisecond.  The SQL rebuild from spans (``duckdb_summaries``) computes the
same rows; the store contract suite checks that both agree.
"""

from __future__ import annotations

from typing import Any

from genlens.store.schema import ROLLUP_DIMENSIONS
from genlens.store.summaries import NULL_KEY, atto_of, latency_bucket
from genlens.timeparse import NS_PER_HOUR

_CALL_KINDS = ("llm", "embedding")
# The span columns the partials read (the rest of a span does not affect them).
SOURCE_COLUMNS: tuple[str, ...] = (
    "tenant", "trace_id", "span_id", "parent_span_id", "name", "kind", "start_ns", "end_ns", "duration_ns",
    "status", "service_name", "environment", "feature", "provider", "request_model", "response_model",
    "prompt_id", "prompt_sha", "input_tokens", "output_tokens", "total_tokens", "cache_read_tokens",
    "cache_write_tokens", "reasoning_tokens", "cost_usd",
)
# (value column, its start column, its span-id column, whether only root spans count, the span column)
EARLIEST: tuple[tuple[str, str, str, bool, str], ...] = (
    ("root_name", "root_start_ns", "root_span_id", True, "name"),
    ("first_name", "first_start_ns", "first_span_id", False, "name"),
    ("service_name", "service_start_ns", "service_span_id", False, "service_name"),
    ("first_tenant", "tenant_start_ns", "tenant_span_id", False, "tenant"),
)
_TOKEN_SUMS = ("input_tokens", "output_tokens", "total_tokens")
_ROLLUP_TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")


def hour_of(start_ns: int) -> int:
    """The UTC hour of a start time, as SQL's integer division computes it (truncating toward zero)."""
    hours = start_ns // NS_PER_HOUR if start_ns >= 0 else -(-start_ns // NS_PER_HOUR)
    return hours * NS_PER_HOUR


def _order(start_ns: int, span_id: str | None) -> tuple[int, bool, str]:
    """SQL's order of ``(start_ns, span_id)``: a NULL span id sorts after every other."""
    return start_ns, span_id is None, span_id or ""


def _num(value: int | None) -> int:
    return 0 if value is None else value


def trace_partials(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One partial trace summary per (tenant, trace) among ``spans`` (rows as stored: values of the column types)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for s in spans:
        trace_id = s.get("trace_id")
        if trace_id is None:
            continue
        tenant = s.get("tenant")
        key = (NULL_KEY if tenant is None else tenant, trace_id)
        p = out.get(key)
        if p is None:
            p = out[key] = _empty_summary(*key)
        _add_span(p, s)
    for p in out.values():
        p["duration_ns"] = None if p["start_ns"] is None or p["end_ns"] is None else p["end_ns"] - p["start_ns"]
        for column in ("services", "features"):
            p[column] = sorted(p[column]) or None
        for value, start, span, _, _ in EARLIEST:
            best = p.pop(f"_{value}")
            p[value], p[start], p[span] = best[3:] if best is not None else (None, None, None)
    return list(out.values())


def _empty_summary(tenant: str, trace_id: str) -> dict[str, Any]:
    p: dict[str, Any] = {
        "tenant": tenant, "trace_id": trace_id, "start_ns": None, "end_ns": None, "last_start_ns": None,
        "span_count": 0, "llm_calls": 0, "errors": 0, "input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
        "cost_atto": 0, "priced_spans": 0, "unknown_cost_calls": 0, "max_span_duration_ns": None,
        "services": set(), "features": set(),
    }
    for value, _, _, _, _ in EARLIEST:
        p[f"_{value}"] = None
    return p


def _add_span(p: dict[str, Any], s: dict[str, Any]) -> None:
    start, end, kind = s.get("start_ns"), s.get("end_ns"), s.get("kind")
    if start is not None:
        p["start_ns"] = start if p["start_ns"] is None else min(p["start_ns"], start)
        p["last_start_ns"] = start if p["last_start_ns"] is None else max(p["last_start_ns"], start)
    if end is not None:
        p["end_ns"] = end if p["end_ns"] is None else max(p["end_ns"], end)
    duration = s.get("duration_ns")
    if duration is not None:
        p["max_span_duration_ns"] = duration if p["max_span_duration_ns"] is None else max(
            p["max_span_duration_ns"], duration)
    p["span_count"] += 1
    p["llm_calls"] += kind == "llm"
    p["errors"] += s.get("status") == "error"
    for column in _TOKEN_SUMS:
        p[column] += _num(s.get(column))
    cost = s.get("cost_usd")
    if cost is None:
        p["unknown_cost_calls"] += kind in _CALL_KINDS
    else:
        p["cost_atto"] += atto_of(cost)
        p["priced_spans"] += 1
    for column in ("service_name", "feature"):
        if s.get(column) is not None:
            p["services" if column == "service_name" else "features"].add(s[column])
    if start is None:
        return
    span_id = s.get("span_id")
    order = _order(start, span_id)
    for value, _, _, root_only, source in EARLIEST:
        found = s.get(source)
        if found is None or (root_only and s.get("parent_span_id") is not None):
            continue
        best = p[f"_{value}"]
        if best is None or order < best[:3]:
            p[f"_{value}"] = (*order, found, start, span_id)


def rollup_partials(spans: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(cost rows, latency rows): one per UTC hour and rollup dimension values of the calls among ``spans``."""
    cost: dict[tuple[Any, ...], dict[str, Any]] = {}
    latency: dict[tuple[Any, ...], int] = {}
    for s in spans:
        start = s.get("start_ns")
        if start is None or s.get("kind") not in _CALL_KINDS:
            continue
        dims = tuple(NULL_KEY if s.get(d) is None else s[d] for d in ROLLUP_DIMENSIONS)
        key = (hour_of(start), *dims)
        row = cost.get(key)
        if row is None:
            row = cost[key] = {"calls": 0, "unknown_cost_calls": 0, "cost_atto": 0, "errors": 0,
                               "cache_read_basis": 0, "cache_read_first_ns": None,
                               **{c: 0 for c in _ROLLUP_TOKENS}}
        row["calls"] += 1
        cost_usd = s.get("cost_usd")
        if cost_usd is None:
            row["unknown_cost_calls"] += 1
        else:
            row["cost_atto"] += atto_of(cost_usd)
        for column in _ROLLUP_TOKENS:
            row[column] += _num(s.get(column))
        row["errors"] += s.get("status") == "error"
        cache_read = s.get("cache_read_tokens")
        if cache_read is not None and cache_read > 0:
            row["cache_read_basis"] += cache_read
            first = row["cache_read_first_ns"]
            row["cache_read_first_ns"] = start if first is None else min(first, start)
        duration = s.get("duration_ns")
        if duration is not None:
            bucket_key = (*key, latency_bucket(duration))
            latency[bucket_key] = latency.get(bucket_key, 0) + 1
    names = ("hour_ns", *ROLLUP_DIMENSIONS)
    cost_rows = [{**dict(zip(names, k, strict=True)), **v} for k, v in cost.items()]
    latency_rows = [{**dict(zip((*names, "bucket"), k, strict=True)), "calls": n} for k, n in latency.items()]
    return cost_rows, latency_rows


# Summary columns that fold by addition.
SUMMED = ("span_count", "llm_calls", "errors", "input_tokens", "output_tokens", "total_tokens", "cost_atto",
           "priced_spans", "unknown_cost_calls")


def _least(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _greatest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def fold(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One trace summary from its partial rows, as ``duckdb_summaries.fold_sql`` folds them (for the few rows
    of a page, where a fold in SQL would cost a scan)."""
    out = dict(rows[0])
    for r in rows[1:]:
        for column in SUMMED:
            out[column] = (out[column] or 0) + (r[column] or 0)
        out["start_ns"] = _least(out["start_ns"], r["start_ns"])
        out["end_ns"] = _greatest(out["end_ns"], r["end_ns"])
        out["last_start_ns"] = _greatest(out["last_start_ns"], r["last_start_ns"])
        out["max_span_duration_ns"] = _greatest(out["max_span_duration_ns"], r["max_span_duration_ns"])
        for value, start, span, _, _ in EARLIEST:
            if r[start] is not None and (out[start] is None or _order(r[start], r[span]) < _order(out[start], out[span])):
                out[value], out[start], out[span] = r[value], r[start], r[span]
        for column in ("services", "features"):
            merged = set(out[column] or ()) | set(r[column] or ())
            out[column] = sorted(merged) if merged else None
    out["duration_ns"] = (None if out["start_ns"] is None or out["end_ns"] is None
                          else out["end_ns"] - out["start_ns"])
    return out
