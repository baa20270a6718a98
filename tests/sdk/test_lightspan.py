"""Light LLM spans (genlens owns the provider) export exactly what SDK spans (a joined provider) export."""

from __future__ import annotations

import openai
import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, TraceIdRatioBased

import genlens
from genlens.sdk import _safety, setup, state
from genlens.sdk.lightspan import LightSpan
from genlens.semconv import attrs
from tests.sdk.test_openai import client

MODEL = "gpt-4o-mini"
# differ between any two calls by nature
VOLATILE = {attrs.APP_TOTAL_LATENCY_S, attrs.GEN_AI_RESPONSE_ID, attrs.APP_CONVERSATION_CUMULATIVE_TOKENS}


ODD_VALUES = {"odd.object": object(), "odd.nested": {"a": object()}, "odd.list": [1, "x"], "odd.none": None,
              "odd.long": "x" * 100_000}


def _calls(sim) -> None:
    c = client(sim)
    with genlens.context(feature="faq", tenant="acme", conversation_id="c-1"):
        c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], temperature=0.5,
                                  stop=["END"], seed=3)
        c.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
        sim.set_faults("gpt-4o", error_rates={429: 1.0})
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])


def _shape(span) -> dict:
    events = [(e.name, {k: v for k, v in e.attributes.items() if k != "exception.stacktrace"},
               "Traceback" in e.attributes.get("exception.stacktrace", "Traceback")) for e in span.events]
    return {"name": span.name, "kind": span.kind, "status": (span.status.status_code, span.status.description),
            "scope": span.instrumentation_scope.name, "events": events,
            "attributes": {k: v for k, v in span.attributes.items() if k not in VOLATILE}}


def _run(sim, *, own: bool, batch: bool = False) -> tuple[list, list]:
    exporter = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    try:
        if own:
            genlens.init(service_name="svc", span_exporter=exporter, metric_reader=reader, batch=batch,
                         set_global=False, strict=True, environ={})
            assert state.CURRENT.light is not None
        else:
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            genlens.init(service_name="svc", tracer_provider=provider, metric_reader=reader, set_global=False,
                         strict=True, environ={})
            assert state.CURRENT.light is None
        _calls(sim)
        assert genlens.force_flush(10)
        spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time)
        return spans, list(reader.get_metrics_data().resource_metrics)
    finally:
        genlens.shutdown()
        _safety.set_strict(False)
        sim.clear_faults()


@pytest.mark.parametrize("batch", [False, True])
def test_light_spans_export_what_sdk_spans_export(sim, batch):
    light, _ = _run(sim, own=True, batch=batch)
    full, _ = _run(sim, own=False)
    assert [_shape(s) for s in light] == [_shape(s) for s in full]
    assert len(light) == 3
    error = light[2]
    assert error.status.status_code.name == "ERROR"
    assert error.attributes[attrs.ERROR_TYPE] == "rate_limited"
    assert error.events[0].name == "exception"
    assert "RateLimitError" in error.events[0].attributes["exception.stacktrace"]
    assert error.events[0].attributes["exception.type"] == "openai.RateLimitError"
    assert all(s.attributes[attrs.APP_TOTAL_LATENCY_S] > 0 for s in light)
    assert all(s.end_time >= s.start_time for s in light)
    assert _safety.error_counts() == {}


def test_llm_span_is_parent_and_current_inside_llm_call(tel):
    seen = {}

    @genlens.llm_call(provider="openai", model=MODEL)
    def call() -> dict:
        current = trace.get_current_span()
        seen["light"] = isinstance(current, LightSpan)
        current.set_attribute("app.custom", "yes")
        for key, value in ODD_VALUES.items():
            current.set_attribute(key, value)
        current.add_event("retrying", {"attempt": 2})
        with genlens.span("inner"):
            pass
        return {"usage": {"prompt_tokens": 3, "completion_tokens": 2}}

    with genlens.span("outer"):
        call()
    by_name = {s.name: s for s in tel.spans()}
    llm, inner, outer = by_name[f"chat {MODEL}"], by_name["inner"], by_name["outer"]
    assert seen["light"] is True
    assert inner.parent.span_id == llm.context.span_id
    assert llm.parent.span_id == outer.context.span_id
    assert llm.context.trace_id == outer.context.trace_id
    assert llm.attributes["app.custom"] == "yes"
    reference = TracerProvider().get_tracer("ref").start_span("ref")  # what an SDK span keeps of them
    for key, value in ODD_VALUES.items():
        reference.set_attribute(key, value)
    assert {k: llm.attributes.get(k) for k in ODD_VALUES} == {k: reference.attributes.get(k) for k in ODD_VALUES}
    assert llm.attributes[attrs.GEN_AI_USAGE_INPUT_TOKENS] == 3
    assert [e.name for e in llm.events] == ["retrying"] and llm.events[0].attributes["attempt"] == 2
    _safety.reset_error_counts()


def test_a_processor_added_later_turns_light_spans_off_and_sees_whole_spans(sim, tel):
    assert state.CURRENT.light is not None
    other = InMemorySpanExporter()
    setup._owned["tracer_provider"].add_span_processor(SimpleSpanProcessor(other))  # genlens's own provider
    assert state.CURRENT.light is None
    client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    (span,) = other.get_finished_spans()
    assert span.attributes[attrs.GEN_AI_USAGE_INPUT_TOKENS] > 0
    assert span.attributes[attrs.APP_COST_USD] > 0


@pytest.mark.parametrize("sampler", [ALWAYS_OFF, TraceIdRatioBased(0.0)])
def test_unsampled_calls_export_nothing_but_still_count(sim, sampler, monkeypatch):
    exporter = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    monkeypatch.setattr(TracerProvider, "__init__", _with_sampler(TracerProvider.__init__, sampler))
    try:
        genlens.init(service_name="svc", span_exporter=exporter, metric_reader=reader, batch=True,
                     set_global=False, strict=True, environ={})
        assert state.CURRENT.light is not None and not state.CURRENT.light.parent_only
        for _ in range(3):
            client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
        assert genlens.force_flush(10)
        assert exporter.get_finished_spans() == ()
        points = [p for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics
                  for m in sm.metrics if m.name == "app.llm.requests" for p in m.data.data_points]
        assert sum(p.value for p in points) == 3
    finally:
        genlens.shutdown()
        _safety.set_strict(False)


def _with_sampler(init, sampler):
    def patched(self, *args, **kwargs):
        kwargs["sampler"] = sampler
        init(self, *args, **kwargs)

    return patched


def test_content_is_what_was_sent_even_if_the_app_changes_its_messages_afterwards(sim):
    exporter = InMemorySpanExporter()
    try:
        genlens.init(service_name="svc", span_exporter=exporter, metric_reader=InMemoryMetricReader(), batch=True,
                     schedule_delay_s=3600, capture_content=True, set_global=False, strict=True, environ={})
        messages = [{"role": "user", "content": "my card is 4111 1111 1111 1111"}]
        client(sim).chat.completions.create(model=MODEL, messages=messages)
        messages[0]["content"] = "changed"  # after the call, before the span is exported
        messages.append({"role": "user", "content": "another"})
        assert exporter.get_finished_spans() == ()  # still queued: encoded on the export thread
        assert genlens.force_flush(10)
        (span,) = exporter.get_finished_spans()
        sent = span.attributes[attrs.GEN_AI_INPUT_MESSAGES]
        assert "changed" not in sent and "another" not in sent
        assert "4111" not in sent and span.attributes[attrs.APP_REDACTED] is True
    finally:
        genlens.shutdown()
        _safety.set_strict(False)


def test_span_contexts_built_directly_equal_the_api_constructor():
    from random import getrandbits

    from genlens.sdk import lightspan

    assert lightspan._span_context is lightspan._fast_span_context  # the installed API matched the check
    for sampled in (False, True):
        for random_id in (False, True):
            args = (getrandbits(128) or 1, getrandbits(64) or 1, lightspan._FLAGS[sampled, random_id],
                    lightspan.DEFAULT_TRACE_STATE)
            fast, real = lightspan._fast_span_context(*args), lightspan._checked_span_context(*args)
            assert fast == real and type(fast) is type(real)
            assert (fast.trace_id, fast.span_id, fast.is_remote, fast.trace_flags, fast.is_valid) == (
                real.trace_id, real.span_id, real.is_remote, real.trace_flags, real.is_valid)
            assert fast.trace_flags.sampled is sampled


def test_a_full_span_queue_drops_spans_but_every_call_still_counts(sim):
    import threading

    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    from genlens.sdk.setup import diagnostics

    class Stuck(SpanExporter):  # a collector that does not answer until released
        def __init__(self) -> None:
            self.release = threading.Event()
            self.spans = 0

        def export(self, spans):
            self.release.wait(30)
            self.spans += len(spans)
            return SpanExportResult.SUCCESS

    exporter, reader = Stuck(), InMemoryMetricReader()
    try:
        genlens.init(service_name="svc", span_exporter=exporter, metric_reader=reader, batch=True,
                     max_queue_size=2, max_export_batch_size=1, schedule_delay_s=0.01, set_global=False,
                     strict=True, environ={})
        openai_client = client(sim)
        with genlens.context(feature="faq", conversation_id="conv-full"):
            for _ in range(12):
                openai_client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
        dropped = diagnostics()["dropped_spans"]
        assert dropped >= 8  # at most one exporting, two queued (and one in flight per thread)
        exporter.release.set()
        assert genlens.force_flush(10)
        assert exporter.spans == 12 - dropped
        points = [p for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics
                  for m in sm.metrics if m.name == "app.llm.requests" for p in m.data.data_points]
        assert sum(p.value for p in points) == 12  # dropped spans still counted, off the callers' thread
        assert state.CURRENT.budgets.conversation_tokens("conv-full") > 0
    finally:
        genlens.shutdown()
        _safety.set_strict(False)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork()")
def test_a_forked_child_exports_its_own_spans(sim, tmp_path):
    """Pre-forking servers (gunicorn --preload …) call init() once, then fork: export must go on in the child."""
    import os

    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    out = tmp_path / "spans.txt"

    class ToFile(SpanExporter):
        def export(self, spans):
            with open(out, "a") as f:
                f.writelines(f"{os.getpid()} {s.name}\n" for s in spans)
            return SpanExportResult.SUCCESS

    genlens.init(service_name="svc", span_exporter=ToFile(), metric_reader=InMemoryMetricReader(), batch=True,
                 schedule_delay_s=0.05, set_global=False, environ={})
    try:
        with genlens.span("parent-before-fork"):
            pass
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            code = 4
            try:
                client(sim).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
                with genlens.span("child"):
                    pass
                code = 0 if genlens.force_flush(10) else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert genlens.force_flush(10)
        rows = [line.split(" ", 1) for line in out.read_text().splitlines()]
        assert sorted(name for who, name in rows if int(who) == pid) == [f"chat {MODEL}", "child"]
        assert [name for who, name in rows if int(who) == os.getpid()] == ["parent-before-fork"]
    finally:
        genlens.shutdown()


def test_a_custom_id_generator_and_its_invalid_ids_are_respected(monkeypatch):
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class Counting(IdGenerator):
        def __init__(self) -> None:
            self.n = 0

        def generate_span_id(self) -> int:
            self.n += 1
            return self.n

        def generate_trace_id(self) -> int:
            return 0  # invalid: the span context must say so, as the API's constructor would

    generator = Counting()
    init = TracerProvider.__init__

    def patched(self, *args, **kwargs):
        kwargs["id_generator"] = generator
        init(self, *args, **kwargs)

    monkeypatch.setattr(TracerProvider, "__init__", patched)
    try:
        genlens.init(service_name="svc", span_exporter=InMemorySpanExporter(), metric_reader=InMemoryMetricReader(),
                     batch=False, set_global=False, environ={})
        span = state.CURRENT.light.start("x")
        context = span.get_span_context()
        assert (context.trace_id, context.span_id) == (0, 1)
        assert context.is_valid is False
    finally:
        genlens.shutdown()
