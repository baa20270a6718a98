"""A down or hanging collector never slows or breaks the application; drops are bounded and counted."""

from __future__ import annotations

import socket
import threading

import pytest
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import genlens
from genlens.sdk.export import BoundedBatchSpanProcessor
from genlens.sdk.setup import diagnostics


class BlockingExporter(SpanExporter):
    """Blocks inside export until released, recording which thread called it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.threads: set[int] = set()
        self.exported = 0

    def export(self, spans):
        self.threads.add(threading.get_ident())
        self.entered.set()
        self.release.wait(30)
        self.exported += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self):
        self.release.set()


def test_blocked_exporter_never_blocks_the_caller_and_drops_are_counted():
    exporter = BlockingExporter()
    genlens.init(span_exporter=exporter, set_global=False, environ={}, max_queue_size=10,
                 max_export_batch_size=1, schedule_delay_s=0.01, strict=True)
    try:
        with genlens.span("first"):
            pass
        assert exporter.entered.wait(10)  # the worker is now stuck inside export
        for i in range(50):  # every one of these returns although the exporter is stuck
            with genlens.span(f"s{i}"):
                pass
        assert threading.get_ident() not in exporter.threads
        assert diagnostics()["dropped_spans"] == 50 - 10
    finally:
        exporter.release.set()
        genlens.shutdown(timeout_s=5)
    assert exporter.exported == 1 + 10


def _hanging_server() -> tuple[socket.socket, list[socket.socket], threading.Thread]:
    """A TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                if stop.is_set():
                    return

    thread = threading.Thread(target=accept, daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return server, held, thread


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mode", ["hanging", "unreachable"])
def test_real_otlp_exporter_to_a_bad_collector_raises_nothing(mode):
    if mode == "hanging":
        server, held, thread = _hanging_server()
        endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    else:
        endpoint = f"http://127.0.0.1:{_unused_port()}"
    genlens.init(service_name="bad-collector", endpoint=endpoint, set_global=False, environ={},
                 max_queue_size=20, max_export_batch_size=5, schedule_delay_s=0.01, export_timeout_s=0.5,
                 metric_interval_s=0.05, strict=False)
    try:
        for i in range(200):
            with genlens.span(f"s{i}"):
                pass

        @genlens.llm_call(provider="openai", model="gpt-4o")
        def call() -> dict:
            return {"usage": {"prompt_tokens": 10, "completion_tokens": 5}}

        assert call()["usage"]["prompt_tokens"] == 10
        stats = diagnostics()
        assert stats["dropped_spans"] > 0
        assert stats["exported_spans"] == 0
    finally:
        genlens.shutdown(timeout_s=1)
        if mode == "hanging":
            thread.stop.set()  # type: ignore[attr-defined]
            server.close()
            for conn in held:
                conn.close()


def test_processor_queue_is_bounded_without_init():
    exporter = BlockingExporter()
    processor = BoundedBatchSpanProcessor(exporter, max_queue_size=3, max_export_batch_size=3,
                                          schedule_delay_s=3600)

    class FakeSpan:
        class context:  # noqa: N801
            span_id = 1

            class trace_flags:  # noqa: N801
                sampled = True

    for _ in range(10):
        processor.on_end(FakeSpan())  # type: ignore[arg-type]
    assert processor.dropped == 7
    exporter.release.set()
    processor.shutdown(timeout_s=5)
    assert exporter.exported == 3
