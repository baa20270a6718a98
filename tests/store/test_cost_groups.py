"""Cost groups from the hourly rollup plus the spans of the partial hours at the edges, against an exact
Python computation over the raw spans: every group key, filter, scope and window edge; sums are exact."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from genlens.semconv.canonical import empty_row
from genlens.store.base import Store, WriteBatch
from genlens.store.queries import ALL_TENANTS, TOKEN_FIELDS, CostQuery
from genlens.store.summaries import atto_of, rollup_answers, usd
from genlens.timeparse import NS_PER_DAY, NS_PER_HOUR
from tests.store.conftest import open_store

T0 = 1_764_028_800 * 10**9  # a UTC midnight


def _spans(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(1500):
        r = empty_row()
        start = T0 + rng.randrange(0, 30 * NS_PER_HOUR)
        r.update(
            tenant=rng.choice(["acme", "globex"]), trace_id=f"{i // 4:032x}", span_id=f"{i:016x}",
            name="call", kind=rng.choice(["llm", "llm", "embedding", "tool"]), start_ns=start, end_ns=start + 10**8,
            duration_ns=10**8, status=rng.choice(["ok", "error"]), service_name=rng.choice(["api", None]),
            environment=rng.choice(["prod", "dev"]), feature=rng.choice(["chat", "search", None]),
            provider=rng.choice(["openai", "anthropic"]), request_model=rng.choice(["m1", "m2"]),
            response_model=rng.choice([None, "m1-0613", "m2"]), prompt_id=rng.choice(["p", None]),
            prompt_sha=rng.choice(["aaa", "bbb", None]), experiment_variant=rng.choice(["A", "B"]),
            cost_usd=rng.choice([None, rng.random() / 3, 0.1, 0.2, 1e-9]),
            **{c: rng.choice([None, rng.randrange(5000)]) for c in TOKEN_FIELDS},
        )
        out.append(r)
    return out


SPANS = _spans(random.Random(8))


@pytest.fixture(scope="module")
def store(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(backend, tmp_path_factory.mktemp("cost"))
    for i in range(0, len(SPANS), 97):
        s.write(WriteBatch(spans=SPANS[i:i + 97]))
    yield s
    s.close()


_KEY = {
    "hour": lambda s: s["start_ns"] // NS_PER_HOUR * NS_PER_HOUR, "day": lambda s: s["start_ns"] // NS_PER_DAY * NS_PER_DAY,
    "model": lambda s: s["response_model"] or s["request_model"],
    **{k: (lambda s, k=k: s[k]) for k in ("feature", "tenant", "provider", "prompt_id", "prompt_sha",
                                           "experiment_variant")},
}
_FILTER = {"service": "service_name", "environment": "environment", "feature": "feature", "provider": "provider",
           "prompt_sha": "prompt_sha", "experiment_variant": "experiment_variant"}


def _oracle(q: CostQuery, spans: list[dict[str, Any]] = SPANS) -> dict[tuple[Any, ...], dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for s in spans:
        if s["kind"] not in ("llm", "embedding") or not q.start_ns <= s["start_ns"] < q.end_ns:
            continue
        if q.tenant != ALL_TENANTS and s["tenant"] != q.tenant:
            continue
        if any(s[_FILTER[name]] != value for name, value in q.filters):
            continue
        if q.model is not None and q.model not in (s["request_model"], s["response_model"]):
            continue
        key = tuple(_KEY[k](s) for k in q.group_by)
        row = out.setdefault(key, {"calls": 0, "unknown_cost_calls": 0, "atto": 0, "priced": 0,
                                   **{c: 0 for c in TOKEN_FIELDS}})
        row["calls"] += 1
        if s["cost_usd"] is None:
            row["unknown_cost_calls"] += 1
        else:
            row["atto"] += atto_of(s["cost_usd"])
            row["priced"] += 1
        for c in TOKEN_FIELDS:
            row[c] += s[c] or 0
    for row in out.values():
        row["cost_usd"] = usd(row.pop("atto")) if row.pop("priced") else None
    return out


H = NS_PER_HOUR
QUERIES = [
    CostQuery("acme", T0, T0 + 30 * H, ("feature",)),
    CostQuery("acme", T0 + H // 3, T0 + 20 * H + 17, ("feature",)),  # partial hours at both edges
    CostQuery(ALL_TENANTS, T0 + 5, T0 + 29 * H, ("tenant", "model")),
    CostQuery("globex", T0 + H + 1, T0 + 2 * H - 1, ("provider",)),  # no whole hour: spans only
    CostQuery("acme", T0 + 7, T0 + 26 * H + 3, ("hour",)),
    CostQuery(ALL_TENANTS, T0 + 11, T0 + 30 * H, ("day", "prompt_id", "prompt_sha")),
    CostQuery("acme", T0 + 2 * H + 9, T0 + 25 * H, (), (("feature", "chat"), ("environment", "prod"))),
    CostQuery("globex", T0 + 3, T0 + 28 * H, ("feature",), (("service", "api"),), model="m2"),
    CostQuery("acme", T0 + 3, T0 + 28 * H, ("experiment_variant",)),  # not a rollup key: spans only
    CostQuery("acme", T0 + 3, T0 + 28 * H, ("feature",), (("experiment_variant", "A"),)),
    CostQuery("nobody", T0, T0 + 30 * H, ("feature",)),
    CostQuery("acme\x00", T0, T0 + 30 * H, ()),
]


def check_groups(store: Store, q: CostQuery, spans: list[dict[str, Any]] = SPANS) -> None:
    """The store's cost groups for ``q`` equal the exact oracle over ``spans``."""
    rows = store.cost_groups(q)
    got = {tuple(r[k] for k in q.group_by): {k: v for k, v in r.items() if k not in q.group_by} for r in rows}
    expected = _oracle(q, spans)
    if not q.group_by and not expected:
        expected = {(): {"calls": 0, "unknown_cost_calls": 0, "cost_usd": None, **{c: 0 for c in TOKEN_FIELDS}}}
    assert got == expected
    assert len(rows) == len(got), "one row per group"


@pytest.mark.parametrize("q", QUERIES, ids=[str(i) for i in range(len(QUERIES))])
def test_cost_groups_equal_the_exact_oracle(store: Store, q: CostQuery) -> None:
    check_groups(store, q)


def test_the_queries_exercise_both_paths() -> None:
    assert sum(rollup_answers(q) for q in QUERIES) >= 8
    assert not rollup_answers(QUERIES[8]) and not rollup_answers(QUERIES[9])


def test_compaction_and_rebuild_keep_cost_groups(new_store: Callable[[str], Store]) -> None:
    s = new_store("c")
    try:
        for i in range(0, len(SPANS), 31):
            s.write(WriteBatch(spans=SPANS[i:i + 31]))
        before = [s.cost_groups(q) for q in QUERIES]
        s.compact_summaries()
        assert [s.cost_groups(q) for q in QUERIES] == before
        s.rebuild_summaries()
        assert [s.cost_groups(q) for q in QUERIES] == before
    finally:
        s.close()
