"""Overview dashboard: executive, operator and debug tiers over one filtered time window."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.query.overview import Overview, build_overview
from genlens.server.ui.charts import overview_charts
from genlens.server.ui.params import RANGES, Filters
from genlens.server.ui.render import Guard, page
from genlens.settings import Settings
from genlens.store.base import Store

FACET_TTL_S = 60.0
FACET_CACHE_MAX = 64
FACET_WINDOW_NS = 7 * 86400 * 10**9


class FacetCache:
    """Filter-bar values per tenant, recomputed at most once a minute (bounded: oldest entry evicted)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, list[str]]]] = {}
        self.evictions = 0

    def get(self, tenant: str) -> dict[str, list[str]]:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(tenant)
            if hit and now - hit[0] < FACET_TTL_S:
                return hit[1]
        values = self._store.facet_values(tenant, time.time_ns() - FACET_WINDOW_NS)
        with self._lock:
            if tenant not in self._entries and len(self._entries) >= FACET_CACHE_MAX:
                oldest = min(self._entries, key=lambda k: self._entries[k][0])
                del self._entries[oldest]
                self.evictions += 1
            self._entries[tenant] = (now, values)
        return values


@dataclass
class OverviewPage:
    filters: Filters
    facets: dict[str, list[str]]
    window: tuple[int, int]
    overview: Overview
    charts: dict[str, dict[str, Any]]
    ranges: tuple[str, ...] = RANGES


def register(router: APIRouter, store: Store, settings: Settings, guarded: Guard) -> None:
    facets = FacetCache(store)

    @router.get("/overview")
    @guarded
    async def overview(request: Request) -> Response:
        filters = Filters.parse(request.query_params)
        now = time.time_ns()
        span_filter = filters.span_filter(now)

        def load() -> OverviewPage:
            ov = build_overview(store, span_filter, now)
            return OverviewPage(filters=filters, facets=facets.get(span_filter.tenant),
                                window=(span_filter.start_ns or 0, span_filter.end_ns or now), overview=ov,
                                charts=overview_charts(ov))

        return page(request, "overview.html", await run_in_threadpool(load), nav="overview")
