"""Background upkeep of the store, run through the single writer like every other write."""

from __future__ import annotations

import time
from collections.abc import Callable

from genlens.analysis.jobs import Job
from genlens.store.duckdb import DuckDBStore
from genlens.store.writer import Writer
from genlens.timeparse import NS_PER_HOUR

# Rows this far back are folded on every run: partial rows are written for the spans arriving now, and
# spans arrive late by minutes, rarely hours.  Older partial rows (a very late span) wait for a rebuild or
# a full compaction; they cost a fold at read time, never a wrong answer.
RECENT_NS = 6 * NS_PER_HOUR


class CompactionJob(Job):
    """Every ``summary_compact_interval_s``: fold the recent partial rows of the derived tables."""

    name = "summary-compaction"

    def __init__(self, writer: Writer, interval_s: float, clock: Callable[[], int] = time.time_ns) -> None:
        super().__init__(interval_s)
        self.writer = writer
        self.clock = clock

    def run_once(self) -> dict[str, int]:
        since = self.clock() - RECENT_NS

        def compact(store: DuckDBStore) -> dict[str, int]:
            return store.compact_summaries(since)

        return self.writer.run(compact, "summary compaction").result()
