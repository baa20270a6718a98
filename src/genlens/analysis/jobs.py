"""One small base for background jobs: ``start`` / ``stop`` / ``run_once``.

The server starts a job with its schedule; tests call :meth:`Job.run_once`
directly and never sleep.  A run that fails is logged and counted, and the
schedule goes on: one bad run must not stop later ones.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger("genlens.analysis")


class Job:
    """Runs :meth:`run_once` every ``interval_s`` seconds on one daemon thread until stopped."""

    name = "job"

    def __init__(self, interval_s: float) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
        self.interval_s = float(interval_s)
        self.runs = 0
        self.failures = 0
        self.last_result: Any = None
        self.seconds_total = 0.0  # time spent in runs, failed ones included
        self.last_duration_s = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Any:
        """One run of the job's work; subclasses implement it."""
        raise NotImplementedError

    def first_delay_s(self) -> float:
        """Seconds from start to the first run: one interval (the server is still filling its write queue).
        A job whose work must not wait for a whole interval after a restart answers less."""
        return self.interval_s

    def _loop(self) -> None:
        try:
            delay = max(0.0, self.first_delay_s())
        except Exception:  # noqa: BLE001 - a job that cannot tell when it is due runs on its plain schedule
            log.exception("%s: cannot tell when the first run is due; in one interval", self.name)
            delay = self.interval_s
        if self._stop.wait(delay):
            return
        self.tick()
        while not self._stop.wait(self.interval_s):
            self.tick()

    def tick(self) -> None:
        """One scheduled run: failures are logged and counted, never raised into the scheduler."""
        started = time.perf_counter()
        try:
            self.last_result = self.run_once()
            self.runs += 1
        except Exception:  # noqa: BLE001 - a failed run is reported; the next one still happens
            self.failures += 1
            log.exception("%s: run failed", self.name)
        finally:
            self.last_duration_s = time.perf_counter() - started
            self.seconds_total += self.last_duration_s

    def start(self) -> None:
        """Run on a thread of its own: first after :meth:`first_delay_s`, then every interval."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"genlens-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
