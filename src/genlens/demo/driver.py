"""The traffic driver: runs the demo application in worker threads, live or over a virtual week.

Both modes share one loop shape: take the next request time, switch the
scenario's simulator faults when that time crosses the incident window
(draining in-flight requests first in backfill, so the boundary is exact),
submit the request to a bounded pool, and report progress.  Requests that
would exceed the pool are skipped and counted, never queued without bound.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import httpx

from genlens.demo.app import DemoApp, Request
from genlens.demo.scenarios import Effects, Planted
from genlens.demo.timeshift import virtual_time
from genlens.demo.traffic import NS, Traffic

# Always-on background faults, so even a calm demo has some errors and retries to look at.
BASELINE_FAULTS: dict[str, dict[str, Any]] = {
    "gpt-4.1-nano": {"invalid_json_rate": 0.08},
    "gpt-4o": {"error_rates": {"429": 0.02}, "retry_after_s": 0.2},
}


@dataclass
class Stats:
    requests: int = 0
    ok: int = 0
    errors: int = 0
    skipped: int = 0
    error_types: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finished(self, exc: BaseException | None) -> None:
        with self.lock:
            if exc is None:
                self.ok += 1
            else:
                self.errors += 1
                self.error_types[type(exc).__name__] += 1


class Faults:
    """The simulator's fault table through its admin API: baseline plus the active scenario's faults."""

    def __init__(self, sim_url: str) -> None:
        self.client = httpx.Client(base_url=sim_url, timeout=10)
        self.current: dict[str, dict[str, Any]] = {}

    def apply(self, scenario_faults: dict[str, dict[str, Any]]) -> None:
        wanted = {m: dict(spec) for m, spec in BASELINE_FAULTS.items()}
        for model, spec in scenario_faults.items():
            wanted[model] = {**wanted.get(model, {}), **spec}
        if wanted == self.current:
            return
        for model in set(self.current) - set(wanted):
            self.client.delete(f"/admin/faults/{model}").raise_for_status()
        for model, spec in wanted.items():
            if self.current.get(model) != spec:
                self.client.put(f"/admin/faults/{model}", json=spec).raise_for_status()
        self.current = wanted

    def set_latency_scale(self, scale: float) -> None:
        self.client.put("/admin/latency_scale", json={"latency_scale": scale}).raise_for_status()

    def close(self) -> None:
        self.client.close()


class Driver:
    def __init__(self, app: DemoApp, traffic: Traffic, faults: Faults, planted: Planted | None, workers: int,
                 stop: threading.Event) -> None:
        self.app, self.traffic, self.faults, self.planted = app, traffic, faults, planted
        self.stats = Stats()
        self.stop = stop
        self.workers = workers
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="demo-request")
        self.in_flight: set[Future[None]] = set()
        self._runaway_job: Future[None] | None = None
        self._runaway_conv = traffic.runaway(planted.conversation_id) if planted and planted.conversation_id else None
        self._faults_key: Any = None
        self.traffic_done: deque[tuple[Any, int]] = deque()  # (conversation, t) from workers, for the loop thread

    # -- one request ---------------------------------------------------------------
    def _job(self, req: Request, t_ns: int, shifted: bool) -> None:
        fx = self.planted.effects_at(t_ns) if self.planted else Effects()
        exc: BaseException | None = None
        try:
            with virtual_time(t_ns - time.time_ns() if shifted else 0):
                self.app.handle(req, fx)
        except Exception as error:  # noqa: BLE001 - a failed request is data for the demo, not a crash
            exc = error
        finally:
            self.stats.finished(exc)
            if req.conversation is not None:
                self.traffic_done.append((req.conversation, t_ns))

    def submit(self, t_ns: int, *, shifted: bool, runaway: bool = False) -> bool:
        """Start one request at (virtual) time t; False when the pool is full and it was skipped."""
        self._reap()
        if len(self.in_flight) >= self.workers:
            self.stats.skipped += 1
            return False
        if runaway and self._runaway_conv is not None:
            if self._runaway_job is not None:
                self._runaway_job.result()  # turns of one conversation never overlap
            conv = self._runaway_conv
            req = Request("support-chat", conv.tenant, conv.user, seed=t_ns & 0xFFFFFFFF, conversation=conv,
                          variant=conv.variant)
        else:
            req = self.traffic.request(t_ns)
        self.stats.requests += 1
        future = self.pool.submit(self._job, req, t_ns, shifted)
        self.in_flight.add(future)
        if runaway:
            self._runaway_job = future
        return True

    def _reap(self) -> None:
        self.in_flight = {f for f in self.in_flight if not f.done()}
        while self.traffic_done:
            conv, t_ns = self.traffic_done.popleft()
            self.traffic.done(conv, t_ns)

    def drain(self, timeout_s: float = 120.0) -> None:
        wait(self.in_flight, timeout=timeout_s)
        self._reap()

    def sync_faults(self, t_ns: int, *, exact: bool) -> None:
        """Apply the scenario's faults for time t (draining first when the table changes and exact)."""
        wanted = self.planted.faults_at(t_ns) if self.planted else {}
        key = repr(sorted(wanted.items()))
        if key == self._faults_key:
            return
        if exact:
            self.drain()
        self.faults.apply(wanted)
        self._faults_key = key

    # -- the two loops ----------------------------------------------------------------
    def run_backfill(self, times: list[tuple[int, bool]], progress: Callable[[int, int, int], None]) -> None:
        """Run requests at the given (virtual time, is runaway turn) moments, in time order."""
        for i, (t_ns, runaway) in enumerate(times):
            if self.stop.is_set():
                break
            self.sync_faults(t_ns, exact=True)
            while not self.submit(t_ns, shifted=True, runaway=runaway):
                self.stats.skipped -= 1  # backfill waits instead of skipping
                wait(self.in_flight, timeout=1.0, return_when="FIRST_COMPLETED")
                if self.stop.is_set():
                    return
            progress(i + 1, len(times), t_ns)
        self.drain()
        self.sync_faults(time.time_ns() + 365 * 86400 * NS, exact=True)  # back to baseline

    def run_live(self, rate: float, deadline: float | None, runaway_times: list[int],
                 tick: Callable[[], None], tick_every_s: float, rng_random: Callable[[], float]) -> None:
        """Poisson arrivals at ``rate`` per second until the deadline (monotonic) or stop."""
        import math

        next_arrival = time.monotonic()
        next_tick = time.monotonic() + tick_every_s
        pending_runaway = sorted(runaway_times)
        while not self.stop.is_set():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            wall = time.time_ns()
            self.sync_faults(wall, exact=False)
            while pending_runaway and pending_runaway[0] <= wall:
                pending_runaway.pop(0)
                self.submit(wall, shifted=False, runaway=True)
            if now >= next_arrival:
                self.submit(wall, shifted=False)
                next_arrival += -math.log(1.0 - rng_random()) / rate
                if next_arrival < now - 1.0:  # fell behind (slow machine): do not burst to catch up
                    next_arrival = now
            if now >= next_tick:
                tick()
                next_tick = now + tick_every_s
            wake = min(next_arrival, next_tick, deadline if deadline is not None else next_tick)
            self.stop.wait(max(0.0, min(0.25, wake - time.monotonic())))
        self.sync_faults(time.time_ns() + 365 * 86400 * NS, exact=False)

    def close(self, timeout_s: float = 60.0) -> None:
        self.drain(timeout_s)
        self.pool.shutdown(wait=False, cancel_futures=True)
