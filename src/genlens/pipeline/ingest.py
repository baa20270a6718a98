"""The ingest pipeline, composed in one place.

``receive → decode → normalize → stages → write``.  Every transport (OTLP/HTTP,
gRPC, file import) calls :class:`Ingestor`; it decodes a whole request once, runs
the stages over the batch, and hands the result to the single writer.
``prepare_*`` is pure CPU work (no I/O), so it runs in a worker process or a
thread; :meth:`Ingestor.submit` queues the batch and returns a future that
completes only after the commit.

**One stage shape.**  A stage is a callable ``(batch, ctx) -> batch`` over a
:class:`~genlens.store.base.WriteBatch` — the canonical span rows *and* their
content rows (plus scores and logs) of one export — and a :class:`StageContext`
saying what the export is.  It may edit rows in place or return another batch.
The built-in stages (pricing, per-call budgets, redaction, sampling) come first,
then the custom ones named by the ``stages`` setting (``module:callable``), and
last the encryption of content when a content key is set, in
:func:`compose_stages`.  Worker processes get the *specs* and the price book and
compose the same tuple themselves, so ``ingest_workers`` 0 and N run identical
stages.

**A stage that raises** fails its export, closed: nothing of the export is
queued (no half-staged rows are stored and nothing is acknowledged), the
receiver answers with :class:`StageError` (HTTP 500 / gRPC INVALID_ARGUMENT,
naming the stage), the failure is logged and counted in
:attr:`Ingestor.stage_errors`, and the server goes on.  Storing the batch without
the stage instead would defeat stages that must not be skipped (redaction).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from genlens.errors import BadRequest, GenlensError, Overloaded, PayloadTooLarge, StoreError
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
from genlens.settings import Settings, load_callable
from genlens.store.base import Committed, WriteBatch
from genlens.store.columnar import to_columnar
from genlens.store.writer import Writer

if TYPE_CHECKING:
    from genlens.pricing import PriceBook

log = logging.getLogger("genlens.ingest")

PREPARE_THREADS = 2



def outcome_of(error: BaseException | None) -> str:
    """The name an export's outcome is counted under (``genlens_exports_total{outcome}``)."""
    if error is None:
        return "accepted"
    for kind, name in ((PayloadTooLarge, "too_large"), (BadRequest, "bad_request"), (Overloaded, "overloaded"),
                       (StoreError, "storage_error"), (StageError, "stage_error")):
        if isinstance(error, kind):
            return name
    return "error"


@dataclass(frozen=True, slots=True)
class StageContext:
    """What a stage is told about the batch it is given."""

    signal: str  # the OTLP signal of the export the batch came from: "traces" or "logs" (a span's kind is a column)
    default_tenant: str


Stage = Callable[[WriteBatch, StageContext], WriteBatch]


class StageError(GenlensError):
    """A stage raised (or returned something other than a batch); the export is refused, nothing of it stored."""

    status_code = 500


@dataclass(slots=True)
class Prepared:
    """A decoded, normalized batch ready for the writer, plus what was refused."""

    batch: WriteBatch
    accepted: int
    rejected: Rejections = field(default_factory=Rejections)
    spans: int = 0
    content_seen: int = 0  # spans that arrived with content, before the stages (which may drop it)
    notes: dict[str, int] = field(default_factory=dict)  # what the stages counted (WriteBatch.notes)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent an export, as far as tenants go: the API key's (genlens.server.auth), picklable for workers.

    ``tenant`` is given to items that name none; with ``allowed`` set, items of any other tenant are refused
    one by one (OTLP partial success, kind ``tenant``), so a key of tenant A never writes into tenant B.
    """

    tenant: str
    allowed: frozenset[str] | None = None


def confine(batch: WriteBatch, allowed: frozenset[str], rejected: Rejections) -> WriteBatch:
    """Drop the rows of ``batch`` outside ``allowed``, refusing each span, log record and metric point."""
    for name in ("spans", "logs", "metrics"):
        rows = getattr(batch, name)
        kept = []
        for row in rows:
            if row.get("tenant") in allowed:
                kept.append(row)
                continue
            what = f"span {row.get('span_id')}" if name == "spans" else name.rstrip("s") + " item"
            rejected.add(f"{what}: tenant {str(row.get('tenant'))[:60]!r} is not one of this key's tenants", "tenant")
        rows[:] = kept
    for name in ("content", "scores"):
        rows = getattr(batch, name)
        rows[:] = [r for r in rows if r.get("tenant") in allowed]
    return batch


def _content_row(record: ContentRecord, tenant: str, time_ns: int) -> dict[str, Any]:
    return {
        "tenant": tenant, "trace_id": record.trace_id, "span_id": record.span_id, "time_ns": time_ns,
        "kind": record.kind, "source": record.source, "data": record.data,
    }


def spans_to_batch(spans: list[RawSpan], default_tenant: str, rejected: Rejections) -> WriteBatch:
    """Normalize a list of raw spans into span, content and score rows (the stages run after)."""
    batch = WriteBatch()
    rows = batch.spans
    content = batch.content
    for raw in spans:
        try:
            row, records = normalize_span(raw, default_tenant=default_tenant)
        except Exception as exc:  # noqa: BLE001 - one bad span must not sink its batch
            log.exception("normalizer failed on span %s", raw.span_id)
            rejected.add(f"span {raw.name[:60]!r}: could not be normalized ({type(exc).__name__})", "not_normalized")
            continue
        rows.append(row)
        if is_feedback(raw):
            batch.scores.append(feedback_row(raw, row["tenant"]))
        if records:
            row["content_sampled"] = True
            for record in records:
                content.append(_content_row(record, row["tenant"], raw.start_ns))
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


def pricing_stage(book: PriceBook) -> Stage:
    """Built-in stage: cost of every LLM and embedding span row from ``book`` (the server's one price book)."""
    from genlens.pricing import apply_costs

    def pricing(batch: WriteBatch, ctx: StageContext) -> WriteBatch:
        apply_costs(batch.spans, book)
        return batch

    return pricing


def budget_stage(tokens_per_call: tuple[tuple[str, int], ...]) -> Stage | None:
    """Built-in stage: ``budget_exceeded`` on LLM calls of a feature with a per-call budget (``budgets`` section).

    A feature's own budget wins over ``*``.  A span whose SDK already decided
    (``app.llm.budget_exceeded`` set) keeps its verdict; otherwise the call is
    over budget when its input + output tokens exceed the budget, and within it
    otherwise.  ``None`` when no budget is configured.
    """
    if not tokens_per_call:
        return None
    limits = dict(tokens_per_call)
    fallback = limits.get("*")

    def budgets(batch: WriteBatch, ctx: StageContext) -> WriteBatch:
        for row in batch.spans:
            if row.get("kind") != "llm" or row.get("budget_exceeded") is not None:
                continue
            limit = limits.get(row.get("feature") or "", fallback)
            if limit is None:
                continue
            used = (row.get("input_tokens") or 0) + (row.get("output_tokens") or 0)
            row["budget_exceeded"] = used > limit
        return batch

    return budgets


def compose_stages(settings: Settings, book: PriceBook) -> tuple[tuple[str, Stage], ...]:
    """The stages of every export, named and in order: pricing, budgets, redaction, sampling,
    ``settings.stages``, then encryption of the content (when a content key is set).

    Custom stages are imported here by spec (``ConfigError`` naming a spec that
    does not load), and the content keyring is built from the settings, in
    whichever process runs the stages.
    """
    from genlens.pipeline.encryption import encryption_stage
    from genlens.pipeline.redaction import redaction_stage
    from genlens.pipeline.sampling import sampling_stage

    stages: list[tuple[str, Stage]] = [("pricing", pricing_stage(book))]
    budgets = budget_stage(settings.budgets.tokens_per_call)
    if budgets is not None:
        stages.append(("budgets", budgets))
    redaction = redaction_stage(settings.privacy, settings.max_attribute_chars)
    if redaction is not None:
        stages.append(("redaction", redaction))
    sampling = sampling_stage(settings.sampling)
    if sampling is not None:
        stages.append(("sampling", sampling))
    stages.extend((spec, load_callable(spec, "stages")) for spec in settings.stages)
    encryption = encryption_stage(settings.content_keyring())  # last: every stage above sees plaintext
    if encryption is not None:
        stages.append(("encryption", encryption))
    return tuple(stages)


def run_stages(stages: tuple[tuple[str, Stage], ...], batch: WriteBatch, ctx: StageContext) -> WriteBatch:
    """Run ``stages`` in order; a stage that raises or returns no batch is a :class:`StageError` naming it."""
    for name, stage in stages:
        try:
            out = stage(batch, ctx)
        except Exception as exc:  # noqa: BLE001 - any failure of a stage refuses its export, closed
            log.error("stage %s failed on a %s export: %s: %s", name, ctx.signal, type(exc).__name__, exc)
            raise StageError(f"stage {name!r} failed: {type(exc).__name__}: {exc}") from None
        if not isinstance(out, WriteBatch):
            raise StageError(f"stage {name!r} returned {type(out).__name__}, not the batch")
        batch = out
    return batch


class Stages:
    """The CPU half of ingest — decode → normalize → enrich → columnar — for one request body.

    Pure work with no I/O, so it runs equally in a worker process (the default:
    the GIL then never makes it wait for the writer) or in a thread.
    """

    def __init__(self, settings: Settings, book: PriceBook) -> None:
        self.default_tenant = settings.default_tenant
        self.values = ValueDecoder(settings.max_attribute_chars)
        self.stages = compose_stages(settings, book)
        self._traces = StageContext("traces", settings.default_tenant)
        self._logs = StageContext("logs", settings.default_tenant)

    def traces(self, body: bytes, media: str = PROTOBUF, sender: Sender | None = None) -> Prepared:
        if media == PROTOBUF:
            spans, rejected = fastdecode.decode_trace_bytes(body, self.values.max_chars)
        else:
            spans, rejected = decode_spans(parse_request(body, media, ExportTraceServiceRequest), self.values)
        normalized = spans_to_batch(spans, sender.tenant if sender else self.default_tenant, rejected)
        if sender is not None and sender.allowed is not None:
            confine(normalized, sender.allowed, rejected)
        seen = sum(1 for row in normalized.spans if row.get("content_sampled"))
        batch = run_stages(self.stages, normalized, self._traces)
        accepted = len(batch.spans)
        return Prepared(to_columnar(batch), accepted, rejected, spans=accepted, content_seen=seen, notes=batch.notes)

    def logs(self, body: bytes, media: str = PROTOBUF, sender: Sender | None = None) -> Prepared:
        logs, rejected = decode_logs(parse_request(body, media, ExportLogsServiceRequest), self.values)
        batch = logs_to_batch(logs, sender.tenant if sender else self.default_tenant)
        accepted = len(logs)
        if sender is not None and sender.allowed is not None:
            before = rejected.count
            confine(batch, sender.allowed, rejected)
            accepted -= rejected.count - before
        batch = run_stages(self.stages, batch, self._logs)
        return Prepared(to_columnar(batch), accepted, rejected, notes=batch.notes)

    def metrics(self, body: bytes, media: str = PROTOBUF, sender: Sender | None = None) -> Prepared:
        request = parse_request(body, media, ExportMetricsServiceRequest)
        rows, rejected = decode_metrics(request, self.values, sender.tenant if sender else self.default_tenant)
        batch = WriteBatch(metrics=rows)
        if sender is not None and sender.allowed is not None:
            confine(batch, sender.allowed, rejected)
        return Prepared(to_columnar(batch), len(batch.metrics), rejected)


_worker_stages: Stages | None = None


def _init_worker(settings: Settings, book: PriceBook, parent_pid: int) -> None:
    """Compose this worker's stages from the settings (custom stages by spec) and the server's price book."""
    global _worker_stages
    _worker_stages = Stages(settings, book)
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


def _run_in_worker(signal: str, body: bytes, media: str, sender: Sender | None) -> Prepared:
    assert _worker_stages is not None, "worker not initialised"
    return getattr(_worker_stages, signal)(body, media, sender)  # type: ignore[no-any-return]


class Ingestor:
    """Runs the stages for each export (in worker processes or threads), then hands the result to the writer.

    With ``workers > 0`` the stages run in that many spawned processes, so
    decoding and normalizing use a core of their own while the server process
    receives requests and the single writer inserts; a worker that dies is
    replaced and the export in flight answered 503, never acknowledged.
    ``workers == 0`` runs them on threads in this process (used by tests of the
    stages and by tools that ingest in-process).  Either way the stages are
    :func:`compose_stages` of the settings and ``book``; the price book is loaded
    once by the caller and sent to each worker as it starts.
    """

    SIGNALS = ("traces", "logs", "metrics")  # the OTLP signals an export can carry

    def __init__(self, settings: Settings, writer: Writer, book: PriceBook, *, workers: int = 0) -> None:
        self.settings = settings
        self.writer = writer
        self.book = book
        self.workers = workers
        self.spans_accepted = 0
        self.worker_restarts = 0
        self.stage_errors = 0
        self.exports: Counter[tuple[str, str]] = Counter()  # (signal, outcome) → exports answered
        # (signal, kind of reason) → items refused one by one in accepted exports
        self.items_rejected: Counter[tuple[str, str]] = Counter()
        self.content_seen = 0  # accepted spans that arrived with content (kept or not: /metrics compares)
        self.notes: Counter[str] = Counter()  # the stages' counts over accepted exports (redactions by tier, type)
        # composed here in every mode: a custom stage that does not import fails the start, with its own message
        self._local: Stages | None = Stages(settings, book)
        self._lock = threading.Lock()
        self.pool: Executor = self._new_pool()

    def _new_pool(self) -> Executor:
        if self.workers <= 0:
            return ThreadPoolExecutor(max_workers=PREPARE_THREADS, thread_name_prefix="genlens-ingest")
        self._local = None
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(self.settings, self.book, os.getpid()))
        pool.submit(int).result()  # start the workers now, so the first export does not wait for imports
        return pool

    def prepare_async(self, signal: str, body: bytes, media: str = PROTOBUF,
                      sender: Sender | None = None) -> Future[Prepared]:
        """Run the stages of one export of an OTLP ``signal`` (traces, logs, metrics) off the caller's thread;
        ``sender`` confines it to an API key's tenants."""
        if signal not in self.SIGNALS:
            raise ValueError(signal)
        pool = self.pool
        try:
            if self._local is not None:
                future = pool.submit(getattr(self._local, signal), body, media, sender)
            else:
                future = pool.submit(_run_in_worker, signal, body, media, sender)
        except BrokenProcessPool:
            self._replace(pool)
            raise Overloaded("ingest worker restarted; retry") from None
        future.add_done_callback(self._count_stage_error)
        return future

    def _count_stage_error(self, future: Future[Prepared]) -> None:
        if not future.cancelled() and isinstance(future.exception(), StageError):
            with self._lock:
                self.stage_errors += 1

    def prepare(self, signal: str, body: bytes, media: str = PROTOBUF, sender: Sender | None = None) -> Prepared:
        """Blocking form of :meth:`prepare_async` (gRPC handlers, tools)."""
        return self.result(self.prepare_async(signal, body, media, sender))

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
        self.content_seen += prepared.content_seen
        if prepared.notes:
            with self._lock:
                self.notes.update(prepared.notes)
        return future

    def count_export(self, signal: str, prepared: Prepared | None, error: BaseException | None = None) -> None:
        """Count one answered export by outcome, and the items it refused one by one (for ``/metrics``)."""
        with self._lock:
            self.exports[(signal, outcome_of(error))] += 1
            if error is None and prepared is not None and prepared.rejected.count:
                for kind, count in prepared.rejected.kinds.items():
                    self.items_rejected[(signal, kind)] += count

    def close(self) -> None:
        self.pool.shutdown(wait=True)
