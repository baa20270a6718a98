"""The public surface: pinned names, no-op safety before init, idempotent init, configuration."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import genlens
from genlens.errors import ConfigError
from genlens.sdk import state
from genlens.sdk.config import resolve_config

PUBLIC = ["Prompt", "__version__", "agent", "context", "diagnostics", "feedback", "force_flush", "init", "llm_call", "prompt",
          "record_guardrail_rejection", "record_validation_error", "retrieval", "shutdown", "span", "tool",
          "workflow"]


def test_all_is_pinned_and_sorted():
    assert genlens.__all__ == PUBLIC
    assert genlens.__all__ == sorted(genlens.__all__)
    for name in PUBLIC:
        assert hasattr(genlens, name)


def test_everything_is_a_noop_before_init():
    assert not state.CURRENT.active

    @genlens.workflow
    def wf(x):
        return x + 1

    @genlens.tool
    async def t(x):
        return x * 2

    @genlens.agent
    def gen():
        yield 1

    with genlens.context(feature="f", tenant="t"):
        assert wf(1) == 2
        assert asyncio.run(t(2)) == 4
        assert list(gen()) == [1]
        with genlens.span("s") as s:
            assert not s.is_recording()
        genlens.record_validation_error(ValueError("bad"))
        genlens.record_guardrail_rejection("pii", "found an email")
    genlens.feedback(trace_id="0" * 31 + "1", thumbs="up")
    assert genlens.force_flush()
    assert genlens.diagnostics()["label_overflow"] == 0  # counters are readable before init too
    genlens.shutdown()  # shutdown without init is harmless


def test_init_is_idempotent_and_shutdown_restores(tel_factory):
    tel = tel_factory()
    assert genlens.init(span_exporter=InMemorySpanExporter(), batch=False, set_global=False) is False
    with genlens.span("one"):
        pass
    assert [s.name for s in tel.spans()] == ["one"]
    genlens.shutdown()
    assert not state.CURRENT.active
    import openai.resources.chat.completions as oc

    assert not hasattr(oc.Completions.__dict__["create"], "__genlens_original__")


def test_prometheus_port_with_the_applications_meter_provider_warns_and_says_so(monkeypatch, caplog):
    from opentelemetry import metrics as otel_metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from genlens.sdk.setup import diagnostics

    app_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    monkeypatch.setattr(otel_metrics, "get_meter_provider", lambda: app_provider)
    try:
        genlens.init(service_name="svc", span_exporter=InMemorySpanExporter(), prometheus_port=0, environ={},
                     set_global=False, strict=True)
        assert diagnostics()["prometheus_skipped"] is True
        assert any("prometheus_port" in r.getMessage() for r in caplog.records)
    finally:
        genlens.shutdown()
        app_provider.shutdown()
    assert "prometheus_skipped" not in {k for k, v in diagnostics().items() if v}


def test_joins_an_application_configured_provider():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        genlens.init(tracer_provider=provider, environ={}, strict=True)
        app_tracer = provider.get_tracer("app")
        with app_tracer.start_as_current_span("request"):
            with genlens.span("inner"):
                pass
        names = {s.name: s for s in exporter.get_finished_spans()}
        assert names["inner"].parent.span_id == names["request"].context.span_id
    finally:
        genlens.shutdown()


def test_signal_endpoints_and_millisecond_settings_from_the_standard_variables():
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
           "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/otlp/spans",
           "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m:9/v1/metrics",
           "OTEL_BSP_SCHEDULE_DELAY": "250", "OTEL_EXPORTER_OTLP_TIMEOUT": "3000",
           "OTEL_METRIC_EXPORT_INTERVAL": "60000"}
    cfg = resolve_config({}, env)
    assert cfg.traces_endpoint == "https://traces.example/otlp/spans"  # used as given
    assert cfg.metrics_endpoint == "http://m:9/v1/metrics"
    assert (cfg.schedule_delay_s, cfg.export_timeout_s, cfg.metric_interval_s) == (0.25, 3.0, 60.0)
    assert resolve_config({"schedule_delay_s": 2}, env).schedule_delay_s == 2  # arguments stay in seconds
    # an endpoint given to init() is not overridden by the environment's per-signal ones
    explicit = resolve_config({"endpoint": "http://mine:4318"}, env)
    assert explicit.traces_endpoint is None and explicit.metrics_endpoint is None
    for key, value in [("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318"),
                       ("OTEL_BSP_SCHEDULE_DELAY", "-5"), ("OTEL_METRIC_EXPORT_INTERVAL", "soon")]:
        with pytest.raises(ConfigError, match=key):
            resolve_config({}, {key: value})


def test_config_precedence_and_env():
    env = {"OTEL_SERVICE_NAME": "from-otel", "GENLENS_SERVICE_NAME": "from-genlens",
           "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
           "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/", "GENLENS_BUDGETS": "chat=100, summary=2000",
           "OTEL_BSP_MAX_QUEUE_SIZE": "10"}
    cfg = resolve_config({}, env)
    assert cfg.service_name == "from-genlens"
    assert cfg.capture_content is True
    assert cfg.endpoint == "http://collector:4318"
    assert cfg.budgets == {"chat": 100, "summary": 2000}
    assert cfg.max_queue_size == 10 and cfg.max_export_batch_size == 10
    assert resolve_config({"service_name": "arg", "capture_content": False}, env).service_name == "arg"
    assert resolve_config({}, {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"}).capture_content
    assert resolve_config({"budgets": '{"a": 5}'}, {}).budgets == {"a": 5}


@pytest.mark.parametrize(("args", "env", "needle"), [
    ({"content_sample_rate": 1.5}, {}, "content_sample_rate"),
    ({}, {"GENLENS_CAPTURE_CONTENT": "maybe"}, "GENLENS_CAPTURE_CONTENT"),
    ({}, {"GENLENS_BUDGETS": "chat"}, "GENLENS_BUDGETS"),
    ({"budgets": {"chat": -1}}, {}, "budgets.chat"),
    ({"endpoint": "ftp://x"}, {}, "endpoint"),
    ({"instrument": "cohere"}, {}, "instrument"),
    ({"no_such_setting": 1}, {}, "no_such_setting"),
])
def test_config_errors_name_the_key(args, env, needle):
    with pytest.raises(ConfigError, match=needle):
        resolve_config(args, env)


def test_disabled_does_nothing():
    assert genlens.init(environ={"OTEL_SDK_DISABLED": "true"}) is False
    assert not state.CURRENT.active


def test_init_after_shutdown_does_not_join_its_own_retired_providers(monkeypatch):
    """A provider genlens set as the OTel global stays global after shutdown (the globals cannot be reset)."""
    from opentelemetry import metrics as otel_metrics
    from opentelemetry import trace
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from genlens.sdk import setup

    genlens.init(service_name="first", span_exporter=InMemorySpanExporter(), metric_reader=InMemoryMetricReader(),
                 set_global=False, environ={}, strict=True)
    first_tp, first_mp = setup._owned["tracer_provider"], setup._owned["meter_provider"]
    genlens.shutdown()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: first_tp)  # as if the first init had set them
    monkeypatch.setattr(otel_metrics, "get_meter_provider", lambda: first_mp)
    try:
        genlens.init(service_name="second", endpoint="http://127.0.0.1:9", set_global=False, environ={}, strict=True)
        assert setup._owned["tracer_provider"] is not first_tp
        assert setup._owned["meter_provider"] is not first_mp
        assert state.CURRENT.light is not None  # its own, live pipeline
    finally:
        genlens.shutdown(timeout_s=1)
