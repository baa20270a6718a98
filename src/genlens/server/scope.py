"""The tenant scope of a request, resolved once, the same way for every REST route and every UI page.

A request's scope is the tenant its reads are confined to: one tenant, or
:data:`~genlens.store.queries.ALL_TENANTS` (``"*"``) for every tenant.  Each REST
route takes it with ``Depends(scopes)`` and each UI page receives it from the
page guard, which calls the same :class:`TenantScopes`; nothing else reads the
``tenant`` parameter.

The rule, with no API keys configured:

* no ``tenant`` parameter (or an empty one) → every tenant;
* ``tenant=X`` → tenant ``X`` only; ``tenant=*`` → every tenant;
* a value longer than :data:`MAX_TENANT_CHARS` or holding a non-printable
  character (control characters, line breaks) → 400, never a query.

List rows name the tenant each row belongs to, and an id listed under a scope
opens under the same scope.  A trace id stored under several tenants (a trace
whose spans carry different tenants) opens, under the every-tenant scope, as one
trace of all its spans; its ``tenant`` is the tenant of its earliest span (ties:
the smallest name), the one its list row names.  ``tenant=X`` shows only X's
spans of it.

**Key-scoped access.**  :class:`TenantScopes` takes a :data:`Grant`: a
callable answering, for a request, the tenants its caller may read (``None`` =
every tenant).  With no keys configured the grant is :func:`every_tenant`; with
keys it is :func:`genlens.server.auth.key_grant` (an admin key: every tenant;
any other: the key's tenants).  :func:`resolve` then narrows within them and
never widens past them: naming a tenant outside the grant is a 404 (the same
answer as a tenant with no data, so a key cannot probe which tenants exist),
``*`` is a 403 (every tenant is for admin keys), naming none means the key's one
tenant, and a key of several tenants must name one (stores read one tenant or
all of them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query
from starlette.requests import Request

from genlens.errors import BadRequest, Forbidden, NotFound
from genlens.store.queries import ALL_TENANTS

__all__ = ["MAX_TENANT_CHARS", "Grant", "TenantScope", "TenantScopes", "check_tenant", "every_tenant", "resolve"]

MAX_TENANT_CHARS = 200
TENANT_HELP = "tenant scope: one tenant, or * (the default) for every tenant"

# The tenants a request's caller may read; None means every tenant (no API keys).
Grant = Callable[[Request], frozenset[str] | None]


def every_tenant(request: Request) -> frozenset[str] | None:
    """The grant with no API keys configured: every tenant."""
    return None


@dataclass(frozen=True, slots=True)
class TenantScope:
    """What one request may read: ``tenant`` is what stores are asked for (one tenant or ``*``)."""

    tenant: str
    named: str | None = None  # the tenant the request named, kept in the links a page writes

    @property
    def every(self) -> bool:
        return self.tenant == ALL_TENANTS

    def covers(self, tenant: str | None) -> bool:
        """Whether a row of ``tenant`` lies in this scope."""
        return self.every or tenant == self.tenant


def check_tenant(value: str | None) -> str | None:
    """A tenant parameter as typed: trimmed, None when absent or empty; hostile values are a 400."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_TENANT_CHARS:
        raise BadRequest(f"tenant is longer than {MAX_TENANT_CHARS} characters")
    if not value.isprintable():
        raise BadRequest(f"tenant holds a non-printable character: {value[:40]!r}")
    return value or None


def resolve(named: str | None, granted: frozenset[str] | None) -> TenantScope:
    """The scope of a request naming ``named`` (already checked) whose caller may read ``granted``."""
    if granted is None:
        return TenantScope(named or ALL_TENANTS, named if named != ALL_TENANTS else None)
    if named == ALL_TENANTS:
        raise Forbidden("tenant=* (every tenant) is for admin keys; name one of this key's tenants")
    if named is not None:
        if named not in granted:
            raise NotFound(f"no tenant {named!r} in this scope")
        return TenantScope(named, named)
    if len(granted) == 1:
        (only,) = granted
        return TenantScope(only, None)
    raise BadRequest("this key reads several tenants: name one with tenant=")


class TenantScopes:
    """The one place a request's scope is decided: a FastAPI dependency (REST) and a plain call (UI pages)."""

    def __init__(self, grant: Grant = every_tenant) -> None:
        self._grant = grant

    def __call__(self, request: Request,
                 tenant: Annotated[str | None, Query(description=TENANT_HELP)] = None) -> TenantScope:
        return resolve(check_tenant(tenant), self._grant(request))

    def of(self, request: Request) -> TenantScope:
        """The scope of a request whose parameters no dependency parsed (the UI pages)."""
        return self(request, request.query_params.get("tenant"))
