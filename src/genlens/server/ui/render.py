"""Rendering for UI pages: one Jinja environment, HTML or the JSON twin from the same context.

A view builds a typed context (a dataclass) and hands it to :func:`page`; the
request decides the representation — ``?format=json`` or an ``Accept`` header
that prefers ``application/json`` gets the context as JSON, anything else the
template.  Errors become a readable page (or JSON), never a stack trace.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from genlens import __version__
from genlens.errors import GenlensError
from genlens.timeparse import NS_PER_SECOND

log = logging.getLogger("genlens.ui")
View = Callable[..., Awaitable[Response]]
TEMPLATES = Path(__file__).resolve().parent / "templates"


def fmt_duration_ns(ns: Any) -> str:
    if ns is None:
        return "–"
    ns = float(ns)
    if ns >= 60e9:
        return f"{ns / 60e9:.1f} min"
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.0f} ms"
    return f"{ns / 1e3:.0f} µs"


def fmt_seconds(s: Any) -> str:
    return "–" if s is None else fmt_duration_ns(float(s) * 1e9)


def fmt_usd(v: Any) -> str:
    if v is None:
        return "–"
    v = float(v)
    if v == 0:
        return "$0"
    if abs(v) < 0.0001:
        return f"${v:.6f}"
    if abs(v) < 0.01:
        return f"${v:.4f}"
    if abs(v) < 100:
        return f"${v:,.2f}"
    return f"${v:,.0f}"


def fmt_num(v: Any) -> str:
    if v is None:
        return "–"
    v = float(v)
    if abs(v) >= 1e9:
        return f"{v / 1e9:.1f}B"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.1f}k"
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def fmt_pct(v: Any, digits: int = 1) -> str:
    return "–" if v is None else f"{float(v) * 100:.{digits}f}%"


def fmt_time(ns: Any) -> str:
    if ns is None:
        return "–"
    return datetime.fromtimestamp(int(ns) / NS_PER_SECOND, UTC).strftime("%Y-%m-%d %H:%M:%S")


def tenant_qs(tenant: str | None, sep: str = "?") -> str:
    """``?tenant=…`` for a link that opens under the same named tenant ('' when none was named)."""
    return f"{sep}{urlencode({'tenant': tenant})}" if tenant else ""


def to_json(value: Any) -> str:
    """JSON for embedding in a ``<script>`` block: every ``<`` is ``\\u003c``, so no span name can end the
    block or open a comment in it; ``&`` and ``>`` likewise, for good measure."""
    text = orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(("html",), default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(dur=fmt_duration_ns, secs=fmt_seconds, usd=fmt_usd, num=fmt_num, pct=fmt_pct, ts=fmt_time,
                   tojson_safe=to_json, tenant_qs=tenant_qs)
def _state(request: Request | None) -> dict[str, Any]:
    """What the access middleware left on a request (nothing for a page rendered without one)."""
    return request.scope.get("state", {}) if request is not None else {}


def _principal(request: Request | None) -> Any:
    """The signed-in caller of a page (genlens.server.auth.Principal), or None with no keys configured."""
    return _state(request).get("principal")


def _csrf(request: Request | None) -> str:
    """The session's CSRF token, for the forms of a page that change something (sign-out)."""
    return str(_state(request).get("csrf", ""))


def _content_access(request: Request | None) -> Any:
    """How this page's content was read (genlens.server.content_gate.ContentAccess), None when not gated."""
    return _state(request).get("content_access")


ENV.globals.update(version=__version__, principal=_principal, csrf=_csrf, content_access=_content_access)


def wants_json(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt is not None:
        return fmt == "json"
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def page(request: Request, template: str, ctx: Any, status_code: int = 200, **extra: Any) -> Response:
    """The HTML page for ``ctx`` or, for a JSON client, the context itself."""
    if wants_json(request):
        body = orjson.dumps(ctx, default=_default, option=orjson.OPT_NON_STR_KEYS)
        return Response(body, status_code=status_code, media_type="application/json")
    html = ENV.get_template(template).render(ctx=ctx, request=request, **extra)
    return HTMLResponse(html, status_code=status_code)


@dataclasses.dataclass
class ErrorContext:
    status: int
    error: str
    detail: str
    path: str


SHOWN_PATH_CHARS = 200


def shown_path(request: Request) -> str:
    """The request's path as an error page repeats it: cut short, so a hostile 64 kB address is not echoed back
    whole (the template escapes it either way)."""
    path = request.url.path
    return path if len(path) <= SHOWN_PATH_CHARS else path[:SHOWN_PATH_CHARS] + "…"


def error_page(request: Request, exc: BaseException) -> Response:
    """A readable error: the genlens error's message, or a generic line for a bug (logged with its trace)."""
    if isinstance(exc, GenlensError):
        status, name, detail = exc.status_code, type(exc).__name__, str(exc)
    else:
        log.exception("UI page %s failed", request.url.path)
        status, name, detail = 500, "InternalError", "The page could not be built; the server log has the details."
    ctx = ErrorContext(status=status, error=name, detail=detail, path=shown_path(request))
    return page(request, "error.html", ctx, status_code=status, nav="")
