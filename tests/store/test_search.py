"""Trace search, read from the summaries, against an independent Python computation over the raw spans.

Traces spread their spans over several batches (so several partial summary rows) and across the edges of
the search window; every filter, scope, sort and page is compared with the oracle: a trace matches when one
of its spans in the scope starts in the window and matches every filter, and its row describes all of its
spans in the scope.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from genlens.semconv.canonical import empty_row
from genlens.store.base import Store, WriteBatch
from genlens.store.duckdb import DuckDBStore
from genlens.store.queries import ALL_TENANTS, TraceQuery
from genlens.store.summaries import atto_of, usd
from tests.store.conftest import open_store

T0 = 1_764_000_000 * 10**9
S = 10**9
TENANTS = ("acme", "globex")


def _spans(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for trace in range(60):
        start = T0 + rng.randrange(0, 100) * S
        for k in range(rng.randrange(1, 7)):
            r = empty_row()
            s = start + rng.randrange(0, 30) * S  # a trace lasts up to 30 s: many cross a window edge
            dur = rng.randrange(1, 20) * S // 2
            r.update(
                tenant=TENANTS[trace % 2] if rng.random() > 0.05 else TENANTS[(trace + 1) % 2],
                trace_id=f"{trace:032x}", span_id=f"{trace:08x}{k:08x}", parent_span_id=None if k == 0 else "p",
                name=rng.choice(["chat", "plan", "summarize doc", "tool_call"]), kind=rng.choice(["llm", "tool"]),
                start_ns=s, end_ns=s + dur, duration_ns=dur, status=rng.choice(["ok", "ok", "error"]),
                service_name=rng.choice(["api", "worker", None]), feature=rng.choice(["chat", "search", None]),
                provider=rng.choice(["openai", "anthropic"]), request_model=rng.choice(["m1", "m2"]),
                input_tokens=rng.randrange(100), output_tokens=rng.randrange(50), total_tokens=rng.randrange(150),
                cost_usd=rng.choice([None, rng.random() / 100]), user_id=rng.choice(["u1", "u2"]),
            )
            out.append(r)
    return out


SPANS = _spans(random.Random(4))


@pytest.fixture(scope="module")
def store(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(backend, tmp_path_factory.mktemp("search"))
    shuffled = SPANS[:]
    random.Random(5).shuffle(shuffled)
    for i in range(0, len(shuffled), 23):
        s.write(WriteBatch(spans=shuffled[i:i + 23]))
    yield s
    s.close()


_MATCH = {
    "service": lambda s, v: s["service_name"] == v, "feature": lambda s, v: s["feature"] == v,
    "model": lambda s, v: v in (s["request_model"], s["response_model"]), "provider": lambda s, v: s["provider"] == v,
    "kind": lambda s, v: s["kind"] == v, "status": lambda s, v: s["status"] == v,
    "min_duration_ns": lambda s, v: s["duration_ns"] >= v, "user_id": lambda s, v: s["user_id"] == v,
    "text": lambda s, v: v.lower() in s["name"].lower(),
}


def _oracle(q: TraceQuery) -> list[dict[str, Any]]:
    scoped = [s for s in SPANS if q.tenant == ALL_TENANTS or s["tenant"] == q.tenant]
    hits = {s["trace_id"] for s in scoped
            if (q.start_ns is None or s["start_ns"] >= q.start_ns) and (q.end_ns is None or s["start_ns"] < q.end_ns)
            and all(test(s, getattr(q, name)) for name, test in _MATCH.items() if getattr(q, name) is not None)}
    rows = []
    for trace_id in hits:
        g = [s for s in scoped if s["trace_id"] == trace_id]
        first = min(g, key=lambda s: (s["start_ns"], s["span_id"]))
        roots = [s for s in g if s["parent_span_id"] is None]
        priced = [s["cost_usd"] for s in g if s["cost_usd"] is not None]
        services = [s for s in g if s["service_name"] is not None]
        rows.append({
            "trace_id": trace_id, "tenant": first["tenant"], "start_ns": first["start_ns"],
            "end_ns": max(s["end_ns"] for s in g), "duration_ns": max(s["end_ns"] for s in g) - first["start_ns"],
            "span_count": len(g), "llm_calls": sum(s["kind"] == "llm" for s in g),
            "input_tokens": sum(s["input_tokens"] for s in g), "output_tokens": sum(s["output_tokens"] for s in g),
            "total_tokens": sum(s["total_tokens"] for s in g),
            "cost_usd": usd(sum(atto_of(c) for c in priced)) if priced else None,
            "errors": sum(s["status"] == "error" for s in g),
            "root_name": min(roots or g, key=lambda s: (s["start_ns"], s["span_id"]))["name"],
            "service_name": min(services, key=lambda s: (s["start_ns"], s["span_id"]))["service_name"]
            if services else None,
            "features": sorted({s["feature"] for s in g if s["feature"] is not None}),
        })
    key = {"time": "start_ns", "duration": "duration_ns"}.get(q.sort)
    rows.sort(key=lambda r: ((r[key] if key else (r["cost_usd"] or 0.0)), r["trace_id"]), reverse=q.descending)
    return rows


def _all_pages(store: Store, q: TraceQuery) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        page = store.search_traces(TraceQuery(**{**_fields(q), "after": after}))
        more = len(page) > q.limit
        page = page[:q.limit]
        out.extend(page)
        if not more:
            return out
        key = {"time": "start_ns", "duration": "duration_ns", "cost": "cost_key"}[q.sort]
        after = (page[-1][key], page[-1]["trace_id"])
    raise AssertionError("paging did not end")


def _fields(q: TraceQuery) -> dict[str, Any]:
    return {name: getattr(q, name) for name in q.__dataclass_fields__}


W0, W1 = T0 + 30 * S, T0 + 80 * S
QUERIES = [
    TraceQuery(tenant="acme"),
    TraceQuery(tenant=ALL_TENANTS, start_ns=W0, end_ns=W1),
    TraceQuery(tenant="acme", start_ns=W0, end_ns=W1, limit=7),
    TraceQuery(tenant="globex", start_ns=W0, limit=5, sort="duration"),
    TraceQuery(tenant="acme", end_ns=W1, sort="cost", limit=4),
    TraceQuery(tenant="acme", start_ns=W0, end_ns=W1, status="error", limit=6),
    TraceQuery(tenant=ALL_TENANTS, start_ns=W0, end_ns=W1, kind="llm", descending=False, limit=9),
    TraceQuery(tenant="globex", start_ns=W0, end_ns=W1, feature="search", limit=5),
    TraceQuery(tenant="acme", start_ns=W0, end_ns=W1, service="worker"),
    TraceQuery(tenant=ALL_TENANTS, start_ns=W0, end_ns=W1, min_duration_ns=8 * S, sort="duration", limit=5),
    TraceQuery(tenant="acme", start_ns=W0, end_ns=W1, text="summ", limit=3),
    TraceQuery(tenant="globex", start_ns=W0, end_ns=W1, model="m2", status="error"),
    TraceQuery(tenant="acme", start_ns=W0, end_ns=W1, user_id="u1", provider="openai", sort="cost"),
    TraceQuery(tenant="nobody", start_ns=W0, end_ns=W1),
    TraceQuery(tenant="acme\x00", start_ns=W0, end_ns=W1),
]


@pytest.mark.parametrize("q", QUERIES, ids=[str(i) for i in range(len(QUERIES))])
def test_search_pages_equal_the_oracle(store: Store, q: TraceQuery) -> None:
    got = _all_pages(store, q)
    for row in got:
        row.pop("cost_key")
    expected = _oracle(q)
    assert [r["trace_id"] for r in got] == [r["trace_id"] for r in expected]
    assert got == expected


def test_the_window_edges_matter(store: Store) -> None:
    """Traces straddle the window (the straddling partial rows are checked against their spans)."""
    q = TraceQuery(tenant="acme", start_ns=W0, end_ns=W1, status="error", limit=1000)
    ids = {r["trace_id"] for r in _oracle(q)}
    straddling = {s["trace_id"] for s in SPANS if s["tenant"] == "acme" and s["trace_id"] in ids
                  and not W0 <= s["start_ns"] < W1}
    assert straddling, "the data set has matching traces with spans outside the window"
    assert {r["trace_id"] for r in store.search_traces(q)} == ids


def test_compaction_does_not_change_a_search(new_store: Callable[[str], Store]) -> None:
    s = new_store("c")
    try:
        for i in range(0, len(SPANS), 11):
            s.write(WriteBatch(spans=SPANS[i:i + 11]))
        before = [_all_pages(s, q) for q in QUERIES]
        s.compact_summaries()
        assert [_all_pages(s, q) for q in QUERIES] == before
    finally:
        s.close()


def _one_span(tenant: str, trace: str, span: str, start: int | None, status: str = "ok") -> dict[str, Any]:
    r = empty_row()
    r.update(tenant=tenant, trace_id=trace, span_id=span, name="op", kind="llm", start_ns=start,
             end_ns=None if start is None else start + 1, duration_ns=1, status=status)
    return r


def _pages(s: Store, q: TraceQuery) -> list[str]:
    return [r["trace_id"] for r in _all_pages(s, q)]


def test_traces_starting_at_the_same_instant_page_in_full_newest_first(new_store: Callable[[str], Store]) -> None:
    s = new_store("ties")
    try:
        ids = [f"{i:032x}" for i in range(30)]
        s.write(WriteBatch(spans=[_one_span("t", tid, f"{i:016x}", 150) for i, tid in enumerate(ids)]))
        q = TraceQuery(tenant="t", start_ns=100, end_ns=200, limit=1)
        assert _pages(s, q) == sorted(ids, reverse=True)
        assert _pages(s, TraceQuery(tenant="t", start_ns=100, end_ns=200, limit=7)) == sorted(ids, reverse=True)
    finally:
        s.close()


def test_a_trace_around_the_window_with_no_span_in_it_is_not_listed(new_store: Callable[[str], Store]) -> None:
    s = new_store("around")
    try:
        inside = f"{4:032x}"
        s.write(WriteBatch(spans=[_one_span("t", inside, "a" * 16, 150)]))
        for n in (1, 2, 3):  # one partial row each from 70..250: it overlaps [100, 200) with no span inside
            trace = f"{n:032x}"
            s.write(WriteBatch(spans=[_one_span("t", trace, f"{n:015x}{k}", at) for k, at in enumerate((90, 80, 250))]))
        for limit in (1, 2, 10):
            assert _pages(s, TraceQuery(tenant="t", start_ns=100, end_ns=200, limit=limit)) == [inside]
    finally:
        s.close()


def test_spans_without_a_start_are_found_by_a_search_without_a_window(new_store: Callable[[str], Store]) -> None:
    s = new_store("undated")
    try:
        dated, undated = f"{1:032x}", [f"{n:032x}" for n in range(2, 15)]
        s.write(WriteBatch(spans=[_one_span("t", dated, "d" * 16, 150)]
                           + [_one_span("t", t, f"{n:016x}", None) for n, t in enumerate(undated)]))
        # (one page: a keyset cursor cannot resume after a row with no start; OTLP never stores such spans)
        assert {r["trace_id"] for r in s.search_traces(TraceQuery(tenant="t", limit=100))} == {dated, *undated}
        assert _pages(s, TraceQuery(tenant="t", start_ns=100, limit=1)) == [dated]
    finally:
        s.close()


def test_a_trace_erased_between_the_reads_of_a_search_is_left_out(tmp_path: Path) -> None:
    from genlens.store import duckdb_search

    s = DuckDBStore(tmp_path / "erased.duckdb")
    try:
        ids = [f"{i:032x}" for i in range(5)]
        s.write(WriteBatch(spans=[_one_span("t", tid, f"{i:016x}", 150 + i, "error") for i, tid in enumerate(ids)]))
        calls = []

        def run(sql: str, params: list[Any]) -> list[dict[str, Any]]:
            rows = s._query(sql, params)
            calls.append(sql)
            if len(calls) == 2:  # after the page's keys, before its rows: an erasure commits
                s.delete_traces("t", [ids[4]])
            return rows

        got = duckdb_search.search(run, TraceQuery(tenant="t", start_ns=100, end_ns=200, status="error"))
        assert [r["trace_id"] for r in got] == sorted(ids[:4], reverse=True)
    finally:
        s.close()
