"""Trace explorer: search (every API filter + free text), the trace waterfall, and the span panel."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from genlens.errors import BadRequest, NotFound
from genlens.query.waterfall import COLUMNS, Waterfall, layout
from genlens.semconv.model import ERROR_CLASSES, SPAN_KINDS
from genlens.server.api import _decode_cursor, _encode_cursor, check_hex_id
from genlens.server.ui.params import RANGES, Filters, text_param
from genlens.server.ui.render import ENV, Guard, page, wants_json
from genlens.server.ui.spanpanel import SpanPanel, span_panel
from genlens.settings import Settings
from genlens.store.base import Store
from genlens.store.queries import ALL_TENANTS, TraceQuery
from genlens.timeparse import parse_duration

SEARCH_KEYS = ("provider", "kind", "status", "error_class", "min_duration", "min_cost", "user_id",
               "conversation_id", "prompt_sha", "q")
SORTS = ("time", "duration", "cost")
PAGE_SIZES = (25, 50, 100, 200)


@dataclass
class TraceSearchPage:
    filters: Filters
    search: dict[str, str]
    sort: str
    order: str
    limit: int
    rows: list[dict[str, Any]]
    next_cursor: str | None
    cursor: str | None
    window: tuple[int, int]
    ranges: tuple[str, ...] = RANGES
    kinds: tuple[str, ...] = SPAN_KINDS
    error_classes: tuple[str, ...] = ERROR_CLASSES
    page_sizes: tuple[int, ...] = PAGE_SIZES

    def link(self, **overrides: Any) -> str:
        """This search's URL with some parameters changed (None drops one); a new sort restarts paging."""
        state: dict[str, Any] = {**self.search, "sort": self.sort, "order": self.order, "limit": self.limit}
        state.update(overrides)
        if state.get("sort") == "time" and state.get("order") == "desc":
            state.pop("sort"), state.pop("order")
        if state.get("limit") == 50:
            state.pop("limit")
        return "/traces?" + self.filters.qs(**state)


@dataclass
class TracePage:
    trace_id: str
    tenant: str | None
    summary: dict[str, Any]
    waterfall: Waterfall
    columns: tuple[str, ...] = COLUMNS
    span: SpanPanel | None = None
    selected: str | None = None
    root_name: str = ""
    services: list[str] = field(default_factory=list)


def _search_query(params: Any, filters: Filters, tenant: str, now: int) -> tuple[TraceQuery, dict[str, str], str, str, int]:
    search = {k: v for k in SEARCH_KEYS if (v := text_param(params, k)) is not None}
    if "kind" in search and search["kind"] not in SPAN_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(SPAN_KINDS)}")
    if "error_class" in search and search["error_class"] not in ERROR_CLASSES:
        raise BadRequest(f"error_class must be one of {', '.join(ERROR_CLASSES)}")
    if "status" in search and search["status"] not in ("unset", "ok", "error"):
        raise BadRequest("status must be unset, ok or error")
    sort = params.get("sort") or "time"
    order = params.get("order") or "desc"
    if sort not in SORTS or order not in ("asc", "desc"):
        raise BadRequest("sort must be time, duration or cost; order asc or desc")
    try:
        limit = int(params.get("limit") or 50)
        min_cost = float(search["min_cost"]) if "min_cost" in search else None
    except ValueError as exc:
        raise BadRequest(f"not a number: {exc}") from exc
    if limit not in PAGE_SIZES:
        raise BadRequest(f"limit must be one of {', '.join(map(str, PAGE_SIZES))}")
    if min_cost is not None and not min_cost >= 0:
        raise BadRequest("min_cost must be a non-negative number")
    start, end = filters.window(now)
    cursor = text_param(params, "cursor", 500)
    query = TraceQuery(
        tenant=tenant, start_ns=start, end_ns=end, service=filters.service, environment=filters.environment,
        feature=filters.feature, model=filters.model, provider=search.get("provider"), kind=search.get("kind"),
        status=search.get("status"), error_class=search.get("error_class"),
        min_duration_ns=parse_duration(search["min_duration"]) if "min_duration" in search else None,
        min_cost_usd=min_cost, user_id=search.get("user_id"), conversation_id=search.get("conversation_id"),
        prompt_sha=search.get("prompt_sha"), text=search.get("q"), sort=sort, descending=order == "desc",
        limit=limit, after=_decode_cursor(cursor) if cursor else None,
    )
    return query, search, sort, order, limit


def _span_scope(store: Store, tenant: str | None, trace_id: str, span_id: str) -> str:
    """The tenant named in the link, else the one the span is stored under (a trace's spans may differ)."""
    scope = tenant or store.span_tenant(trace_id, span_id)
    if scope is None:
        raise NotFound(f"span {span_id} not found in trace {trace_id}")
    return scope


def register(router: APIRouter, store: Store, settings: Settings, guarded: Guard) -> None:
    @router.get("/traces")
    @guarded
    async def traces(request: Request) -> Response:
        filters = Filters.parse(request.query_params)
        now = time.time_ns()
        query, search, sort, order, limit = _search_query(request.query_params, filters, filters.scope, now)
        rows = await run_in_threadpool(store.search_traces, query)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            key = {"time": "start_ns", "duration": "duration_ns", "cost": "cost_key"}[sort]
            next_cursor = _encode_cursor(rows[-1][key], rows[-1]["trace_id"])
        for row in rows:
            row.pop("cost_key", None)
        ctx = TraceSearchPage(filters=filters, search=search, sort=sort, order=order, limit=limit, rows=rows,
                              next_cursor=next_cursor, cursor=request.query_params.get("cursor"),
                              window=(query.start_ns or 0, query.end_ns or now))
        return page(request, "traces.html", ctx, nav="traces")

    @router.get("/traces/{trace_id}")
    @guarded
    async def trace(request: Request, trace_id: str) -> Response:
        trace_id = check_hex_id(trace_id, 32, "trace id")
        tenant = text_param(request.query_params, "tenant")
        selected = text_param(request.query_params, "span")
        if selected is not None:
            selected = check_hex_id(selected, 16, "span id")

        def load() -> TracePage:
            rows = store.trace_skeleton(tenant or ALL_TENANTS, trace_id)
            if not rows:
                raise NotFound(f"trace {trace_id} not found")
            wf = layout(rows)
            costs = [r["cost_usd"] for r in rows if r.get("cost_usd") is not None]
            summary = {
                "span_count": len(rows), "llm_calls": sum(1 for r in rows if r.get("kind") == "llm"),
                "total_tokens": sum(r.get("total_tokens") or 0 for r in rows),
                "cost_usd": sum(costs) if costs else None,
                "errors": sum(1 for r in rows if r.get("status") == "error"),
                "start_ns": wf.start_ns, "duration_ns": wf.duration_ns, "max_depth": wf.max_depth,
            }
            panel = span_panel(store, _span_scope(store, tenant, trace_id, selected), trace_id, selected) if selected else None
            root = wf.rows[0][4] if wf.rows else ""
            return TracePage(trace_id=trace_id, tenant=tenant, summary=summary, waterfall=wf, span=panel,
                             selected=selected, root_name=root)

        return page(request, "trace.html", await run_in_threadpool(load), nav="traces")

    @router.get("/traces/{trace_id}/spans/{span_id}")
    @guarded
    async def span(request: Request, trace_id: str, span_id: str) -> Response:
        trace_id = check_hex_id(trace_id, 32, "trace id")
        span_id = check_hex_id(span_id, 16, "span id")
        tenant = text_param(request.query_params, "tenant")
        if not wants_json(request) and request.query_params.get("partial") != "1":
            extra = f"&tenant={tenant}" if tenant else ""
            return RedirectResponse(f"/traces/{trace_id}?span={span_id}{extra}", status_code=307)
        panel = await run_in_threadpool(lambda: span_panel(store, _span_scope(store, tenant, trace_id, span_id), trace_id,
                                                           span_id))
        if wants_json(request):
            return page(request, "_span_panel.html", panel)
        return HTMLResponse(ENV.get_template("_span_panel.html").render(span=panel, trace_id=trace_id))
