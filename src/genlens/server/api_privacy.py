"""REST for erasure, the audit log and retention: ``POST /api/v1/erasure`` (erase one user's, conversation's
or trace's data and answer the receipt), ``GET /api/v1/erasure/{id}`` (a stored request), ``GET
/api/v1/audit`` (the audit log) and ``GET /api/v1/retention`` (the days per tier and the last purge).

An erasure request is a JSON object naming exactly one of ``user_id``, ``conversation_id`` or ``trace_id``,
and optionally ``tenant`` (default: every tenant) and ``purpose``.  Anything else — a body that is not such
an object, an unknown field, a value that is not a string, empty, longer than 256 characters or holding a
control character — is a 400 naming the problem (413 for a body over 16 KiB), and nothing is recorded.
Answers never carry the selected id itself, only its salted hash.
"""

import time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.errors import BadRequest, NotFound
from genlens.server.api import JSONResponse
from genlens.server.auth import principal_of
from genlens.server.content_gate import READ_ACTION
from genlens.server.otlp_http import read_body
from genlens.server.scope import TenantScope, TenantScopes
from genlens.settings import RetentionSettings, SamplingSettings
from genlens.store.base import Store
from genlens.store.content_rotation import ROTATED
from genlens.store.erasure import (
    ERASED,
    MAX_PURPOSE_CHARS,
    REQUESTED,
    SELECTORS,
    Selector,
    check_text,
    request_erasure,
    request_view,
    selector_of,
)
from genlens.store.retention import PURGED, last_purge
from genlens.store.writer import Writer
from genlens.timeparse import iso, parse_time

# No `from __future__ import annotations` here: FastAPI must see the local dependency types, not strings.
MAX_BODY_BYTES = 16 * 1024
FIELDS = (*SELECTORS, "tenant", "purpose")
ACTIONS = (REQUESTED, ERASED, PURGED, ROTATED, READ_ACTION)


def parse_erasure(body: bytes) -> tuple[Selector, str | None]:
    """The selector and purpose of an erasure request body; BadRequest naming what is wrong."""
    try:
        given = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from exc
    if not isinstance(given, dict):
        raise BadRequest(f"the body must be a JSON object with one of {', '.join(SELECTORS)}, "
                         f"not {type(given).__name__}")
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(repr(k[:40]) for k in unknown[:5])} "
                         f"(fields: {', '.join(FIELDS)})")
    purpose = given.get("purpose")
    if purpose is not None:
        purpose = check_text("purpose", purpose, MAX_PURPOSE_CHARS)
    return selector_of(given, given.get("tenant")), purpose


def _entry_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "at": iso(row["at_ns"])}


def sampling_view(settings: SamplingSettings, rows: list[dict[str, Any]], since_ns: int) -> dict[str, Any]:
    """The policy in force and the decisions since ``since_ns``: seen (decided) vs kept traces, per reason."""
    seen = sum(r["traces"] for r in rows)
    kept = sum(r["traces"] for r in rows if r["keep"])
    return {"enabled": settings.enabled, "decision_wait": settings.decision_wait,
            "completion_grace": settings.completion_grace, "policies": settings.policy().describe(),
            "since": iso(since_ns), "seen_traces": seen, "kept_traces": kept,
            "kept_share": round(kept / seen, 6) if seen else None, "decisions": rows}


def privacy_router(store: Store, writer: Writer, retention: RetentionSettings,
                   sampling: SamplingSettings, scopes: TenantScopes) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["privacy"])

    @router.post("/erasure", summary="Erase every trace of a user, conversation or trace; answers the receipt")
    async def erase(request: Request) -> Response:
        """Admin keys only (server/auth.py): it deletes data of every tenant unless one is named."""
        selector, purpose = parse_erasure(await read_body(request, MAX_BODY_BYTES))
        principal = principal_of(request)
        actor = "rest" if principal is None else f"rest {principal.actor}"
        receipt = await run_in_threadpool(request_erasure, writer, selector, purpose, actor)
        return JSONResponse(receipt)

    @router.get("/erasure/{request_id}", summary="A stored erasure request: status and receipt")
    async def erasure_request(request_id: Annotated[str, Path(max_length=64)]) -> Response:
        request_id = request_id.strip().lower()
        if len(request_id) != 32 or not set(request_id) <= set("0123456789abcdef"):
            raise BadRequest(f"an erasure request id is 32 hex characters, got {request_id[:40]!r}")
        row = await run_in_threadpool(store.erasure_request, request_id)
        if row is None:
            raise NotFound(f"no erasure request {request_id}")
        return JSONResponse(request_view(row))

    @router.get("/audit", summary="The audit log: erasures, retention purges and content key rotations, newest first")
    async def audit(
        since: Annotated[str, Query(max_length=100, description="ISO-8601, a duration ago (30d) or epoch ns")] = "30d",
        action: Annotated[str | None, Query(max_length=100, description=", ".join(ACTIONS))] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> Response:
        if action is not None and action not in ACTIONS:
            raise BadRequest(f"action must be one of {', '.join(ACTIONS)}")
        since_ns = parse_time(since, time.time_ns())
        rows = await run_in_threadpool(store.audit_entries, since_ns, action, limit)
        return JSONResponse({"since_ns": since_ns, "entries": [_entry_view(r) for r in rows]})

    @router.get("/sampling", summary="Tail sampling of content: the policies and seen vs kept traces")
    async def sampling_status(
        scope: Annotated[TenantScope, Depends(scopes)],
        since: Annotated[str, Query(max_length=100, description="ISO-8601, a duration ago (24h) or epoch ns")] = "24h",
    ) -> Response:
        since_ns = parse_time(since, time.time_ns())
        rows = await run_in_threadpool(store.content_decisions, scope.tenant, since_ns)
        return JSONResponse({"tenant": scope.tenant, **sampling_view(sampling, rows, since_ns)})

    @router.get("/retention", summary="Days kept per tier, the purge interval and the last purge")
    async def retention_status() -> Response:
        last = await run_in_threadpool(last_purge, store)
        return JSONResponse({"days": retention.days, "interval": retention.interval, "last_purge": last})

    return router
