"""Contract: SLI counts of span predicates in several windows equal a Python evaluation of the same rows."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from genlens.semconv.canonical import empty_row
from genlens.store.base import Store, WriteBatch
from genlens.store.queries import ALL_TENANTS, PREDICATE_FIELDS, Condition, SliQuery

NOW = 1_790_000_000 * 10**9
S = 10**9


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    r = random.Random(seed)
    rows = []
    for i in range(n):
        row = empty_row()
        duration = r.randint(0, 9 * S)
        start = NOW - r.randint(0, 4 * 86400) * S
        row.update(tenant=r.choice(["a", "b"]), trace_id=f"{i:032x}", span_id=f"{i:016x}", name="chat",
                   kind=r.choice(["llm", "embedding", "tool", None]), start_ns=start, end_ns=start + duration,
                   duration_ns=duration, status=r.choice(["ok", "error", "unset", None]),
                   error_class=r.choice(["none", "api", "validation", None]), provider=r.choice(["openai", None]),
                   request_model=r.choice(["gpt-4o", None]), response_model=r.choice(["gpt-4o-2024", None]),
                   feature=r.choice(["chat", "rag", None]), service_name=r.choice(["bot", "api"]),
                   ttft_s=r.choice([None, r.uniform(0, 3)]), cost_usd=r.choice([None, r.uniform(0, 0.3)]),
                   input_tokens=r.randint(0, 100), finish_reasons=r.choice([None, [], ["stop"], ["content_filter"]]))
        rows.append(row)
    return rows


def _value(row: dict[str, Any], name: str) -> Any:
    if name == "model":
        return row["request_model"] if row["request_model"] is not None else row["response_model"]
    if name == "duration_s":
        return row["duration_ns"] / 1e9
    column = {"service": "service_name", "finish_reason": "finish_reasons"}.get(name, name)
    return row[column]


def _holds(row: dict[str, Any], c: Condition) -> bool:
    """The documented semantics, in Python: a missing field satisfies only != and not in."""
    v = _value(row, c.field)
    if PREDICATE_FIELDS[c.field][1] == "list":
        hit = any(x in (v or []) for x in (c.value if isinstance(c.value, tuple) else (c.value,)))
        return not hit if c.op in ("!=", "not in") else hit
    if v is None:
        return c.op in ("!=", "not in")
    return {"=": lambda: v == c.value, "!=": lambda: v != c.value, "<": lambda: v < c.value,
            "<=": lambda: v <= c.value, ">": lambda: v > c.value, ">=": lambda: v >= c.value,
            "in": lambda: v in c.value, "not in": lambda: v not in c.value}[c.op]()


PREDICATES: list[tuple[tuple[Condition, ...], tuple[Condition, ...]]] = [
    ((Condition("kind", "in", ("llm", "embedding")),), (Condition("status", "=", "error"),)),
    ((Condition("kind", "=", "llm"), Condition("ttft_s", ">=", 0.0)), (Condition("ttft_s", ">", 1.0),)),
    ((), (Condition("duration_s", ">", 5.0), Condition("feature", "!=", "chat"))),
    ((Condition("model", "=", "gpt-4o"),), (Condition("cost_usd", "<=", 0.1),)),
    ((Condition("service", "not in", ("api",)),), (Condition("finish_reason", "=", "content_filter"),)),
    ((Condition("error_class", "!=", "validation"), Condition("provider", "=", "openai")),
     (Condition("finish_reason", "not in", ("stop",)), Condition("input_tokens", "<", 50.0))),
]


@pytest.mark.parametrize("tenant", ["a", ALL_TENANTS])
@pytest.mark.parametrize(("total", "bad"), PREDICATES)
def test_sli_counts_equal_python(new_store: Callable[[str], Store], tenant: str, total: tuple[Condition, ...],
                                 bad: tuple[Condition, ...]) -> None:
    rows = _rows(3000, seed=len(total) + len(bad))
    store = new_store("sli")
    try:
        store.write(WriteBatch(spans=[dict(r) for r in rows]))
        starts = (NOW - 300 * S, NOW - 3600 * S, NOW - 86400 * S, NOW - 3 * 86400 * S)
        got = store.sli_counts(SliQuery(tenant, NOW, starts, total, bad))
        want = []
        for start in starts:
            inside = [r for r in rows if start <= r["start_ns"] < NOW and (tenant == ALL_TENANTS or r["tenant"] == tenant)
                      and all(_holds(r, c) for c in total)]
            want.append((len(inside), sum(1 for r in inside if all(_holds(r, c) for c in bad))))
        assert got == want
        assert want[-1][0] > 0
    finally:
        store.close()
