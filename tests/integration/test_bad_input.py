"""Hostile and malformed input never gets a 5xx, never crashes the server, and loses no valid span."""

from __future__ import annotations

import gzip
import os
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tests.conftest import LiveServer
from tests.otlp_helpers import log_request, new_span_id, new_trace_id, span_request

PROTO = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
ENDPOINTS = ("/v1/traces", "/v1/logs", "/v1/metrics")


def post(server: LiveServer, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", content=body, headers=headers, timeout=20)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_malformed_bodies_get_400_with_reason(live_server: LiveServer, path: str) -> None:
    bad_proto = post(live_server, path, b"\xff\xff\xff\xff garbage", PROTO)
    assert bad_proto.status_code == 400 and b"protobuf" in bad_proto.content
    bad_json = post(live_server, path, b"{not json", JSON)
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.text
    wrong_shape = post(live_server, path, b'{"resourceSpans": 5, "resourceLogs": 5, "resourceMetrics": 5}', JSON)
    assert wrong_shape.status_code == 400
    assert post(live_server, path, b"[]", JSON).status_code == 400
    assert post(live_server, path, b"", PROTO).status_code == 200  # an empty export is valid OTLP


@pytest.mark.parametrize("path", ENDPOINTS)
def test_content_type_encoding_and_size_limits(live_server: LiveServer, path: str) -> None:
    assert post(live_server, path, b"x", {"Content-Type": "text/plain"}).status_code == 415
    assert post(live_server, path, b"x", {}).status_code == 415
    assert post(live_server, path, b"x", {**PROTO, "Content-Encoding": "br"}).status_code == 415
    assert post(live_server, path, b"not gzip", {**PROTO, "Content-Encoding": "gzip"}).status_code == 400
    assert post(live_server, path, gzip.compress(b"\x0a\x00")[:-6], {**PROTO, "Content-Encoding": "gzip"}).status_code == 400
    too_big = post(live_server, path, b"\x00" * (33 * 1024 * 1024), PROTO)
    assert too_big.status_code == 413
    bomb = gzip.compress(b"\x00" * (64 * 1024 * 1024))  # inflates past the 32 MiB limit
    assert post(live_server, path, bomb, {**PROTO, "Content-Encoding": "gzip"}).status_code == 413
    assert httpx.get(f"{live_server.url}/healthz", timeout=5).status_code == 200


def test_hostile_attribute_values_are_kept_or_truncated(live_server: LiveServer) -> None:
    trace_id, span_id = new_trace_id(), new_span_id()
    now = time.time_ns()
    deep: object = "bottom"
    for _ in range(40):
        deep = [deep]
    attrs = {
        "huge": "x" * 200_000,
        "blob": os.urandom(64),
        "nested": {"a": [1, 2.5, True, {"b": "c"}]},
        "deep": deep,
        "gen_ai.usage.input_tokens": "lots",
        "gen_ai.usage.output_tokens": -5,
        "gen_ai.request.temperature": "hot",
        "gen_ai.response.finish_reasons": 7,
        "unicode \u2603 key": "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "": "empty key",
    }
    request = span_request([{"trace_id": trace_id, "span_id": span_id, "name": "n" * 10_000, "start": now,
                             "end": now + 1, "attributes": attrs}])
    response = post(live_server, "/v1/traces", request.SerializeToString(), PROTO)
    assert response.status_code == 200, response.text
    span = httpx.get(f"{live_server.url}/api/v1/spans/{span_id.hex()}", timeout=10).json()
    kept = span["attributes"]
    assert kept["huge"].startswith("x" * 1000) and kept["huge"].endswith("[truncated 134464 chars]")
    assert kept["nested"]["a"][:3] == [1, 2.5, True]
    assert "[nested too deeply]" in str(kept["deep"])
    assert span["input_tokens"] is None or isinstance(span["input_tokens"], int)


def test_logs_without_span_and_with_bad_ids(live_server: LiveServer) -> None:
    now = time.time_ns()
    request = log_request([
        {"time": now, "body": "plain app log", "attributes": {"k": 1}},
        {"time": now, "trace_id": b"\x01" * 3, "span_id": b"\x02" * 8, "body": "bad trace id"},
        {"time": 5, "body": "1970"},
    ])
    response = post(live_server, "/v1/logs", request.SerializeToString(), PROTO)
    assert response.status_code == 200
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

    assert ExportLogsServiceResponse.FromString(response.content).partial_success.rejected_log_records == 2


def _valid_body(n: int, seed: int) -> tuple[bytes, list[str]]:
    trace_id = new_trace_id()
    now = time.time_ns()
    spans = [{"trace_id": trace_id, "span_id": new_span_id(), "name": f"s{seed}-{i}", "start": now + i,
              "end": now + i + 10, "attributes": {"gen_ai.operation.name": "chat", "i": i}} for i in range(n)]
    return span_request(spans).SerializeToString(), [s["span_id"].hex() for s in spans]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_mutated_and_truncated_bodies_never_5xx(live_server: LiveServer, data: st.DataObject) -> None:
    body, _ = _valid_body(3, 0)
    mode = data.draw(st.sampled_from(["random", "flip", "truncate", "json"]))
    if mode == "random":
        payload = data.draw(st.binary(max_size=2000))
    elif mode == "flip":
        payload = bytearray(body)
        for _ in range(data.draw(st.integers(1, 10))):
            index = data.draw(st.integers(0, len(payload) - 1))
            payload[index] = data.draw(st.integers(0, 255))
        payload = bytes(payload)
    elif mode == "truncate":
        payload = body[: data.draw(st.integers(0, len(body) - 1))]
    else:
        payload = data.draw(st.text(max_size=500)).encode("utf-8", "surrogatepass")
    headers = JSON if mode == "json" else PROTO
    for path in ENDPOINTS:
        response = post(live_server, path, payload, headers)
        assert response.status_code < 500, (path, response.status_code, response.text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), bad=st.lists(st.sampled_from(["zero_trace", "short_span", "backwards",
                                                                    "ancient", "future"]), max_size=5))
def test_mixed_batches_keep_every_valid_span(live_server: LiveServer, seed: int, bad: list[str]) -> None:
    trace_id = new_trace_id()
    now = time.time_ns()
    good = [{"trace_id": trace_id, "span_id": new_span_id(), "name": f"good{i}", "start": now + i, "end": now + i + 5}
            for i in range(4)]
    broken = []
    for kind in bad:
        span = {"trace_id": trace_id, "span_id": new_span_id(), "name": kind, "start": now, "end": now + 5}
        if kind == "zero_trace":
            span["trace_id"] = b"\x00" * 16
        elif kind == "short_span":
            span["span_id"] = b"\x01\x02"
        elif kind == "backwards":
            span["end"] = now - 10
        elif kind == "ancient":
            span["start"], span["end"] = 10**9, 10**9 + 1
        else:
            span["start"], span["end"] = now + 10**16, now + 10**16 + 1
        broken.append(span)
    mixed = good + broken
    import random

    random.Random(seed).shuffle(mixed)
    response = post(live_server, "/v1/traces", span_request(mixed).SerializeToString(), PROTO)
    assert response.status_code == 200
    assert ExportTraceServiceResponse.FromString(response.content).partial_success.rejected_spans == len(broken)
    stored = httpx.get(f"{live_server.url}/api/v1/traces/{trace_id.hex()}", params={"format": "flat"},
                       timeout=10).json()["spans"]
    assert sorted(s["name"] for s in stored) == sorted(s["name"] for s in good)


@pytest.mark.parametrize("path,params", [
    ("/api/v1/traces", {"limit": "0"}),
    ("/api/v1/traces", {"limit": "100000"}),
    ("/api/v1/traces", {"start": "yesterday-ish"}),
    ("/api/v1/traces", {"start": "99999999999999999999999"}),
    ("/api/v1/traces", {"min_duration": "-5s"}),
    ("/api/v1/traces", {"min_cost": "-1"}),
    ("/api/v1/traces", {"sort": "name"}),
    ("/api/v1/traces", {"kind": "banana"}),
    ("/api/v1/traces", {"cursor": "!!!"}),
    ("/api/v1/traces", {"cursor": "W1tdLCJ4Il0"}),
    ("/api/v1/traces", {"q": "x" * 1000}),
])
def test_bad_query_parameters_are_400(live_server: LiveServer, path: str, params: dict[str, str]) -> None:
    response = httpx.get(f"{live_server.url}{path}", params=params, timeout=10)
    assert response.status_code == 400, response.text
    assert "detail" in response.json()


def test_hostile_search_text_is_literal(live_server: LiveServer) -> None:
    for text in ["%", "_", "' OR 1=1 --", "\\", "\x00"]:
        response = httpx.get(f"{live_server.url}/api/v1/traces", params={"q": text, "limit": "5"}, timeout=10)
        assert response.status_code in (200, 400), response.text
    assert httpx.get(f"{live_server.url}/readyz", timeout=5).status_code == 200
