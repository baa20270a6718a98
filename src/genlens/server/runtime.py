"""Start and stop a whole genlens server: store, writer, ingest pipeline, gRPC and HTTP.

Kept apart from the CLI so tests and the demo can run a server in-process too.
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import grpc
import uvicorn

from genlens.alerts.book import AlertHistory, AlertingJob
from genlens.alerts.detector_job import DetectorAlertJob
from genlens.alerts.detectors import Rule
from genlens.alerts.findings_job import FindingsAlertJob
from genlens.alerts.notify import AlertmanagerNotifier, Delivery, LogNotifier, Notifier, WebhookNotifier
from genlens.alerts.silences import load_silences
from genlens.alerts.slo_job import SloAlertJob
from genlens.analysis.jobs import Job
from genlens.errors import ConfigError
from genlens.metrics.spans import SpanMetrics
from genlens.pipeline.ingest import Ingestor
from genlens.pricing import PriceBook
from genlens.server.app import create_app
from genlens.server.keys import KeyRing
from genlens.server.otlp_grpc import start_grpc
from genlens.settings import Settings, load_callable
from genlens.slo.spec import SLO
from genlens.store.duckdb import DuckDBStore
from genlens.store.writer import Observer, Writer

log = logging.getLogger("genlens.server")


@dataclass
class Components:
    """What the server is made of, built once by :func:`build`; :meth:`close` releases all of it, in order."""

    settings: Settings
    store: DuckDBStore
    writer: Writer
    ingestor: Ingestor
    book: PriceBook  # the one price book: pricing stage, cost REST routes and UI pages
    jobs: list[Job] = field(default_factory=list)  # started with the server, stopped before the writer drains
    span_metrics: SpanMetrics | None = None  # the observer behind /metrics (None when metrics.enabled is off)
    slos: list[SLO] = field(default_factory=list)  # from settings, read once at start
    rules: list[Rule] = field(default_factory=list)  # the detectors and alert rules of settings
    delivery: Delivery | None = None  # alert delivery to the notifiers of settings (closed after the jobs)
    keys: KeyRing | None = None  # the API keys (None only for tools that build a server without HTTP)
    grpc_server: grpc.Server | None = None
    grpc_port: int | None = None

    @property
    def alert_jobs(self) -> list[AlertingJob]:
        return [job for job in self.jobs if isinstance(job, AlertingJob)]

    def start_jobs(self) -> None:
        for job in self.jobs:
            job.start()

    def close(self) -> None:
        for job in self.jobs:
            job.stop()
        if self.delivery is not None:
            self.delivery.close()
        if self.grpc_server is not None:
            self.grpc_server.stop(grace=5).wait(10)
        self.ingestor.close()
        self.writer.close()
        self.store.close()


def observers_of(settings: Settings) -> tuple[Observer, ...]:
    """The observers named by ``settings.observers`` (``module:callable``), imported here, in the server process."""
    return tuple(load_callable(spec, "observers") for spec in settings.observers)


def jobs_of(settings: Settings, store: DuckDBStore, writer: Writer) -> list[Job]:
    """The background jobs the settings turn on (each unless its interval is 0; erasures always resume)."""
    from genlens.server.erasure import ErasureJob

    jobs: list[Job] = [ErasureJob(store, writer)]
    if settings.sampling.enabled:
        from genlens.server.sampling import SamplingJob

        jobs.append(SamplingJob(writer, settings.sampling))
    if settings.retention.interval_s > 0:
        from genlens.server.retention import RetentionJob

        jobs.append(RetentionJob(store, writer, settings.retention))
    if settings.summary_compact_interval_s > 0:
        from genlens.server.maintenance import CompactionJob

        jobs.append(CompactionJob(writer, settings.summary_compact_interval_s))
    if settings.cost_detect_interval_s > 0:
        from genlens.analysis.cost_job import CostDetectorJob

        jobs.append(CostDetectorJob(store, writer, settings))
    return jobs


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``): reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_access(settings: Settings, keys: KeyRing) -> None:
    """Refuse to start where anyone could read everything: a non-loopback address with no API keys; and a TLS
    setting that is half given or unreadable."""
    tls = settings.tls
    if (tls.cert_file is None) != (tls.key_file is None):
        raise ConfigError("settings tls.cert_file and tls.key_file go together: give both or neither")
    for path in (tls.cert_file, tls.key_file):
        if path is not None and not path.is_file():
            raise ConfigError(f"TLS file {str(path)!r} does not exist")
    if not keys.enforcing() and not is_loopback(settings.host):
        raise ConfigError(
            f"refusing to listen on {settings.host!r} with no API keys: anyone who can reach it would read every "
            f"tenant's prompts. Create an admin key first (genlens keys create --name NAME --role admin "
            f"--data {settings.data}), or bind to 127.0.0.1.")


def build(settings: Settings) -> Components:
    """Compose the server: price book and custom stages/observers first (a bad one fails before any file opens)."""
    keys = KeyRing(settings.access.keys_path(settings.data))
    check_access(settings, keys)
    book = settings.prices.load_book()
    slos = settings.slos.load()
    rules = settings.alerts.load_rules()
    silences = load_silences(settings.alerts.silences)
    span_metrics = SpanMetrics(settings.metrics.max_series) if settings.metrics.enabled else None
    observers = (*((span_metrics,) if span_metrics is not None else ()), *observers_of(settings))
    keyring = settings.content_keyring()  # bad key material stops the start here, before the file opens
    store = DuckDBStore(settings.db_path, keyring=keyring)
    writer = Writer(store, max_queued=settings.write_queue_spans, max_batch=settings.write_batch_spans,
                    retry_after_s=settings.retry_after_s, observers=observers)
    try:
        ingestor = Ingestor(settings, writer, book, workers=settings.ingest_workers)
    except BaseException:
        writer.close()
        store.close()
        raise
    jobs = jobs_of(settings, store, writer)
    delivery = None
    alerting = settings.alerts.interval_s > 0 and (slos or rules or settings.cost_detect_interval_s > 0)
    if alerting:
        delivery = Delivery(notifiers_of(settings), silences=silences, history=AlertHistory(writer))
        ui = settings.alerts.ui_url or f"http://{settings.host}:{settings.port}"
        if rules:
            jobs.append(DetectorAlertJob(store, rules, delivery, settings.alerts.interval_s,
                                         settings.alerts.step_ns, ui, delay_ns=settings.alerts.delay_ns))
        if slos:
            jobs.append(SloAlertJob(store, slos, delivery, settings.alerts.interval_s, ui))
        if settings.cost_detect_interval_s > 0:  # a finding stays an alert while the detector keeps finding it
            fresh = max(2.5 * settings.cost_detect_interval_s, 3600.0)
            jobs.append(FindingsAlertJob(store, delivery, settings.alerts.interval_s, fresh, ui))
    return Components(settings, store, writer, ingestor, book, jobs, span_metrics=span_metrics, slos=slos,
                      rules=rules, delivery=delivery, keys=keys)


def notifiers_of(settings: Settings) -> list[Notifier]:
    """The log, plus every webhook and the Alertmanager the ``alerts`` settings name."""
    notifiers: list[Notifier] = [LogNotifier()]
    for hook in settings.alerts.webhooks:
        notifiers.append(WebhookNotifier(hook["url"], slack=hook["format"] == "slack", headers=hook["headers"]))
    if settings.alerts.alertmanager:
        notifiers.append(AlertmanagerNotifier(settings.alerts.alertmanager))
    return notifiers


def serve(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then stop the jobs, drain the write queue and close the store."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parts = build(settings)
    try:
        parts.start_jobs()
        tls = None
        if settings.tls.cert_file is not None and settings.tls.key_file is not None:
            tls = (settings.tls.key_file.read_bytes(), settings.tls.cert_file.read_bytes())
        if settings.grpc_port:
            parts.grpc_server, parts.grpc_port = start_grpc(
                parts.ingestor, settings.host, settings.grpc_port, settings.max_body_bytes, keys=parts.keys, tls=tls
            )
        app = create_app(settings, parts.store, parts.writer, parts.ingestor, parts.book, jobs=parts.jobs,
                         span_metrics=parts.span_metrics, slos=parts.slos, alert_jobs=parts.alert_jobs,
                         rules=parts.rules, keys=parts.keys, keyring=parts.store.keyring)
        scheme = "https" if settings.tls.enabled else "http"
        log.info("genlens: data in %s", settings.db_path)
        log.info("genlens: OTLP/HTTP, REST API and UI on %s://%s:%d", scheme, settings.host, settings.port)
        if parts.keys is not None and parts.keys.configured:
            log.info("genlens: API keys required (%s)", parts.keys.path)
        else:
            log.info("genlens: no API keys configured: open to this machine only (loopback)")
        if parts.grpc_port:
            log.info("genlens: OTLP/gRPC on %s:%d%s", settings.host, parts.grpc_port, " (TLS)" if tls else "")
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                                access_log=False, timeout_graceful_shutdown=10,
                                ssl_certfile=settings.tls.cert_file, ssl_keyfile=settings.tls.key_file)
        with _stop_signals_return():
            uvicorn.Server(config).run()
    finally:
        log.info("genlens: shutting down, draining %d queued items", parts.writer.queued_items)
        parts.close()
        log.info("genlens: stopped")


@contextmanager
def _stop_signals_return() -> Iterator[None]:
    """Let SIGTERM / SIGINT end ``uvicorn.Server.run()`` by returning, so the shutdown above runs.

    uvicorn handles both while serving, then restores the handlers it found and
    raises the signal again; with the default handlers that kills the process
    (SIGTERM) or raises KeyboardInterrupt (SIGINT) before the write queue is
    drained, the store closed and the ingest workers stopped.  The handlers found
    here only note the signal.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda s, _f: received.append(s)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if received:
            log.info("genlens: received %s", signal.Signals(received[0]).name)
