"""Trace trees and span views, backend-neutral (built from the rows any store returns).

A trace is returned as a tree: children nested under their parent in start order,
``depth`` on every span, content attached where stored.  Spans whose parent has
not arrived (or that form a cycle) become extra roots flagged ``orphan``, so a
partial or hostile trace still comes back whole.  Nesting stops at
:data:`MAX_NESTING`; deeper spans hang under their ancestor at that depth while
keeping their true ``depth`` and ``parent_span_id``, so any JSON encoder copes.
"""

from __future__ import annotations

from typing import Any

import orjson

from genlens.semconv.canonical import COLUMN_TYPES

MAX_NESTING = 128
_JSON_COLUMNS = tuple(name for name, kind in COLUMN_TYPES.items() if kind == "json")
_LIST_CONTENT = frozenset({"input_messages", "output_messages", "system_instructions", "documents", "tool_definitions"})


def decode_row(row: dict[str, Any], json_columns: tuple[str, ...] = _JSON_COLUMNS) -> dict[str, Any]:
    """Parse the JSON columns a store hands back as text (span columns unless told otherwise)."""
    for name in json_columns:
        value = row.get(name)
        if isinstance(value, str):
            try:
                row[name] = orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
    return row


def merge_content(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """span_id → {kind: data}; list-valued kinds arriving in several records are concatenated."""
    by_span: dict[str, dict[str, Any]] = {}
    for record in records:
        data = record["data"]
        if isinstance(data, str):
            try:
                data = orjson.loads(data)
            except orjson.JSONDecodeError:
                pass
        slot = by_span.setdefault(record["span_id"], {})
        kind = record["kind"]
        if kind in slot and kind in _LIST_CONTENT and isinstance(slot[kind], list) and isinstance(data, list):
            slot[kind] = slot[kind] + data
        else:
            slot[kind] = data
    return by_span


def build_tree(rows: list[dict[str, Any]], content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest spans (already in start order) under their parents; returns the roots."""
    by_id: dict[str, dict[str, Any]] = {}
    for row in rows:
        span = decode_row(row)
        span["children"] = []
        by_id.setdefault(span["span_id"], span)  # a duplicated span id keeps its first copy
    content_by_span = merge_content(content)
    for span_id, kinds in content_by_span.items():
        if span_id in by_id:
            by_id[span_id]["content"] = kinds

    roots: list[dict[str, Any]] = []
    children: dict[str, list[dict[str, Any]]] = {}
    for span in by_id.values():
        parent = span.get("parent_span_id")
        if parent and parent in by_id and parent != span["span_id"]:
            children.setdefault(parent, []).append(span)
        else:
            if parent:
                span["orphan"] = True
            roots.append(span)

    placed: set[str] = set()
    stack: list[tuple[dict[str, Any], int, dict[str, Any] | None]] = [(r, 0, None) for r in reversed(roots)]
    while stack:
        span, depth, holder = stack.pop()
        placed.add(span["span_id"])
        span["depth"] = depth
        if holder is not None:
            holder["children"].append(span)
        next_holder = span if depth < MAX_NESTING else holder
        for child in reversed(children.get(span["span_id"], ())):
            if child["span_id"] not in placed:
                stack.append((child, depth + 1, next_holder))
    # Spans only reachable through a cycle were never placed: surface them as orphan roots.
    for span in by_id.values():
        if span["span_id"] not in placed:
            span["orphan"] = True
            span["depth"] = 0
            roots.append(span)
            placed.add(span["span_id"])
    return roots


def trace_tenants(rows: list[dict[str, Any]]) -> tuple[str | None, list[str]]:
    """The tenant a trace is listed under and every tenant its spans carry.

    A trace whose spans carry different tenants is one trace under the every-tenant scope; it is named after
    the tenant of its earliest span, ties broken by the smallest name, as its search row is.
    """
    tenants = sorted({r["tenant"] for r in rows if r.get("tenant") is not None})
    dated = [(r["start_ns"], r["tenant"]) for r in rows if r.get("tenant") is not None and r.get("start_ns") is not None]
    first = min(dated)[1] if dated else (tenants[0] if tenants else None)
    return first, tenants


def trace_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over a trace's spans (token columns are only filled on llm/embedding spans).

    The one summary of an opened trace: the REST trace, the UI's trace page and its JSON twin all use it.
    """
    costs = [r["cost_usd"] for r in rows if r.get("cost_usd") is not None]
    tenant, tenants = trace_tenants(rows)
    return {
        "tenant": tenant,
        "tenants": tenants,
        "span_count": len(rows),
        "llm_calls": sum(1 for r in rows if r.get("kind") == "llm"),
        "input_tokens": sum(r.get("input_tokens") or 0 for r in rows),
        "output_tokens": sum(r.get("output_tokens") or 0 for r in rows),
        "total_tokens": sum(r.get("total_tokens") or 0 for r in rows),
        "cost_usd": sum(costs) if costs else None,
        "errors": sum(1 for r in rows if r.get("status") == "error"),
        "start_ns": min((r["start_ns"] for r in rows), default=None),
        "end_ns": max((r["end_ns"] for r in rows), default=None),
    }
