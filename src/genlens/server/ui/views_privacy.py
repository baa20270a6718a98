"""The privacy page: the redaction and sampling policies in force, seen vs kept traces of the last 24 h, the
retention days with the last purge, and the audit log (erasures, purges).

It shows policies and counts, never content: found values are never stored, and the audit log holds only
salted hashes of the ids it names.  The sampling counts read the stored decisions within the request's tenant
scope (as ``GET /api/v1/sampling``); the retention and audit parts are the server's own (as
``GET /api/v1/retention`` and ``GET /api/v1/audit``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.pipeline.redaction import NOTE_PREFIX as REDACTION_NOTE
from genlens.server.api_privacy import sampling_view
from genlens.server.auth import principal_of
from genlens.server.scope import TenantScope
from genlens.server.ui.deps import Pages
from genlens.server.ui.render import page
from genlens.store.retention import last_purge
from genlens.timeparse import NS_PER_DAY, iso

AUDIT_SHOWN = 100


@dataclass
class PrivacyPage:
    redaction: dict[str, Any]
    sampling: dict[str, Any]
    retention_days: dict[str, int]
    retention_interval: str
    last_purge: dict[str, Any] | None = None
    audit: list[dict[str, Any]] = field(default_factory=list)
    audit_shown: bool = True  # the audit log is for admin keys (and everyone with no keys configured)
    found: list[dict[str, Any]] = field(default_factory=list)  # redactions by tier and type since the server started


def _redaction(pages: Pages) -> dict[str, Any]:
    p = pages.settings.privacy
    return {"enabled": p.enabled, "tiers": list(p.tiers), "action": p.action, "actions": dict(p.actions),
            "features": {name: policy for name, policy in p.features}, "attributes": p.attributes}


def _found(pages: Pages) -> list[dict[str, Any]]:
    """What the redaction stage found since the server started, by tier and type (counts only)."""
    rows = []
    for key, count in sorted((pages.notes() if pages.notes else {}).items()):
        if key.startswith(REDACTION_NOTE):
            tier, _, kind = key.removeprefix(REDACTION_NOTE).partition(":")
            rows.append({"tier": tier, "type": kind, "count": count})
    return rows


def register(router: APIRouter, pages: Pages) -> None:
    @router.get("/privacy")
    @pages.guard
    async def privacy(request: Request, scope: TenantScope) -> Response:
        now = time.time_ns()
        since = now - NS_PER_DAY
        decisions = await run_in_threadpool(pages.store.content_decisions, scope.tenant, since)
        purge = await run_in_threadpool(last_purge, pages.store)
        principal = principal_of(request)
        admin = principal is None or principal.may("admin")
        audit = await run_in_threadpool(pages.store.audit_entries, now - 30 * NS_PER_DAY, None, AUDIT_SHOWN) \
            if admin else []
        retention = pages.settings.retention
        ctx = PrivacyPage(_redaction(pages), sampling_view(pages.settings.sampling, decisions, since),
                          retention.days, retention.interval, purge,
                          [{**a, "at": iso(a["at_ns"])} for a in audit], admin, _found(pages))
        return page(request, "privacy.html", ctx, nav="privacy")
