"""Spans shaped like each instrumentation's real output, exported with the real opentelemetry-sdk to a
live server, come back from the REST API with the same canonical values."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import SpanKind, set_span_in_context

from tests.conftest import LiveServer
from tests.otlp_helpers import sdk_tracer

USER_TEXT = "Weather in Paris?"
ANSWER = "It is rainy, 57F."
SYSTEM = "You are a weather bot."

OTEL_MESSAGES = {
    "gen_ai.system_instructions": json.dumps([{"type": "text", "content": SYSTEM}]),
    "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": USER_TEXT}]}]),
    "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": ANSWER}],
                                           "finish_reason": "stop"}]),
}

CONVENTIONS: dict[str, dict] = {
    "genlens": {
        "gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 52, "gen_ai.usage.output_tokens": 17, "app.llm.feature": "weather",
        **OTEL_MESSAGES,
    },
    "openai-v2 latest-experimental": {
        "gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.response.finish_reasons": ["stop"], "gen_ai.usage.input_tokens": 52,
        "gen_ai.usage.output_tokens": 17, "server.address": "api.openai.com", **OTEL_MESSAGES,
    },
    "openinference": {
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini-2024-07-18", "llm.provider": "openai",
        "llm.system": "openai", "llm.invocation_parameters": json.dumps({"model": "gpt-4o-mini", "temperature": 0}),
        "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": SYSTEM,
        "llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": USER_TEXT,
        "llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": ANSWER,
        "llm.token_count.prompt": 52, "llm.token_count.completion": 17, "llm.token_count.total": 69,
        "input.value": json.dumps({"messages": [{"role": "user", "content": USER_TEXT}]}),
        "input.mime_type": "application/json", "output.value": ANSWER, "output.mime_type": "text/plain",
    },
    "openllmetry legacy": {
        "llm.request.type": "chat", "gen_ai.system": "OpenAI", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": SYSTEM,
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": USER_TEXT,
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": ANSWER,
        "gen_ai.completion.0.finish_reason": "stop",
        "gen_ai.usage.prompt_tokens": 52, "gen_ai.usage.completion_tokens": 17, "llm.usage.total_tokens": 69,
    },
    "openllmetry migrated": {
        "gen_ai.system": "openai", "gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.usage.input_tokens": 52, "gen_ai.usage.output_tokens": 17, "gen_ai.usage.total_tokens": 69,
        "gen_ai.response.finish_reasons": ["stop"], **OTEL_MESSAGES,
    },
}


def _flat_span(server: LiveServer, trace_id: str) -> dict:
    response = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", params={"format": "flat"}, timeout=10)
    assert response.status_code == 200, response.text
    (span,) = response.json()["spans"]
    return span


def _texts(messages: list[dict]) -> list[tuple[str, str]]:
    return [(m["role"], p.get("content")) for m in messages for p in m.get("parts", []) if p.get("type") == "text"]


def _check_canonical(span: dict) -> None:
    assert span["kind"] == "llm"
    assert span["provider"] == "openai"
    assert span["response_model"] == "gpt-4o-mini-2024-07-18"
    assert (span["input_tokens"], span["output_tokens"], span["total_tokens"]) == (52, 17, 69)


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_convention_round_trip(live_server: LiveServer, convention: str) -> None:
    exporter = OTLPSpanExporter(endpoint=f"{live_server.url}/v1/traces")
    with sdk_tracer(exporter) as tracer:
        with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT,
                                          attributes=CONVENTIONS[convention]) as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
    got = _flat_span(live_server, trace_id)
    _check_canonical(got)
    if convention != "openinference":  # OpenInference carries no finish reason here
        assert got["finish_reasons"] == ["stop"]
    content = got["content"]
    assert ("user", USER_TEXT) in _texts(content["input_messages"])
    assert ("assistant", ANSWER) in _texts(content["output_messages"])
    assert got["content_sampled"] is True
    # content never stays in the skeleton's attribute bag
    assert not any("message" in key or key.startswith(("gen_ai.prompt.", "gen_ai.completion."))
                   for key in got["attributes"] or {})


def test_openai_v2_default_mode_content_as_log_records(live_server: LiveServer) -> None:
    """Official openai-v2 default (semconv 1.28–1.36): attributes on the span, messages as log events."""
    span_exporter = OTLPSpanExporter(endpoint=f"{live_server.url}/v1/traces")
    logs = LoggerProvider(resource=Resource.create({"service.name": "sdk-svc"}))
    logs.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{live_server.url}/v1/logs")))
    logger = logs.get_logger("opentelemetry.instrumentation.openai_v2")
    attrs = {k: v for k, v in CONVENTIONS["openai-v2 latest-experimental"].items()
             if not k.startswith("gen_ai.input") and not k.startswith("gen_ai.output")
             and k != "gen_ai.system_instructions" and k != "gen_ai.provider.name"}
    attrs["gen_ai.system"] = "openai"
    with sdk_tracer(span_exporter) as tracer:
        with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=attrs) as span:
            ctx = set_span_in_context(span)
            now = time.time_ns()
            for name, body in [
                ("gen_ai.system.message", {"content": SYSTEM}),
                ("gen_ai.user.message", {"content": USER_TEXT}),
                ("gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": {"content": ANSWER}}),
            ]:
                logger.emit(LogRecord(timestamp=now, context=ctx, event_name=name, body=body,
                                      attributes={"gen_ai.system": "openai"}))
            trace_id = format(span.get_span_context().trace_id, "032x")
    logs.shutdown()
    got = _flat_span(live_server, trace_id)
    _check_canonical(got)
    assert got["finish_reasons"] == ["stop"]
    inputs = _texts(got["content"]["input_messages"])
    assert ("user", USER_TEXT) in inputs
    assert ("assistant", ANSWER) in _texts(got["content"]["output_messages"])
    # content events are span content, not plain logs
    plain = httpx.get(f"{live_server.url}/api/v1/logs", params={"trace_id": trace_id}, timeout=10).json()["logs"]
    assert plain == []


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_metrics_from_real_sdk_are_stored(live_server: LiveServer, transport: str) -> None:
    if transport == "grpc":
        exporter = GrpcMetricExporter(endpoint=f"127.0.0.1:{live_server.grpc_port}", insecure=True)
    else:
        exporter = HttpMetricExporter(endpoint=f"{live_server.url}/v1/metrics")
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader], resource=Resource.create({"service.name": f"m-{transport}"}))
    meter = provider.get_meter("tests")
    usage = meter.create_histogram("gen_ai.client.token.usage", unit="{token}",
                                   explicit_bucket_boundaries_advisory=[1, 100, 1000])
    duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
    requests = meter.create_counter(f"llm.requests.{transport}")
    for tokens in (5, 50, 500, 5000):
        usage.record(tokens, {"gen_ai.token.type": "input", "gen_ai.provider.name": "openai"})
    duration.record(0.25, {"gen_ai.operation.name": "chat"})
    requests.add(3, {"feature": "weather"})
    provider.shutdown()  # one final collection and export
    points = httpx.get(f"{live_server.url}/api/v1/metrics", params={"name": "gen_ai.client.token.usage",
                                                                      "limit": 1000}, timeout=10).json()["points"]
    mine = [p for p in points if p["resource_attributes"].get("service.name") == f"m-{transport}"]
    (point,) = mine
    assert point["type"] == "histogram" and point["count"] == 4 and point["sum"] == 5555
    assert point["explicit_bounds"] == [1, 100, 1000] and point["bucket_counts"] == [0, 2, 1, 1]
    assert point["attributes"] == {"gen_ai.token.type": "input", "gen_ai.provider.name": "openai"}
    assert (point["min"], point["max"]) == (5, 5000)
    counter = httpx.get(f"{live_server.url}/api/v1/metrics", params={"name": f"llm.requests.{transport}"},
                        timeout=10).json()["points"]
    assert [(p["type"], p["value"], p["is_monotonic"], p["temporality"]) for p in counter] == [
        ("sum", 3.0, True, "cumulative")]
