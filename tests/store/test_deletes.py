"""Erasing traces through the single writer: everything of theirs goes, the trace summaries and hourly
rollups answer exactly as if the traces had never been written, and a rebuild agrees."""

from __future__ import annotations

import random
from collections.abc import Callable

from genlens.store.base import Store, WriteBatch
from genlens.store.queries import ALL_TENANTS, TraceQuery
from genlens.store.writer import Writer
from tests.store.test_cost_groups import QUERIES, SPANS, check_groups


def test_erased_traces_leave_no_trace_and_the_rollups_stay_exact(new_store: Callable[[str], Store]) -> None:
    store = new_store("s")
    writer = Writer(store, max_queued=100_000, max_batch=10_000)
    try:
        for i in range(0, len(SPANS), 113):
            writer.submit(WriteBatch(spans=SPANS[i:i + 113])).result()
        scores = [{"tenant": s["tenant"], "trace_id": s["trace_id"], "span_id": s["span_id"], "time_ns": s["start_ns"],
                   "name": "thumbs", "source": "user", "thumbs": "up", "value": 1.0, "comment": None, "signal": None,
                   "attributes": None} for s in SPANS[:40]]
        content = [{"tenant": s["tenant"], "trace_id": s["trace_id"], "span_id": s["span_id"], "time_ns": s["start_ns"],
                    "kind": "input_messages", "source": "t", "data": [{"role": "user", "parts": []}]} for s in SPANS[:40]]
        writer.submit(WriteBatch(scores=scores, content=content)).result()

        acme_traces = sorted({s["trace_id"] for s in SPANS if s["tenant"] == "acme"})
        gone = random.Random(3).sample(acme_traces, len(acme_traces) // 3)
        other = next((s["trace_id"] for s in SPANS if s["tenant"] == "globex" and s["trace_id"] in gone), None)
        removed = writer.run(lambda s: s.delete_traces("acme", gone), "erasure").result()
        left = [s for s in SPANS if not (s["tenant"] == "acme" and s["trace_id"] in gone)]

        assert removed["spans"] == len(SPANS) - len(left)
        assert removed["scores"] == sum(1 for x in scores if x["tenant"] == "acme" and x["trace_id"] in gone)
        assert removed["span_content"] == removed["scores"]
        for trace_id in gone:
            assert store.trace_spans("acme", trace_id) == []
            assert store.content("acme", trace_id) == [] and store.scores("acme", trace_id) == []
        if other is not None:  # the same trace id in another tenant is not touched by acme's erasure
            assert store.trace_spans("globex", other)
        for q in QUERIES:
            check_groups(store, q, left)
        found = {r["trace_id"] for r in store.search_traces(TraceQuery(tenant="acme", limit=1000))}
        assert found == {s["trace_id"] for s in left if s["tenant"] == "acme"}
        everywhere = {r["trace_id"] for r in store.search_traces(TraceQuery(tenant=ALL_TENANTS, limit=1000))}
        assert everywhere == {s["trace_id"] for s in left}

        writer.run(lambda s: s.rebuild_summaries(), "rebuild").result()
        for q in QUERIES:
            check_groups(store, q, left)
        assert writer.run(lambda s: s.delete_traces("acme", []), "erasure").result() == {}
        assert writer.run(lambda s: s.delete_traces("acme\x00", gone), "erasure").result() == {}
    finally:
        writer.close()
        store.close()
