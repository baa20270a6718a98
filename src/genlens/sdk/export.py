"""A span processor with a bounded queue that counts every drop.

The application thread only appends a finished span to a deque (under a lock,
O(1)); a single daemon thread exports batches.  When the collector is down or
slow, the queue fills and further spans are dropped and counted: the host's
calls are never slowed by exporting.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from genlens.sdk import _safety
from genlens.sdk.forks import restart_in_children
from genlens.sdk.lightspan import LightSpan, finish_dropped, readable_or_none


class BoundedBatchSpanProcessor(SpanProcessor):
    """Batch export with a hard queue bound; ``dropped`` counts spans that did not fit."""

    def __init__(self, exporter: SpanExporter, max_queue_size: int = 2048, max_export_batch_size: int = 512,
                 schedule_delay_s: float = 1.0) -> None:
        self._exporter = exporter
        self._max_queue = max_queue_size
        self._batch = max(1, min(max_export_batch_size, max_queue_size))
        self._delay = schedule_delay_s
        self._stopping = False
        self.dropped = 0
        self.exported = 0
        self.export_failures = 0
        self._start()
        restart_in_children(self)

    def _start(self) -> None:
        """An empty queue, fresh locks and events, and the worker thread."""
        # SDK spans as they ended, and genlens's light LLM spans, made readable at export time
        self._queue: collections.deque[ReadableSpan | LightSpan] = collections.deque()
        self._lock = threading.RLock()  # a stream dropped mid-append ends its span from a finalizer
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._worker = threading.Thread(target=self._run, name="genlens-span-export", daemon=True)
        self._worker.start()

    def _restart_in_child(self) -> None:
        """In a forked child, start over: the spans the parent had queued are the parent's to export."""
        if not self._stopping:
            self._start()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if not span.context.trace_flags.sampled or self._stopping:
            return
        self._enqueue(span)

    def submit(self, span: LightSpan) -> None:
        """Queue an ended light span; one that is not exported is still finished, for its metrics."""
        if self._stopping:
            readable_or_none(span)
        elif not self._enqueue(span):
            finish_dropped(span)  # the queue is full (collector down or slow): not on the caller's time

    def _enqueue(self, span: ReadableSpan | LightSpan) -> bool:
        # No lock on this path: deque appends are atomic, so the bound can be overshot by at most
        # one span per thread appending at the same moment; only the (rare) drop count takes it.
        queue = self._queue
        if len(queue) >= self._max_queue:
            with self._lock:
                self.dropped += 1
            return False
        queue.append(span)
        if len(queue) >= self._batch:
            self._wake.set()
        return True

    def _take(self) -> list[ReadableSpan | LightSpan]:
        with self._lock:
            n = min(self._batch, len(self._queue))
            return [self._queue.popleft() for _ in range(n)]

    def _export(self, items: Sequence[ReadableSpan | LightSpan]) -> None:
        # finishing a light LLM span may start tool-call spans: they queue behind this batch
        batch = [s for s in (readable_or_none(i) if isinstance(i, LightSpan) else i for i in items) if s is not None]
        if not batch:
            return
        try:
            result = self._exporter.export(batch)
            if getattr(result, "name", "SUCCESS") == "SUCCESS":
                self.exported += len(batch)
            else:
                self.export_failures += len(batch)
        except Exception as exc:  # an exporter must not kill the worker
            self.export_failures += len(batch)
            try:
                _safety.report("span export", exc)
            except Exception:
                pass

    def _run(self) -> None:
        while True:
            self._wake.wait(self._delay)
            self._wake.clear()
            self._idle.clear()
            try:
                while True:
                    batch = self._take()
                    if not batch:
                        break
                    self._export(batch)
            finally:
                self._idle.set()
            if self._stopping:
                return

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Export what is queued; give up after ``timeout_millis`` (returns False then)."""
        deadline = time.monotonic() + timeout_millis / 1000
        while time.monotonic() < deadline:
            with self._lock:
                empty = not self._queue
            if empty and self._idle.is_set():
                return True
            self._wake.set()
            time.sleep(0.005)
        return False

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Flush within ``timeout_s`` then stop; spans still queued after that are counted as dropped."""
        self.force_flush(int(timeout_s * 1000))
        self._stopping = True
        self._wake.set()
        self._worker.join(timeout_s)
        with self._lock:
            self.dropped += len(self._queue)
            self._queue.clear()
        try:
            self._exporter.shutdown()
        except Exception as exc:
            _safety.report("span exporter shutdown", exc)


class InlineSpanProcessor(SimpleSpanProcessor):
    """Export each span as it ends, on the caller's thread (``init(batch=False)``: tests, scripts)."""

    def submit(self, span: LightSpan) -> None:
        readable = span.readable()  # on the caller's thread here: strict mode's errors reach the caller
        if readable is not None:
            self.on_end(readable)


class ScopeFilterSpanProcessor(SpanProcessor):
    """Drops spans of the given instrumentation scopes before they reach ``inner``.

    Used to keep a provider SDK's own spans (the anthropic SDK traces its calls
    itself) from doubling genlens's LLM spans and their token counts.
    """

    def __init__(self, inner: SpanProcessor, drop_scopes: frozenset[str]) -> None:
        self.inner = inner
        self.drop_scopes = drop_scopes
        self.filtered = 0

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.inner.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        scope = span.instrumentation_scope
        if scope is not None and scope.name in self.drop_scopes:
            self.filtered += 1
            return
        self.inner.on_end(span)

    def submit(self, span: LightSpan) -> None:
        self.inner.submit(span)  # type: ignore[attr-defined]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        if isinstance(self.inner, BoundedBatchSpanProcessor):
            self.inner.shutdown(timeout_s)
        else:
            self.inner.shutdown()
