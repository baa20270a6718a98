"""Trace explorer: search (every API filter + free text), the trace waterfall, and the span panel."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from genlens.errors import BadRequest
from genlens.query import trace_views
from genlens.query.paging import SORT_COLUMNS, check_hex_id, decode_cursor
from genlens.query.span_view import SpanPanel, span_panel
from genlens.query.waterfall import COLUMNS, Waterfall
from genlens.semconv.model import ERROR_CLASSES, SPAN_KINDS
from genlens.server.scope import TenantScope
from genlens.server.ui.deps import Pages
from genlens.server.ui.params import RANGES, Filters, text_param
from genlens.server.ui.render import ENV, page, tenant_qs, wants_json
from genlens.store.queries import TraceQuery
from genlens.timeparse import parse_duration

SEARCH_KEYS = ("provider", "kind", "status", "error_class", "min_duration", "min_cost", "user_id",
               "conversation_id", "prompt_sha", "q")
PAGE_SIZES = (25, 50, 100, 200)


@dataclass
class TraceSearchPage:
    filters: Filters
    search: dict[str, str]
    sort: str
    order: str
    limit: int
    rows: list[dict[str, Any]]  # each names its tenant
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
    tenant: str | None  # the tenant the request named (kept in the span links); the trace's own is in summary
    summary: dict[str, Any]  # genlens.query.traces.trace_summary, with duration_ns and max_depth
    waterfall: Waterfall
    columns: tuple[str, ...] = COLUMNS
    span: SpanPanel | None = None
    selected: str | None = None
    root_name: str = ""
    services: list[str] = field(default_factory=list)


def _search_query(params: Any, filters: Filters, now: int) -> tuple[TraceQuery, dict[str, str], str, str]:
    search = {k: v for k in SEARCH_KEYS if (v := text_param(params, k)) is not None}
    sort = params.get("sort") or "time"
    order = params.get("order") or "desc"
    if sort not in SORT_COLUMNS or order not in ("asc", "desc"):
        raise BadRequest("sort must be time, duration or cost; order asc or desc")
    try:
        limit = int(params.get("limit") or 50)
        min_cost = float(search["min_cost"]) if "min_cost" in search else None
    except ValueError as exc:
        raise BadRequest(f"not a number: {exc}") from exc
    if limit not in PAGE_SIZES:
        raise BadRequest(f"limit must be one of {', '.join(map(str, PAGE_SIZES))}")
    start, end = filters.window(now)
    cursor = text_param(params, "cursor", 500)
    query = TraceQuery(
        tenant=filters.scope, start_ns=start, end_ns=end, service=filters.service, environment=filters.environment,
        feature=filters.feature, model=filters.model, provider=search.get("provider"), kind=search.get("kind"),
        status=search.get("status"), error_class=search.get("error_class"),
        min_duration_ns=parse_duration(search["min_duration"]) if "min_duration" in search else None,
        min_cost_usd=min_cost, user_id=search.get("user_id"), conversation_id=search.get("conversation_id"),
        prompt_sha=search.get("prompt_sha"), text=search.get("q"), sort=sort, descending=order == "desc",
        limit=limit, after=decode_cursor(cursor) if cursor else None,
    )
    return query, search, sort, order


def register(router: APIRouter, pages: Pages) -> None:
    store = pages.store

    @router.get("/traces")
    @pages.guard
    async def traces(request: Request, scope: TenantScope) -> Response:
        filters = Filters.parse(request.query_params, scope)
        now = time.time_ns()
        query, search, sort, order = _search_query(request.query_params, filters, now)
        rows, next_cursor = await run_in_threadpool(trace_views.search, store, query)
        ctx = TraceSearchPage(filters=filters, search=search, sort=sort, order=order, limit=query.limit, rows=rows,
                              next_cursor=next_cursor, cursor=request.query_params.get("cursor"),
                              window=(query.start_ns or 0, query.end_ns or now))
        return page(request, "traces.html", ctx, nav="traces")

    @router.get("/traces/{trace_id}")
    @pages.guard
    async def trace(request: Request, trace_id: str, scope: TenantScope) -> Response:
        trace_id = check_hex_id(trace_id, 32, "trace id")
        selected = text_param(request.query_params, "span")
        if selected is not None:
            selected = check_hex_id(selected, 16, "span id")

        reader = pages.reader(request)

        def load() -> TracePage:
            wf, summary = trace_views.read_waterfall(reader, scope.tenant, trace_id)
            panel = None
            if selected:
                panel = span_panel(reader, trace_views.span_tenant(reader, scope.tenant, trace_id, selected),
                                   trace_id, selected)
            root = wf.rows[0][4] if wf.rows else ""
            return TracePage(trace_id=trace_id, tenant=scope.named, summary=summary, waterfall=wf, span=panel,
                             selected=selected, root_name=root)

        return page(request, "trace.html", await run_in_threadpool(load), nav="traces")

    @router.get("/traces/{trace_id}/spans/{span_id}")
    @pages.guard
    async def span(request: Request, trace_id: str, span_id: str, scope: TenantScope) -> Response:
        trace_id = check_hex_id(trace_id, 32, "trace id")
        span_id = check_hex_id(span_id, 16, "span id")
        if not wants_json(request) and request.query_params.get("partial") != "1":
            return RedirectResponse(f"/traces/{trace_id}?span={span_id}{tenant_qs(scope.named, '&')}", status_code=307)
        reader = pages.reader(request)
        panel = await run_in_threadpool(
            lambda: span_panel(reader, trace_views.span_tenant(reader, scope.tenant, trace_id, span_id), trace_id,
                               span_id))
        if wants_json(request):
            return page(request, "_span_panel.html", panel)
        return HTMLResponse(ENV.get_template("_span_panel.html").render(span=panel, trace_id=trace_id,
                                                                        request=request))
