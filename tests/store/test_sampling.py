"""Tail sampling in the store: the sampling stage's pending rows, decided by ``sample_content`` in one writer
transaction — dropped traces lose their content and only it, late content follows its trace's decision, a
trace waits until it completes, and the skeleton totals are those of a store where nothing was sampled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genlens.pipeline.ingest import StageContext
from genlens.pipeline.sampling import sampling_stage
from genlens.privacy.sampling import DEFAULT_POLICIES, SamplingPolicy
from genlens.semconv.canonical import empty_row
from genlens.settings import SamplingSettings
from genlens.store.base import Store, WriteBatch
from genlens.store.queries import ALL_TENANTS, TraceQuery
from genlens.store.writer import Writer

STAGE = sampling_stage(SamplingSettings(enabled=True))
CTX = StageContext("traces", "default")
POLICY = SamplingPolicy.of([p for p in DEFAULT_POLICIES if p["type"] != "probabilistic"])
WAIT, GRACE = 30 * 10**9, 2 * 10**9


def trace(i: int, *, error: bool = False, slow: bool = False, root: bool = True, cost: float = 0.001) -> WriteBatch:
    tid = f"{0xA0 + i:032x}"
    rows, content = [], []
    for j in (0, 1):
        if j == 0 and not root:
            continue
        r = empty_row()
        r.update(tenant="acme", trace_id=tid, span_id=f"{i * 4 + j:016x}", parent_span_id=None if j == 0
                 else f"{i * 4:016x}", name="chat", kind="llm" if j else "workflow", start_ns=10**18 + i * 10**9,
                 end_ns=10**18 + i * 10**9 + (6 * 10**9 if slow else 10**8), status="error" if error and j else "ok",
                 cost_usd=cost if j else None, input_tokens=10 if j else None, feature="chat",
                 content_sampled=True if j else None)
        r["duration_ns"] = r["end_ns"] - r["start_ns"]
        rows.append(r)
        if j:
            content.append({"tenant": "acme", "trace_id": tid, "span_id": r["span_id"], "time_ns": r["start_ns"],
                            "kind": "input_messages", "source": "test", "data": [{"role": "user", "content": "hi"}]})
    assert STAGE is not None
    return STAGE(WriteBatch(spans=rows, content=content), CTX)


def _run(writer: Writer, now_ns: int) -> dict[str, Any]:
    return writer.run(lambda s: s.sample_content(POLICY, now_ns, WAIT, GRACE)).result()


def _content_of(store: Store, i: int) -> int:
    return len(store.content(ALL_TENANTS, f"{0xA0 + i:032x}"))


def test_dropped_traces_lose_content_only_and_late_content_follows(new_store: Callable[[str], Store]) -> None:
    store = new_store("sampling")
    plain = new_store("plain")
    writer = Writer(store, max_queued=10_000, max_batch=10_000)
    try:
        shapes: list[dict[str, Any]] = [{"error": True}, {"slow": True}, {"cost": 0.5}, {}, {}, {"root": False}]
        batches = [trace(i, **shape) for i, shape in enumerate(shapes)]
        for i, (b, shape) in enumerate(zip(batches, shapes, strict=True)):
            writer.submit(b).result()
            plain.write(trace(i, **shape))
        received = max(b.content_pending[0]["received_ns"] for b in batches)
        early = _run(writer, received + 10**8)  # within the grace: nothing is due yet
        assert early["kept"] == {} and early["dropped"] == 0 and early["waiting"] == 6
        done = _run(writer, received + GRACE + 1)
        assert done["kept"] == {"errors": 1, "slow": 1, "expensive": 1} and done["dropped"] == 2
        assert done["waiting"] == 1  # trace 5 has no root: it waits for decision_wait
        assert [_content_of(store, i) for i in range(6)] == [1, 1, 1, 0, 0, 1]
        spans = {s["trace_id"]: s for s in store.trace_spans(ALL_TENANTS, f"{0xA3:032x}")}
        assert spans and not any(s["content_sampled"] for s in spans.values())
        writer.submit(trace(3)).result()  # content arriving after the trace was dropped follows the decision
        late = _run(writer, received + GRACE + 2)
        assert late["late"] == 1 and late["late_dropped"] == 1 and _content_of(store, 3) == 0
        final = _run(writer, received + WAIT + 1)
        assert final["dropped"] == 1 and final["waiting"] == 0 and store.counts()["content_pending"] == 0
        decisions = store.content_decisions(ALL_TENANTS, 0)
        assert sum(r["traces"] for r in decisions) == 6 and sum(r["traces"] for r in decisions if r["keep"]) == 3
        # the skeleton is the same as where nothing was sampled (trace 3 was sent twice here, so skip it)
        q = TraceQuery(tenant=ALL_TENANTS, limit=100)
        got = {r["trace_id"]: r for r in store.search_traces(q) if r["trace_id"] != f"{0xA3:032x}"}
        want = {r["trace_id"]: r for r in plain.search_traces(q) if r["trace_id"] != f"{0xA3:032x}"}
        assert len(got) == 5 and got == want
    finally:
        writer.close()
        store.close()
        plain.close()
