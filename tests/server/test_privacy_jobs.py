"""The server composes the erasure and purge jobs; the erasure job resumes a pending request at once, the
purge job purges through the writer and keeps its schedule across restarts (from the audit log)."""

from __future__ import annotations

from pathlib import Path

from genlens.server.erasure import ErasureJob
from genlens.server.retention import RetentionJob
from genlens.server.runtime import build
from genlens.settings import resolve
from genlens.store.erasure import DONE, Selector, new_request
from genlens.store.retention import PURGES
from genlens.timeparse import NS_PER_DAY, NS_PER_HOUR
from tests.store.privacy_data import ALICE, expected, workload


def test_the_jobs_resume_erasures_and_purge_on_their_schedule(tmp_path: Path) -> None:
    w = workload()
    parts = build(resolve({"data": str(tmp_path), "ingest_workers": 0}, environ={}))
    try:
        erasure = next(j for j in parts.jobs if isinstance(j, ErasureJob))
        retention = next(j for j in parts.jobs if isinstance(j, RetentionJob))
        assert erasure.first_delay_s() == 0 and retention.interval_s == 3600
        for batch in w.batches():
            parts.writer.submit(batch).result()
        request = new_request(Selector("user_id", ALICE), "test", "test", 1)
        parts.writer.run(lambda s: s.record_erasure(request)).result()
        (receipt,) = erasure.run_once()
        assert receipt["tables"]["spans"]["deleted"] == expected(w, "user_id", ALICE, "*")["spans"]
        stored = parts.store.erasure_request(request["id"])
        assert stored is not None and stored["status"] == DONE and erasure.run_once() == []

        assert retention.first_delay_s() == 3600  # never purged: a new install waits one interval
        now = max(s["start_ns"] for s in w.spans) + 91 * NS_PER_DAY  # every span is past the skeleton tier
        retention.clock = lambda: now
        spans = parts.store.counts()["spans"]
        done = retention.run_once()
        assert spans == len(w.spans) - receipt["tables"]["spans"]["deleted"] and done["spans"]["spans"] == spans
        assert parts.store.counts()["spans"] == 0 and parts.store.counts()["cost_hourly"] > 0  # rollups: 400 days
        assert retention.first_delay_s() == 3600  # just purged
        retention.clock = lambda: now + NS_PER_HOUR // 2
        assert retention.first_delay_s() == 1800
        retention.clock = lambda: now + 5 * NS_PER_HOUR
        assert retention.first_delay_s() == 0  # overdue after a long stop: at once
        assert len(parts.store.audit_entries(0, "retention.purge", limit=100)) == len(PURGES)
    finally:
        parts.close()


def test_an_interval_of_0s_turns_purging_off_but_not_erasure(tmp_path: Path) -> None:
    parts = build(resolve({"data": str(tmp_path), "ingest_workers": 0},
                          environ={"GENLENS_RETENTION_INTERVAL": "0s"}))
    try:
        assert not [j for j in parts.jobs if isinstance(j, RetentionJob)]
        assert [j for j in parts.jobs if isinstance(j, ErasureJob)]
    finally:
        parts.close()


def test_a_job_that_cannot_tell_when_it_is_due_still_runs() -> None:
    import threading

    from genlens.analysis.jobs import Job

    ran = threading.Event()

    class Blind(Job):
        def first_delay_s(self) -> float:
            raise RuntimeError("the audit log cannot be read")

        def run_once(self) -> None:
            ran.set()

    job = Blind(0.05)
    job.start()
    try:
        assert ran.wait(5)
    finally:
        job.stop()
