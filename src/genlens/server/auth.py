"""Who is calling, and may they: API keys checked in front of every route.

Every route of the app belongs to one class (:data:`ROUTE_CLASSES`, keyed by
the route's path template, ``"METHOD path"`` where methods differ):

* ``public`` — health, the OpenAPI page and its assets, static files, sign-in;
* ``ingest`` — the OTLP receivers (``ingest`` and ``admin`` keys);
* ``read`` — REST reads, UI pages and their JSON twins (every key but ``ingest``);
* ``admin`` — erasure, the audit log, running the detectors on demand, alerts (they span tenants);
* ``metrics`` — ``/metrics`` (``admin`` keys, or everyone with ``access.metrics_public``);
* ``any`` — any live key (``/api/v1/whoami``).

A route missing from the table is treated as ``admin``, so a new route is never
open by accident (and a test fails until it is classified).  A path no route
matches is ``read``: probing for paths answers 401 like any other read.

:class:`AccessMiddleware` is plain ASGI in front of the whole app (the OTLP hot
path pays one dict lookup and one SHA-256).  With no keys configured it passes
everything through (the server then binds to loopback only, see
``server/runtime.py``).  With keys, a request carries ``Authorization: Bearer
glk_…`` or, for reads from a browser, the session cookie of
``server/sessions.py``; no credentials or a dead key answer 401 with
``WWW-Authenticate`` (a UI page redirects to ``/login`` instead), a role that
does not cover the route's class 403.  The caller's :class:`Principal` is left
in ``request.state.principal`` for the tenant grant (:func:`key_grant`) and the
content gate (``server/content_gate.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import Request

from genlens.pipeline.ingest import Sender
from genlens.server.keys import Key, KeyRing, role_allows
from genlens.server.sessions import COOKIE, SessionSigner

__all__ = ["ROUTE_CLASSES", "AccessMiddleware", "Principal", "bearer_token", "key_grant", "principal_of", "sender_of"]

log = logging.getLogger("genlens.auth")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CLASSES = ("public", "ingest", "read", "admin", "metrics", "any")
_READ_PAGES = ("/", "/overview", "/traces", "/traces/{trace_id}", "/traces/{trace_id}/spans/{span_id}",
               "/conversations", "/conversations/{conversation_id}", "/sessions", "/sessions/{conversation_id}",
               "/cost", "/slos", "/privacy")
_READ_API = ("/traces", "/traces/{trace_id}", "/spans/{span_id}", "/metrics", "/logs", "/cost", "/cost/cache",
             "/cost/users", "/cost/conversations", "/cost/conversations/{conv_id}", "/cost/month", "/cost/report",
             "/findings", "/slos", "/slos/{slo_id}", "/detect/{family}", "/sampling", "/retention")
ROUTE_CLASSES: dict[str, str] = {
    **{f"/v1/{signal}": "ingest" for signal in ("traces", "logs", "metrics")},
    "/metrics": "metrics",
    **{path: "public" for path in ("/healthz", "/readyz", "/login", "/logout", "/docs", "/openapi.json",
                                   "/docs/oauth2-redirect", "/static/docs", "/static", "/static/vendor/plotly.min.js")},
    **{path: "read" for path in _READ_PAGES},
    **{f"/api/v1{path}": "read" for path in _READ_API},
    "/api/v1/whoami": "any",
    "POST /api/v1/cost/detect": "admin",
    "POST /api/v1/erasure": "admin",
    "/api/v1/erasure/{request_id}": "admin",
    "/api/v1/audit": "admin",
    "/api/v1/content/rotate": "admin",  # content key ids and re-sealing all stored content
    # alerts are the server's, across tenants (a slice is a model or feature, examples come from any tenant)
    "/alerts": "admin",
    "/api/v1/alerts": "admin",
    "/api/v1/alerts/history": "admin",
}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request: its key, and how it was presented."""

    key: Key
    via: str  # "bearer" or "session"

    @property
    def actor(self) -> str:
        """How the audit log names the caller: the key's id and name, never its secret."""
        return f"key:{self.key.id} ({self.key.name})"

    def may(self, need: str) -> bool:
        return role_allows(self.key.role, need)


def principal_of(request: Request) -> Principal | None:
    """The request's caller (None with no keys configured, or on a public route)."""
    principal = request.scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


def key_grant(request: Request) -> frozenset[str] | None:
    """The tenant grant of :class:`~genlens.server.scope.TenantScopes`: the caller's tenants (None = every)."""
    principal = principal_of(request)
    if principal is None or principal.key.every_tenant:
        return None
    return frozenset(principal.key.tenants)


def sender_of(principal: Principal | None, default_tenant: str) -> Sender | None:
    """How an export's tenants are confined: not at all with no keys or an admin key; else to the key's
    tenants, items naming none going to the key's tenant (or ``default_tenant`` for a key of several)."""
    if principal is None or principal.key.every_tenant:
        return None
    tenants = principal.key.tenants
    return Sender(tenants[0] if len(tenants) == 1 else default_tenant, frozenset(tenants))


def bearer_token(value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` value (scheme case-insensitive), else None."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def flat_routes(routes: list[Any]) -> list[Any]:
    """Every route of an app in match order, the routes of included routers in their place (FastAPI keeps an
    included router as one entry holding the router: ``original_router``)."""
    out: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out.extend(flat_routes(list(inner.routes)) if inner is not None else [route])
    return out


class _Classifier:
    """The class of a (method, path): exact paths first (the OTLP hot path), then the templates in route order."""

    def __init__(self, routes: list[Any], metrics_public: bool) -> None:
        self.exact: dict[tuple[str, str], str] = {}
        self.patterns: list[tuple[re.Pattern[str], frozenset[str] | None, str]] = []
        self.unclassified: list[str] = []
        for route in flat_routes(routes):
            path = getattr(route, "path", None)
            regex = getattr(route, "path_regex", None)
            if path is None or regex is None:
                continue
            methods: frozenset[str] | None = frozenset(getattr(route, "methods", None) or ()) or None
            for method in sorted(methods or {"*"}):
                need = ROUTE_CLASSES.get(f"{method} {path}") or ROUTE_CLASSES.get(path)
                if need is None:
                    self.unclassified.append(f"{method} {path}")
                    need = "admin"
                if need == "metrics" and metrics_public:
                    need = "public"
                if "{" not in path and methods is not None:
                    self.exact[(method, path)] = need
                self.patterns.append((regex, None if methods is None else frozenset({method}), need))
        if self.unclassified:
            log.warning("routes without an access class (treated as admin): %s", ", ".join(self.unclassified))

    def __call__(self, method: str, path: str) -> str:
        need = self.exact.get((method, path))
        if need is not None:
            return need
        lookup = "GET" if method == "HEAD" else method
        for regex, methods, need in self.patterns:
            if (methods is None or lookup in methods) and regex.match(path):
                return need
        return "read"


class AccessMiddleware:
    """Checks every HTTP request's key against its route's class (see the module docstring)."""

    def __init__(self, app: ASGIApp, keys: KeyRing, sessions: SessionSigner, routes: Callable[[], list[Any]],
                 metrics_public: bool = False) -> None:
        self.app = app
        self.keys = keys
        self.sessions = sessions
        self._routes = routes
        self._metrics_public = metrics_public
        self._classify: _Classifier | None = None

    def classifier(self) -> _Classifier:
        if self._classify is None:  # built at the first request: every route is registered by then
            self._classify = _Classifier(self._routes(), self._metrics_public)
        return self._classify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys.enforcing():
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        need = self.classifier()(method, path)
        if need == "public":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        principal, csrf = self._identify(headers, allow_session=need not in ("ingest", "metrics"))
        if principal is None:
            if method == "GET" and need == "read" and "text/html" in headers.get("accept", ""):
                target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else "")
                await _send(send, 303, b"", [(b"location", f"/login?next={quote(target, safe='')}".encode())])
                return
            await _error(send, 401, "Unauthorized", "an API key is required: Authorization: Bearer glk_…",
                         [(b"www-authenticate", b'Bearer realm="genlens"')])
            return
        if need != "any" and not principal.may(need):
            await _error(send, 403, "Forbidden", f"a {principal.key.role} key may not call {method} {path}")
            return
        if principal.via == "session" and method not in _SAFE_METHODS:
            if not csrf or headers.get("x-csrf-token") != csrf:
                await _error(send, 403, "Forbidden", "a change made with a session needs its X-CSRF-Token")
                return
        state = scope.setdefault("state", {})
        state["principal"] = principal
        if csrf:
            state["csrf"] = csrf
        await self.app(scope, receive, send)

    def _identify(self, headers: dict[str, str], allow_session: bool) -> tuple[Principal | None, str | None]:
        token = bearer_token(headers.get("authorization"))
        if token is not None:
            key = self.keys.authenticate(token)
            return (Principal(key, "bearer") if key else None), None
        if not allow_session:
            return None, None
        cookie = _cookie(headers.get("cookie", ""), COOKIE)
        session = self.sessions.check(cookie) if cookie else None
        key = self.keys.key(session.key_id) if session else None
        if session is None or key is None or not role_allows(key.role, "read"):
            return None, None
        return Principal(key, "session"), self.sessions.csrf(session)


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the last of repeated ones), decoded as latin-1: never fails."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, error: str, detail: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = orjson.dumps({"error": error, "detail": detail})
    await _send(send, status, body, [(b"content-type", b"application/json"), *(headers or [])])
