"""Detectors on small hand-built data in a real DuckDB store, the job base, and finding de-duplication."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genlens.analysis.cost_detectors import Thresholds, detect
from genlens.analysis.cost_job import CostDetectorJob, run_detectors, thresholds_from
from genlens.analysis.findings import PROMPT_REGRESSION, RUNAWAY_CONVERSATION, SPEND_ANOMALY, TOKEN_BUDGET
from genlens.analysis.jobs import Job
from genlens.errors import StoreError
from genlens.settings import resolve
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore
from genlens.store.writer import Writer

HOUR = 3600 * 10**9
DAY = 24 * HOUR
T0 = 1_790_000_000 * 10**9 // DAY * DAY  # a UTC midnight


def call(i: int, t: int, feature: str = "f", tokens: int = 1000, cost: float | None = 0.01, tenant: str = "t1",
         conversation: str | None = None, sha: str = "s1", prompt: str | None = None) -> dict[str, Any]:
    return {"tenant": tenant, "trace_id": f"{i:032x}", "span_id": f"{i:016x}", "kind": "llm", "start_ns": t,
            "end_ns": t + 10**9, "feature": feature, "prompt_id": prompt, "prompt_sha": sha, "input_tokens": tokens,
            "output_tokens": 10, "cache_read_tokens": 0, "total_tokens": tokens + 10, "cost_usd": cost,
            "cost_source": "computed" if cost is not None else "unknown", "conversation_id": conversation}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    s = DuckDBStore(tmp_path / "genlens.duckdb")
    yield s
    s.close()


def test_token_budget_breach_per_feature_and_day(store: DuckDBStore) -> None:
    rows = [call(i, T0 + i * HOUR, feature="f" if i % 2 else "g") for i in range(48)]  # 2 days, 12 calls/feature/day
    rows += [call(100 + i, T0 + DAY + i * 60 * 10**9, feature="f", tokens=50_000) for i in range(5)]
    store.write(WriteBatch(spans=rows))
    th = Thresholds(token_budgets={"f": 100_000, "*": 10**9})
    found = detect(store, T0, T0 + 2 * DAY, th, kinds=(TOKEN_BUDGET,))
    assert [(f.feature, f.window_start_ns, f.window_end_ns) for f in found] == [("f", T0 + DAY, T0 + 2 * DAY)]
    assert found[0].observed == 12 * 1010 + 5 * 50_010 and found[0].baseline == 100_000
    assert found[0].example_trace_ids[0] in {f"{100 + i:032x}" for i in range(5)}
    assert detect(store, T0, T0 + 2 * DAY, Thresholds(), kinds=(TOKEN_BUDGET,)) == []  # no budgets, no findings


def test_runaway_by_cumulative_tokens_and_by_climbing(store: DuckDBStore) -> None:
    rows = [call(i, T0 + i * 10**9, tokens=400_000, conversation="big") for i in range(3)]  # 1.2M, not climbing
    rows += [call(10 + i, T0 + i * 10**9, tokens=100 + i, conversation="climb") for i in range(30)]
    rows += [call(50 + i, T0 + i * 10**9, tokens=100 + (i % 2), conversation="flat") for i in range(40)]
    store.write(WriteBatch(spans=rows))
    found = {f.conversation_id: f for f in detect(store, T0, T0 + DAY, Thresholds(), kinds=(RUNAWAY_CONVERSATION,))}
    assert set(found) == {"big", "climb"}
    assert found["big"].observed == 3 * 400_010 and found["big"].details["climbing"] is False
    assert found["climb"].details["climbing"] is True and found["climb"].severity == "warning"
    assert (found["climb"].window_start_ns, found["climb"].window_end_ns) == (T0, T0 + 29 * 10**9 + 10**9)


def test_hourly_spend_anomaly_against_a_robust_baseline(store: DuckDBStore) -> None:
    rows = []
    i = 0
    for h in range(8 * 24):
        for _ in range(3 + h % 2):  # 3 or 4 calls an hour: a noisy but steady series
            rows.append(call(i, T0 + h * HOUR + 60 * 10**9 * (i % 50)))
            i += 1
    spike = T0 + 8 * 24 * HOUR - 5 * HOUR
    rows += [call(10_000 + j, spike + j * 10**9, cost=0.5) for j in range(4)]
    store.write(WriteBatch(spans=rows))
    found = detect(store, T0 + 7 * DAY, T0 + 8 * DAY, Thresholds(anomaly_bucket="hour"), kinds=(SPEND_ANOMALY,))
    assert [(f.feature, f.window_start_ns, f.window_end_ns) for f in found] == [("f", spike, spike + HOUR)]
    assert found[0].unit == "usd_per_hour" and found[0].ratio is not None and found[0].ratio > 10


def test_unknown_costs_never_count_as_spend_or_regression(store: DuckDBStore) -> None:
    rows = [call(i, T0 + (i % 8) * DAY + i * 10**9, cost=0.01) for i in range(400)]
    rows += [call(1000 + i, T0 + 7 * DAY + i * 10**9, cost=None, sha="s2") for i in range(200)]
    store.write(WriteBatch(spans=rows))
    assert detect(store, T0 + 7 * DAY, T0 + 8 * DAY, Thresholds()) == []


def two_prompts(days: int, first: int = 0) -> list[dict[str, Any]]:
    """Feature "ask": a cheap router prompt (40 calls a day) and a 20x dearer answer prompt (30 a day), both steady."""
    rows = []
    for d in range(days):
        for j in range(40):
            rows.append(call(first + d * 100 + j, T0 + d * DAY + j * 60 * 10**9, feature="ask",
                             cost=0.001 * (1 + j % 3 / 10), sha="router-1", prompt="router"))
        for j in range(30):
            rows.append(call(first + d * 100 + 50 + j, T0 + d * DAY + j * 60 * 10**9, feature="ask",
                             cost=0.02 * (1 + j % 5 / 10), sha="answer-1", prompt="answer"))
    return rows


def test_a_feature_with_several_steady_prompts_is_no_regression(store: DuckDBStore) -> None:
    rows = two_prompts(8)
    store.write(WriteBatch(spans=rows))
    per_call = {p: sum(r["cost_usd"] for r in rows if r["prompt_id"] == p) / sum(r["prompt_id"] == p for r in rows)
                for p in ("router", "answer")}
    assert per_call["answer"] > 10 * per_call["router"]  # far above a baseline mixing the two prompts
    assert detect(store, T0 + DAY, T0 + 8 * DAY, Thresholds(), kinds=(PROMPT_REGRESSION,)) == []


def test_a_new_version_is_compared_with_earlier_versions_of_its_own_prompt(store: DuckDBStore) -> None:
    rows = two_prompts(8)
    day7 = T0 + 7 * DAY
    rows = [r for r in rows if not (r["prompt_id"] == "answer" and r["start_ns"] >= day7)]
    rows += [call(5000 + j, day7 + j * 60 * 10**9, feature="ask", cost=0.02 * 2.7 * (1 + j % 5 / 10),
                  sha="answer-2", prompt="answer") for j in range(25)]  # the new version ...
    rows += [call(6000 + j, day7 + j * 60 * 10**9, feature="ask", cost=0.02 * (1 + j % 5 / 10),
                  sha="answer-1", prompt="answer") for j in range(25)]  # ... rolled out to half the calls
    store.write(WriteBatch(spans=rows))
    found = detect(store, day7, day7 + DAY, Thresholds(), kinds=(PROMPT_REGRESSION,))
    old = [r["cost_usd"] for r in rows if r["prompt_sha"] == "answer-1" and T0 <= r["start_ns"] < day7]
    new = [r["cost_usd"] for r in rows if r["prompt_sha"] == "answer-2"]
    (f,) = found
    assert (f.feature, f.prompt_sha, f.details["prompt_id"]) == ("ask", "answer-2", "answer")
    assert (f.window_start_ns, f.window_end_ns) == (day7, day7 + DAY)
    assert f.observed == pytest.approx(sum(new) / len(new), rel=1e-9)
    assert f.baseline == pytest.approx(sum(old) / len(old), rel=1e-9)
    assert f.ratio == pytest.approx(2.7, rel=1e-9) and f.details["calls"] == 25
    assert set(f.example_trace_ids) <= {f"{5000 + j:032x}" for j in range(25)}


def test_shas_without_a_prompt_id_join_the_features_only_prompt(store: DuckDBStore) -> None:
    rows, i = [], 0
    for feature, before, after in [("plain", [(None, "s1")], [(None, "s2")]),  # no ids at all: one prompt
                                   ("one", [("p", "a")], [(None, "b")]),  # one id: the id-less sha is its version
                                   ("many", [("x", "x1"), ("y", "y1")], [(None, "c")])]:  # which prompt? skipped
        for d in range(8):
            for prompt, sha in before if d < 7 else before + after:
                dear = (prompt, sha) in after
                for j in range(25):
                    rows.append(call(i, T0 + d * DAY + j * 10**9, feature=feature, cost=0.03 if dear else 0.01,
                                     sha=sha, prompt=prompt))
                    i += 1
    store.write(WriteBatch(spans=rows))
    found = detect(store, T0 + 7 * DAY, T0 + 8 * DAY, Thresholds(), kinds=(PROMPT_REGRESSION,))
    assert sorted((f.feature, f.prompt_sha, str(f.details["prompt_id"])) for f in found) == [
        ("one", "b", "p"), ("plain", "s2", "None")]
    assert all(f.ratio == pytest.approx(3.0) for f in found)


def test_findings_deduplicate_and_merge_windows(store: DuckDBStore) -> None:
    rows = [call(i, T0 + i * 10**9, tokens=600_000, conversation="c") for i in range(2)]
    store.write(WriteBatch(spans=rows))
    writer = Writer(store, max_queued=10**6, max_batch=10**6)
    try:
        first = run_detectors(store, T0, T0 + DAY, Thresholds(), writer=writer, now_ns=T0 + DAY)
        writer.submit(WriteBatch(spans=[call(5, T0 + HOUR, tokens=600_000, conversation="c")])).result()
        second = run_detectors(store, T0, T0 + DAY, Thresholds(), writer=writer, now_ns=T0 + 2 * DAY)
    finally:
        writer.close()
    assert len(first) == len(second) == 1 and first[0]["id"] == second[0]["id"]
    (stored,) = store.findings("t1")
    assert stored["observed"] == 3 * 600_010 and stored["window_end_ns"] == T0 + HOUR + 10**9
    assert stored["first_detected_ns"] == T0 + DAY and stored["detected_at_ns"] == T0 + 2 * DAY
    assert store.findings("t1", kind="cache_hit_drop") == [] and store.findings("other") == []
    assert store.findings("t1", since_ns=T0 + 2 * HOUR) == []


def test_read_only_store_refuses_to_save(tmp_path: Path) -> None:
    DuckDBStore(tmp_path / "g.duckdb").close()
    ro = DuckDBStore(tmp_path / "g.duckdb", read_only=True)
    try:
        assert ro.findings("t1") == []
        with pytest.raises(StoreError, match="read-only"):
            ro.write(WriteBatch(findings=[{"id": "x"}]))
    finally:
        ro.close()


class Flaky(Job):
    name = "flaky"

    def __init__(self) -> None:
        super().__init__(3600)
        self.calls = 0

    def run_once(self) -> int:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("first run fails")
        return self.calls


def test_job_base_counts_failures_and_stops() -> None:
    job = Flaky()
    job.tick()
    job.tick()
    assert (job.runs, job.failures, job.last_result) == (1, 1, 2)
    job.start()
    job.stop(timeout_s=5)  # returns at once: the interval is an Event wait, not a sleep
    assert job._thread is None
    with pytest.raises(ValueError):
        Flaky.__bases__[0](0)


def test_cost_job_uses_settings_and_a_fixed_clock(store: DuckDBStore) -> None:
    store.write(WriteBatch(spans=[call(i, T0 + i * 10**9, tokens=300_000, conversation="c") for i in range(4)]))
    settings = resolve({"cost_runaway_tokens": "1000000", "cost_token_budgets": "f=500000",
                        "cost_detect_lookback": "2d"}, environ={})
    writer = Writer(store, max_queued=10**6, max_batch=10**6)
    job = CostDetectorJob(store, writer, settings, clock=lambda: T0 + DAY)
    try:
        stored = job.run_once()
    finally:
        writer.close()
    assert {f["kind"] for f in stored} == {RUNAWAY_CONVERSATION, TOKEN_BUDGET}
    assert job.findings_saved == 2 and thresholds_from(settings).token_budgets == {"f": 500_000}


def test_month_to_date_unknown_when_nothing_is_priced(store: DuckDBStore) -> None:
    from genlens.query.cost_views import month_to_date
    from genlens.store.queries import CostQuery

    at = T0 + 5 * DAY  # 2026-09-26: inside one month
    empty = month_to_date(store, CostQuery("t1", T0, at), at)
    assert empty["month_to_date_usd"] == 0.0 and empty["calls"] == 0
    store.write(WriteBatch(spans=[call(1, at - HOUR, cost=None)]))
    unknown = month_to_date(store, CostQuery("t1", T0, at), at)
    assert unknown["month_to_date_usd"] is None and unknown["projected_month_usd"] is None
    assert unknown["unknown_cost_calls"] == 1
