"""Decode OTLP requests (protobuf or JSON) into raw spans, logs and metric points.

Each request is parsed once, with protobuf's C parser (upb); the walk below turns
it into plain Python values.  Per-item validation lives here too: an invalid span
(bad ids, end before start, absurd time) is rejected and counted for
``partial_success`` while the rest of the batch goes on.  Attribute values of any
type are kept; strings longer than the configured limit are truncated with a marker.
"""

from __future__ import annotations

import base64
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from genlens.errors import BadRequest
from genlens.pipeline.otlp_json import parse_json
from genlens.privacy.redact import truncate
from genlens.semconv.model import RawEvent, RawLink, RawLog, RawSpan

MIN_TIME_NS = 946_684_800 * 10**9  # 2000-01-01: anything earlier is a clock bug, not data
FUTURE_SLACK_NS = 24 * 3600 * 10**9  # accept clocks up to a day ahead
MAX_DURATION_NS = 31 * 24 * 3600 * 10**9
MAX_VALUE_DEPTH = 16
MAX_LINKS = 128  # links kept per span (the OTel SDKs' default limit); the rest are counted in dropped_links
_MAX_REASONS = 5

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def parse_request(body: bytes, content_type: str, message_type: type[Message]) -> Any:
    """Parse one OTLP request body of either encoding; raises BadRequest on malformed input."""
    if content_type == JSON:
        return parse_json(body, message_type)
    message = message_type()
    try:
        message.ParseFromString(body)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise BadRequest(f"body is not a valid protobuf {message_type.__name__}: {exc}") from exc
    return message


@dataclass(slots=True)
class Rejections:
    """Items of a batch refused one by one, with the first few reasons kept for the answer."""

    count: int = 0
    reasons: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)  # kind of reason → items (the /metrics label)

    def add(self, reason: str, kind: str) -> None:
        """Count one refused item: ``reason`` for the answer, ``kind`` (invalid_id, invalid_time, no_data,
        not_normalized) for ``genlens_items_rejected_total``."""
        self.count += 1
        self.kinds[kind] += 1
        if len(self.reasons) < _MAX_REASONS:
            self.reasons.append(reason)

    @property
    def message(self) -> str:
        if not self.count:
            return ""
        more = f" (and {self.count - len(self.reasons)} more)" if self.count > len(self.reasons) else ""
        return "; ".join(self.reasons) + more


class ValueDecoder:
    """Turns OTLP AnyValue / KeyValue lists into Python values, truncating long strings."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars

    def _str(self, text: str) -> str:
        return truncate(text, self.max_chars)

    def value(self, v: Any, depth: int = 0) -> Any:
        which = v.WhichOneof("value")
        if which == "string_value":
            s = v.string_value
            return s if len(s) <= self.max_chars else self._str(s)
        if which == "int_value":
            return v.int_value
        if which == "double_value":
            return v.double_value
        if which == "bool_value":
            return v.bool_value
        if depth >= MAX_VALUE_DEPTH:
            return "[nested too deeply]"
        if which == "array_value":
            return [self.value(x, depth + 1) for x in v.array_value.values]
        if which == "kvlist_value":
            return {kv.key: self.value(kv.value, depth + 1) for kv in v.kvlist_value.values}
        if which == "bytes_value":
            return self._str(base64.b64encode(v.bytes_value).decode("ascii"))
        return None

    def attributes(self, kvs: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        value = self.value
        for kv in kvs:
            v = kv.value
            which = v.WhichOneof("value")
            if which == "string_value":
                s = v.string_value
                out[kv.key] = s if len(s) <= self.max_chars else self._str(s)
            elif which == "int_value":
                out[kv.key] = v.int_value
            elif which == "double_value":
                out[kv.key] = v.double_value
            elif which == "bool_value":
                out[kv.key] = v.bool_value
            else:
                out[kv.key] = value(v)
        return out


def check_time(start_ns: int, end_ns: int, now_ns: int) -> str | None:
    """Reason a span's times are unacceptable, or None."""
    if start_ns < MIN_TIME_NS:
        return f"start time {start_ns} is before 2000-01-01"
    if start_ns > now_ns + FUTURE_SLACK_NS:
        return f"start time {start_ns} is more than a day in the future"
    if end_ns < start_ns:
        return "end time before start time"
    if end_ns - start_ns > MAX_DURATION_NS:
        return "duration over 31 days"
    return None


def decode_spans(request: ExportTraceServiceRequest, values: ValueDecoder) -> tuple[list[RawSpan], Rejections]:
    """Walk a trace export request into raw spans; invalid spans are rejected one by one."""
    spans: list[RawSpan] = []
    rejected = Rejections()
    now_ns = time.time_ns()
    attributes = values.attributes
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope_name = scope_spans.scope.name
            for span in scope_spans.spans:
                trace_id, span_id, parent = span.trace_id, span.span_id, span.parent_span_id
                if len(trace_id) != 16 or not any(trace_id):
                    rejected.add(f"span {span.name[:60]!r}: invalid trace_id (must be 16 non-zero bytes)", "invalid_id")
                    continue
                if len(span_id) != 8 or not any(span_id):
                    rejected.add(f"span {span.name[:60]!r}: invalid span_id (must be 8 non-zero bytes)", "invalid_id")
                    continue
                if parent and len(parent) != 8:
                    rejected.add(f"span {span.name[:60]!r}: invalid parent_span_id (must be 8 bytes)", "invalid_id")
                    continue
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                reason = check_time(start, end, now_ns)
                if reason:
                    rejected.add(f"span {span.name[:60]!r}: {reason}", "invalid_time")
                    continue
                events = [
                    RawEvent(e.name, e.time_unix_nano, attributes(e.attributes)) for e in span.events
                ] if span.events else []
                links, dropped_links = _links(span, values) if span.links else ([], span.dropped_links_count)
                spans.append(
                    RawSpan(
                        trace_id=trace_id.hex(),
                        span_id=span_id.hex(),
                        parent_span_id=parent.hex() if parent and any(parent) else None,
                        name=values._str(span.name),
                        otel_kind=span.kind,
                        start_ns=start,
                        end_ns=end,
                        status_code=span.status.code,
                        status_message=values._str(span.status.message),
                        attributes=attributes(span.attributes),
                        events=events,
                        resource=resource,
                        scope_name=scope_name,
                        links=links,
                        dropped_links=dropped_links,
                    )
                )
    return spans, rejected


def _links(span: Any, values: ValueDecoder) -> tuple[list[RawLink], int]:
    """The first MAX_LINKS links with valid ids, and how many the span lost (sender's count included).

    A link is worth keeping only when it can be followed, so ids of the wrong length
    or all zero drop it; the count says that something was there.
    """
    links: list[RawLink] = []
    for link in span.links:
        if len(links) == MAX_LINKS:
            break
        trace_id, span_id = link.trace_id, link.span_id
        if len(trace_id) == 16 and any(trace_id) and len(span_id) == 8 and any(span_id):
            links.append(RawLink(trace_id.hex(), span_id.hex(), values._str(link.trace_state),
                                 values.attributes(link.attributes)))
    return links, span.dropped_links_count + len(span.links) - len(links)


def decode_logs(request: ExportLogsServiceRequest, values: ValueDecoder) -> tuple[list[RawLog], Rejections]:
    """Walk a logs export request into raw log records."""
    logs: list[RawLog] = []
    rejected = Rejections()
    now_ns = time.time_ns()
    for resource_logs in request.resource_logs:
        resource = values.attributes(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                when = record.time_unix_nano or record.observed_time_unix_nano
                if when == 0:
                    when = now_ns
                reason = check_time(when, when, now_ns)
                if reason:
                    rejected.add(f"log record: {reason}", "invalid_time")
                    continue
                trace_id, span_id = record.trace_id, record.span_id
                if trace_id and len(trace_id) != 16 or span_id and len(span_id) != 8:
                    rejected.add("log record: invalid trace_id/span_id length", "invalid_id")
                    continue
                attrs = values.attributes(record.attributes)
                event_name = record.event_name or str(attrs.get("event.name") or "")
                logs.append(
                    RawLog(
                        time_ns=when,
                        trace_id=trace_id.hex() if trace_id and any(trace_id) else None,
                        span_id=span_id.hex() if span_id and any(span_id) else None,
                        event_name=event_name,
                        body=values.value(record.body) if record.HasField("body") else None,
                        attributes=attrs,
                        resource=resource,
                        severity_text=record.severity_text or _severity_text(record.severity_number),
                    )
                )
    return logs, rejected


def _severity_text(number: int) -> str:
    if number <= 0:
        return ""
    names = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
    return names[min((number - 1) // 4, 5)]
