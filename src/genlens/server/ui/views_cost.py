"""Cost page: the cost report's five tables with charts, top conversations and users, cache savings,
month-end projection — every row drills down to its traces.

Built on the backend-neutral cost answers (:func:`genlens.query.cost_views.dashboard`), the same the REST
cost routes serve.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.query import cost_views
from genlens.query.cost import check_range, from_filter
from genlens.server.scope import TenantScope
from genlens.server.ui.charts import PALETTE, _layout
from genlens.server.ui.deps import Pages
from genlens.server.ui.params import RANGES, Filters
from genlens.server.ui.render import page

TOP = 10
ROWS = 50  # rows a cost table shows


@dataclass
class CostPage:
    filters: Filters
    window: tuple[int, int]
    report: dict[str, Any] = field(default_factory=dict)
    cache_by_model: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)  # each names its tenant
    month: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)
    ranges: tuple[str, ...] = RANGES


def _bar(title: str, labels: list[str], values: list[Any], color: str, y: str = "USD", **extra: Any) -> dict[str, Any]:
    return {"data": [{"type": "bar", "x": labels, "y": values, "marker": {"color": color}, "name": title}],
            "layout": _layout(title, y, hovermode="closest", showlegend=False, **extra)}


def cost_charts(report: dict[str, Any], cache_by_model: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    feats = report["by_feature"][:TOP]
    tenants = report["by_tenant"][:TOP]
    cache = report["cache_by_feature"][:TOP]
    return {
        "cost_feature": _bar("Cost by feature", [str(r["feature"]) for r in feats], [r["cost_usd"] for r in feats],
                             PALETTE[0]),
        "cost_tenant": _bar("Cost by tenant", [str(r["tenant"]) for r in tenants], [r["cost_usd"] for r in tenants],
                            PALETTE[4]),
        "cache_feature": _bar("Cache-hit rate by feature", [str(r["feature"]) for r in cache],
                              [r["cache_hit_rate"] for r in cache], PALETTE[2], "",
                              yaxis={"tickformat": ".0%", "rangemode": "tozero", "gridcolor": "#eceef2"}),
        "savings_model": _bar("Saved by prompt caching, by model", [str(r["model"]) for r in cache_by_model[:TOP]],
                              [r["cache_saved_usd"] for r in cache_by_model[:TOP]], PALETTE[5]),
    }


def register(router: APIRouter, pages: Pages) -> None:
    store = pages.store

    @router.get("/cost")
    @pages.guard
    async def cost(request: Request, scope: TenantScope) -> Response:
        filters = Filters.parse(request.query_params, scope)
        now = time.time_ns()
        start, end = check_range(*filters.window(now), now)

        def load() -> CostPage:
            q = from_filter(filters.span_filter(now), start, end, limit=ROWS)
            got = cost_views.dashboard(store, pages.prices(), q, now, pages.reads, TOP)
            return CostPage(filters=filters, window=(start, end), report=got["report"],
                            cache_by_model=got["cache_by_model"], users=got["users"],
                            conversations=got["conversations"], month=got["month"],
                            charts=cost_charts(got["report"], got["cache_by_model"]))

        return page(request, "cost.html", await run_in_threadpool(load), nav="cost")
