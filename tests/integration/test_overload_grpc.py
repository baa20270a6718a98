"""Overload answers 503 + Retry-After (HTTP) / UNAVAILABLE (gRPC), never a silent drop; hostile gRPC bytes
never hurt the server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import grpc
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LiveServer, start_server
from tests.otlp_helpers import new_span_id, new_trace_id, span_request

PROTO = {"Content-Type": "application/x-protobuf"}
METHODS = (
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
)


def _batch(n: int) -> tuple[bytes, str]:
    trace_id = new_trace_id()
    now = time.time_ns()
    spans = [{"trace_id": trace_id, "span_id": new_span_id(), "name": f"s{i}", "start": now + i, "end": now + i + 9,
              "attributes": {"gen_ai.operation.name": "chat", "k": "v" * 200}} for i in range(n)]
    return span_request(spans).SerializeToString(), trace_id.hex()


def test_full_write_queue_answers_503_with_retry_after_and_keeps_acknowledged(tmp_path: Path) -> None:
    server = start_server(tmp_path, extra_env={"GENLENS_WRITE_QUEUE_SPANS": "600", "GENLENS_RETRY_AFTER_S": "2"})
    try:
        results: list[tuple[int, str, str | None]] = []
        lock = threading.Lock()

        def send(_: int) -> None:
            with httpx.Client(timeout=30) as client:
                for _ in range(15):  # bounded
                    body, trace_id = _batch(512)
                    response = client.post(f"{server.url}/v1/traces", content=body, headers=PROTO)
                    with lock:
                        results.append((response.status_code, trace_id, response.headers.get("retry-after")))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        statuses = {status for status, _, _ in results}
        assert statuses <= {200, 503}
        assert 503 in statuses, "the queue never filled; the test did not exercise overload"
        assert all(retry == "2" for status, _, retry in results if status == 503)
        for status, trace_id, _ in results:
            stored = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", params={"format": "flat"}, timeout=30)
            if status == 200:
                assert stored.status_code == 200 and len(stored.json()["spans"]) == 512
            else:
                assert stored.status_code == 404  # refused whole, so the client's retry duplicates nothing
    finally:
        server.stop()


def test_grpc_overload_is_unavailable(tmp_path: Path) -> None:
    server = start_server(tmp_path, extra_env={"GENLENS_WRITE_QUEUE_SPANS": "600"})
    try:
        codes: list[grpc.StatusCode] = []
        lock = threading.Lock()

        def send() -> None:
            with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
                export = channel.unary_unary(METHODS[0])
                for _ in range(12):
                    body, _ = _batch(512)
                    try:
                        export(body, timeout=30)
                        code = grpc.StatusCode.OK
                    except grpc.RpcError as exc:
                        code = exc.code()
                    with lock:
                        codes.append(code)

        threads = [threading.Thread(target=send) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}
        assert grpc.StatusCode.UNAVAILABLE in codes and grpc.StatusCode.OK in codes
    finally:
        server.stop()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(st.binary(max_size=3000),
                         st.builds(lambda cut: _batch(5)[0][:cut], st.integers(0, 400))))
def test_hostile_grpc_bytes_never_crash(live_server: LiveServer, payload: bytes) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{live_server.grpc_port}") as channel:
        for method in METHODS:
            try:
                channel.unary_unary(method)(payload, timeout=10)
            except grpc.RpcError as exc:
                assert exc.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT), exc
    assert httpx.get(f"{live_server.url}/healthz", timeout=5).status_code == 200
