"""A trace laid out for a waterfall: depth-first order, subtree roll-ups, critical path, slowest call.

Input is a trace's skeleton rows in start order (any store).  Output is one
compact row per span in depth-first order, so a client can draw any visible
slice without walking the tree: ``end`` is the index just past a span's
subtree, which makes collapsing a subtree a jump, not a search.

* Roll-ups (cost, tokens, LLM calls) sum a span and all its descendants.
* The critical path is walked back from the longest root's end: the child that
  ends last is on it, then the child that ends last before that one started (a
  sibling still running then was not waited for), and so on, recursively — the chain of work that decided the trace's duration.
* The slowest call is the longest span doing work (llm, embedding, tool,
  retrieval); a root or an agent span is slow only because its children are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WORK_KINDS = frozenset({"llm", "embedding", "tool", "retrieval"})
COLUMNS = (
    "span_id", "parent", "depth", "end", "name", "kind", "start_us", "dur_us", "status", "error_class",
    "cost", "tokens", "sub_cost", "sub_tokens", "sub_llm", "critical", "model",
)


@dataclass
class Waterfall:
    start_ns: int
    duration_ns: int
    rows: list[list[Any]]  # one per span, fields as COLUMNS
    slowest_index: int | None
    max_depth: int
    orphans: int


def layout(spans: list[dict[str, Any]]) -> Waterfall:
    by_id: dict[str, dict[str, Any]] = {}
    for s in spans:
        by_id.setdefault(s["span_id"], s)
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    orphans = 0
    for sid, s in by_id.items():
        parent = s.get("parent_span_id")
        if parent and parent in by_id and parent != sid:
            children.setdefault(parent, []).append(sid)
        else:
            orphans += bool(parent)
            roots.append(sid)

    order: list[str] = []
    parent_idx: list[int] = []
    depth: list[int] = []
    placed: set[str] = set()

    def walk(root: str) -> None:
        stack: list[tuple[str, int, int]] = [(root, -1, 0)]
        while stack:
            sid, pidx, d = stack.pop()
            if sid in placed:
                continue
            placed.add(sid)
            order.append(sid)
            parent_idx.append(pidx)
            depth.append(d)
            me = len(order) - 1
            for child in reversed(children.get(sid, ())):
                stack.append((child, me, d + 1))

    roots.sort(key=lambda r: (by_id[r]["start_ns"] or 0, r))
    for root in roots:
        walk(root)
    for sid in by_id:  # spans only reachable through a parent cycle
        if sid not in placed:
            orphans += 1
            walk(sid)

    n = len(order)
    rows_in = [by_id[sid] for sid in order]
    t0 = min((r["start_ns"] for r in rows_in if r["start_ns"] is not None), default=0)
    t1 = max((r["end_ns"] for r in rows_in if r["end_ns"] is not None), default=t0)
    end = list(range(1, n + 1))
    sub_cost = [r.get("cost_usd") or 0.0 for r in rows_in]
    sub_tokens = [r.get("total_tokens") or 0 for r in rows_in]
    sub_llm = [1 if r.get("kind") == "llm" else 0 for r in rows_in]
    for i in range(n - 1, 0, -1):  # children come after their parent in pre-order
        p = parent_idx[i]
        if p >= 0:
            end[p] = max(end[p], end[i])
            sub_cost[p] += sub_cost[i]
            sub_tokens[p] += sub_tokens[i]
            sub_llm[p] += sub_llm[i]

    critical = _critical_path(rows_in, parent_idx)
    slowest = None
    for i, r in enumerate(rows_in):
        if r.get("kind") in WORK_KINDS and (slowest is None or _dur(r) > _dur(rows_in[slowest])):
            slowest = i
    if slowest is None and n > 1:
        slowest = max(range(1, n), key=lambda i: _dur(rows_in[i]))

    rows = []
    for i, r in enumerate(rows_in):
        rows.append([
            order[i], parent_idx[i], depth[i], end[i], r.get("name") or "", r.get("kind") or "other",
            ((r["start_ns"] or t0) - t0) // 1000, _dur(r) // 1000, r.get("status") or "unset",
            r.get("error_class"), r.get("cost_usd"), r.get("total_tokens"), round(sub_cost[i], 8),
            sub_tokens[i], sub_llm[i], 1 if i in critical else 0,
            r.get("response_model") or r.get("request_model"),
        ])
    return Waterfall(start_ns=t0, duration_ns=max(0, t1 - t0), rows=rows, slowest_index=slowest,
                     max_depth=max(depth, default=0), orphans=orphans)


def _dur(r: dict[str, Any]) -> int:
    if r.get("start_ns") is None or r.get("end_ns") is None:
        return 0
    return max(0, int(r["end_ns"]) - int(r["start_ns"]))


def _critical_path(rows: list[dict[str, Any]], parent_idx: list[int]) -> set[int]:
    if not rows:
        return set()
    kids: dict[int, list[int]] = {}
    for i, p in enumerate(parent_idx):
        if p >= 0:
            kids.setdefault(p, []).append(i)
    root_indices = [i for i, p in enumerate(parent_idx) if p < 0]
    main = max(root_indices, key=lambda i: (_dur(rows[i]), -i))
    on_path: set[int] = set()
    stack = [main]
    while stack:
        i = stack.pop()
        on_path.add(i)
        cursor = rows[i]["end_ns"] if rows[i]["end_ns"] is not None else 0
        by_end = sorted(kids.get(i, ()), key=lambda c: (-(rows[c]["end_ns"] or 0), c))
        for n, c in enumerate(by_end):
            # the child ending last is on the path; after it, only children that end before the cursor
            if n == 0 or (rows[c]["end_ns"] or 0) <= cursor:
                stack.append(c)
                cursor = min(cursor, rows[c]["start_ns"] or 0)
    return on_path
