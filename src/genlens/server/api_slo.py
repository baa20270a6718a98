"""REST for SLOs and alerts: ``GET /api/v1/slos`` (every SLO's status), ``GET /api/v1/slos/{id}``,
``GET /api/v1/alerts`` (firing and recently resolved alerts) and ``GET /api/v1/alerts/history`` (the stored
history: each alert as it fired and resolved, across restarts).

Each status holds the SLI over the period, the error budget left (as a share, in
calls and in minutes), the error ratio and burn rate of every window, and the
burn-rate pairs firing now — computed from the stored spans within the request's
tenant scope.  An SLO given as PromQL is listed with ``computed_by: prometheus``.
"""

import time
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from genlens.alerts.book import AlertingJob, current_alerts, event_view, firing_views
from genlens.errors import NotFound
from genlens.server.api import JSONResponse
from genlens.server.scope import TenantScope, TenantScopes
from genlens.slo.engine import evaluate, evaluate_one
from genlens.slo.spec import SLO
from genlens.store.base import AnalyticsReader, FindingsReader
from genlens.timeparse import parse_time

# No `from __future__ import annotations` here: FastAPI must see the local dependency types, not strings.


def slo_router(store: AnalyticsReader, slos: Sequence[SLO], scopes: TenantScopes,
               alerts: Sequence[AlertingJob] = (), history_of: FindingsReader | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["slo"])
    Scope = Annotated[TenantScope, Depends(scopes)]
    by_id = {slo.id: slo for slo in slos}

    @router.get("/slos", summary="Every SLO: SLI, error budget left, burn rates, firing burn-rate pairs")
    async def list_slos(scope: Scope) -> Response:
        statuses = await run_in_threadpool(evaluate, store, slos, time.time_ns(), scope.tenant)
        return JSONResponse({"slos": [s.as_dict() for s in statuses]})

    @router.get("/slos/{slo_id}", summary="One SLO's status")
    async def one_slo(scope: Scope, slo_id: Annotated[str, Path(max_length=300)]) -> Response:
        slo = by_id.get(slo_id)
        if slo is None:
            raise NotFound(f"no SLO {slo_id!r} (known: {', '.join(sorted(by_id)) or 'none configured'})")
        status = await run_in_threadpool(evaluate_one, store, slo, time.time_ns(), scope.tenant)
        return JSONResponse(status.as_dict())

    @router.get("/alerts", tags=["alerts"], summary="Alerts firing now and recently resolved, newest first")
    async def list_alerts(scope: Scope) -> Response:
        firing, resolved = current_alerts(alerts)
        return JSONResponse({"firing": firing_views(alerts, firing),
                             "resolved": [a.as_dict() for a in resolved], "evaluating": bool(alerts)})

    @router.get("/alerts/history", tags=["alerts"], summary="The stored alert history: each alert as it fired and "
                "resolved, newest first")
    async def alert_history(
        since: Annotated[str, Query(max_length=100, description="ISO-8601, a duration ago (7d) or epoch ns")] = "7d",
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> Response:
        since_ns = parse_time(since)
        rows = await run_in_threadpool(history_of.alert_events, since_ns, limit) if history_of is not None else []
        return JSONResponse({"since_ns": since_ns, "events": [event_view(r) for r in rows]})

    return router
