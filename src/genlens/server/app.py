"""The ASGI application: composition root of the HTTP side.

``create_app`` takes the few objects the server is made of (settings, store,
writer, ingestor, the one price book, the jobs and the metrics aggregator — all
built by :func:`genlens.server.runtime.build`) and wires OTLP receivers,
``/metrics``, the REST API, the UI, health endpoints and one error handler that renders every
:class:`GenlensError` as JSON.  The one resource it creates itself, the read
pool shared by REST and UI, it shuts down with the app.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import Response

from genlens import __version__
from genlens.alerts.book import AlertingJob
from genlens.alerts.detectors import Rule
from genlens.analysis.jobs import Job
from genlens.errors import GenlensError, Overloaded
from genlens.metrics.spans import SpanMetrics
from genlens.pipeline.ingest import Ingestor
from genlens.pricing import PriceBook
from genlens.privacy.cipher import Keyring
from genlens.server.api import JSONResponse, api_router
from genlens.server.api_content import content_router
from genlens.server.api_cost import cost_router
from genlens.server.api_detect import detect_router
from genlens.server.api_privacy import privacy_router
from genlens.server.api_slo import slo_router
from genlens.server.auth import AccessMiddleware, key_grant
from genlens.server.content_gate import read_gate
from genlens.server.docs import mount_docs
from genlens.server.keys import KeyRing
from genlens.server.login import login_router
from genlens.server.metrics_http import ServerStats, metrics_route
from genlens.server.otlp_http import otlp_routes
from genlens.server.scope import TenantScopes
from genlens.server.sessions import SessionSigner
from genlens.server.ui import mount_ui
from genlens.settings import Settings
from genlens.slo.spec import SLO
from genlens.store.base import Store
from genlens.store.writer import Writer

log = logging.getLogger("genlens.server")


def create_app(settings: Settings, store: Store, writer: Writer, ingestor: Ingestor, book: PriceBook, *,
               jobs: Sequence[Job] = (), span_metrics: SpanMetrics | None = None,
               slos: Sequence[SLO] = (), alert_jobs: Sequence[AlertingJob] = (),
               rules: Sequence[Rule] = (), keys: KeyRing | None = None,
               keyring: Keyring | None = None) -> FastAPI:
    app = FastAPI(
        title="genlens",
        version=__version__,
        description="OpenTelemetry-native observability for LLM applications: OTLP in, traces out.",
        docs_url=None,  # served from installed assets instead of a CDN (server/docs.py)
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    mount_docs(app)
    for route in otlp_routes(ingestor, settings.max_body_bytes):
        app.router.routes.append(route)
    app.router.routes.append(metrics_route(span_metrics, ServerStats(ingestor, writer, jobs, span_metrics,
                                                                     alert_jobs)))
    reads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="genlens-read")  # REST and UI reads overlap here
    app.router.on_shutdown.append(lambda: reads.shutdown(wait=False, cancel_futures=True))
    keys = keys if keys is not None else KeyRing(settings.access.keys_path(settings.data))
    sessions = SessionSigner(settings.data / "session.key", settings.access.session_hours)
    app.add_middleware(AccessMiddleware, keys=keys, sessions=sessions, routes=lambda: app.router.routes,
                       metrics_public=settings.access.metrics_public)
    scopes = TenantScopes(key_grant)  # the caller's key's tenants; every tenant with no keys configured
    gate = read_gate(settings.privacy, settings.max_attribute_chars, writer)
    app.include_router(login_router(keys, sessions, secure=settings.tls.enabled))
    app.include_router(api_router(store, scopes, reads, gate))
    app.include_router(cost_router(store, settings, writer, scopes, book))
    app.include_router(slo_router(store, slos, scopes, alert_jobs, history_of=store))
    app.include_router(detect_router(store, rules, settings.alerts.step_ns, scopes))
    app.include_router(privacy_router(store, writer, settings.retention, settings.sampling, scopes))
    content, rotations = content_router(writer, keyring if keyring is not None else settings.content_keyring())
    app.include_router(content)
    app.router.on_shutdown.append(rotations.stop)

    mount_ui(app, store, settings, scopes, reads, book, slos, alert_jobs, gate, notes=lambda: dict(ingestor.notes))

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/readyz", tags=["health"], summary="Readiness: the store is open and the write queue has room")
    async def readyz() -> Response:
        queued = writer.queued_items
        ready = queued < settings.write_queue_spans
        body: dict[str, Any] = {
            "status": "ready" if ready else "not ready",
            "write_queue_items": queued,
            "committed_items": writer.committed_items,
            "spans_accepted": ingestor.spans_accepted,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.exception_handler(GenlensError)
    async def genlens_error(request: Request, exc: GenlensError) -> Response:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if isinstance(exc, Overloaded) else None
        if exc.status_code >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc)
        return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=exc.status_code,
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        return JSONResponse({"error": "BadRequest", "detail": problems}, status_code=400)

    return app
