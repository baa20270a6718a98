"""Spans recorded now, exported as if they happened at a chosen moment of the past week.

Backfill runs the real application against the simulator (with its latencies
scaled down) and tags each request with the virtual time it should have
happened at.  :class:`ShiftRecorder` remembers, per trace, how far that is from
the real clock (read from a context variable when the trace's first span
starts); :class:`ShiftingExporter` moves every span and event of the trace by
that amount before handing it to the real OTLP exporter, so durations and the
tree stay exactly as measured.  The recorder also sums the SDK's cost per span
for the progress line.
"""

from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from genlens.semconv import attrs

MAX_TRACES = 100_000  # offsets remembered (oldest forgotten first; a forgotten trace exports unshifted)
_offset: contextvars.ContextVar[int] = contextvars.ContextVar("genlens_demo_offset", default=0)


@contextmanager
def virtual_time(offset_ns: int) -> Iterator[None]:
    """Spans of traces started inside the block are exported ``offset_ns`` from when they ran."""
    token = _offset.set(offset_ns)
    try:
        yield
    finally:
        _offset.reset(token)


class ShiftRecorder(SpanProcessor):
    """Remembers each trace's offset; counts finished spans, errors and SDK-computed cost."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.offsets: OrderedDict[int, int] = OrderedDict()
        self.forgotten = 0
        self.spans = 0
        self.llm_errors = 0
        self.cost_usd = 0.0

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        offset = _offset.get()
        if not offset:
            return
        trace_id = span.get_span_context().trace_id
        with self._lock:
            if trace_id not in self.offsets:
                self.offsets[trace_id] = offset
                if len(self.offsets) > MAX_TRACES:
                    self.offsets.popitem(last=False)
                    self.forgotten += 1

    def on_end(self, span: ReadableSpan) -> None:
        cost = (span.attributes or {}).get(attrs.APP_COST_USD)
        with self._lock:
            self.spans += 1
            if isinstance(cost, int | float):
                self.cost_usd += float(cost)
            if not span.status.is_ok and (span.attributes or {}).get(attrs.GEN_AI_REQUEST_MODEL):
                self.llm_errors += 1

    def offset_of(self, trace_id: int) -> int:
        with self._lock:
            return self.offsets.get(trace_id, 0)


class ShiftingExporter(SpanExporter):
    """Wraps an exporter; spans of recorded traces are moved by their trace's offset."""

    def __init__(self, inner: SpanExporter, recorder: ShiftRecorder) -> None:
        self.inner = inner
        self.recorder = recorder
        self.exported = 0
        self.failed_batches = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        out = [shift(s, self.recorder.offset_of(s.context.trace_id)) if s.context else s for s in spans]
        result = self.inner.export(out)
        if result is SpanExportResult.SUCCESS:
            self.exported += len(out)
        else:
            self.failed_batches += 1
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def shift(span: ReadableSpan, offset_ns: int) -> ReadableSpan:
    """A copy of ``span`` with its start, end and event times moved by ``offset_ns``."""
    if not offset_ns or span.start_time is None:
        return span
    events = [Event(e.name, e.attributes, e.timestamp + offset_ns) for e in span.events]
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=span.attributes, events=events, links=span.links, kind=span.kind, status=span.status,
        start_time=span.start_time + offset_ns,
        end_time=span.end_time + offset_ns if span.end_time is not None else None,
        instrumentation_scope=span.instrumentation_scope,
    )
