"""Store contract suite: every backend answers the reader and maintenance methods alike.

The expected answers are computed in Python from the input rows, never by asking the store. The spans are
written in several batches through the real write path (``store.write``). To add a backend, add its name to
``BACKENDS`` in ``tests/store/conftest.py`` and a branch to its ``open_store``.

This module: trace reads (spans, skeleton, span, span tenant, content, scores), trace search with tenant scope
and paging, counts, schema version and the summary rebuild. ``test_contract_readers.py`` covers the other trace
readers, every analytics reader and the findings reader; ``test_search.py``, ``test_cost_groups.py`` and
``test_summaries.py`` check search, cost groups and the summary tables (incremental = rebuild, compaction)
against independent oracles. Deletes (retention, erasure) come with the privacy work.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genlens.semconv.canonical import empty_row
from genlens.store.base import Store, WriteBatch
from genlens.store.duckdb import MIGRATIONS
from genlens.store.queries import ALL_TENANTS, TraceQuery
from tests.store.conftest import open_store

T0 = 1_764_000_000 * 10**9
TENANTS = ("acme", "globex", "initech")


def _span(tenant: str, trace: int, span: int, start: int, parent: int | None) -> dict[str, Any]:
    r = empty_row()
    r.update(tenant=tenant, trace_id=f"{trace:032x}", span_id=f"{span:016x}",
             parent_span_id=None if parent is None else f"{parent:016x}", name=f"op{span % 3}",
             kind="llm" if span % 2 else "tool", start_ns=start, end_ns=start + 1000 + span, duration_ns=1000 + span,
             status="error" if span % 5 == 0 else "ok")
    return r


def _input_spans() -> list[dict[str, Any]]:
    out = []
    sid = 1
    for trace in range(12):
        tenant = TENANTS[trace % 3]
        root = sid
        for k in range(1 + trace % 4):
            out.append(_span(tenant, trace, sid, T0 + trace * 10**9 + k, None if k == 0 else root))
            sid += 1
    # a trace spanning two tenants
    out.append(_span("globex", 0, sid, T0 + 5, 1))
    return out


SPANS = _input_spans()


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    s = open_store(backend, tmp_path)
    for i in range(0, len(SPANS), 7):  # several batches
        s.write(WriteBatch(spans=SPANS[i:i + 7]))
    yield s
    s.close()


def _ids(rows: list[dict[str, Any]], key: str = "span_id") -> list[str]:
    return [r[key] for r in rows]


def test_trace_spans_are_tenant_scoped_and_in_start_order(store: Store) -> None:
    tid = f"{0:032x}"
    for tenant in (*TENANTS, ALL_TENANTS, "nobody"):
        want = sorted((s for s in SPANS if s["trace_id"] == tid and tenant in (ALL_TENANTS, s["tenant"])),
                      key=lambda s: (s["start_ns"], s["span_id"]))
        assert _ids(store.trace_spans(tenant, tid)) == _ids(want)


def test_span_and_span_tenant(store: Store) -> None:
    for s in SPANS[:5]:
        got = store.span(s["tenant"], s["span_id"])
        assert got is not None and got["trace_id"] == s["trace_id"]
        assert store.span_tenant(s["trace_id"], s["span_id"]) == s["tenant"]
        assert store.span("nobody", s["span_id"]) is None
    assert store.span_tenant("f" * 32, "f" * 16) is None


def test_search_traces_scope_and_paging(store: Store) -> None:
    for tenant in (*TENANTS, ALL_TENANTS):
        traces = {s["trace_id"] for s in SPANS if tenant in (ALL_TENANTS, s["tenant"])}
        seen: list[str] = []
        after = None
        for _ in range(20):  # bounded paging loop
            page = store.search_traces(TraceQuery(tenant=tenant, limit=2, after=after))
            seen.extend(_ids(page[:2], "trace_id"))
            if len(page) <= 2:
                break
            after = (page[1]["start_ns"], page[1]["trace_id"])
        assert sorted(seen) == sorted(traces)
    assert store.search_traces(TraceQuery(tenant="nobody")) == []


def test_content_and_scores_empty_and_counts(store: Store) -> None:
    assert store.content("acme", "f" * 32) == []
    assert store.scores("acme", "f" * 32) == []
    counts = store.counts()
    assert counts["spans"] == len(SPANS)
    assert store.schema_version == MIGRATIONS[-1][0]


def test_rebuild_summaries_keeps_search_answers(store: Store) -> None:
    before = store.search_traces(TraceQuery(tenant=ALL_TENANTS, limit=100))
    store.rebuild_summaries()
    assert store.search_traces(TraceQuery(tenant=ALL_TENANTS, limit=100)) == before


def test_a_trace_reads_every_span_even_one_its_summary_cannot_place(store: Store) -> None:
    """Spans are read in the time range of the trace's summary; a span without a start time is outside any
    range, and the summary's span count makes the read fall back to the whole table."""
    odd = _span("acme", 99, 9001, T0, None)
    late = _span("acme", 99, 9002, T0 + 5 * 10**9, 9001)
    odd["start_ns"] = None
    store.write(WriteBatch(spans=[odd]))
    store.write(WriteBatch(spans=[late]))
    trace_id = f"{99:032x}"
    for tenant in ("acme", ALL_TENANTS):
        assert {s["span_id"] for s in store.trace_spans(tenant, trace_id)} == {odd["span_id"], late["span_id"]}
        assert len(store.trace_skeleton(tenant, trace_id)) == 2
    assert store.trace_spans("globex", trace_id) == []
