"""The job that finishes erasure requests a crash left pending: at start, then every minute."""

from __future__ import annotations

from typing import Any

from genlens.analysis.jobs import Job
from genlens.store.base import Maintenance
from genlens.store.erasure import resume_pending
from genlens.store.writer import Writer

RESUME_INTERVAL_S = 60.0


class ErasureJob(Job):
    """Resume pending erasure requests through the writer (a request the REST route or the CLI is carrying out
    is done once more as a no-op: a done request answers its receipt)."""

    name = "erasure"

    def __init__(self, store: Maintenance, writer: Writer, interval_s: float = RESUME_INTERVAL_S) -> None:
        super().__init__(interval_s)
        self.store = store
        self.writer = writer

    def first_delay_s(self) -> float:
        return 0.0  # a request recorded before a crash must not wait a minute more

    def run_once(self) -> list[dict[str, Any]]:
        return resume_pending(self.writer, self.store)
