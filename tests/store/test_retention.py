"""Retention purges through the single writer, on a real DuckDB file: rows aged 10, 40, 100 and 500 days
(and audit entries 3000 days old) are kept or deleted per tier, as counted here from what was written; each
table is then queried directly.  Purged content clears ``content_sampled``, a trace cut by the cutoff keeps
a summary of the spans it keeps, every table's purge leaves an audit entry, and a second run deletes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from genlens.semconv.canonical import empty_row
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore
from genlens.store.retention import PURGED, PURGES, last_purge, run_purge
from genlens.store.writer import Writer
from genlens.timeparse import NS_PER_DAY, NS_PER_HOUR

NOW = 1_800_000_000 * 10**9
AGES = (10, 40, 100, 500)
DAYS = {"content": 30, "skeleton": 90, "rollups": 400, "scores": 400, "alerts": 400, "audit": 2557}
CUT = "f" * 31 + "0"  # the trace with spans on both sides of the skeleton cutoff (100 and 40 days old)


def _at(age: int, offset_s: int = 0) -> int:
    return NOW - age * NS_PER_DAY + offset_s * 10**9


def _spans() -> list[dict[str, Any]]:
    out = []
    for n, age in enumerate(AGES):
        for j, kind in enumerate(("workflow", "llm")):
            row = empty_row()
            row.update(tenant="acme", trace_id=f"{n + 1:032x}", span_id=f"{n * 4 + j + 1:016x}", name=kind,
                       kind=kind, start_ns=_at(age, j), end_ns=_at(age, j) + 10**8, duration_ns=10**8, status="ok",
                       provider="openai", request_model="m1", input_tokens=10, output_tokens=5,
                       content_sampled=True if kind == "llm" else None, cost_usd=0.01 if kind == "llm" else None)
            out.append(row)
    for j, age in enumerate((100, 40)):
        row = empty_row()
        row.update(tenant="acme", trace_id=CUT, span_id=f"{0xC0 + j:016x}", name="cut", kind="llm",
                   start_ns=_at(age), end_ns=_at(age) + 10**8, duration_ns=10**8, status="ok", provider="openai",
                   request_model="m1", content_sampled=True)
        out.append(row)
    return out


SPANS = _spans()


def _batch() -> WriteBatch:
    b = WriteBatch()
    for s in SPANS:
        if s["kind"] == "llm":
            b.content.append({"tenant": "acme", "trace_id": s["trace_id"], "span_id": s["span_id"],
                              "time_ns": s["start_ns"], "kind": "input_messages", "source": "t", "data": ["hi"]})
    for age in AGES:
        trace = f"{AGES.index(age) + 1:032x}"
        b.scores.append({"tenant": "acme", "trace_id": trace, "span_id": None, "time_ns": _at(age), "name": "thumbs",
                         "source": "user", "thumbs": "down", "value": 0.0, "comment": None, "signal": None,
                         "attributes": None})
        b.logs.append({"tenant": "acme", "time_ns": _at(age), "trace_id": trace, "span_id": None, "service_name": "a",
                       "severity_text": "INFO", "event_name": None, "body": "x", "attributes": None,
                       "resource_attributes": None})
        b.metrics.append({"tenant": "acme", "time_ns": _at(age), "name": "m", "type": "sum", "value": 1.0})
        b.content_pending.append({"tenant": "acme", "trace_id": trace, "received_ns": _at(age), "content_rows": 1,
                                  "root": True, "error_classes": [], "over_budget": False})
        b.findings.append({"id": f"f{age}", "kind": "spend_anomaly", "severity": "warning", "tenant": "acme",
                           "feature": f"feat{age}", "prompt_sha": None, "conversation_id": None,
                           "window_start_ns": _at(age) - NS_PER_HOUR, "window_end_ns": _at(age), "observed": 2.0,
                           "baseline": 1.0, "ratio": 2.0, "unit": "usd", "example_trace_ids": [trace],
                           "first_detected_ns": _at(age), "detected_at_ns": _at(age), "details": {}})
        b.alert_events.append({"at_ns": _at(age), "status": "firing", "fingerprint": f"fp{age}", "name": "A",
                               "severity": "page", "labels": {}, "summary": "s", "annotations": {},
                               "example_trace_ids": [trace], "starts_ns": _at(age), "ends_ns": None})
    for age in (*AGES, 3000):
        b.audit_log.append({"at_ns": _at(age), "actor": "test", "action": "test.entry", "tenant": None,
                            "target": f"age {age}", "purpose": None, "details": {"age": age}})
    return b


def _kept(days: int, times: list[int]) -> int:
    return sum(1 for t in times if t >= NOW - days * NS_PER_DAY)


def _hours(days: int) -> int:
    """Rollup rows kept: the distinct call hours whose end is after the rollups' cutoff (one row per hour)."""
    hours = {s["start_ns"] // NS_PER_HOUR * NS_PER_HOUR for s in SPANS if s["kind"] == "llm"}
    return sum(1 for h in hours if h + NS_PER_HOUR > NOW - days * NS_PER_DAY)


@pytest.fixture
def purged(tmp_path: Path) -> tuple[Path, dict[str, dict[str, int]], dict[str, int], DuckDBStore, Writer]:
    path = tmp_path / "genlens.duckdb"
    store = DuckDBStore(path)
    writer = Writer(store, max_queued=100_000, max_batch=100_000)
    writer.submit(WriteBatch(spans=[dict(s) for s in SPANS])).result()
    writer.submit(_batch()).result()
    before = store.counts()
    done = run_purge(writer, DAYS, NOW)
    return path, done, before, store, writer


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_each_tier_keeps_exactly_its_days(purged: tuple[Path, dict[str, dict[str, int]], dict[str, int],
                                                          DuckDBStore, Writer]) -> None:
    path, done, before, store, writer = purged
    batch = _batch()
    writer.close()
    store.close()
    llm = [s for s in SPANS if s["kind"] == "llm"]
    kept = {
        "span_content": _kept(DAYS["content"], [s["start_ns"] for s in llm]),
        "content_pending": _kept(DAYS["content"], [r["received_ns"] for r in batch.content_pending]),
        "content_decisions": 0,
        "spans": _kept(DAYS["skeleton"], [s["start_ns"] for s in SPANS]),
        "logs": _kept(DAYS["skeleton"], [r["time_ns"] for r in batch.logs]),
        "metric_points": _kept(DAYS["skeleton"], [r["time_ns"] for r in batch.metrics]),
        "trace_summaries": len({s["trace_id"] for s in SPANS if s["start_ns"] >= NOW - DAYS["skeleton"] * NS_PER_DAY}),
        "cost_hourly": _hours(DAYS["rollups"]), "latency_hourly": _hours(DAYS["rollups"]),
        "scores": _kept(DAYS["scores"], [r["time_ns"] for r in batch.scores]),
        "findings": _kept(DAYS["scores"], [r["window_end_ns"] for r in batch.findings]),
        "alert_events": _kept(DAYS["alerts"], [r["at_ns"] for r in batch.alert_events]),
        "audit_log": _kept(DAYS["audit"], [r["at_ns"] for r in batch.audit_log]) + len(PURGES),
    }
    assert kept == {"span_content": 1, "content_pending": 1, "content_decisions": 0, "spans": 5, "logs": 2, "metric_points": 2, "trace_summaries": 3,
                    "cost_hourly": 3, "latency_hourly": 3, "scores": 3, "findings": 3, "alert_events": 3,
                    "audit_log": 16}  # the ages exercise every tier
    for table, n in kept.items():
        assert _query(path, f"SELECT count(*) FROM {table}") == [(n,)], table
    for purge in PURGES:
        deleted = done[purge.table]
        gone = before[purge.table] - kept[purge.table] + (len(PURGES) if purge.table == "audit_log" else 0)
        assert deleted[purge.table] == gone, purge.table
    assert done["spans"]["trace_summaries"] == before["trace_summaries"] - kept["trace_summaries"]

    # content went from the 40-day call: the span says so now; the 10-day call keeps its content
    sampled = dict(_query(path, "SELECT start_ns, content_sampled FROM spans WHERE kind = 'llm'"))
    assert sampled == {_at(10, 1): True, _at(40, 1): False, _at(40): False}
    assert done["span_content"]["unsampled_spans"] == sum(
        1 for s in llm if s["start_ns"] < NOW - DAYS["content"] * NS_PER_DAY)
    # the cut trace keeps its 40-day span, summarised alone
    assert _query(path, f"SELECT sum(span_count), min(start_ns) FROM trace_summaries WHERE trace_id = '{CUT}'") == \
        [(1, _at(40))]
    assert _query(path, "SELECT DISTINCT feature FROM findings ORDER BY 1") == [("feat10",), ("feat100",), ("feat40",)]
    targets = _query(path, f"SELECT target FROM audit_log WHERE action = '{PURGED}' ORDER BY target")
    assert [t for (t,) in targets] == sorted(p.table for p in PURGES)


def test_a_second_run_deletes_nothing_and_is_the_last_purge(purged: tuple[Path, dict[str, dict[str, int]],
                                                                       dict[str, int], DuckDBStore, Writer]) -> None:
    path, first, _, store, writer = purged
    try:
        counts = store.counts()
        again = run_purge(writer, DAYS, NOW + 1)
        assert all(n == 0 for table in again.values() for n in table.values()), again
        assert {t: n for t, n in store.counts().items() if t != "audit_log"} == \
            {t: n for t, n in counts.items() if t != "audit_log"}
        assert store.counts()["audit_log"] == counts["audit_log"] + len(PURGES)
        last = last_purge(store)
        assert last is not None and last["run_ns"] == NOW + 1
        assert list(last["tables"]) == [p.table for p in PURGES]
        assert all(sum(t["deleted"].values()) == 0 for t in last["tables"].values())
        first_run = store.audit_entries(0, PURGED, limit=100)[len(PURGES):]
        assert {e["target"]: e["details"]["deleted"] for e in first_run} == first
    finally:
        writer.close()
        store.close()
