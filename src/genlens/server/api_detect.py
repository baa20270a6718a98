"""REST for the detectors: ``GET /api/v1/detect/{family}`` answers what would have fired over a range, and when.

The same evaluation as the live alerting job (and ``genlens detect``), over any
past range within the request's tenant scope; nothing is stored or sent.
"""

import time
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from genlens.alerts.detectors import FAMILIES, Rule
from genlens.alerts.evaluation import detect
from genlens.errors import BadRequest
from genlens.query.cost import check_range
from genlens.server.api import JSONResponse
from genlens.server.scope import TenantScope, TenantScopes
from genlens.store.base import AnalyticsReader
from genlens.timeparse import parse_duration, parse_time

# No `from __future__ import annotations` here: FastAPI must see the local dependency types, not strings.
TIME_HELP = "ISO-8601, a duration ago (7d) or epoch nanoseconds"
DEFAULT_RANGE_NS = 24 * 3600 * 10**9


def detect_router(store: AnalyticsReader, rules: Sequence[Rule], step_ns: int, scopes: TenantScopes) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["alerts"])
    Scope = Annotated[TenantScope, Depends(scopes)]

    @router.get("/detect/{family}", summary="What the detectors and alert rules would have raised over a range")
    async def run(
        scope: Scope,
        family: Annotated[str, Path(max_length=20, description=f"all, {', '.join(FAMILIES)}")],
        start: Annotated[str | None, Query(max_length=100, description=TIME_HELP)] = None,
        end: Annotated[str | None, Query(max_length=100, description=TIME_HELP)] = None,
        step: Annotated[str | None, Query(max_length=20, description="evaluation step (default alerts.step)")] = None,
    ) -> Response:
        now = time.time_ns()
        start_ns, end_ns = check_range(parse_time(start, now) if start else None,
                                       parse_time(end, now) if end else None, now, DEFAULT_RANGE_NS)
        step_of = parse_duration(step) if step else step_ns
        try:
            episodes = await run_in_threadpool(detect, store, rules, family, start_ns, end_ns, step_of, scope.tenant)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        return JSONResponse({"family": family, "start_ns": start_ns, "end_ns": end_ns, "step_ns": step_of,
                             "episodes": episodes})

    return router
