"""The compaction job folds the derived tables' partial rows through the single writer, answers unchanged."""

from __future__ import annotations

from pathlib import Path

from bench.workload import batches
from genlens.server.maintenance import RECENT_NS, CompactionJob
from genlens.server.runtime import build
from genlens.settings import resolve


def test_the_server_composes_the_compaction_job_and_it_folds_through_the_writer(tmp_path: Path) -> None:
    parts = build(resolve({"data": str(tmp_path), "ingest_workers": 0}))
    try:
        jobs = [j for j in parts.jobs if isinstance(j, CompactionJob)]
        assert len(jobs) == 1 and jobs[0].interval_s == 60.0
        for body in batches(6, batch_size=64, seed=3, spread_ns=RECENT_NS // 2):
            parts.ingestor.submit(parts.ingestor.prepare("traces", body)).result()
        before = parts.store.counts()
        traces_before = parts.store._query("SELECT count(DISTINCT (tenant, trace_id)) AS n FROM trace_summaries", [])
        removed = jobs[0].run_once()
        after = parts.store.counts()
        assert removed["trace_summaries"] > 0, "batches cut through traces, so some traces had two partial rows"
        for table, n in removed.items():
            assert after[table] == before[table] - n
        assert parts.store._query("SELECT count(*) AS n FROM trace_summaries", []) == traces_before
        assert after["spans"] == before["spans"]
    finally:
        parts.close()


def test_an_interval_of_zero_turns_the_job_off(tmp_path: Path) -> None:
    parts = build(resolve({"data": str(tmp_path), "ingest_workers": 0, "summary_compact_interval_s": 0}))
    try:
        assert not [j for j in parts.jobs if isinstance(j, CompactionJob)]
    finally:
        parts.close()
