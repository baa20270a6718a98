"""Cost answers built from a store and the price book: what the REST API and the report CLI both serve.

Each function takes an already validated :class:`~genlens.query.cost.CostQuery`
and returns plain JSON-ready data, so ``genlens report cost --data DIR`` and
``GET /api/v1/cost/report`` print the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import orjson

from genlens.pricing import PriceBook, Usage
from genlens.query.conversations import check_conversation_id, one_tenant
from genlens.query.cost import MAX_ROWS, cache_row, month_bounds, month_projection, rollup, shape_row
from genlens.store.base import Store
from genlens.store.queries import ALL_TENANTS, TOKEN_FIELDS, CostQuery

# Savings are priced on a 1,000-token unit and scaled: linear, and always in a model's base context tier.
_UNIT = 1000
REPORT_GROUPS = 200_000


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum shaped rows into a total row (cost stays None only if no row had a priced call)."""
    costs = [r["cost_usd"] for r in rows if r.get("cost_usd") is not None]
    total: dict[str, Any] = {
        "calls": sum(r["calls"] for r in rows),
        "unknown_cost_calls": sum(r["unknown_cost_calls"] for r in rows),
        "cost_usd": math.fsum(costs) if costs else None,
    }
    for name in TOKEN_FIELDS:
        total[name] = sum(r.get(name, 0) for r in rows)
    return total


def _grouped(store: Store, q: CostQuery) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """Store rows of ``q`` (at most ``q.limit``), the total over the whole range, and whether rows were cut.

    One scan when every group fits: the total is then the rollup of the groups.
    """
    if not q.group_by:
        return [], store.cost_groups(q)[0], False
    raw = store.cost_groups(q)
    if len(raw) <= q.limit:
        return raw, rollup(raw, ())[0], False
    return raw[: q.limit], store.cost_groups(replace(q, group_by=()))[0], True


def cost_table(store: Store, q: CostQuery) -> dict[str, Any]:
    """Grouped rows plus the total over the whole range (not only over the rows shown)."""
    raw, total, truncated = _grouped(store, q)
    return {"group_by": list(q.group_by), "start_ns": q.start_ns, "end_ns": q.end_ns,
            "rows": [shape_row(r) for r in raw], "truncated": truncated, "total": shape_row(total)}


def _savings(store: Store, book: PriceBook, q: CostQuery) -> tuple[dict[tuple[Any, ...], float], dict[tuple[Any, ...], int]]:
    """Per group key: what the cache-read tokens would have cost at the input price minus what they cost,
    and how many cache-read tokens could not be priced (an unknown model): those are counted, never $0."""
    saved: dict[tuple[Any, ...], list[float]] = {}
    unpriced: dict[tuple[Any, ...], int] = {}
    for row in store.cache_savings_basis(q):
        model_key = row["response_model"] or row["request_model"]
        key = tuple(model_key if k == "model" else row["price_provider"] if k == "provider" else row[k]
                    for k in q.group_by)
        models = (row["response_model"], row["request_model"])
        at = int(row["at_ns"])
        tokens = int(row["cache_read_tokens"])
        full = book.cost_first_known(row["price_provider"], models, Usage(_UNIT, 0, 0, 0, 0), at)
        cached = book.cost_first_known(row["price_provider"], models, Usage(_UNIT, 0, _UNIT, 0, 0), at)
        if full.usd is None or cached.usd is None:
            unpriced[key] = unpriced.get(key, 0) + tokens
            continue
        saved.setdefault(key, []).append((full.usd - cached.usd) * tokens / _UNIT)
    return {k: math.fsum(v) for k, v in saved.items()}, unpriced


def cache_table(store: Store, book: PriceBook, q: CostQuery) -> dict[str, Any]:
    """Cache-hit rate (cache-read / input tokens) and money saved per group, plus the total."""
    rows, total_row, truncated = _grouped(store, q)
    return _cache_answer(store, book, q, rows, total_row, truncated)


def _cache_answer(store: Store, book: PriceBook, q: CostQuery, rows: list[dict[str, Any]],
                  total_row: dict[str, Any], truncated: bool) -> dict[str, Any]:
    saved, unpriced = _savings(store, book, q)

    def money(found: float | None, unpriced_tokens: int) -> float | None:
        # None only when every cache-read token of the group is unpriced; 0.0 when there were none.
        return found if found is not None else (None if unpriced_tokens else 0.0)

    out = []
    for row in rows:
        key = tuple(row[k] for k in q.group_by)
        shaped = cache_row(row, money(saved.get(key), unpriced.get(key, 0)))
        shaped["cache_read_tokens_unpriced"] = unpriced.get(key, 0)
        out.append(shaped)
    total_unpriced = sum(unpriced.values())
    total = cache_row(total_row, money(math.fsum(saved.values()) if saved else None, total_unpriced))
    total["cache_read_tokens_unpriced"] = total_unpriced
    return {"group_by": list(q.group_by), "start_ns": q.start_ns, "end_ns": q.end_ns, "rows": out,
            "truncated": truncated, "total": total}


def users_table(store: Store, q: CostQuery, limit: int) -> dict[str, Any]:
    return {"users": [shape_row(r) for r in store.top_users(q, limit)]}


def conversations_table(store: Store, q: CostQuery, limit: int) -> dict[str, Any]:
    rows = []
    for row in store.top_conversations(q, limit, "cost"):
        shaped = shape_row(row)
        shaped["total_tokens"] = int(row["total_tokens"] or 0)
        rows.append(shaped)
    return {"conversations": rows}


def conversation_detail(store: Store, q: CostQuery, conversation_id: str, limit: int) -> dict[str, Any]:
    """One conversation's calls, oldest first, with cumulative tokens after each.

    Read within one tenant: under ``*`` the tenant that has the conversation in the range, a 400 when
    several have an id of that name (:mod:`genlens.query.conversations`), no turns when none has.
    """
    conversation_id = check_conversation_id(conversation_id)
    tenant = q.tenant
    if tenant == ALL_TENANTS:
        found = store.top_conversations(replace(q, filters=(*q.filters, ("conversation_id", conversation_id))), 10)
        if not found:
            return {"conversation_id": conversation_id, "tenant": None, "turns": [], "cumulative_tokens": 0}
        tenant = one_tenant(conversation_id, {r["tenant"] for r in found})
    turns = store.conversation_turns(tenant, [conversation_id], q.start_ns, q.end_ns, limit)
    for turn in turns:
        turn.pop("from_end", None)
        turn["cumulative_tokens"] = int(turn["cumulative_tokens"] or 0)
    return {"conversation_id": conversation_id, "tenant": tenant, "turns": turns,
            "cumulative_tokens": turns[-1]["cumulative_tokens"] if turns else 0}


def month_to_date(store: Store, q: CostQuery, at_ns: int) -> dict[str, Any]:
    start, _ = month_bounds(at_ns)
    total = shape_row(store.cost_groups(replace(q, start_ns=start, end_ns=max(at_ns, start + 1), group_by=()))[0])
    # No calls: $0 spent.  Calls but none priced: unknown (None), never $0.
    spent = total["cost_usd"] if total["calls"] else 0.0
    out = month_projection(spent, at_ns)
    out["calls"] = total["calls"]
    out["unknown_cost_calls"] = total["unknown_cost_calls"]
    return out


def report(store: Store, book: PriceBook, q: CostQuery) -> dict[str, Any]:
    """The five tables of ``genlens report cost``: total, per feature, per (feature, prompt sha), per tenant,
    cache-hit rate per feature."""
    q = replace(q, limit=MAX_ROWS)
    # One scan by (tenant, feature, prompt sha) answers four tables; the savings need one more.
    raw = store.cost_groups(replace(q, group_by=("tenant", "feature", "prompt_sha"), limit=REPORT_GROUPS))
    if len(raw) > REPORT_GROUPS:
        raw = []  # too many groups to roll up here: ask the store per table instead
    by_feature = rollup(raw, ("feature",)) if raw else store.cost_groups(replace(q, group_by=("feature",)))[: q.limit]
    by_prompt = (rollup(raw, ("feature", "prompt_sha")) if raw
                 else store.cost_groups(replace(q, group_by=("feature", "prompt_sha"))))
    by_tenant = rollup(raw, ("tenant",)) if raw else store.cost_groups(replace(q, group_by=("tenant",)))
    total = rollup(raw, ())[0] if raw else store.cost_groups(replace(q, group_by=()))[0]
    cache = _cache_answer(store, book, replace(q, group_by=("feature",)), by_feature[: q.limit], total, False)
    return {
        "start_ns": q.start_ns, "end_ns": q.end_ns, "tenant": q.tenant,
        "total": shape_row(total),
        "by_feature": [shape_row(r) for r in by_feature[: q.limit]],
        "by_feature_prompt": [shape_row(r) for r in by_prompt[: q.limit]],
        "by_tenant": [shape_row(r) for r in by_tenant[: q.limit]],
        "cache_by_feature": cache["rows"],
    }


def dashboard(store: Store, book: PriceBook, q: CostQuery, at_ns: int, reads: Executor, top: int) -> dict[str, Any]:
    """The cost page: the report's tables cut to ``q.limit`` rows, cache savings by model, the top users and
    conversations, and the month to date with its projection.

    The aggregations are independent and the store reads each on its own cursor with the GIL released, so
    they run side by side on ``reads``: the page costs about its slowest table, not their sum.
    """
    def grouped(*keys: str) -> CostQuery:
        return replace(q, group_by=keys)

    jobs: dict[str, Callable[[], dict[str, Any]]] = {
        "by_feature": lambda: cost_table(store, grouped("feature")),
        "by_feature_prompt": lambda: cost_table(store, grouped("feature", "prompt_sha")),
        "by_tenant": lambda: cost_table(store, grouped("tenant")),
        "cache_by_feature": lambda: cache_table(store, book, grouped("feature")),
        "cache_by_model": lambda: cache_table(store, book, grouped("model")),
        "users": lambda: users_table(store, grouped(), top),
        "conversations": lambda: conversations_table(store, grouped(), top),
        "month": lambda: month_to_date(store, grouped(), at_ns),
    }
    futures = {name: reads.submit(job) for name, job in jobs.items()}
    got = {name: future.result() for name, future in futures.items()}
    return {
        "report": {"total": got["by_feature"]["total"], "by_feature": got["by_feature"]["rows"],
                   "by_feature_prompt": got["by_feature_prompt"]["rows"], "by_tenant": got["by_tenant"]["rows"],
                   "cache_by_feature": got["cache_by_feature"]["rows"]},
        "cache_by_model": got["cache_by_model"]["rows"],
        "users": got["users"]["users"],
        "conversations": got["conversations"]["conversations"],
        "month": got["month"],
    }


def finding_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored finding as the API shows it: ``details`` parsed, example trace ids as a list."""
    out = dict(row)
    details = out.get("details")
    if isinstance(details, str):
        try:
            out["details"] = orjson.loads(details)
        except orjson.JSONDecodeError:
            pass
    out["example_trace_ids"] = list(out.get("example_trace_ids") or [])
    return out


def findings(store: Store, tenant: str, kind: str | None, feature: str | None, since_ns: int | None,
             limit: int) -> list[dict[str, Any]]:
    """Stored findings of the analysis jobs in a tenant scope, newest first."""
    return [finding_row(r) for r in store.findings(tenant, kind, feature, since_ns, limit)]
