"""Signing in to the UI with an API key: ``GET/POST /login``, ``POST /logout``, and ``GET /api/v1/whoami``.

``POST /login`` takes a form (``key``, ``next``), checks the key and answers a
redirect to ``next`` with the session cookie of ``server/sessions.py``.  Only
keys that may read can sign in (an ``ingest`` key cannot).  A sign-in posted
from another site (an ``Origin`` that is not this server's) is refused, so a
page elsewhere cannot sign a browser in under its own key; ``next`` must be a
path on this server.  ``POST /logout`` needs the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from genlens.errors import BadRequest, Forbidden
from genlens.server.api import JSONResponse
from genlens.server.auth import principal_of
from genlens.server.keys import KeyRing, role_allows
from genlens.server.otlp_http import read_body
from genlens.server.sessions import COOKIE, SessionSigner
from genlens.server.ui.render import page

__all__ = ["login_router"]

MAX_FORM_BYTES = 4096


@dataclass
class LoginContext:
    next: str
    error: str | None = None
    keys_configured: bool = True


def safe_next(value: str | None) -> str:
    """A redirect target on this server: a path (not ``//host`` or a URL), else the overview."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/overview"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/overview"
    return value[:2000]


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # a sandboxed or privacy-stripped origin is not this server
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


async def _form(request: Request) -> dict[str, str]:
    body = await read_body(request, MAX_FORM_BYTES)
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"the sign-in form cannot be read: {exc}") from None
    return {name: values[0] for name, values in fields.items() if values}


def login_router(keys: KeyRing, sessions: SessionSigner, secure: bool) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def login_page(request: Request, next_path: str, error: str | None = None, status: int = 200) -> Response:
        ctx = LoginContext(next=next_path, error=error, keys_configured=keys.enforcing())
        return page(request, "login.html", ctx, status_code=status, nav="")

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        return login_page(request, safe_next(request.query_params.get("next")))

    @router.post("/login")
    async def login(request: Request) -> Response:
        if not _same_origin(request):
            raise Forbidden("a sign-in must be posted from this server's own page")
        form = await _form(request)
        target = safe_next(form.get("next"))
        key = keys.authenticate(form.get("key", ""))
        if key is None:
            return login_page(request, target, "That key is not valid (unknown, revoked or mistyped).", 401)
        if not role_allows(key.role, "read"):
            return login_page(request, target, f"A {key.role} key cannot sign in to the UI.", 403)
        session = sessions.issue(key.id)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, session.cookie, max_age=sessions.max_age_s, path="/", httponly=True,
                            samesite="strict", secure=secure)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        form = await _form(request)
        cookie = request.cookies.get(COOKIE)
        session = sessions.check(cookie) if cookie else None
        if session is not None and not sessions.csrf_ok(session, form.get("csrf")):
            raise Forbidden("signing out needs the session's CSRF token")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
        return response

    @router.get("/api/v1/whoami", tags=["access"], summary="The API key this request authenticated with")
    async def whoami(request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return JSONResponse({"keys_configured": keys.enforcing(), "key": None})
        return JSONResponse({"keys_configured": True, "key": principal.key.public(), "via": principal.via})

    return router
