"""Conversations (``gen_ai.conversation.id``): those active in a window, and one conversation's turns in order.

A conversation id is the application's own string, so two tenants may both
have a ``conv-1``: list rows name their tenant, and a conversation is always read
within one tenant.  Under the every-tenant scope an id used by one tenant opens
in that tenant; an id used by several is a 400 naming them (add ``tenant=``),
never a merge of strangers' turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from genlens.errors import BadRequest, NotFound
from genlens.store.base import TraceReader
from genlens.store.queries import ALL_TENANTS, SpanFilter, TraceQuery

MAX_PREVIEW = 280
MAX_ID_CHARS = 300


@dataclass
class Conversation:
    conversation_id: str
    tenant: str
    turns: list[dict[str, Any]]  # one per trace, oldest first, with cumulative_tokens / cumulative_cost_usd
    total_tokens: int
    total_cost_usd: float | None
    more_turns: bool


def check_conversation_id(conversation_id: str) -> str:
    if not conversation_id or len(conversation_id) > MAX_ID_CHARS:
        raise BadRequest(f"conversation id must be 1 to {MAX_ID_CHARS} characters")
    return conversation_id


def one_tenant(conversation_id: str, tenants: set[str]) -> str:
    """The tenant a conversation id is read in under the every-tenant scope (see the module's rule)."""
    if len(tenants) > 1:
        names = ", ".join(sorted(tenants)[:10])
        raise BadRequest(f"conversation {conversation_id} exists in several tenants ({names}): name one with tenant=")
    if not tenants:
        raise NotFound(f"conversation {conversation_id} not found")
    return next(iter(tenants))


def active(store: TraceReader, f: SpanFilter, page: int, offset: int) -> tuple[list[dict[str, Any]], bool]:
    """One page of (tenant, conversation) rows, most recently active first, and whether more follow."""
    rows = store.active_conversations(f, page, offset)
    return rows[:page], len(rows) > page


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


def _said(data: Any) -> str | None:
    try:
        parsed = orjson.loads(data) if isinstance(data, str) else data
    except orjson.JSONDecodeError:
        return None
    return user_text(parsed)


def conversation(store: TraceReader, tenant: str, conversation_id: str, max_turns: int) -> Conversation:
    """A conversation's traces as turns, oldest first, with what the user said and running totals."""
    conversation_id = check_conversation_id(conversation_id)
    rows = store.search_traces(TraceQuery(tenant=tenant, conversation_id=conversation_id, sort="time",
                                          descending=False, limit=max_turns))
    if tenant == ALL_TENANTS:
        tenant = one_tenant(conversation_id, {r["tenant"] for r in rows})
    if not rows:
        raise NotFound(f"conversation {conversation_id} not found")
    more = len(rows) > max_turns
    rows = rows[:max_turns]
    inputs = {r["trace_id"]: r["data"] for r in store.first_inputs(tenant, [t["trace_id"] for t in rows])}
    for row in rows:
        row.pop("cost_key", None)
        row["user_says"] = _said(inputs.get(row["trace_id"]))
    turns = with_running_totals(rows)
    return Conversation(conversation_id=conversation_id, tenant=tenant, turns=turns,
                        total_tokens=turns[-1]["cumulative_tokens"], total_cost_usd=turns[-1]["cumulative_cost_usd"],
                        more_turns=more)
