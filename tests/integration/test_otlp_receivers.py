"""OTLP receivers end to end: a real ``genlens serve`` fed by the real opentelemetry-sdk exporters
(http/protobuf and gRPC) and by hand-written OTLP/JSON, read back through the REST API."""

from __future__ import annotations

import gzip
import json
import time

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.trace import SpanKind

from tests.conftest import LiveServer
from tests.otlp_helpers import new_span_id, new_trace_id, sdk_tracer, span_request

GENLENS_ATTRS = {
    "gen_ai.provider.name": "openai",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.usage.output_tokens": 30,
    "gen_ai.usage.cache_read.input_tokens": 20,
    "gen_ai.response.finish_reasons": ("stop",),
    "app.llm.feature": "support",
    "app.llm.conversation.id": "conv-1",
}


def get_trace(server: LiveServer, trace_id: str, **params: str) -> dict:
    response = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", params={"format": "flat", **params}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def export_with_sdk(exporter, attrs: dict) -> str:
    with sdk_tracer(exporter) as tracer:
        with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=attrs) as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
    return trace_id


@pytest.mark.parametrize("transport", ["http/protobuf", "grpc"])
def test_real_sdk_exporters_round_trip(live_server: LiveServer, transport: str) -> None:
    if transport == "grpc":
        exporter = GrpcSpanExporter(endpoint=f"127.0.0.1:{live_server.grpc_port}", insecure=True)
    else:
        exporter = HttpSpanExporter(endpoint=f"{live_server.url}/v1/traces")
    trace_id = export_with_sdk(exporter, GENLENS_ATTRS)
    trace = get_trace(live_server, trace_id)
    (span,) = trace["spans"]
    assert span["trace_id"] == trace_id
    assert span["service_name"] == "sdk-svc"
    assert span["kind"] == "llm"
    assert span["provider"] == "openai"
    assert span["request_model"] == "gpt-4o-mini"
    assert span["response_model"] == "gpt-4o-mini-2024-07-18"
    assert (span["input_tokens"], span["output_tokens"], span["cache_read_tokens"]) == (120, 30, 20)
    assert span["total_tokens"] == 150
    assert span["finish_reasons"] == ["stop"]
    assert span["feature"] == "support"
    assert span["conversation_id"] == "conv-1"
    assert span["depth"] == 0 and span["parent_span_id"] is None


def _json_body(trace_id: str, spans: list[dict]) -> dict:
    return {
        "resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
            "scopeSpans": [{"scope": {"name": "hand"}, "spans": spans}],
        }]
    }


def _json_span(trace_id: str, span_id: str, name: str, start: int, parent: str = "") -> dict:
    return {
        "traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "name": name, "kind": 3,
        "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 5_000_000),
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.provider.name", "value": {"stringValue": "anthropic"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "claude-sonnet-4"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "500"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 42}},
            {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "7"}]}}},
            {"key": "meta", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": True}}]}}},
        ],
        "status": {"code": 1},
    }


def test_otlp_json_by_hand_with_partial_success(live_server: LiveServer) -> None:
    trace_id = new_trace_id().hex()
    now = time.time_ns()
    root, child = new_span_id().hex(), new_span_id().hex()
    spans = [
        _json_span(trace_id, root, "root", now),
        _json_span(trace_id, child, "child", now + 1000, parent=root),
        _json_span("00" * 16, new_span_id().hex(), "zero trace id", now),
        _json_span(trace_id, "abcd", "short span id", now),
        {**_json_span(trace_id, new_span_id().hex(), "ends before start", now),
         "endTimeUnixNano": str(now - 1)},
        {**_json_span(trace_id, new_span_id().hex(), "year 1971", now), "startTimeUnixNano": str(10**16),
         "endTimeUnixNano": str(10**16 + 1)},
    ]
    response = httpx.post(f"{live_server.url}/v1/traces", content=json.dumps(_json_body(trace_id, spans)),
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    partial = response.json()["partialSuccess"]
    assert int(partial["rejectedSpans"]) == 4
    assert "invalid trace_id" in partial["errorMessage"]
    trace = get_trace(live_server, trace_id)
    assert [s["name"] for s in trace["spans"]] == ["root", "child"]
    assert [s["depth"] for s in trace["spans"]] == [0, 1]
    root_span = trace["spans"][0]
    assert root_span["provider"] == "anthropic" and root_span["input_tokens"] == 500
    assert root_span["status"] == "ok"
    assert root_span["attributes"]["tags"] == ["a", 7]
    assert root_span["attributes"]["meta"] == {"k": True}


def test_gzip_protobuf_and_protobuf_response(live_server: LiveServer) -> None:
    trace_id, span_id = new_trace_id(), new_span_id()
    now = time.time_ns()
    request = span_request([{"trace_id": trace_id, "span_id": span_id, "name": "gz", "start": now, "end": now + 10,
                             "attributes": GENLENS_ATTRS}])
    response = httpx.post(f"{live_server.url}/v1/traces", content=gzip.compress(request.SerializeToString()),
                          headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}, timeout=10)
    assert response.status_code == 200
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 0
    assert get_trace(live_server, trace_id.hex())["spans"][0]["span_id"] == span_id.hex()


def test_depth_four_agent_tree_with_parallel_tools(live_server: LiveServer) -> None:
    """workflow → planner LLM → 10 parallel tool calls → one child LLM each."""
    trace_id = new_trace_id()
    t0 = time.time_ns() - 10**9
    workflow, planner = new_span_id(), new_span_id()
    spans = [
        {"trace_id": trace_id, "span_id": workflow, "name": "invoke_workflow trip", "start": t0, "end": t0 + 10**8,
         "attributes": {"gen_ai.operation.name": "invoke_workflow"}},
        {"trace_id": trace_id, "span_id": planner, "parent": workflow, "name": "chat planner", "start": t0 + 1000,
         "end": t0 + 9 * 10**7, "attributes": {**GENLENS_ATTRS}},
    ]
    tools, llms = [], []
    for i in range(10):
        tool, llm = new_span_id(), new_span_id()
        start = t0 + 2000 + (9 - i) * 10  # sent in reverse start order; all overlap
        spans.append({"trace_id": trace_id, "span_id": tool, "parent": planner, "name": f"execute_tool t{i}",
                      "start": start, "end": start + 5 * 10**7,
                      "attributes": {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": f"t{i}"}})
        spans.append({"trace_id": trace_id, "span_id": llm, "parent": tool, "name": f"chat child{i}",
                      "start": start + 100, "end": start + 4 * 10**7, "attributes": {**GENLENS_ATTRS}})
        tools.append(tool.hex())
        llms.append(llm.hex())
    spans.reverse()  # arrival order must not matter
    body = span_request(spans).SerializeToString()
    response = httpx.post(f"{live_server.url}/v1/traces", content=body,
                          headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert response.status_code == 200

    tree = httpx.get(f"{live_server.url}/api/v1/traces/{trace_id.hex()}", timeout=10).json()
    assert tree["span_count"] == 22 and tree["llm_calls"] == 11
    (root,) = tree["roots"]
    assert root["span_id"] == workflow.hex() and root["kind"] == "workflow" and root["depth"] == 0
    (plan,) = root["children"]
    assert plan["span_id"] == planner.hex() and plan["depth"] == 1
    children = plan["children"]
    assert [c["span_id"] for c in children] == list(reversed(tools))  # start order: t9 first
    assert [c["start_ns"] for c in children] == sorted(c["start_ns"] for c in children)
    for tool_span in children:
        assert tool_span["depth"] == 2 and tool_span["kind"] == "tool"
        (llm_span,) = tool_span["children"]
        assert llm_span["depth"] == 3 and llm_span["kind"] == "llm" and llm_span["span_id"] in llms
    assert tree["total_tokens"] == 11 * 150


def test_trace_search_filters_and_pagination(live_server: LiveServer) -> None:
    now = time.time_ns()
    feature = f"search-{now}"
    ids = []
    for i in range(7):
        trace_id = new_trace_id()
        ids.append(trace_id.hex())
        attrs = {**GENLENS_ATTRS, "app.llm.feature": feature, "gen_ai.usage.output_tokens": 10 + i}
        request = span_request([{"trace_id": trace_id, "span_id": new_span_id(), "name": f"chat n{i}",
                                 "start": now + i * 1000, "end": now + i * 1000 + (i + 1) * 10**6,
                                 "attributes": attrs, "status": 2 if i == 3 else 1}])
        assert httpx.post(f"{live_server.url}/v1/traces", content=request.SerializeToString(),
                          headers={"Content-Type": "application/x-protobuf"}, timeout=10).status_code == 200
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"feature": feature, "limit": "3"}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(f"{live_server.url}/api/v1/traces", params=params, timeout=10).json()
        seen += [t["trace_id"] for t in page["traces"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))  # newest first, every trace exactly once
    by_duration = httpx.get(f"{live_server.url}/api/v1/traces",
                            params={"feature": feature, "sort": "duration", "order": "asc"}, timeout=10).json()
    assert [t["trace_id"] for t in by_duration["traces"]] == ids
    errors = httpx.get(f"{live_server.url}/api/v1/traces", params={"feature": feature, "status": "error"},
                       timeout=10).json()["traces"]
    assert [t["trace_id"] for t in errors] == [ids[3]] and errors[0]["errors"] == 1
    slow = httpx.get(f"{live_server.url}/api/v1/traces", params={"feature": feature, "min_duration": "5ms"},
                     timeout=10).json()["traces"]
    assert sorted(t["trace_id"] for t in slow) == sorted(ids[4:])
    text = httpx.get(f"{live_server.url}/api/v1/traces", params={"feature": feature, "q": "n6"}, timeout=10).json()
    assert [t["trace_id"] for t in text["traces"]] == [ids[6]]
    row = text["traces"][0]
    assert row["root_name"] == "chat n6" and row["span_count"] == 1 and row["llm_calls"] == 1
    assert row["total_tokens"] == 120 + 16


def test_span_endpoint_and_not_found(live_server: LiveServer) -> None:
    trace_id, span_id = new_trace_id(), new_span_id()
    now = time.time_ns()
    request = span_request([{"trace_id": trace_id, "span_id": span_id, "name": "one", "start": now, "end": now + 1,
                             "attributes": GENLENS_ATTRS}])
    httpx.post(f"{live_server.url}/v1/traces", content=request.SerializeToString(),
               headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    span = httpx.get(f"{live_server.url}/api/v1/spans/{span_id.hex()}", timeout=10).json()
    assert span["trace_id"] == trace_id.hex() and span["name"] == "one"
    assert httpx.get(f"{live_server.url}/api/v1/spans/{'1' * 16}", timeout=10).status_code == 404
    assert httpx.get(f"{live_server.url}/api/v1/traces/{'1' * 32}", timeout=10).status_code == 404
    assert httpx.get(f"{live_server.url}/api/v1/traces/nothex", timeout=10).status_code == 400
    assert httpx.get(f"{live_server.url}/api/v1/spans/{'z' * 16}", timeout=10).status_code == 400
