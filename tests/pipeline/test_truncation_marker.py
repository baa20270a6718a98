"""One truncation marker: SDK content, redaction, both OTLP decoders and the helper cut text alike."""

from __future__ import annotations

import time

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from genlens.pipeline import fastdecode
from genlens.pipeline.decode import ValueDecoder
from genlens.privacy.redact import redact, truncate
from genlens.sdk.state import ContentPolicy

TEXT = "é" * 25 + "tail"  # 29 characters, multi-byte UTF-8 so bytes and characters differ
CUT = "é" * 10 + "…[truncated 19 chars]"  # written out: 29 - 10 characters dropped


def test_helper_marks_how_many_characters_were_dropped() -> None:
    assert truncate(TEXT, 10) == CUT
    assert truncate(TEXT, 29) == TEXT and truncate("", 0) == ""


def test_redaction_and_the_sdk_cut_with_the_same_marker() -> None:
    result = redact(TEXT, max_chars=10)
    assert (result.text, result.truncated) == (CUT, True)
    # the SDK cuts the JSON text it puts on the span: '"' + 25 'é' + 'tail"' is 31 characters
    text, _ = ContentPolicy(capture=True, redact=False, max_chars=10).encode(TEXT)
    assert text == '"' + "é" * 9 + "…[truncated 21 chars]"


@pytest.mark.parametrize("decoder", ["upb", "native"])
def test_both_otlp_decoders_cut_with_the_same_marker(decoder: str) -> None:
    if decoder == "native" and not fastdecode.AVAILABLE:
        pytest.fail("the native decoder is not built: run scripts/setup.sh test")
    assert ValueDecoder(10).value(AnyValue(string_value=TEXT)) == CUT
    now = time.time_ns()
    span = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="op", start_time_unix_nano=now - 10**9,
                end_time_unix_nano=now, attributes=[KeyValue(key="s", value=AnyValue(string_value=TEXT))])
    body = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])]).SerializeToString()
    decode = fastdecode.decode_trace_bytes if decoder == "native" else fastdecode.decode_upb
    spans, rejected = decode(body, 10)
    assert rejected.count == 0 and spans[0].attributes["s"] == CUT
