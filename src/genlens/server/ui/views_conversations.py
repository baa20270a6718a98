"""Sessions: conversations in the window, and one conversation's turns in order with running totals."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from genlens.errors import BadRequest, NotFound
from genlens.server.ui.params import RANGES, Filters, int_param, text_param
from genlens.server.ui.render import Guard, page
from genlens.server.ui.spanpanel import clip
from genlens.settings import Settings
from genlens.store.base import Store
from genlens.store.queries import ALL_TENANTS, TraceQuery

PAGE = 50
MAX_TURNS = 500
MAX_PREVIEW = 280


@dataclass
class SessionsPage:
    filters: Filters
    rows: list[dict[str, Any]]
    offset: int
    has_more: bool
    window: tuple[int, int]
    page_size: int = PAGE
    ranges: tuple[str, ...] = RANGES


@dataclass
class SessionPage:
    conversation_id: str
    tenant: str | None
    turns: list[dict[str, Any]]  # oldest first, with cumulative_tokens / cumulative_cost_usd
    total_tokens: int
    total_cost_usd: float | None
    more_turns: bool


def user_text(messages: Any) -> str | None:
    """The last user message's text of a turn's input (what the person asked), shortened for a list."""
    if not isinstance(messages, list):
        return None
    for m in reversed(messages):
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("parts"), list):
            texts = [p.get("content") for p in m["parts"] if isinstance(p, dict) and p.get("type") == "text"]
            text = " ".join(t for t in texts if isinstance(t, str)).strip()
            if text:
                return text if len(text) <= MAX_PREVIEW else text[:MAX_PREVIEW] + "…"
    return None


def with_running_totals(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tokens, cost, any_cost = 0, 0.0, False
    for turn in turns:
        tokens += turn.get("total_tokens") or 0
        if turn.get("cost_usd") is not None:
            cost += turn["cost_usd"]
            any_cost = True
        turn["cumulative_tokens"] = tokens
        turn["cumulative_cost_usd"] = cost if any_cost else None
    return turns


def register(router: APIRouter, store: Store, settings: Settings, guarded: Guard) -> None:
    @router.get("/sessions")
    @guarded
    async def sessions(request: Request) -> Response:
        filters = Filters.parse(request.query_params)
        offset = int_param(request.query_params, "offset", 0, 0, 100_000)
        span_filter = filters.span_filter(time.time_ns())
        rows = await run_in_threadpool(store.active_conversations, span_filter, PAGE, offset)
        ctx = SessionsPage(filters=filters, rows=rows[:PAGE], offset=offset, has_more=len(rows) > PAGE,
                           window=(span_filter.start_ns or 0, span_filter.end_ns or 0))
        return page(request, "sessions.html", ctx, nav="sessions")

    @router.get("/sessions/{conversation_id}")
    @guarded
    async def session(request: Request, conversation_id: str) -> Response:
        if not conversation_id or len(conversation_id) > 300:
            raise BadRequest("conversation id must be 1 to 300 characters")
        tenant = text_param(request.query_params, "tenant")
        scope = tenant or ALL_TENANTS

        def load() -> SessionPage:
            rows = store.search_traces(TraceQuery(tenant=scope, conversation_id=conversation_id, sort="time",
                                                  descending=False, limit=MAX_TURNS))
            if not rows:
                raise NotFound(f"conversation {conversation_id} not found")
            more = len(rows) > MAX_TURNS
            rows = rows[:MAX_TURNS]
            inputs = {r["trace_id"]: r["data"] for r in store.first_inputs(scope, [t["trace_id"] for t in rows])}
            for row in rows:
                row.pop("cost_key", None)
                data = inputs.get(row["trace_id"])
                try:
                    parsed = orjson.loads(data) if isinstance(data, str) else data
                except orjson.JSONDecodeError:
                    parsed = None
                said = user_text(parsed)
                row["user_says"] = clip(said) if said else None
            turns = with_running_totals(rows)
            return SessionPage(conversation_id=conversation_id, tenant=tenant, turns=turns,
                               total_tokens=turns[-1]["cumulative_tokens"],
                               total_cost_usd=turns[-1]["cumulative_cost_usd"], more_turns=more)

        return page(request, "session.html", await run_in_threadpool(load), nav="sessions")
