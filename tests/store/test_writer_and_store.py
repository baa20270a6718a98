"""The single writer and the DuckDB store, in-process (fast), with a real DuckDB file."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from genlens.errors import Overloaded, StoreError
from genlens.semconv.canonical import empty_row
from genlens.store.base import WriteBatch
from genlens.store.columnar import to_arrow
from genlens.store.duckdb import MIGRATIONS, DuckDBStore
from genlens.store.queries import TraceQuery
from genlens.store.schema import SPANS
from genlens.store.writer import Writer


def row(trace: str, span: str, start: int, **extra: Any) -> dict[str, Any]:
    r = empty_row()
    r.update(tenant="t", trace_id=trace, span_id=span, name=f"n-{span}", kind="llm", start_ns=start,
             end_ns=start + 10, duration_ns=10, status="ok", attributes={"a": 1}, **extra)
    return r


class GateStore:
    """A store whose writes wait for a gate, to hold batches in the queue."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.batches: list[int] = []
        self.fail = False

    def write(self, batch: WriteBatch) -> None:
        self.gate.wait(10)
        if self.fail:
            raise RuntimeError("disk on fire")
        self.batches.append(len(batch))


def test_writer_coalesces_queued_batches_and_acknowledges_after_commit() -> None:
    store = GateStore()
    writer = Writer(store, max_queued=1000, max_batch=250)  # type: ignore[arg-type]
    futures = [writer.submit(WriteBatch(spans=[{}] * 100)) for _ in range(5)]
    assert not any(f.done() for f in futures[1:])
    store.gate.set()
    for f in futures:
        f.result(timeout=10)
    assert sum(store.batches) == 500
    assert max(store.batches) <= 250 and len(store.batches) < 5  # coalesced, within the batch bound
    assert writer.committed_items == 500
    writer.close()


def test_writer_refuses_when_full_and_reports_failures() -> None:
    store = GateStore()
    writer = Writer(store, max_queued=150, max_batch=1000, retry_after_s=3)  # type: ignore[arg-type]
    first = writer.submit(WriteBatch(spans=[{}] * 100))
    with pytest.raises(Overloaded) as refused:
        writer.submit(WriteBatch(spans=[{}] * 100))
    assert refused.value.retry_after == 3 and writer.refused_batches == 1
    store.fail = True
    store.gate.set()
    with pytest.raises(StoreError, match="disk on fire"):
        first.result(timeout=10)
    assert writer.queued_items == 0
    writer.close()


def test_empty_batch_is_acknowledged_at_once() -> None:
    writer = Writer(GateStore(), max_queued=1, max_batch=1)  # type: ignore[arg-type]
    assert writer.submit(WriteBatch()).done()
    writer.close()


def test_store_round_trip_and_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "g.duckdb"
    store = DuckDBStore(path)
    assert store.schema_version == MIGRATIONS[-1][0]
    store.write(WriteBatch(spans=[row("a" * 32, "1" * 16, 100), row("a" * 32, "2" * 16, 50, parent_span_id="1" * 16)],
                           content=[{"tenant": "t", "trace_id": "a" * 32, "span_id": "1" * 16, "time_ns": 100,
                                     "kind": "input_messages", "source": "test", "data": [{"role": "user"}]}]))
    spans = store.trace_spans("t", "a" * 32)
    assert [s["span_id"] for s in spans] == ["2" * 16, "1" * 16]  # start order
    assert store.trace_spans("other-tenant", "a" * 32) == []  # tenant isolation
    assert store.content("t", "a" * 32)[0]["kind"] == "input_messages"
    store.close()
    reopened = DuckDBStore(path)  # migrations do not run twice
    assert reopened.counts()["spans"] == 2
    reopened.close()


def test_misfit_values_become_null_instead_of_sinking_the_batch() -> None:
    good = row("b" * 32, "3" * 16, 1)
    bad = row("b" * 32, "4" * 16, 2, input_tokens="lots", temperature="hot", streaming="yes",
              finish_reasons="stop", total_tokens=2**70)
    table = to_arrow(SPANS, [good, bad])
    data = table.to_pylist()
    assert data[1]["input_tokens"] is None and data[1]["temperature"] is None
    assert data[1]["streaming"] is None and data[1]["finish_reasons"] is None and data[1]["total_tokens"] is None
    assert data[0]["attributes"] == '{"a":1}'


def test_search_query_paginates(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "s.duckdb")
    rows = [row(f"{i:032x}", f"{i + 1:016x}", 1000 + i) for i in range(7)]
    store.write(WriteBatch(spans=rows))
    first = store.search_traces(TraceQuery(tenant="t", limit=3))
    assert [r["trace_id"] for r in first] == [f"{i:032x}" for i in (6, 5, 4, 3)]  # limit + 1
    after = (first[2]["start_ns"], first[2]["trace_id"])
    second = store.search_traces(TraceQuery(tenant="t", limit=3, after=after))
    assert [r["trace_id"] for r in second] == [f"{i:032x}" for i in (3, 2, 1, 0)]
    store.close()
