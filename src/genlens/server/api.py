"""REST API under ``/api/v1`` (JSON; OpenAPI at ``/docs``).

Views are thin: they parse parameters into a query object, call the
backend-neutral query layer (:mod:`genlens.query`) in a worker thread, and
render JSON.  Every route reads within the request's tenant scope
(:mod:`genlens.server.scope`: every tenant unless ``tenant`` names one), list
rows name their tenant, and a listed id opens under the same scope.  Bad
parameters are 400 with a reason, unknown ids 404.
"""

# No `from __future__ import annotations` here: FastAPI must see the local dependency type, not a string.
from concurrent.futures import Executor
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.query import trace_views
from genlens.query.paging import check_hex_id, decode_cursor
from genlens.server.content_gate import ContentGate
from genlens.server.scope import TenantScope, TenantScopes
from genlens.store.base import Store
from genlens.store.queries import TraceQuery
from genlens.timeparse import parse_duration, parse_time

PURPOSE_HELP = ("why raw content is read (investigator and admin keys): the read is audited and answers content "
                "unredacted; without it, content is redacted")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS, default=str)


def api_router(store: Store, scopes: TenantScopes, reads: Executor, gate: ContentGate | None = None) -> APIRouter:
    """The trace and telemetry routes; ``reads`` (owned by the caller) overlaps the reads of one answer, ``gate``
    decides what content each caller sees (None: content as stored)."""

    def reader(request: Request) -> Store:
        return store if gate is None else gate.reader(request, store)

    router = APIRouter(prefix="/api/v1", tags=["traces"])
    Scope = Annotated[TenantScope, Depends(scopes)]

    @router.get("/traces", summary="Search traces (every row names its tenant)")
    async def search_traces(
        scope: Scope,
        start: Annotated[str | None, Query(description="ISO-8601, a duration ago (e.g. 24h) or epoch ns")] = None,
        end: Annotated[str | None, Query(description="ISO-8601, a duration ago or epoch ns")] = None,
        service: str | None = None,
        environment: str | None = None,
        feature: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        kind: str | None = None,
        status: Literal["unset", "ok", "error"] | None = None,
        error_class: str | None = None,
        min_duration: Annotated[str | None, Query(description="e.g. 500ms, 2s")] = None,
        min_cost: Annotated[float | None, Query(ge=0)] = None,
        user_id: str | None = None,
        conversation_id: str | None = None,
        prompt_sha: str | None = None,
        q: Annotated[str | None, Query(max_length=200, description="text search over span names")] = None,
        sort: Literal["time", "duration", "cost"] = "time",
        order: Literal["asc", "desc"] = "desc",
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> Response:
        query = TraceQuery(
            tenant=scope.tenant,
            start_ns=parse_time(start) if start else None,
            end_ns=parse_time(end) if end else None,
            service=service, environment=environment, feature=feature, provider=provider, model=model,
            kind=kind, status=status, error_class=error_class,
            min_duration_ns=parse_duration(min_duration) if min_duration else None,
            min_cost_usd=min_cost, user_id=user_id, conversation_id=conversation_id, prompt_sha=prompt_sha,
            text=q, sort=sort, descending=order == "desc", limit=limit,
            after=decode_cursor(cursor) if cursor else None,
        )
        rows, next_cursor = await run_in_threadpool(trace_views.search, store, query)
        return JSONResponse({"traces": rows, "next_cursor": next_cursor})

    @router.get("/traces/{trace_id}", summary="One trace as a span tree")
    async def get_trace(
        request: Request,
        trace_id: str,
        scope: Scope,
        format: Annotated[Literal["tree", "flat"], Query(description="nested tree or flat list")] = "tree",
        purpose: Annotated[str | None, Query(max_length=500, description=PURPOSE_HELP)] = None,
    ) -> Response:
        trace_id = check_hex_id(trace_id, 32, "trace id")
        body = await run_in_threadpool(trace_views.read_trace, reader(request), scope.tenant, trace_id, reads,
                                       flat=format == "flat")
        return JSONResponse(body)

    @router.get("/spans/{span_id}", summary="One span with its content")
    async def get_span(
        request: Request,
        span_id: str,
        scope: Scope,
        purpose: Annotated[str | None, Query(max_length=500, description=PURPOSE_HELP)] = None,
    ) -> Response:
        span_id = check_hex_id(span_id, 16, "span id")
        return JSONResponse(await run_in_threadpool(trace_views.read_span, reader(request), scope.tenant, span_id))

    @router.get("/metrics", summary="Stored OTLP metric data points", tags=["telemetry"])
    async def metric_points(
        scope: Scope,
        name: Annotated[str | None, Query(max_length=300)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> Response:
        rows = await run_in_threadpool(trace_views.metric_points, store, scope.tenant, name, limit)
        return JSONResponse({"points": rows})

    @router.get("/logs", summary="Stored OTLP log records", tags=["telemetry"])
    async def log_records(
        request: Request,
        scope: Scope,
        trace_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        purpose: Annotated[str | None, Query(max_length=500, description=PURPOSE_HELP)] = None,
    ) -> Response:
        if trace_id is not None:
            trace_id = check_hex_id(trace_id, 32, "trace id")
        rows = await run_in_threadpool(trace_views.logs, reader(request), scope.tenant, trace_id, limit)
        return JSONResponse({"logs": rows})

    return router
