"""Build OTLP payloads for tests: through the real opentelemetry-sdk, or by hand for exact wire shapes."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, Mapping):
        out = AnyValue()
        out.kvlist_value.values.extend(key_values(value))
        return out
    if isinstance(value, list | tuple):
        out = AnyValue()
        out.array_value.values.extend(any_value(v) for v in value)
        return out
    raise TypeError(type(value))


def key_values(attributes: Mapping[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attributes.items()]


def new_trace_id() -> bytes:
    return os.urandom(16)


def new_span_id() -> bytes:
    return os.urandom(8)


def span_request(spans: list[dict[str, Any]], resource: Mapping[str, Any] | None = None) -> ExportTraceServiceRequest:
    """Each span dict: trace_id, span_id (bytes), parent (bytes|None), name, start, end (ns), attributes, status,
    events, links ([{trace_id, span_id (bytes), attributes}])."""
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend(key_values(resource or {"service.name": "test-svc"}))
    ss = rs.scope_spans.add()
    ss.scope.name = "tests"
    for s in spans:
        span = ss.spans.add()
        span.trace_id = s["trace_id"]
        span.span_id = s["span_id"]
        if s.get("parent"):
            span.parent_span_id = s["parent"]
        span.name = s.get("name", "span")
        span.kind = s.get("kind", 1)
        span.start_time_unix_nano = s["start"]
        span.end_time_unix_nano = s["end"]
        span.attributes.extend(key_values(s.get("attributes", {})))
        if s.get("status"):
            span.status.code = s["status"]
        for event in s.get("events", ()):
            e = span.events.add()
            e.name = event["name"]
            e.time_unix_nano = event.get("time", s["start"])
            e.attributes.extend(key_values(event.get("attributes", {})))
        for link in s.get("links", ()):
            item = span.links.add()
            item.trace_id = link["trace_id"]
            item.span_id = link["span_id"]
            item.attributes.extend(key_values(link.get("attributes", {})))
    return request


def log_request(records: list[dict[str, Any]], resource: Mapping[str, Any] | None = None) -> ExportLogsServiceRequest:
    """Each record: trace_id, span_id (bytes), event_name, body (python value), attributes, time."""
    request = ExportLogsServiceRequest()
    rl = request.resource_logs.add()
    rl.resource.attributes.extend(key_values(resource or {"service.name": "test-svc"}))
    sl = rl.scope_logs.add()
    for r in records:
        lr = sl.log_records.add()
        lr.time_unix_nano = r["time"]
        lr.trace_id = r.get("trace_id", b"")
        lr.span_id = r.get("span_id", b"")
        if r.get("event_name"):
            lr.event_name = r["event_name"]
        if "body" in r:
            lr.body.CopyFrom(any_value(r["body"]))
        lr.attributes.extend(key_values(r.get("attributes", {})))
    return request


@contextmanager
def sdk_tracer(exporter: SpanExporter, service: str = "sdk-svc", seed: int | None = None) -> Iterator[Any]:
    """A real opentelemetry-sdk TracerProvider exporting synchronously through ``exporter``."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield provider.get_tracer("tests")
    finally:
        provider.force_flush()
        provider.shutdown()


def rng(seed: int) -> random.Random:
    return random.Random(seed)
