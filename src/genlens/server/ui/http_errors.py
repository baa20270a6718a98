"""Routing errors (no such address, wrong method) as the UI's readable error page, JSON kept for API clients.

Starlette answers an address no route matches, and a method a route does not
accept, with ``{"detail": "Not Found"}``; a person who mistypes a UI address
should instead land on the same error page a missing trace gets, with a way back.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from genlens.server.ui.render import ErrorContext, page, shown_path

# The machine-facing addresses: the REST API, the OTLP/HTTP receivers, health probes and the API docs.
API_PREFIXES = ("/api", "/v1", "/healthz", "/readyz", "/docs", "/redoc", "/openapi.json")


def is_api_path(path: str) -> bool:
    """Whether ``path`` is one of :data:`API_PREFIXES` or lies below one (``/api/v1/x``, not ``/apiary``)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES)


def _detail(request: Request, exc: HTTPException) -> str:
    if exc.status_code == 404:
        return "There is no page at this address."
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return f"This page does not answer {request.method} requests" + (f"; it answers {allowed}." if allowed else ".")
    return str(exc.detail)


async def routing_error(request: Request, exc: Exception) -> Response:
    """Answer a routing error by who asked and where.

    The rule, in order:

    1. A path under :data:`API_PREFIXES` (``/api``, ``/v1`` for OTLP, ``/healthz``, ``/readyz``, ``/docs``,
       ``/redoc``, ``/openapi.json``) keeps FastAPI's JSON answer, ``{"detail": ...}`` — API and OTLP
       clients parse it and see nothing change.
    2. Any other path is a UI address and is negotiated like every UI page (``render.wants_json``):
       ``?format=json``, or an ``Accept`` that names ``application/json`` without ``text/html``, gets the
       error page's JSON twin (``status``, ``error``, ``detail``, ``path``); everything else — a browser,
       or ``curl`` with ``*/*`` — gets the HTML error page.

    Either way the status code and headers (``Allow`` on a 405) are those of ``exc``; the path shown back is
    cut short and escaped by the template, never echoed raw.
    """
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    if is_api_path(request.url.path):
        return await http_exception_handler(request, exc)
    status = exc.status_code
    try:
        name = HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        name = "Error"
    ctx = ErrorContext(status=status, error=name, detail=_detail(request, exc), path=shown_path(request))
    response = page(request, "error.html", ctx, status_code=status, nav="")
    response.headers.update(exc.headers or {})
    return response
