"""The ingest pipeline, composed in one place.

``receive → decode → normalize → enrich (cost) → write``.  Every transport
(OTLP/HTTP, gRPC, file import) calls :class:`Ingestor`; it decodes a whole request
once, runs the stages as plain functions over the batch, and hands the result to
the single writer.  ``prepare_*`` is pure CPU work (no I/O), so receivers may run
it in a worker thread; :meth:`Ingestor.submit` queues the batch and returns a
future that completes only after the commit.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from genlens.errors import Overloaded
from genlens.pipeline import fastdecode
from genlens.pipeline.decode import (
    PROTOBUF,
    Rejections,
    ValueDecoder,
    decode_logs,
    decode_spans,
    parse_request,
)
from genlens.pipeline.decode_metrics import decode_metrics
from genlens.pipeline.scores import feedback_row, is_feedback
from genlens.semconv import attrs as A
from genlens.semconv.model import ContentRecord, RawLog, RawSpan
from genlens.semconv.normalize import content_from_logs, normalize_span
from genlens.settings import Settings
from genlens.store.base import Committed, WriteBatch
from genlens.store.columnar import to_columnar
from genlens.store.writer import Writer

log = logging.getLogger("genlens.ingest")

PREPARE_THREADS = 2

RowStage = Callable[[list[dict[str, Any]]], None]


@dataclass(slots=True)
class Prepared:
    """A decoded, normalized batch ready for the writer, plus what was refused."""

    batch: WriteBatch
    accepted: int
    rejected: Rejections = field(default_factory=Rejections)
    spans: int = 0


def _content_row(record: ContentRecord, tenant: str, time_ns: int) -> dict[str, Any]:
    return {
        "tenant": tenant, "trace_id": record.trace_id, "span_id": record.span_id, "time_ns": time_ns,
        "kind": record.kind, "source": record.source, "data": record.data,
    }


def spans_to_batch(
    spans: list[RawSpan], default_tenant: str, row_stages: tuple[RowStage, ...], rejected: Rejections
) -> WriteBatch:
    """normalize → row stages (pricing …) for a list of raw spans."""
    batch = WriteBatch()
    rows = batch.spans
    content = batch.content
    for raw in spans:
        try:
            row, records = normalize_span(raw, default_tenant=default_tenant)
        except Exception as exc:  # noqa: BLE001 - one bad span must not sink its batch
            log.exception("normalizer failed on span %s", raw.span_id)
            rejected.add(f"span {raw.name[:60]!r}: could not be normalized ({type(exc).__name__})")
            continue
        rows.append(row)
        if is_feedback(raw):
            batch.scores.append(feedback_row(raw, row["tenant"]))
        if records:
            row["content_sampled"] = True
            for record in records:
                content.append(_content_row(record, row["tenant"], raw.start_ns))
    for stage in row_stages:
        stage(rows)
    return batch


def _log_tenant(raw: RawLog, default_tenant: str) -> str:
    for source in (raw.attributes, raw.resource):
        value = source.get(A.APP_TENANT_ID) or source.get(A.TENANT_ID)
        if value:
            return str(value)
    return default_tenant


def logs_to_batch(logs: list[RawLog], default_tenant: str) -> WriteBatch:
    """GenAI content events become span content; every other record goes to the logs table."""
    batch = WriteBatch()
    content_logs = [r for r in logs if r.span_id and r.event_name.startswith("gen_ai.")]
    if content_logs:
        tenants = {(r.trace_id, r.span_id): _log_tenant(r, default_tenant) for r in content_logs}
        times = {(r.trace_id, r.span_id): r.time_ns for r in content_logs}
        for record in content_from_logs(content_logs):
            key = (record.trace_id, record.span_id)
            batch.content.append(_content_row(record, tenants.get(key, default_tenant), times.get(key, 0)))
    for raw in logs:
        if raw.span_id and raw.event_name.startswith("gen_ai."):
            continue
        batch.logs.append({
            "tenant": _log_tenant(raw, default_tenant), "time_ns": raw.time_ns, "trace_id": raw.trace_id,
            "span_id": raw.span_id, "service_name": raw.resource.get(A.SERVICE_NAME),
            "severity_text": raw.severity_text, "event_name": raw.event_name or None, "body": raw.body,
            "attributes": raw.attributes, "resource_attributes": raw.resource,
        })
    return batch


def default_row_stages(settings: Settings) -> tuple[RowStage, ...]:
    """Enrichment stages over canonical rows, in order (pricing today)."""
    from genlens.pricing import PriceBook, apply_costs

    book = PriceBook.load(settings.prices)

    def price(rows: list[dict[str, Any]]) -> None:
        apply_costs(rows, book)

    return (price,)


class Stages:
    """The CPU half of ingest — decode → normalize → enrich → columnar — for one request body.

    Pure work with no I/O, so it runs equally in a worker process (the default:
    the GIL then never makes it wait for the writer) or in a thread.
    """

    def __init__(self, settings: Settings, row_stages: tuple[RowStage, ...] | None = None) -> None:
        self.default_tenant = settings.default_tenant
        self.values = ValueDecoder(settings.max_attribute_chars)
        self.row_stages = default_row_stages(settings) if row_stages is None else row_stages

    def traces(self, body: bytes, media: str = PROTOBUF) -> Prepared:
        if media == PROTOBUF:
            spans, rejected = fastdecode.decode_trace_bytes(body, self.values.max_chars)
        else:
            spans, rejected = decode_spans(parse_request(body, media, ExportTraceServiceRequest), self.values)
        batch = spans_to_batch(spans, self.default_tenant, self.row_stages, rejected)
        accepted = len(batch.spans)
        return Prepared(to_columnar(batch), accepted, rejected, spans=accepted)

    def logs(self, body: bytes, media: str = PROTOBUF) -> Prepared:
        logs, rejected = decode_logs(parse_request(body, media, ExportLogsServiceRequest), self.values)
        return Prepared(to_columnar(logs_to_batch(logs, self.default_tenant)), len(logs), rejected)

    def metrics(self, body: bytes, media: str = PROTOBUF) -> Prepared:
        request = parse_request(body, media, ExportMetricsServiceRequest)
        rows, rejected = decode_metrics(request, self.values, self.default_tenant)
        return Prepared(to_columnar(WriteBatch(metrics=rows)), len(rows), rejected)


_worker_stages: Stages | None = None


def _init_worker(settings: Settings, parent_pid: int) -> None:
    global _worker_stages
    _worker_stages = Stages(settings)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="genlens-parent-watch", daemon=True).start()


def _exit_with_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """End this worker once the server process is gone.

    A worker's end of its call queue holds the writing side of the pipe too, so
    it never sees EOF when the server dies without shutting the pool down (a
    SIGKILL, an OOM kill): without this, it would wait forever.
    """
    while True:
        time.sleep(interval_s)
        if os.getppid() != parent_pid:
            os._exit(0)


def _run_in_worker(kind: str, body: bytes, media: str) -> Prepared:
    assert _worker_stages is not None, "worker not initialised"
    return getattr(_worker_stages, kind)(body, media)  # type: ignore[no-any-return]


class Ingestor:
    """Runs the stages for each export (in worker processes or threads), then hands the result to the writer.

    With ``workers > 0`` the stages run in that many spawned processes, so
    decoding and normalizing use a core of their own while the server process
    receives requests and the single writer inserts; a worker that dies is
    replaced and the export in flight answered 503, never acknowledged.
    ``workers == 0`` runs them on threads in this process (used by tests of the
    stages and by tools that ingest in-process).
    """

    KINDS = ("traces", "logs", "metrics")

    def __init__(self, settings: Settings, writer: Writer, *, workers: int = 0,
                 row_stages: tuple[RowStage, ...] | None = None) -> None:
        self.settings = settings
        self.writer = writer
        self.workers = workers
        self.spans_accepted = 0
        self.worker_restarts = 0
        self._local: Stages | None = None
        self._lock = threading.Lock()
        self.pool: Executor = self._new_pool(row_stages)

    def _new_pool(self, row_stages: tuple[RowStage, ...] | None = None) -> Executor:
        if self.workers <= 0:
            self._local = Stages(self.settings, row_stages)
            return ThreadPoolExecutor(max_workers=PREPARE_THREADS, thread_name_prefix="genlens-ingest")
        default_row_stages(self.settings)  # a bad price file fails here, with its own message, not in a worker
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(self.settings, os.getpid()))
        pool.submit(int).result()  # start the workers now, so the first export does not wait for imports
        return pool

    def prepare_async(self, kind: str, body: bytes, media: str = PROTOBUF) -> Future[Prepared]:
        """Run the stages of one export of ``kind`` (traces, logs, metrics) off the caller's thread."""
        if kind not in self.KINDS:
            raise ValueError(kind)
        pool = self.pool
        try:
            if self._local is not None:
                return pool.submit(getattr(self._local, kind), body, media)
            return pool.submit(_run_in_worker, kind, body, media)
        except BrokenProcessPool:
            self._replace(pool)
            raise Overloaded("ingest worker restarted; retry") from None

    def prepare(self, kind: str, body: bytes, media: str = PROTOBUF) -> Prepared:
        """Blocking form of :meth:`prepare_async` (gRPC handlers, tools)."""
        return self.result(self.prepare_async(kind, body, media))

    def result(self, future: Future[Prepared]) -> Prepared:
        try:
            return future.result()
        except BrokenProcessPool:
            raise self.worker_died() from None

    def worker_died(self) -> Overloaded:
        """Replace a broken worker pool; returns the error to answer the export with."""
        self._replace(self.pool)
        return Overloaded("ingest worker died; retry")

    def _replace(self, broken: Executor) -> None:
        with self._lock:
            if self.pool is broken:
                log.error("ingest worker process died; starting a new one")
                self.worker_restarts += 1
                broken.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new_pool()

    def submit(self, prepared: Prepared) -> Future[Committed]:
        """Queue for commit; raises Overloaded when the write queue is full."""
        future = self.writer.submit(prepared.batch)
        self.spans_accepted += prepared.spans
        return future

    def close(self) -> None:
        self.pool.shutdown(wait=True)
