"""Cost page: the cost report's five tables with charts, top conversations and users, cache savings,
month-end projection — every row drills down to its traces.

Built on the backend-neutral cost aggregations (:mod:`genlens.query.cost_views`);
when those are not part of this build the page says so instead of failing.
"""

from __future__ import annotations

import importlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.server.ui.charts import PALETTE, _layout
from genlens.server.ui.params import RANGES, Filters
from genlens.server.ui.render import Guard, page
from genlens.settings import Settings
from genlens.store.base import Store

TOP = 10
ROWS = 50  # rows a cost table shows
WORKERS = 4  # aggregations of one page running at once


@dataclass
class CostPage:
    filters: Filters
    window: tuple[int, int]
    available: bool
    report: dict[str, Any] = field(default_factory=dict)
    cache_by_model: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
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


def register(router: APIRouter, store: Store, settings: Settings, guarded: Guard) -> None:
    books: dict[str, Any] = {}  # the price book, loaded once

    @router.get("/cost")
    @guarded
    async def cost(request: Request) -> Response:
        filters = Filters.parse(request.query_params)
        now = time.time_ns()
        start, end = filters.window(now)
        try:
            views = importlib.import_module("genlens.query.cost_views")
            cost_q = importlib.import_module("genlens.query.cost")
            pricing = importlib.import_module("genlens.pricing")
        except ImportError:
            ctx = CostPage(filters=filters, window=(start, end), available=False)
            return page(request, "cost.html", ctx, nav="cost")

        def load() -> CostPage:
            s, e = cost_q.check_range(start, end, now)
            given = {"service": filters.service, "environment": filters.environment, "feature": filters.feature}
            q = cost_q.CostQuery(filters.scope, s, e,
                                 filters=tuple((k, v) for k, v in given.items() if v is not None), model=filters.model,
                                 limit=ROWS)
            book = books.get("book")
            if book is None:
                book = books["book"] = pricing.PriceBook.load(settings.prices)
            # The report's five tables, each cut to the rows a page shows (the store applies the limit).
            def grouped(*keys: str) -> Any:
                return cost_q.CostQuery(q.tenant, s, e, keys, q.filters, q.model, ROWS)

            # Independent aggregations run side by side (the store reads on its own cursors; DuckDB
            # releases the GIL while it scans), so the page costs about its slowest table, not their sum.
            jobs = {
                "by_feature": lambda: views.cost_table(store, grouped("feature")),
                "by_feature_prompt": lambda: views.cost_table(store, grouped("feature", "prompt_sha")),
                "by_tenant": lambda: views.cost_table(store, grouped("tenant")),
                "cache_by_feature": lambda: views.cache_table(store, book, grouped("feature")),
                "cache_by_model": lambda: views.cache_table(store, book, grouped("model")),
                "users": lambda: views.users_table(store, q, TOP),
                "conversations": lambda: views.conversations_table(store, q, TOP),
                "month": lambda: views.month_to_date(store, cost_q.CostQuery(q.tenant, s, e, (), q.filters, q.model),
                                                     now),
            }
            with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ui-cost") as pool:
                futures = {name: pool.submit(job) for name, job in jobs.items()}
                got = {name: future.result() for name, future in futures.items()}
            report = {"total": got["by_feature"]["total"], "by_feature": got["by_feature"]["rows"],
                      "by_feature_prompt": got["by_feature_prompt"]["rows"], "by_tenant": got["by_tenant"]["rows"],
                      "cache_by_feature": got["cache_by_feature"]["rows"]}
            cache_model = got["cache_by_model"]["rows"]
            users, convs, month = got["users"]["users"], got["conversations"]["conversations"], got["month"]
            return CostPage(filters=filters, window=(s, e), available=True, report=report, cache_by_model=cache_model,
                            users=users, conversations=convs, month=month, charts=cost_charts(report, cache_model))

        return page(request, "cost.html", await run_in_threadpool(load), nav="cost")
