"""Overview dashboard: executive, operator and debug tiers over one filtered time window."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.query.facets import FacetCache
from genlens.query.overview import Overview, build_overview
from genlens.server.scope import TenantScope
from genlens.server.ui.charts import overview_charts
from genlens.server.ui.deps import Pages
from genlens.server.ui.params import RANGES, Filters
from genlens.server.ui.render import page
from genlens.server.ui.views_slo import LIGHT, slo_statuses


@dataclass
class OverviewPage:
    filters: Filters
    facets: dict[str, list[str]]
    window: tuple[int, int]
    overview: Overview
    charts: dict[str, dict[str, Any]]
    ranges: tuple[str, ...] = RANGES
    slos: list[dict[str, Any]] = field(default_factory=list)  # the executive tier's SLO lights
    lights: dict[str, str] = field(default_factory=lambda: dict(LIGHT))


def register(router: APIRouter, pages: Pages) -> None:
    store = pages.store
    facets = FacetCache(store)

    @router.get("/overview")
    @pages.guard
    async def overview(request: Request, scope: TenantScope) -> Response:
        filters = Filters.parse(request.query_params, scope)
        now = time.time_ns()
        span_filter = filters.span_filter(now)

        def load() -> OverviewPage:
            ov = build_overview(store, span_filter, now)
            return OverviewPage(filters=filters, facets=facets.get(span_filter.tenant),
                                window=(span_filter.start_ns or 0, span_filter.end_ns or now), overview=ov,
                                charts=overview_charts(ov),
                                slos=slo_statuses(pages, span_filter.tenant, now) if pages.slos else [])

        return page(request, "overview.html", await run_in_threadpool(load), nav="overview")
