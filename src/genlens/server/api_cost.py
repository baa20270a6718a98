"""REST for cost: ``/api/v1/cost…`` aggregations and ``/api/v1/findings``.

Views parse parameters into a :class:`CostQuery` (400 on any bad one), call
:mod:`genlens.query.cost_views` in a worker thread and render JSON.  Tenancy
works as in the trace API: every query reads within the request's scope
(:mod:`genlens.server.scope`: every tenant unless ``tenant`` names one).
"""


import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from genlens.analysis.cost_job import run_detectors, thresholds_from
from genlens.analysis.findings import KINDS
from genlens.errors import BadRequest
from genlens.pricing import PriceBook
from genlens.query import cost_views
from genlens.query.cost import MAX_ROWS, check_range, parse_keys
from genlens.server.api import JSONResponse
from genlens.server.scope import TenantScope, TenantScopes
from genlens.settings import Settings
from genlens.store.base import Store
from genlens.store.queries import CACHE_KEYS, GROUP_KEYS, CostQuery
from genlens.store.writer import Writer
from genlens.timeparse import parse_time

# No `from __future__ import annotations` here: FastAPI must see the local dependency types, not strings.
Text = Annotated[str | None, Query(max_length=500)]
TIME_HELP = "ISO-8601, a duration ago (e.g. 7d) or epoch ns"


def cost_router(store: Store, settings: Settings, writer: Writer, scopes: TenantScopes,
                book: PriceBook) -> APIRouter:
    """The cost routes, pricing with ``book`` (the server's one price book, as ingest priced the spans)."""
    router = APIRouter(prefix="/api/v1", tags=["cost"])
    prices = book
    Scope = Annotated[TenantScope, Depends(scopes)]

    def base_query(
        scope: Scope,
        start: Annotated[str | None, Query(max_length=100, description=TIME_HELP)] = None,
        end: Annotated[str | None, Query(max_length=100, description=TIME_HELP)] = None,
        service: Text = None, environment: Text = None, feature: Text = None, provider: Text = None,
        model: Text = None, prompt_sha: Text = None, experiment_variant: Text = None,
        service_version: Text = None, user_id: Text = None, conversation_id: Text = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000,
    ) -> CostQuery:
        now = time.time_ns()
        start_ns, end_ns = check_range(parse_time(start, now) if start else None,
                                       parse_time(end, now) if end else None, now)
        given = {"service": service, "environment": environment, "feature": feature, "provider": provider,
                 "prompt_sha": prompt_sha, "experiment_variant": experiment_variant,
                 "service_version": service_version, "user_id": user_id, "conversation_id": conversation_id}
        filters = tuple((k, v) for k, v in given.items() if v is not None)
        return CostQuery(scope.tenant, start_ns, end_ns, filters=filters, model=model, limit=limit)

    Base = Annotated[CostQuery, Depends(base_query)]

    def with_keys(q: CostQuery, text: str | None, allowed: tuple[str, ...], what: str) -> CostQuery:
        return CostQuery(q.tenant, q.start_ns, q.end_ns, parse_keys(text, allowed, what), q.filters, q.model,
                         q.limit)

    @router.get("/cost", summary="Cost, calls and tokens grouped by time, feature, tenant, model …")
    async def cost(q: Base, group_by: Annotated[str | None, Query(
            max_length=300, description=f"comma-separated: {', '.join(GROUP_KEYS)}")] = None) -> Response:
        query = with_keys(q, group_by, GROUP_KEYS, "group_by")
        return JSONResponse(await run_in_threadpool(cost_views.cost_table, store, query))

    @router.get("/cost/cache", summary="Cache-hit rate and money caching saved, by feature and model")
    async def cache(q: Base, by: Annotated[str | None, Query(
            max_length=200, description=f"comma-separated: {', '.join(CACHE_KEYS)}")] = "feature,model") -> Response:
        query = with_keys(q, by, CACHE_KEYS, "by")
        return JSONResponse(await run_in_threadpool(cost_views.cache_table, store, prices, query))

    @router.get("/cost/users", summary="Top users by cost (from spans, never metric labels)")
    async def users(q: Base, top: Annotated[int, Query(ge=1, le=1000)] = 10) -> Response:
        return JSONResponse(await run_in_threadpool(cost_views.users_table, store, q, top))

    @router.get("/cost/conversations", summary="The most expensive conversations with cumulative tokens")
    async def conversations(q: Base, top: Annotated[int, Query(ge=1, le=1000)] = 10) -> Response:
        return JSONResponse(await run_in_threadpool(cost_views.conversations_table, store, q, top))

    @router.get("/cost/conversations/{conv_id}", summary="One conversation's calls with cumulative tokens")
    async def conversation(conv_id: str, q: Base,
                           turns: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000) -> Response:
        return JSONResponse(await run_in_threadpool(cost_views.conversation_detail, store, q, conv_id, turns))

    @router.get("/cost/month", summary="Month-to-date spend and a month-end projection")
    async def month(q: Base, at: Annotated[str | None, Query(max_length=100, description=TIME_HELP)] = None) -> Response:
        at_ns = parse_time(at) if at else time.time_ns()
        return JSONResponse(await run_in_threadpool(cost_views.month_to_date, store, q, at_ns))

    @router.get("/cost/report", summary="The five tables of `genlens report cost`")
    async def report(q: Base) -> Response:
        return JSONResponse(await run_in_threadpool(cost_views.report, store, prices, q))

    @router.get("/findings", summary="Findings of the analysis jobs, newest first", tags=["findings"])
    async def findings(
        scope: Scope,
        kind: Annotated[str | None, Query(max_length=100, description=", ".join(KINDS))] = None,
        feature: Text = None,
        since: Annotated[str | None, Query(max_length=100, description="findings whose window ends after")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 100,
    ) -> Response:
        if kind is not None and kind not in KINDS:
            raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
        since_ns = parse_time(since) if since else None
        rows = await run_in_threadpool(cost_views.findings, store, scope.tenant, kind, feature, since_ns, limit)
        return JSONResponse({"findings": rows})

    @router.post("/cost/detect", summary="Run the cost detectors now over a range and store the findings",
                 tags=["findings"])
    async def detect(
        start: Annotated[str | None, Query(max_length=100, description=TIME_HELP)] = None,
        end: Annotated[str | None, Query(max_length=100, description=TIME_HELP)] = None,
        save: bool = True,
    ) -> Response:
        now = time.time_ns()
        start_ns, end_ns = check_range(parse_time(start, now) if start else None,
                                       parse_time(end, now) if end else None, now)
        rows = await run_in_threadpool(lambda: run_detectors(store, start_ns, end_ns, thresholds_from(settings),
                                                             writer=writer if save else None))
        return JSONResponse({"start_ns": start_ns, "end_ns": end_ns, "findings": [cost_views.finding_row(r) for r in rows]})

    return router

