"""A custom stage named in settings runs in a real ``genlens serve``, with ingest_workers 0 and 1, and sees content."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.conftest import start_server
from tests.metrics.helpers import samples, value, wait_for

STAGE = textwrap.dedent('''
    def mark(batch, ctx):
        seen = {(c["trace_id"], c["span_id"]) for c in batch.content}
        for row in batch.spans:
            row["attributes"] = dict(row.get("attributes") or {})
            row["attributes"]["stage.signal"] = ctx.signal
            row["attributes"]["stage.saw_content"] = (row["trace_id"], row["span_id"]) in seen
        return batch

    def drop_content(batch, ctx):
        batch.content = []
        for row in batch.spans:
            row["content_sampled"] = False
        return batch
''')


@pytest.mark.parametrize("workers", ["0", "1"])
def test_custom_stage_edits_spans_and_sees_content(tmp_path: Path, workers: str) -> None:
    (tmp_path / "mystages.py").write_text(STAGE)
    server = start_server(tmp_path / "data", extra_env={
        "PYTHONPATH": str(tmp_path), "GENLENS_STAGES": "mystages:mark", "GENLENS_INGEST_WORKERS": workers,
        "GENLENS_COST_DETECT_INTERVAL_S": "0"})
    try:
        provider = TracerProvider(resource=Resource.create({"service.name": "stage-test"}))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{server.url}/v1/traces")))
        tracer = provider.get_tracer("t")
        with tracer.start_as_current_span("chat gpt-4o") as with_content:
            with_content.set_attribute("gen_ai.operation.name", "chat")
            with_content.set_attribute("gen_ai.system", "openai")
            with_content.set_attribute("gen_ai.request.model", "gpt-4o")
            with_content.set_attribute("gen_ai.input.messages", json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "hello"}]}]))
            with tracer.start_as_current_span("plain") as plain:
                pass
        provider.shutdown()
        trace_id = format(with_content.get_span_context().trace_id, "032x")
        got = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", params={"format": "flat"}, timeout=10)
        assert got.status_code == 200, got.text
        spans = {s["span_id"]: s for s in got.json()["spans"]}
        rich = spans[format(with_content.get_span_context().span_id, "016x")]["attributes"]
        bare = spans[format(plain.get_span_context().span_id, "016x")]["attributes"]
        assert rich["stage.signal"] == "traces" and bare["stage.signal"] == "traces"
        assert rich["stage.saw_content"] is True
        assert bare["stage.saw_content"] is False
        found = samples(server.url)
        assert value(found, "genlens_content_seen_spans_total") == value(found, "genlens_content_kept_spans_total") == 1
    finally:
        server.stop()


def test_content_a_stage_drops_is_seen_but_not_kept(tmp_path: Path) -> None:
    (tmp_path / "mystages.py").write_text(STAGE)
    server = start_server(tmp_path / "data", extra_env={
        "PYTHONPATH": str(tmp_path), "GENLENS_STAGES": "mystages:drop_content", "GENLENS_INGEST_WORKERS": "0",
        "GENLENS_COST_DETECT_INTERVAL_S": "0"})
    try:
        provider = TracerProvider(resource=Resource.create({"service.name": "stage-test"}))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{server.url}/v1/traces")))
        for _ in range(3):
            with provider.get_tracer("t").start_as_current_span("chat gpt-4o") as span:
                span.set_attribute("gen_ai.operation.name", "chat")
                span.set_attribute("gen_ai.input.messages", json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "my card is 4111 1111 1111 1111"}]}]))
        provider.shutdown()
        found = wait_for(server.url, "genlens_spans_accepted_total", 3)
        assert value(found, "genlens_content_seen_spans_total") == 3
        assert value(found, "genlens_content_kept_spans_total") == 0
    finally:
        server.stop()
