"""The web UI: server-rendered pages at ``/``, each with a JSON twin (``?format=json``).

A page is a view (``views_*.py``) + a typed context (a dataclass) + a template
(``templates/``, all extending ``base.html``; partials start with ``_``).
Views read through the backend-neutral query layer (:mod:`genlens.query`), as
the REST API does, within the request's tenant scope (:mod:`genlens.server.scope`).
Static files are this package's ``static/`` folder plus ``plotly.min.js``,
served from the installed ``plotly`` package (nothing is fetched from a CDN).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from genlens.alerts.book import AlertingJob
from genlens.errors import NotFound
from genlens.pricing import PriceBook
from genlens.server.content_gate import ContentGate
from genlens.server.scope import TenantScopes
from genlens.server.ui.deps import Pages
from genlens.server.ui.http_errors import routing_error
from genlens.settings import Settings
from genlens.slo.spec import SLO
from genlens.store.base import Store

STATIC = Path(__file__).resolve().parent / "static"


def plotly_js() -> Path:
    """``plotly.min.js`` inside the installed plotly package (its package data), without importing plotly."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise NotFound("the plotly package is not installed; charts cannot be drawn")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise NotFound(f"plotly.min.js is missing from the plotly package at {path}")
    return path


def ui_router(pages: Pages) -> APIRouter:
    from genlens.server.ui import (
        views_conversations,
        views_cost,
        views_overview,
        views_privacy,
        views_slo,
        views_traces,
    )

    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def home() -> Response:
        return RedirectResponse("/overview", status_code=307)

    @router.get("/static/vendor/plotly.min.js")
    @pages.guard
    async def plotly(request: Request) -> Response:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    for module in (views_overview, views_traces, views_conversations, views_cost, views_slo, views_privacy):
        module.register(router, pages)
    return router


def mount_ui(app: FastAPI, store: Store, settings: Settings, scopes: TenantScopes, reads: Executor,
             book: PriceBook, slos: Sequence[SLO] = (), alerts: Sequence[AlertingJob] = (),
             gate: ContentGate | None = None, notes: Callable[[], Mapping[str, int]] | None = None) -> None:
    """Add the UI's pages and static files to ``app``; routing errors outside the API answer with the error page.

    ``reads`` (owned by the caller) runs the independent reads of one page side by side.
    """
    app.include_router(ui_router(Pages(store, settings, scopes, reads, book, slos, alerts, gate, notes)))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_exception_handler(HTTPException, routing_error)
