"""Feedback is first-class: the SDK's feedback span lands in the ``scores`` table and in the trace API."""

from __future__ import annotations

from pathlib import Path

import httpx
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

import genlens
from tests.conftest import start_server
from tests.otlp_helpers import new_span_id, new_trace_id, span_request


def _post(url: str, spans: list[dict]) -> None:
    body = span_request(spans).SerializeToString()
    r = httpx.post(f"{url}/v1/traces", content=body, headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert r.status_code == 200, r.text


def test_sdk_feedback_is_linked_to_the_rated_span(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    provider = TracerProvider(resource=Resource.create({"service.name": "fb-test"}))
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        genlens.init("fb-test", tracer_provider=provider, span_exporter=OTLPSpanExporter(
            endpoint=f"{server.url}/v1/traces"), set_global=False, batch=False, instrument="",
            metric_interval_s=3600, endpoint=server.url)
        with genlens.context(feature="support", tenant="acme"):
            with genlens.span("answer") as rated:
                pass
            genlens.feedback(span=rated, thumbs="up", comment="mail me at bob@example.com")
            genlens.feedback(span=rated, signal="copied")
            genlens.feedback(span=rated, score=0.25)
        trace_id = format(rated.get_span_context().trace_id, "032x")
        span_id = format(rated.get_span_context().span_id, "016x")
        provider.force_flush()
        got = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", params={"tenant": "acme"}, timeout=10).json()
        feedback = got["feedback"]
        assert len(feedback) == 3
        assert {f["span_id"] for f in feedback} == {span_id}
        assert {f["trace_id"] for f in feedback} == {trace_id}
        by_kind = {(f["thumbs"], f["signal"]): f for f in feedback}
        thumbs = by_kind[("up", None)]
        assert thumbs["source"] == "user" and thumbs["value"] == 1.0
        assert "bob@example.com" not in thumbs["comment"]  # redacted by the SDK
        implicit = by_kind[(None, "copied")]
        assert implicit["source"] == "implicit" and implicit["value"] is None
        assert by_kind[(None, None)]["value"] == 0.25
        assert thumbs["attributes"]["app.llm.feature"] == "support"
        # the feedback spans themselves still sit in the tree under the rated span
        flat = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", params={"tenant": "acme", "format": "flat"},
                         timeout=10).json()["spans"]
        kids = [s for s in flat if s["name"] == "feedback"]
        assert len(kids) == 3 and {s["parent_span_id"] for s in kids} == {span_id}
    finally:
        genlens.shutdown()
        provider.shutdown()
        server.stop()


def test_hostile_feedback_attributes_are_dropped_field_by_field(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        trace_id, rated, now = new_trace_id(), new_span_id(), 1_700_000_000_000_000_000
        spans = [
            {"trace_id": trace_id, "span_id": rated, "name": "answer", "start": now, "end": now + 10,
             "attributes": {}},
            {"trace_id": trace_id, "span_id": new_span_id(), "parent": rated, "name": "feedback",
             "start": now + 20, "end": now + 21, "attributes": {
                 "app.llm.span.kind": "feedback", "app.llm.feedback.trace_id": "zz" * 16,
                 "app.llm.feedback.span_id": "not-hex", "app.llm.feedback.thumbs": "sideways",
                 "app.llm.feedback.score": "NaN", "app.llm.feedback.source": "robot",
                 "app.llm.feedback.comment": "x" * 10_000, "app.llm.feedback.signal": "s" * 1000}},
        ]
        _post(server.url, spans)
        got = httpx.get(f"{server.url}/api/v1/traces/{trace_id.hex()}", timeout=10).json()
        (fb,) = got["feedback"]
        assert fb["trace_id"] == trace_id.hex()
        assert fb["span_id"] == rated.hex()  # fell back to the parent span
        assert fb["thumbs"] is None and fb["value"] is None and fb["source"] == "user"
        assert len(fb["comment"]) == 4096 and len(fb["signal"]) == 128
        # a trace without feedback has an empty list
        other = new_trace_id()
        _post(server.url, [{"trace_id": other, "span_id": new_span_id(), "name": "x", "start": now, "end": now + 1,
                            "attributes": {}}])
        assert httpx.get(f"{server.url}/api/v1/traces/{other.hex()}", timeout=10).json()["feedback"] == []
    finally:
        server.stop()


def test_trace_level_feedback_has_no_span() -> None:
    from genlens.pipeline.scores import PLACEHOLDER_PARENT, feedback_row, is_feedback
    from genlens.semconv.model import RawSpan

    tid = "ab" * 16
    raw = RawSpan(tid, "cd" * 8, PLACEHOLDER_PARENT, "feedback", 1, 5, 6, 0, "", {
        "app.llm.span.kind": "feedback", "app.llm.feedback.trace_id": tid, "app.llm.feedback.score": 3,
        "app.llm.feedback.source": "implicit", "app.llm.feature": "x"})
    assert is_feedback(raw)
    row = feedback_row(raw, "t1")
    assert row["span_id"] is None and row["trace_id"] == tid and row["value"] == 3.0
    assert row["source"] == "implicit" and row["tenant"] == "t1" and row["time_ns"] == 5
    assert row["attributes"] == {"app.llm.span.kind": "feedback", "app.llm.feature": "x"}
    other = RawSpan(tid, "cd" * 8, None, "answer", 1, 5, 6, 0, "", {"app.llm.span.kind": "agent"})
    assert not is_feedback(other)
    booly = RawSpan(tid, "cd" * 8, "ef" * 8, "feedback", 1, 5, 6, 0, "", {
        "app.llm.span.kind": "feedback", "app.llm.feedback.score": True, "app.llm.feedback.thumbs": "down",
        "app.llm.feedback.span_id": "00" * 8})
    row = feedback_row(booly, "t")
    assert row["span_id"] == "ef" * 8 and row["value"] == 0.0 and row["thumbs"] == "down"
