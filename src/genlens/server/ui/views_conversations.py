"""Conversations (``gen_ai.conversation.id``): those active in the window, and one conversation's turns in
order with running totals.

The pages were once called sessions; ``/sessions`` and ``/sessions/{id}`` answer with a permanent redirect
to the same address under ``/conversations`` (query string kept), so old links and bookmarks still open.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from genlens.query import conversations
from genlens.server.scope import TenantScope
from genlens.server.ui.deps import Pages
from genlens.server.ui.params import RANGES, Filters, int_param
from genlens.server.ui.render import page

PAGE = 50
MAX_TURNS = 500


@dataclass
class ConversationsPage:
    filters: Filters
    rows: list[dict[str, Any]]  # one per (tenant, conversation)
    offset: int
    has_more: bool
    window: tuple[int, int]
    page_size: int = PAGE
    ranges: tuple[str, ...] = RANGES


def _moved(request: Request, path: str) -> Response:
    query = request.url.query
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=308)


def register(router: APIRouter, pages: Pages) -> None:

    @router.get("/conversations")
    @pages.guard
    async def conversation_list(request: Request, scope: TenantScope) -> Response:
        filters = Filters.parse(request.query_params, scope)
        offset = int_param(request.query_params, "offset", 0, 0, 100_000)
        span_filter = filters.span_filter(time.time_ns())
        rows, has_more = await run_in_threadpool(conversations.active, pages.reader(request), span_filter, PAGE,
                                                 offset)
        ctx = ConversationsPage(filters=filters, rows=rows, offset=offset, has_more=has_more,
                                window=(span_filter.start_ns or 0, span_filter.end_ns or 0))
        return page(request, "conversations.html", ctx, nav="conversations")

    @router.get("/conversations/{conversation_id}")
    @pages.guard
    async def conversation(request: Request, conversation_id: str, scope: TenantScope) -> Response:
        ctx = await run_in_threadpool(conversations.conversation, pages.reader(request), scope.tenant,
                                      conversation_id, MAX_TURNS)
        return page(request, "conversation.html", ctx, nav="conversations", named=scope.named)

    @router.get("/sessions")
    async def sessions_moved(request: Request) -> Response:
        return _moved(request, "/conversations")

    @router.get("/sessions/{conversation_id}")
    async def session_moved(request: Request, conversation_id: str) -> Response:
        return _moved(request, "/conversations/" + quote(conversation_id, safe=""))
