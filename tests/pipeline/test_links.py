"""Span links: decoded by both decoders alike, bounded, and written as the ``links`` column.

The expected values are computed here from the request that was built, not from
either decoder: which links can be followed (16- and 8-byte non-zero ids), the
first :data:`MAX_LINKS` of them kept in order, and every other link (refused, over
the cap, or already dropped by the sender) counted in ``app.llm.links.dropped``.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from genlens.pipeline.decode import JSON, MAX_LINKS, ValueDecoder, decode_spans, parse_request
from genlens.pipeline.fastdecode import decode_trace_bytes, decode_upb
from genlens.semconv import attrs as a
from genlens.semconv.normalize import normalize_span

NOW = time.time_ns()
TRACE, SPAN = b"\x01" * 16, b"\x02" * 8


def request_with(span: Span) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])])


def base_span(**fields: Any) -> Span:
    return Span(trace_id=TRACE, span_id=SPAN, name="consume", start_time_unix_nano=NOW - 10**9,
                end_time_unix_nano=NOW, **fields)


def kv(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def followable(link: Any) -> bool:
    return len(link.trace_id) == 16 and any(link.trace_id) and len(link.span_id) == 8 and any(link.span_id)


def expected(span: Span) -> tuple[list[tuple[str, str, str]], int]:
    """(trace id, span id, trace state) of the links a row must carry, and how many it must count as dropped."""
    kept = [(k.trace_id.hex(), k.span_id.hex(), k.trace_state) for k in span.links if followable(k)][:MAX_LINKS]
    return kept, span.dropped_links_count + len(span.links) - len(kept)


def decoded_all_ways(request: ExportTraceServiceRequest) -> list[Any]:
    """The one span as the native decoder, the upb walk and the OTLP/JSON path give it; all must agree."""
    body = request.SerializeToString()
    native = decode_trace_bytes(body, 64)[0]
    upb = decode_upb(body, 64)[0]
    json_body = orjson.dumps(_json_request(request))
    via_json = decode_spans(parse_request(json_body, JSON, ExportTraceServiceRequest), ValueDecoder(64))[0]
    assert native == upb == via_json
    assert len(native) == 1
    return native


def _json_request(request: ExportTraceServiceRequest) -> dict[str, Any]:
    """OTLP/JSON of the request, written by hand: hex ids, camelCase keys."""
    span = request.resource_spans[0].scope_spans[0].spans[0]
    return {"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": span.trace_id.hex(), "spanId": span.span_id.hex(), "name": span.name,
        "startTimeUnixNano": str(span.start_time_unix_nano), "endTimeUnixNano": str(span.end_time_unix_nano),
        "droppedLinksCount": span.dropped_links_count,
        "links": [{"traceId": k.trace_id.hex(), "spanId": k.span_id.hex(), "traceState": k.trace_state,
                   "attributes": [{"key": x.key, "value": {"stringValue": x.value.string_value}}
                                  for x in k.attributes]} for k in span.links],
    }]}]}]}


def test_links_decode_alike_and_bad_ids_are_dropped_with_a_count() -> None:
    span = base_span(dropped_links_count=4)
    span.links.add(trace_id=b"\x0a" * 16, span_id=b"\x0b" * 8, trace_state="vendor=1",
                   attributes=[kv("link.reason", AnyValue(string_value="batched with"))])
    span.links.add(trace_id=b"\x0a" * 15, span_id=b"\x0b" * 8)  # short trace id
    span.links.add(trace_id=b"\x0a" * 17, span_id=b"\x0b" * 8)  # long trace id
    span.links.add(trace_id=b"\x0c" * 16, span_id=bytes(8))  # zero span id
    span.links.add(trace_id=bytes(16), span_id=b"\x0b" * 8)  # zero trace id
    span.links.add(trace_id=b"\x0c" * 16, span_id=b"\x0d" * 8)
    raw = decoded_all_ways(request_with(span))[0]
    assert [(k.trace_id, k.span_id, k.trace_state) for k in raw.links] == [
        ("0a" * 16, "0b" * 8, "vendor=1"), ("0c" * 16, "0d" * 8, "")]
    assert raw.links[0].attributes == {"link.reason": "batched with"}
    assert raw.dropped_links == 4 + 4  # the sender's four, and four that cannot be followed
    assert ([(k.trace_id, k.span_id, k.trace_state) for k in raw.links], raw.dropped_links) == expected(span)


def test_links_over_the_cap_are_counted_not_kept() -> None:
    span = base_span()
    for i in range(MAX_LINKS + 75):
        if i % 10 == 3:
            span.links.add(trace_id=b"\x01", span_id=b"\x02")  # refused before the cap is reached
        else:
            span.links.add(trace_id=i.to_bytes(16, "big"), span_id=(i + 1).to_bytes(8, "big"))
    raw = decoded_all_ways(request_with(span))[0]
    kept, dropped = expected(span)
    assert len(raw.links) == MAX_LINKS
    assert [(k.trace_id, k.span_id, k.trace_state) for k in raw.links] == kept
    assert raw.dropped_links == dropped == 75


def test_a_hostile_number_of_links_stays_bounded() -> None:
    """A hundred thousand links (a few MB on the wire) in one span: decoded quickly, MAX_LINKS kept."""
    one = Span.Link(trace_id=b"\x05" * 16, span_id=b"\x06" * 8,
                    attributes=[kv("k", AnyValue(array_value=ArrayValue(values=[AnyValue(int_value=1)])))])
    link_bytes = b"".join(b"\x6a" + bytes([len(one.SerializeToString())]) + one.SerializeToString()
                          for _ in range(100_000))  # field 13, length-delimited
    body = _wrap(base_span().SerializeToString() + link_bytes)
    started = time.monotonic()
    spans, rejected = decode_trace_bytes(body, 64)
    elapsed = time.monotonic() - started
    assert rejected.count == 0 and len(spans) == 1
    assert len(spans[0].links) == MAX_LINKS and spans[0].dropped_links == 100_000 - MAX_LINKS
    assert elapsed < 10
    row, _ = normalize_span(spans[0])
    assert len(row["links"]) == MAX_LINKS
    assert row["attributes"][a.APP_LINKS_DROPPED] == 100_000 - MAX_LINKS


def _wrap(span_bytes: bytes) -> bytes:
    """request { resource_spans { scope_spans { spans: <span_bytes> } } } written by hand."""
    def ld(number: int, payload: bytes) -> bytes:
        n, out = len(payload), bytearray()
        while True:
            b, n = n & 0x7F, n >> 7
            out.append(b | (0x80 if n else 0))
            if not n:
                break
        return bytes([number << 3 | 2]) + bytes(out) + payload

    return ld(1, ld(2, ld(2, span_bytes)))


def test_the_links_column_is_json_with_hex_ids_attributes_and_trace_state_when_sent() -> None:
    span = base_span(dropped_links_count=2)
    span.links.add(trace_id=b"\xab" * 16, span_id=b"\xcd" * 8,
                   attributes=[kv("n", AnyValue(int_value=3)), kv("b", AnyValue(bytes_value=b"\x00\x01"))])
    span.links.add(trace_id=b"\x12" * 16, span_id=b"\x34" * 8, trace_state="rojo=00f067aa0ba902b7")
    raw = decode_upb(request_with(span).SerializeToString(), 64)[0][0]
    row, _ = normalize_span(raw)
    assert row["links"] == [
        {"trace_id": "ab" * 16, "span_id": "cd" * 8, "attributes": {"n": 3, "b": "AAE="}},
        {"trace_id": "12" * 16, "span_id": "34" * 8, "attributes": {}, "trace_state": "rojo=00f067aa0ba902b7"},
    ]
    assert orjson.loads(orjson.dumps(row["links"])) == row["links"]
    assert row["attributes"][a.APP_LINKS_DROPPED] == 2


def test_a_span_without_links_has_no_links_and_no_count() -> None:
    raw = decode_upb(request_with(base_span()).SerializeToString(), 64)[0][0]
    row, _ = normalize_span(raw)
    assert row["links"] is None
    assert a.APP_LINKS_DROPPED not in (row["attributes"] or {})


def test_long_trace_state_is_cut_like_any_string() -> None:
    span = base_span()
    span.links.add(trace_id=b"\x01" * 16, span_id=b"\x01" * 8, trace_state="x" * 100)
    body = request_with(span).SerializeToString()
    for decoded in (decode_trace_bytes(body, 10)[0], decode_upb(body, 10)[0]):
        assert decoded[0].links[0].trace_state == "x" * 10 + "…[truncated 90 chars]"
