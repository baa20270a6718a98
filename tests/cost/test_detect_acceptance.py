"""Planted incidents are found with the right subject and window; the same weeks without plants yield none."""

from __future__ import annotations

from genlens.analysis.cost_detectors import Thresholds
from genlens.analysis.cost_job import run_detectors
from genlens.analysis.findings import CACHE_DROP, PROMPT_REGRESSION, RUNAWAY_CONVERSATION, SPEND_ANOMALY
from genlens.store.writer import Writer
from tests.cost.conftest import Filled
from tests.cost.workload import END, REGRESSION_START, RUNAWAY_START, TENANTS, WEEK2


def test_planted_incidents_are_found(planted: Filled) -> None:
    findings = run_detectors(planted.store, WEEK2, END, Thresholds())
    by_kind: dict[str, list[dict]] = {}
    for f in findings:
        by_kind.setdefault(f["kind"], []).append(f)

    regressions = by_kind[PROMPT_REGRESSION]
    assert {(f["tenant"], f["feature"], f["prompt_sha"]) for f in regressions} == {
        (t, "summarize", "sum-v3") for t in TENANTS}
    for f in regressions:
        assert (f["window_start_ns"], f["window_end_ns"]) == (REGRESSION_START, END)
        assert f["ratio"] > 1.5 and f["observed"] > 1.5 * f["baseline"]
        assert 1 <= len(f["example_trace_ids"]) <= 5

    drops = by_kind[CACHE_DROP]
    assert {(f["tenant"], f["feature"]) for f in drops} == {(t, "search") for t in TENANTS}
    for f in drops:
        assert (f["window_start_ns"], f["window_end_ns"]) == (WEEK2, END)
        assert f["observed"] < 0.8 * f["baseline"]

    (runaway,) = by_kind[RUNAWAY_CONVERSATION]
    assert (runaway["tenant"], runaway["conversation_id"], runaway["feature"]) == ("acme", "conv-runaway", "chat")
    assert runaway["window_start_ns"] == RUNAWAY_START
    assert runaway["details"]["climbing"] is True and runaway["details"]["turns"] == 100
    planted_rows = [r for r in planted.rows if r["conversation_id"] == "conv-runaway"]
    assert runaway["window_end_ns"] == max(r["end_ns"] for r in planted_rows)
    assert runaway["observed"] == sum(r["input_tokens"] + r["output_tokens"] for r in planted_rows)

    # Spend anomalies, if any, are the regression's extra spend: nothing else is flagged.
    assert {f["feature"] for f in by_kind.get(SPEND_ANOMALY, [])} <= {"summarize"}
    assert set(by_kind) <= {PROMPT_REGRESSION, CACHE_DROP, RUNAWAY_CONVERSATION, SPEND_ANOMALY}


def test_same_weeks_without_plants_yield_no_finding(clean: Filled) -> None:
    assert run_detectors(clean.store, WEEK2, END, Thresholds()) == []


def test_findings_are_stored_once_across_runs(planted: Filled) -> None:
    writer = Writer(planted.store, max_queued=10**6, max_batch=10**6)
    try:
        first = run_detectors(planted.store, WEEK2, END, Thresholds(), writer=writer, now_ns=END)
        again = run_detectors(planted.store, WEEK2, END, Thresholds(), writer=writer, now_ns=END + 3600 * 10**9)
    finally:
        writer.close()
    assert sorted(f["id"] for f in first) == sorted(f["id"] for f in again)
    stored = planted.store.findings("acme", limit=1000)
    assert len(stored) == sum(1 for f in first if f["tenant"] == "acme")
    assert all(f["first_detected_ns"] == END and f["detected_at_ns"] == END + 3600 * 10**9 for f in stored)
    only = planted.store.findings("acme", kind=PROMPT_REGRESSION, feature="summarize")
    assert [f["prompt_sha"] for f in only] == ["sum-v3"]
