"""The sampling job: every ``sampling.interval``, decide the traces whose content is due (genlens.privacy.sampling).

One run is one writer transaction (``Maintenance.sample_content``): decisions, the deletes they imply and the
pending rows they settle commit together, so a crash mid-run leaves the pending rows for the next run and
never a trace without a decision.  The job counts its decisions since start for ``/metrics``
(``genlens_content_traces_total{decision, reason}``); the decisions themselves are stored, so the UI and
``GET /api/v1/sampling`` count the last 24 h across restarts.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from genlens.analysis.jobs import Job
from genlens.settings import SamplingSettings
from genlens.store.base import Maintenance
from genlens.store.writer import Writer

KEPT, DROPPED = "kept", "dropped"
NOT_SAMPLED = "not_sampled"


class SamplingJob(Job):
    """Decide due traces through the writer; the first run comes at once (pending traces of before a restart)."""

    name = "sampling"

    def __init__(self, writer: Writer, settings: SamplingSettings, clock: Callable[[], int] = time.time_ns) -> None:
        super().__init__(settings.interval_s)
        self.writer = writer
        self.policy = settings.policy()
        self.wait_ns = settings.decision_wait_ns
        self.grace_ns = settings.completion_grace_ns
        self.clock = clock
        self._lock = threading.Lock()
        self.decisions: Counter[tuple[str, str]] = Counter()  # (kept|dropped, reason) → traces since start
        self.late_traces = 0

    def first_delay_s(self) -> float:
        return 0.0

    def run_once(self) -> dict[str, Any]:
        now = self.clock()

        def sample(store: Maintenance) -> dict[str, Any]:
            return store.sample_content(self.policy, now, self.wait_ns, self.grace_ns)

        done: dict[str, Any] = self.writer.run(sample, "content sampling").result()
        with self._lock:
            for reason, n in done["kept"].items():
                self.decisions[(KEPT, reason)] += n
            if done["dropped"]:
                self.decisions[(DROPPED, NOT_SAMPLED)] += done["dropped"]
            self.late_traces += done["late"]
        return done

    def counts(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return [(d, r, n) for (d, r), n in sorted(self.decisions.items())]
