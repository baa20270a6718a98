"""The single writer: one thread owns every write to the store, and observers see what it committed.

Exports hand a :class:`WriteBatch` to :meth:`Writer.submit` and get a future that
resolves once the batch is committed — only then may the receiver acknowledge.
The queue is bounded by item count; when it is full :meth:`submit` raises
:class:`Overloaded` at once (the receiver answers 503 with Retry-After) instead of
blocking or dropping.  Queued batches are coalesced into one transaction, which is
what makes many small exports cheap.

Everything else that changes the store — findings, rebuilds of derived tables,
retention purges, erasure — runs on the same thread through :meth:`Writer.run`,
so there is one write path with one durability contract.

**Observers after commit.**  Each committed span batch is offered, once, to every
observer (a plain callable taking a :class:`CommittedBatch`), on an observer
thread of its own in this process, strictly after the commit returned.  What is
guaranteed:

* an observer never sees a row that was not committed (it is called after COMMIT);
* within one process lifetime it sees every committed batch exactly once, in
  commit order (the hand-over queue is bounded; a full queue makes the writer
  wait, it never drops);
* nothing is replayed after a restart: a batch committed just before a crash may
  never have been observed, and none is observed twice.  Observers that keep
  state (metric counters) therefore start from zero after a restart — Prometheus
  treats that as a counter reset — and never double count.

An observer that raises is logged and counted (``observer_errors``); the others
and the writer go on.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from genlens.errors import Overloaded, StoreError
from genlens.store import columnar
from genlens.store.base import BatchSink, Committed, WriteBatch

log = logging.getLogger("genlens.writer")

T = TypeVar("T")
OBSERVER_QUEUE_BATCHES = 64
# Upper bounds (seconds) of the commit-latency histogram the writer keeps for /metrics.
COMMIT_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class CommittedBatch:
    """One committed transaction as observers see it: Arrow tables by table name, and stored findings."""

    sequence: int
    tables: dict[str, Any]  # table name → pyarrow.Table of the rows committed
    findings: list[dict[str, Any]] = field(default_factory=list)
    committed_at_ns: int = 0

    def rows(self, table: str) -> int:
        arrow = self.tables.get(table)
        return 0 if arrow is None else int(arrow.num_rows)


Observer = Callable[[CommittedBatch], None]


@dataclass
class _Task:
    """A function to run on the writer thread (deletes, rebuilds), with the future of its result."""

    fn: Callable[[Any], Any]
    future: Future[Any]
    what: str


class Writer:
    def __init__(self, store: BatchSink, *, max_queued: int, max_batch: int, retry_after_s: float = 1.0,
                 observers: Sequence[Observer] = ()) -> None:
        self._store = store
        self._max_queued = max_queued
        self._max_batch = max_batch
        self._retry_after_s = retry_after_s
        self._queue: deque[tuple[WriteBatch, Future[Committed]] | _Task] = deque()
        self._queued_items = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._observers = tuple(observers)
        self._observed: deque[CommittedBatch] = deque()
        self._observed_cond = threading.Condition()
        self._observer_stop = False
        self._sequence = 0
        self.committed_items = 0
        self.commits = 0
        self.refused_batches = 0
        self.failed_batches = 0
        self.observer_errors = 0
        self.observed_batches = 0
        self.last_commit_s = 0.0
        self.commit_buckets = [0] * (len(COMMIT_BUCKETS) + 1)  # per bucket, not cumulative; the last is +Inf
        self.commit_seconds_total = 0.0
        self._observer_thread: threading.Thread | None = None
        if self._observers:
            self._observer_thread = threading.Thread(target=self._observe_loop, name="genlens-observers",
                                                     daemon=True)
            self._observer_thread.start()
        self._thread = threading.Thread(target=self._run, name="genlens-writer", daemon=True)
        self._thread.start()

    @property
    def queued_items(self) -> int:
        return self._queued_items

    def submit(self, batch: WriteBatch) -> Future[Committed]:
        """Queue a batch; the future completes after commit (or fails with StoreError)."""
        future: Future[Committed] = Future()
        size = len(batch)
        if size == 0:
            future.set_result(Committed())
            return future
        with self._cond:
            if self._stopping:
                raise Overloaded("server is shutting down", self._retry_after_s)
            if self._queued_items and self._queued_items + size > self._max_queued:
                self.refused_batches += 1
                raise Overloaded(
                    f"write queue full ({self._queued_items} items waiting); retry later", self._retry_after_s
                )
            self._queue.append((batch, future))
            self._queued_items += size
            self._cond.notify()
        return future

    def run(self, fn: Callable[[Any], T], what: str = "maintenance") -> Future[T]:
        """Run ``fn(store)`` on the writer thread, in order with the batches queued before it.

        For writes that are not a batch of rows: deletes of retention and erasure,
        rebuilds of summary tables.  Never refused for a full queue (they are few
        and an operator is waiting); refused only while shutting down.
        """
        future: Future[T] = Future()
        with self._cond:
            if self._stopping:
                raise Overloaded("server is shutting down", self._retry_after_s)
            self._queue.append(_Task(fn, future, what))
            self._cond.notify()
        return future

    def _take(self) -> tuple[WriteBatch, list[Future[Committed]]] | _Task | None:
        with self._cond:
            while not self._queue and not self._stopping:
                self._cond.wait()
            if not self._queue:
                return None
            head = self._queue[0]
            if isinstance(head, _Task):
                self._queue.popleft()
                return head
            merged = WriteBatch()
            futures: list[Future[Committed]] = []
            while self._queue:
                item = self._queue[0]
                if isinstance(item, _Task) or (futures and len(merged) + len(item[0]) > self._max_batch):
                    break
                self._queue.popleft()
                merged.extend(item[0])
                futures.append(item[1])
            return merged, futures

    def _run(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                self._stop_observers()
                return
            if isinstance(taken, _Task):
                self._run_task(taken)
                continue
            merged, futures = taken
            size = len(merged)
            started = time.perf_counter()
            try:
                committed = self._store.write(merged)
            except Exception as exc:  # noqa: BLE001 - any failure must reach the waiting exporters
                self.failed_batches += len(futures)
                log.error("write of %d items failed: %s", size, exc)
                error = exc if isinstance(exc, StoreError) else StoreError(f"write failed: {exc}")
                for future in futures:
                    future.set_exception(error)
            else:
                self.last_commit_s = elapsed = time.perf_counter() - started
                self.commit_buckets[bisect.bisect_left(COMMIT_BUCKETS, elapsed)] += 1
                self.commit_seconds_total += elapsed
                self.committed_items += size
                self.commits += 1
                for future in futures:
                    future.set_result(committed)
                self._hand_to_observers(merged, committed)
            finally:
                with self._cond:
                    self._queued_items -= size

    def _run_task(self, task: _Task) -> None:
        try:
            result = task.fn(self._store)
        except Exception as exc:  # noqa: BLE001 - the caller gets the error, the writer goes on
            log.error("%s failed: %s", task.what, exc)
            task.future.set_exception(exc if isinstance(exc, StoreError) else StoreError(f"{task.what} failed: {exc}"))
        else:
            task.future.set_result(result)

    # -- observers -----------------------------------------------------------
    def _hand_to_observers(self, merged: WriteBatch, committed: Committed) -> None:
        if not self._observers:
            return
        self._sequence += 1
        event = CommittedBatch(self._sequence, {t.name: arrow for t, arrow in columnar.tables_of(merged)},
                               committed.findings, time.time_ns())
        with self._observed_cond:
            while len(self._observed) >= OBSERVER_QUEUE_BATCHES and not self._observer_stop:
                self._observed_cond.wait(0.5)  # backpressure: the writer waits, nothing is dropped
            self._observed.append(event)
            self._observed_cond.notify_all()

    def _observe_loop(self) -> None:
        while True:
            with self._observed_cond:
                while not self._observed and not self._observer_stop:
                    self._observed_cond.wait()
                if not self._observed:
                    return
                event = self._observed.popleft()
                self._observed_cond.notify_all()
            for observer in self._observers:
                try:
                    observer(event)
                except Exception:  # noqa: BLE001 - one broken observer must not stop the others
                    self.observer_errors += 1
                    log.exception("observer %r failed on batch %d", observer, event.sequence)
            self.observed_batches += 1

    def _stop_observers(self) -> None:
        with self._observed_cond:
            self._observer_stop = True
            self._observed_cond.notify_all()

    def close(self, timeout: float = 30.0) -> None:
        """Finish every queued batch and task, let observers see them, then stop both threads."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._observer_thread is not None:
            self._observer_thread.join(timeout)
