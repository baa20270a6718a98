"""SLO and alert pages: every SLO's light, SLI, budget left and burn rates; firing and resolved alerts.

``/slos`` reads the same statuses as ``GET /api/v1/slos`` (computed from the stored
spans within the request's tenant scope); ``/alerts`` the alert job's firing and
alerts (as ``GET /api/v1/alerts``), and from the stored alert history the
resolved ones and the alert volume per ISO week of the last 8 weeks — alert
fatigue is a number too — and the stored findings of the detectors.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.alerts.book import current_alerts, event_view, firing_views
from genlens.server.scope import TenantScope
from genlens.server.ui.deps import Pages
from genlens.server.ui.render import page
from genlens.slo.engine import evaluate
from genlens.slo.windows import WINDOWS
from genlens.timeparse import NS_PER_WEEK

SHOWN_WINDOWS = ("5m", "30m", "1h", "6h", "3d")
HISTORY_WEEKS = 8  # of alert volume and resolved alerts, from the stored alert history
LIGHT = {"ok": "ok", "warning": "warn", "ticket": "warn", "page": "err", "no data": "none", "prometheus": "none"}


@dataclass
class SloPage:
    slos: list[dict[str, Any]] = field(default_factory=list)
    windows: tuple[str, ...] = SHOWN_WINDOWS
    lights: dict[str, str] = field(default_factory=lambda: dict(LIGHT))


@dataclass
class AlertsPage:
    evaluating: bool
    firing: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    per_week: list[dict[str, Any]] = field(default_factory=list)  # {week, page, ticket}
    findings: list[dict[str, Any]] = field(default_factory=list)


def slo_statuses(pages: Pages, tenant: str, now_ns: int) -> list[dict[str, Any]]:
    """The SLO statuses a page shows (the overview's lights read these too)."""
    assert set(SHOWN_WINDOWS) <= set(WINDOWS)
    return [s.as_dict() for s in evaluate(pages.store, pages.slos, now_ns, tenant)]


def _week(ns: int) -> str:
    year, week, _ = datetime.fromtimestamp(ns / 1e9, tz=UTC).isocalendar()
    return f"{year}-W{week:02d}"


def register(router: APIRouter, pages: Pages) -> None:
    @router.get("/slos")
    @pages.guard
    async def slos(request: Request, scope: TenantScope) -> Response:
        rows = await run_in_threadpool(slo_statuses, pages, scope.tenant, time.time_ns())
        return page(request, "slos.html", SloPage(rows), nav="slos")

    @router.get("/alerts")
    @pages.guard
    async def alerts(request: Request, scope: TenantScope) -> Response:
        firing, _ = current_alerts(pages.alerts)
        since = time.time_ns() - HISTORY_WEEKS * NS_PER_WEEK
        events = await run_in_threadpool(pages.store.alert_events, since, 10_000)
        weeks: Counter[tuple[str, str]] = Counter((_week(e["at_ns"]), e["severity"]) for e in events
                                                  if e["status"] == "firing")
        per_week = [{"week": w, "page": weeks[(w, "page")], "ticket": weeks[(w, "ticket")],
                     "info": weeks[(w, "info")]} for w in sorted({w for w, _ in weeks}, reverse=True)]
        resolved = [event_view(e) for e in events if e["status"] == "resolved"][:200]
        found = await run_in_threadpool(pages.store.findings, scope.tenant, None, None, None, 50)
        shown = firing_views(pages.alerts, firing)
        return page(request, "alerts.html", AlertsPage(bool(pages.alerts), shown, resolved, per_week, found),
                    nav="alerts")
