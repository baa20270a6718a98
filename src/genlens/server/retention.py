"""The purge job: every ``retention.interval``, delete what each tier keeps no longer (genlens.store.retention)."""

from __future__ import annotations

import time
from collections.abc import Callable

from genlens.analysis.jobs import Job
from genlens.settings import RetentionSettings
from genlens.store.base import AuditReader
from genlens.store.retention import last_purge, run_purge
from genlens.store.writer import Writer


class RetentionJob(Job):
    """Purge through the writer, one table per transaction.  The schedule outlives restarts: the first run
    comes one interval after the last purge in the audit log (at once when that is overdue), so a server
    restarted more often than the interval still purges."""

    name = "retention"

    def __init__(self, store: AuditReader, writer: Writer, settings: RetentionSettings,
                 clock: Callable[[], int] = time.time_ns) -> None:
        super().__init__(settings.interval_s)
        self.store = store
        self.writer = writer
        self.days = settings.days
        self.clock = clock

    def first_delay_s(self) -> float:
        last = last_purge(self.store)
        if last is None:  # never purged: the first interval of a new install passes first
            return self.interval_s
        due_in = (int(last["run_ns"]) - self.clock()) / 1e9 + self.interval_s
        return min(max(due_in, 0.0), self.interval_s)

    def run_once(self) -> dict[str, dict[str, int]]:
        return run_purge(self.writer, self.days, self.clock())
