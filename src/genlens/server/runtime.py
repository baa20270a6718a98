"""Start and stop a whole genlens server: store, writer, ingest pipeline, gRPC and HTTP.

Kept apart from the CLI so tests and the demo can run a server in-process too.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import grpc
import uvicorn

from genlens.pipeline.ingest import Ingestor
from genlens.server.app import create_app
from genlens.server.otlp_grpc import start_grpc
from genlens.settings import Settings
from genlens.store.duckdb import DuckDBStore
from genlens.store.writer import Writer

log = logging.getLogger("genlens.server")


@dataclass
class Components:
    settings: Settings
    store: DuckDBStore
    writer: Writer
    ingestor: Ingestor
    grpc_server: grpc.Server | None = None
    grpc_port: int | None = None

    def close(self) -> None:
        if self.grpc_server is not None:
            self.grpc_server.stop(grace=5).wait(10)
        self.ingestor.close()
        self.writer.close()
        self.store.close()


def build(settings: Settings) -> Components:
    store = DuckDBStore(settings.db_path)
    writer = Writer(store, max_queued=settings.write_queue_spans, max_batch=settings.write_batch_spans,
                    retry_after_s=settings.retry_after_s)
    ingestor = Ingestor(settings, writer, workers=settings.ingest_workers)
    return Components(settings, store, writer, ingestor)


def serve(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then drain the write queue and close the store."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parts = build(settings)
    job = None
    try:
        if settings.cost_detect_interval_s > 0:
            from genlens.analysis.cost_job import CostDetectorJob

            job = CostDetectorJob(parts.store, parts.writer, settings)
            job.start()
        if settings.grpc_port:
            parts.grpc_server, parts.grpc_port = start_grpc(
                parts.ingestor, settings.host, settings.grpc_port, settings.max_body_bytes
            )
        app = create_app(settings, parts.store, parts.writer, parts.ingestor)
        log.info("genlens: data in %s", settings.db_path)
        log.info("genlens: OTLP/HTTP, REST API and UI on http://%s:%d", settings.host, settings.port)
        if parts.grpc_port:
            log.info("genlens: OTLP/gRPC on %s:%d", settings.host, parts.grpc_port)
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                                access_log=False, timeout_graceful_shutdown=10)
        with _stop_signals_return():
            uvicorn.Server(config).run()
    finally:
        if job is not None:
            job.stop()
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
