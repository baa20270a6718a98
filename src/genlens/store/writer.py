"""The single writer: one thread owns every write to the store.

Exports hand a :class:`WriteBatch` to :meth:`Writer.submit` and get a future that
resolves once the batch is committed — only then may the receiver acknowledge.
The queue is bounded by item count; when it is full :meth:`submit` raises
:class:`Overloaded` at once (the receiver answers 503 with Retry-After) instead of
blocking or dropping.  Queued batches are coalesced into one transaction, which is
what makes many small exports cheap.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future

from genlens.errors import Overloaded, StoreError
from genlens.store.base import Store, WriteBatch

log = logging.getLogger("genlens.writer")


class Writer:
    def __init__(self, store: Store, *, max_queued: int, max_batch: int, retry_after_s: float = 1.0) -> None:
        self._store = store
        self._max_queued = max_queued
        self._max_batch = max_batch
        self._retry_after_s = retry_after_s
        self._queue: deque[tuple[WriteBatch, Future[None]]] = deque()
        self._queued_items = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="genlens-writer", daemon=True)
        self.committed_items = 0
        self.commits = 0
        self.refused_batches = 0
        self.failed_batches = 0
        self._thread.start()

    @property
    def queued_items(self) -> int:
        return self._queued_items

    def submit(self, batch: WriteBatch) -> Future[None]:
        """Queue a batch; the future completes after commit (or fails with StoreError)."""
        future: Future[None] = Future()
        size = len(batch)
        if size == 0:
            future.set_result(None)
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

    def _take(self) -> tuple[WriteBatch, list[Future[None]]] | None:
        with self._cond:
            while not self._queue and not self._stopping:
                self._cond.wait()
            if not self._queue:
                return None
            merged = WriteBatch()
            futures: list[Future[None]] = []
            while self._queue and (not futures or len(merged) + len(self._queue[0][0]) <= self._max_batch):
                batch, future = self._queue.popleft()
                merged.extend(batch)
                futures.append(future)
            return merged, futures

    def _run(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
            merged, futures = taken
            size = len(merged)
            try:
                self._store.write(merged)
            except Exception as exc:  # noqa: BLE001 - any failure must reach the waiting exporters
                self.failed_batches += len(futures)
                log.error("write of %d items failed: %s", size, exc)
                error = exc if isinstance(exc, StoreError) else StoreError(f"write failed: {exc}")
                for future in futures:
                    future.set_exception(error)
            else:
                self.committed_items += size
                self.commits += 1
                for future in futures:
                    future.set_result(None)
            finally:
                with self._cond:
                    self._queued_items -= size

    def close(self, timeout: float = 30.0) -> None:
        """Finish every queued batch, then stop the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
