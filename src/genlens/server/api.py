"""REST API under ``/api/v1`` (JSON; OpenAPI at ``/docs``).

Views are thin: they parse parameters into a query object, call the store and
the backend-neutral query layer, and render JSON.  Bad parameters are 400 with a
reason, unknown ids 404.
"""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from genlens.errors import BadRequest, NotFound
from genlens.query.traces import build_tree, decode_row, merge_content, trace_summary
from genlens.semconv.model import ERROR_CLASSES, SPAN_KINDS
from genlens.store.base import Store
from genlens.store.queries import TraceQuery
from genlens.timeparse import parse_duration, parse_time

HEX = frozenset("0123456789abcdef")
_READS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="genlens-read")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS, default=str)


def check_hex_id(value: str, length: int, what: str) -> str:
    value = value.strip().lower()
    if len(value) != length or not set(value) <= HEX:
        raise BadRequest(f"{what} must be {length} hex characters, got {value[:80]!r}")
    return value


def _encode_cursor(sort_value: Any, trace_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort_value, trace_id])).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, trace_id = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise BadRequest("cursor is not one this server issued") from exc
    if not isinstance(value, int | float) or isinstance(value, bool) or not isinstance(trace_id, str):
        raise BadRequest("cursor is not one this server issued")
    return value, check_hex_id(trace_id, 32, "cursor trace id")


def api_router(store: Store, default_tenant: str) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["traces"])

    @router.get("/traces", summary="Search traces")
    async def search_traces(
        start: Annotated[str | None, Query(description="ISO-8601, a duration ago (e.g. 24h) or epoch ns")] = None,
        end: Annotated[str | None, Query(description="ISO-8601, a duration ago or epoch ns")] = None,
        service: str | None = None,
        environment: str | None = None,
        feature: str | None = None,
        tenant: Annotated[str | None, Query(max_length=200)] = None,
        provider: str | None = None,
        model: str | None = None,
        kind: str | None = None,
        status: Literal["unset", "ok", "error"] | None = None,
        error_class: str | None = None,
        min_duration: Annotated[str | None, Query(description="e.g. 500ms, 2s")] = None,
        min_cost: Annotated[float | None, Query(ge=0)] = None,
        user_id: str | None = None,
        conversation_id: str | None = None,
        prompt_sha: str | None = None,
        q: Annotated[str | None, Query(max_length=200, description="text search over span names")] = None,
        sort: Literal["time", "duration", "cost"] = "time",
        order: Literal["asc", "desc"] = "desc",
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> Response:
        if kind is not None and kind not in SPAN_KINDS:
            raise BadRequest(f"kind must be one of {', '.join(SPAN_KINDS)}")
        if error_class is not None and error_class not in ERROR_CLASSES:
            raise BadRequest(f"error_class must be one of {', '.join(ERROR_CLASSES)}")
        query = TraceQuery(
            tenant=tenant or default_tenant,
            start_ns=parse_time(start) if start else None,
            end_ns=parse_time(end) if end else None,
            service=service, environment=environment, feature=feature, provider=provider, model=model,
            kind=kind, status=status, error_class=error_class,
            min_duration_ns=parse_duration(min_duration) if min_duration else None,
            min_cost_usd=min_cost, user_id=user_id, conversation_id=conversation_id, prompt_sha=prompt_sha,
            text=q, sort=sort, descending=order == "desc", limit=limit,
            after=_decode_cursor(cursor) if cursor else None,
        )
        rows = await run_in_threadpool(store.search_traces, query)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            key = {"time": "start_ns", "duration": "duration_ns", "cost": "cost_key"}[sort]
            next_cursor = _encode_cursor(last[key], last["trace_id"])
        for row in rows:
            row.pop("cost_key", None)
        return JSONResponse({"traces": rows, "next_cursor": next_cursor})

    @router.get("/traces/{trace_id}", summary="One trace as a span tree")
    async def get_trace(
        trace_id: str,
        tenant: Annotated[str | None, Query(max_length=200)] = None,
        format: Annotated[Literal["tree", "flat"], Query(description="nested tree or flat list")] = "tree",
    ) -> Response:
        trace_id = check_hex_id(trace_id, 32, "trace id")
        scope = tenant or default_tenant

        def load() -> dict[str, Any]:
            # The three reads are independent and the store runs them with the GIL released: overlap them.
            content_future = _READS.submit(store.content, scope, trace_id)
            scores_future = _READS.submit(store.scores, scope, trace_id)
            rows = store.trace_spans(scope, trace_id)
            content, scores = content_future.result(), scores_future.result()
            if not rows:
                raise NotFound(f"trace {trace_id} not found")
            summary = trace_summary(rows)
            summary["feedback"] = [decode_row(r, _SCORE_JSON) for r in scores]
            if format == "flat":
                roots = build_tree(rows, content)
                flat: list[dict[str, Any]] = []
                stack = list(reversed(roots))
                while stack:
                    span = stack.pop()
                    kids = span.pop("children")
                    flat.append(span)
                    stack.extend(reversed(kids))
                return {"trace_id": trace_id, **summary, "spans": flat}
            return {"trace_id": trace_id, **summary, "roots": build_tree(rows, content)}

        return JSONResponse(await run_in_threadpool(load))

    @router.get("/spans/{span_id}", summary="One span with its content")
    async def get_span(span_id: str, tenant: Annotated[str | None, Query(max_length=200)] = None) -> Response:
        span_id = check_hex_id(span_id, 16, "span id")
        scope = tenant or default_tenant

        def load() -> dict[str, Any]:
            row = store.span(scope, span_id)
            if row is None:
                raise NotFound(f"span {span_id} not found")
            span = decode_row(row)

            span["content"] = merge_content(store.content(scope, span["trace_id"], span_id)).get(span_id, {})
            return span

        return JSONResponse(await run_in_threadpool(load))

    @router.get("/metrics", summary="Stored OTLP metric data points", tags=["telemetry"])
    async def metric_points(
        name: Annotated[str | None, Query(max_length=300)] = None,
        tenant: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> Response:
        rows = await run_in_threadpool(store.metric_points, tenant or default_tenant, name, limit)
        return JSONResponse({"points": [decode_row(r, _METRIC_JSON) for r in rows]})

    @router.get("/logs", summary="Stored OTLP log records", tags=["telemetry"])
    async def log_records(
        trace_id: str | None = None,
        tenant: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> Response:
        if trace_id is not None:
            trace_id = check_hex_id(trace_id, 32, "trace id")
        rows = await run_in_threadpool(store.logs, tenant or default_tenant, trace_id, limit)
        return JSONResponse({"logs": [decode_row(r, _LOG_JSON) for r in rows]})

    return router


_SCORE_JSON = ("attributes",)
_METRIC_JSON = ("extra", "attributes", "resource_attributes")
_LOG_JSON = ("body", "attributes", "resource_attributes")

