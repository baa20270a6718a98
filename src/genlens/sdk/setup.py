"""``init()`` / ``shutdown()``: the SDK's composition root.

``init`` sets up (or joins an already configured) TracerProvider and
MeterProvider with OTLP exporters behind bounded queues, then instruments the
installed provider SDKs.  It is idempotent: a second call while initialised
does nothing.  ``shutdown`` flushes within a bound, removes the patches and
returns the SDK to its no-op state.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Mapping
from typing import Any

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from genlens import __version__
from genlens.sdk import _safety, state, threads
from genlens.sdk.budgets import BudgetTracker
from genlens.sdk.config import SdkConfig, resolve_config
from genlens.sdk.export import BoundedBatchSpanProcessor, InlineSpanProcessor, ScopeFilterSpanProcessor
from genlens.sdk.lightspan import LightSpanFactory
from genlens.sdk.metrics import Metrics
from genlens.semconv import attrs

_log = logging.getLogger("genlens.sdk")
_lock = threading.RLock()
_owned: dict[str, Any] = {}
# Providers an earlier init() made and shutdown() shut down. The OTel globals cannot be set twice, so one
# of them may still be the global provider; a later init() must not join it (it exports nothing any more).
_retired: weakref.WeakSet[Any] = weakref.WeakSet()


def _resource(config: SdkConfig) -> Resource:
    values: dict[str, Any] = {attrs.SERVICE_NAME: config.service_name, "telemetry.sdk.name.genlens": __version__}
    if config.service_version:
        values[attrs.SERVICE_VERSION] = config.service_version
    if config.environment:
        values[attrs.DEPLOYMENT_ENVIRONMENT_NAME] = config.environment
    return Resource.create(values)


# Instrumentation scopes of provider SDKs that trace their own calls; genlens's span covers them.
NATIVE_PROVIDER_SCOPES = {"anthropic": "com.anthropic.sdk.python"}


def _span_processor(config: SdkConfig, exporter: SpanExporter | None, batch: bool) -> SpanProcessor:
    drop = frozenset(NATIVE_PROVIDER_SCOPES[n] for n in config.instrument if n in NATIVE_PROVIDER_SCOPES)
    inner = _inner_processor(config, exporter, batch)
    return ScopeFilterSpanProcessor(inner, drop) if drop and not config.keep_native_spans else inner


def _inner_processor(config: SdkConfig, exporter: SpanExporter | None, batch: bool) -> SpanProcessor:
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=config.traces_endpoint or config.endpoint + "/v1/traces",
                                    headers=dict(config.headers),
                                    timeout=config.export_timeout_s)
    if not batch:
        return InlineSpanProcessor(exporter)
    return BoundedBatchSpanProcessor(exporter, config.max_queue_size, config.max_export_batch_size,
                                     config.schedule_delay_s)


def _metric_reader(config: SdkConfig) -> MetricReader:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    exporter = OTLPMetricExporter(endpoint=config.metrics_endpoint or config.endpoint + "/v1/metrics",
                                  headers=dict(config.headers),
                                  timeout=config.export_timeout_s)
    return PeriodicExportingMetricReader(exporter, export_interval_millis=config.metric_interval_s * 1000,
                                         export_timeout_millis=config.export_timeout_s * 1000)


class OwnedTracerProvider(TracerProvider):
    """The TracerProvider genlens sets up itself.

    While genlens's processor is its only one, LLM spans are light spans finished
    by that processor off the caller's thread (:mod:`genlens.sdk.lightspan`).  A
    processor added by anyone else must see complete SDK spans, so adding one
    turns that off.
    """

    sealed = False

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        if self.sealed:
            state.CURRENT.light = None


def _tracer_provider(config: SdkConfig, given: Any, exporter: SpanExporter | None, batch: bool,
                     set_global: bool) -> Any:
    if given is not None:
        if exporter is not None:
            given.add_span_processor(_span_processor(config, exporter, batch))
        return given
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider) and exporter is None and current not in _retired:
        return current  # join the application's own configuration
    provider = OwnedTracerProvider(resource=_resource(config), shutdown_on_exit=False)
    processor = _span_processor(config, exporter, batch)
    provider.add_span_processor(processor)
    provider.sealed = True
    _owned["tracer_provider"] = provider
    _owned["span_processor"] = processor
    if set_global and not isinstance(current, TracerProvider):
        trace.set_tracer_provider(provider)
    return provider


def _meter_provider(config: SdkConfig, given: Any, reader: MetricReader | None, set_global: bool) -> Any:
    if given is not None:
        return given
    current = otel_metrics.get_meter_provider()
    if isinstance(current, MeterProvider) and reader is None and current not in _retired:
        if config.prometheus_port is not None:  # an SDK MeterProvider takes no readers once built
            _log.warning("genlens: prometheus_port %s is not served: metrics go to the application's own "
                         "MeterProvider; give it a Prometheus reader there", config.prometheus_port)
            _owned["prometheus_skipped"] = True
        return current
    readers = [reader or _metric_reader(config)]
    if config.prometheus_port is not None:
        from genlens.sdk.prometheus import PrometheusEndpoint

        def drain() -> None:
            if state.CURRENT.metrics is not None:
                state.CURRENT.metrics.drain()

        endpoint = PrometheusEndpoint("127.0.0.1", config.prometheus_port, before_scrape=drain)
        _owned["prometheus"] = endpoint
        readers.append(endpoint.reader)
    provider = MeterProvider(resource=_resource(config), metric_readers=readers, shutdown_on_exit=False)
    _owned["meter_provider"] = provider
    if set_global and not isinstance(current, MeterProvider):
        otel_metrics.set_meter_provider(provider)
    return provider


def _instrument(names: tuple[str, ...]) -> list[Any]:
    done = []
    for name in names:
        try:
            if name == "openai":
                from genlens.sdk.providers import openai as module
            else:
                from genlens.sdk.providers import anthropic as module  # type: ignore[no-redef]
            module.instrument()
            done.append(module)
        except ImportError:
            _log.debug("genlens: %s is not installed; not instrumented", name)
        except Exception as exc:
            _safety.report(f"instrument {name}", exc)
    return done


def init(
    service_name: str | None = None,
    *,
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    batch: bool = True,
    set_global: bool = True,
    strict: bool | None = None,
    environ: Mapping[str, str] | None = None,
    **settings: Any,
) -> bool:
    """Start genlens; returns True when this call initialised it, False when it was already running.

    ``settings`` are the :class:`~genlens.sdk.config.SdkConfig` fields (``endpoint``,
    ``capture_content``, ``content_sample_rate``, ``budgets`` …); each falls back to
    its ``GENLENS_*`` / ``OTEL_*`` environment variable, then to its default.
    """
    with _lock:
        if state.CURRENT.active:
            return False
        config = resolve_config({"service_name": service_name, **settings}, environ)
        if strict is not None:
            _safety.set_strict(strict)
        if config.disabled:
            return False
        tp = _tracer_provider(config, tracer_provider, span_exporter, batch, set_global)
        mp = _meter_provider(config, meter_provider, metric_reader, set_global)
        tracer = tp.get_tracer(state.SCOPE, __version__)
        metrics = Metrics(mp.get_meter(state.SCOPE, __version__), config.max_label_values)
        state.install(state.SdkState(
            tracer=tracer,
            metrics=metrics,
            content=state.ContentPolicy(config.capture_content, config.content_sample_rate, config.redact,
                                          config.max_content_chars),
            budgets=BudgetTracker(config.budgets),
            config=config,
            active=True,
            light=_light_spans(tp, tracer, metrics),
        ))
        _owned["instrumented"] = _instrument(config.instrument)
        if config.propagate_threads:
            threads.instrument()
            _owned["threads"] = True
        if not _owned.get("atexit"):
            atexit.register(shutdown)
            _owned["atexit"] = True
        return True


def _light_spans(provider: Any, tracer: Any, metrics: Metrics) -> LightSpanFactory | None:
    """Light LLM spans when this init made the provider and its only processor (see OwnedTracerProvider)."""
    processor = _owned.get("span_processor")
    if not isinstance(provider, OwnedTracerProvider) or provider is not _owned.get("tracer_provider") \
            or not isinstance(processor, (BoundedBatchSpanProcessor, InlineSpanProcessor, ScopeFilterSpanProcessor)) \
            or not hasattr(tracer, "id_generator"):
        return None
    return LightSpanFactory(tracer, processor, InstrumentationScope(state.SCOPE, __version__), metrics.defer)


def shutdown(timeout_s: float = 5.0) -> None:
    """Flush (bounded by ``timeout_s``), remove the patches, and return to the no-op state."""
    with _lock:
        for module in _owned.pop("instrumented", []):
            try:
                module.uninstrument()
            except Exception as exc:
                _safety.report("uninstrument", exc)
        if _owned.pop("threads", False):
            threads.uninstrument()
        # spans first: finishing the light LLM spans still queued submits their metric records
        processor = _owned.pop("span_processor", None)
        provider = _owned.pop("tracer_provider", None)
        if provider is not None:
            _retired.add(provider)
        batcher = _batcher(processor)
        if batcher is not None:
            batcher.shutdown(timeout_s)
            _owned["last_processor_stats"] = stats_of(batcher)
        elif processor is not None:
            processor.shutdown()
        del provider  # its only processor is ours, shut down above
        old_metrics = state.CURRENT.metrics
        state.reset()
        if old_metrics is not None:
            old_metrics.close()
        _owned.pop("prometheus_skipped", None)
        endpoint = _owned.pop("prometheus", None)
        if endpoint is not None:
            endpoint.close()
        meter_provider = _owned.pop("meter_provider", None)
        if meter_provider is not None:
            _retired.add(meter_provider)
            try:
                meter_provider.shutdown(timeout_millis=timeout_s * 1000)
            except Exception as exc:
                _safety.report("meter provider shutdown", exc)


def _batcher(processor: Any) -> BoundedBatchSpanProcessor | None:
    if isinstance(processor, ScopeFilterSpanProcessor):
        processor = processor.inner
    return processor if isinstance(processor, BoundedBatchSpanProcessor) else None


def stats_of(processor: BoundedBatchSpanProcessor) -> dict[str, int]:
    return {"dropped_spans": processor.dropped, "exported_spans": processor.exported,
            "export_failures": processor.export_failures}


def diagnostics() -> dict[str, Any]:
    """Counters of what the SDK dropped or failed at (spans, internal errors, label overflow)."""
    processor = _owned.get("span_processor")
    out: dict[str, Any] = dict(_owned.get("last_processor_stats", {}))
    batcher = _batcher(processor)
    if batcher is not None:
        out.update(stats_of(batcher))
    if isinstance(processor, ScopeFilterSpanProcessor):
        out["native_spans_filtered"] = processor.filtered
    m = state.CURRENT.metrics
    out["label_overflow"] = m.limiter.overflowed if m is not None else 0
    out["prometheus_skipped"] = bool(_owned.get("prometheus_skipped"))
    out["dropped_metric_records"] = m.dropped if m is not None else 0
    out["internal_errors"] = _safety.error_counts()
    return out


def force_flush(timeout_s: float = 5.0) -> bool:
    """Export what is queued now (tests and short scripts)."""
    ok = True
    provider = _owned.get("tracer_provider")
    if provider is not None:  # first: finishing light LLM spans submits their metric records
        ok = provider.force_flush(int(timeout_s * 1000)) and ok
    if state.CURRENT.metrics is not None:
        state.CURRENT.metrics.drain()
    mp = _owned.get("meter_provider")
    if mp is not None:
        ok = mp.force_flush(int(timeout_s * 1000)) and ok
    return ok
