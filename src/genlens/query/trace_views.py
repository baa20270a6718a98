"""Trace answers built from a store: what the REST API and the UI's trace pages both serve.

Every function takes the tenant of the request's scope (one tenant, or ``*``
for every tenant: see :mod:`genlens.server.scope`) and returns plain data, so a
trace listed under a scope opens under the same scope from either side.  A trace
opened under ``*`` is every span with its id, whatever tenant each carries; with
one tenant, only that tenant's spans.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from typing import Any

from genlens.errors import BadRequest, NotFound
from genlens.query.paging import SORT_COLUMNS, cut_page
from genlens.query.traces import build_tree, decode_row, merge_content, trace_summary
from genlens.query.waterfall import Waterfall, layout
from genlens.semconv.model import ERROR_CLASSES, SPAN_KINDS
from genlens.store.base import TraceReader
from genlens.store.queries import ALL_TENANTS, TraceQuery

STATUSES = ("unset", "ok", "error")
SCORE_JSON = ("attributes",)
METRIC_JSON = ("extra", "attributes", "resource_attributes")
LOG_JSON = ("body", "attributes", "resource_attributes")


def check_search(q: TraceQuery) -> None:
    """Refuse a search no store should run: unknown kinds, classes, statuses or sorts, a bad minimum cost."""
    if q.kind is not None and q.kind not in SPAN_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(SPAN_KINDS)}")
    if q.error_class is not None and q.error_class not in ERROR_CLASSES:
        raise BadRequest(f"error_class must be one of {', '.join(ERROR_CLASSES)}")
    if q.status is not None and q.status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
    if q.sort not in SORT_COLUMNS:
        raise BadRequest(f"sort must be one of {', '.join(SORT_COLUMNS)}")
    if q.min_cost_usd is not None and not (q.min_cost_usd >= 0 and math.isfinite(q.min_cost_usd)):
        raise BadRequest("min_cost must be a non-negative number")


def search(store: TraceReader, q: TraceQuery) -> tuple[list[dict[str, Any]], str | None]:
    """One page of trace summary rows (each naming its ``tenant``) and the cursor of the next page."""
    check_search(q)
    return cut_page(store.search_traces(q), q.limit, q.sort)


def read_trace(store: TraceReader, tenant: str, trace_id: str, reads: Executor, *, flat: bool = False) -> dict[str, Any]:
    """A trace as a span tree (or a flat list in tree order) with its summary, content and feedback."""
    # The three reads are independent and the store runs them with the GIL released: overlap them.
    content_future = reads.submit(store.content, tenant, trace_id)
    scores_future = reads.submit(store.scores, tenant, trace_id)
    rows = store.trace_spans(tenant, trace_id)
    content, scores = content_future.result(), scores_future.result()
    if not rows:
        raise NotFound(f"trace {trace_id} not found")
    summary = trace_summary(rows)
    summary["feedback"] = [decode_row(r, SCORE_JSON) for r in scores]
    roots = build_tree(rows, content)
    if not flat:
        return {"trace_id": trace_id, **summary, "roots": roots}
    spans: list[dict[str, Any]] = []
    stack = list(reversed(roots))
    while stack:
        span = stack.pop()
        kids = span.pop("children")
        spans.append(span)
        stack.extend(reversed(kids))
    return {"trace_id": trace_id, **summary, "spans": spans}


def read_waterfall(store: TraceReader, tenant: str, trace_id: str) -> tuple[Waterfall, dict[str, Any]]:
    """A trace's skeleton laid out for the waterfall, and its summary (with its depth and duration)."""
    rows = store.trace_skeleton(tenant, trace_id)
    if not rows:
        raise NotFound(f"trace {trace_id} not found")
    wf = layout(rows)
    summary = trace_summary(rows)
    summary.update(duration_ns=wf.duration_ns, max_depth=wf.max_depth)
    return wf, summary


def read_span(store: TraceReader, tenant: str, span_id: str) -> dict[str, Any]:
    """One span with its content, read under the tenant the span is stored under."""
    row = store.span(tenant, span_id)
    if row is None:
        raise NotFound(f"span {span_id} not found")
    span = decode_row(row)
    records = store.content(span.get("tenant") or tenant, span["trace_id"], span_id)
    span["content"] = merge_content(records).get(span_id, {})
    return span


def span_tenant(store: TraceReader, tenant: str, trace_id: str, span_id: str) -> str:
    """The tenant to read one span of a trace under: the scope's, or under ``*`` the span's own."""
    found = store.span_tenant(trace_id, span_id) if tenant == ALL_TENANTS else tenant
    if found is None:
        raise NotFound(f"span {span_id} not found in trace {trace_id}")
    return found


def metric_points(store: TraceReader, tenant: str, name: str | None, limit: int) -> list[dict[str, Any]]:
    """Newest stored OTLP metric data points (of one metric name, if given), JSON columns parsed."""
    return [decode_row(r, METRIC_JSON) for r in store.metric_points(tenant, name, limit)]


def logs(store: TraceReader, tenant: str, trace_id: str | None, limit: int) -> list[dict[str, Any]]:
    """Newest stored OTLP log records (of one trace, if given), JSON columns parsed."""
    return [decode_row(r, LOG_JSON) for r in store.logs(tenant, trace_id, limit)]
