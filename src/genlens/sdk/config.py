"""SDK configuration: ``init()`` arguments → ``GENLENS_*`` → standard ``OTEL_*`` → defaults.

This is the SDK's composition root, so it is the one place that reads the
environment; everything below receives an :class:`SdkConfig`.  The settings are
declared in :data:`SETTINGS`, a table of :class:`genlens.config_table.Setting`
resolved like the server's (one precedence, errors that name the key, where it
came from and the bad value).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from genlens.config_table import (
    BadEntry,
    Parser,
    Setting,
    boolean,
    name_counts,
    number,
    resolve_table,
    word_list,
)

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"
INSTRUMENTABLE = ("openai", "anthropic")


@dataclass(frozen=True)
class SdkConfig:
    service_name: str = "unknown_service"
    service_version: str | None = None
    environment: str | None = None
    endpoint: str = DEFAULT_ENDPOINT
    # full URLs for one signal (OTel: used as given, no /v1/... appended); default: endpoint + /v1/traces|metrics
    traces_endpoint: str | None = None
    metrics_endpoint: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    capture_content: bool = False
    content_sample_rate: float = 1.0
    redact: bool = True
    max_content_chars: int = 16384
    budgets: Mapping[str, int] = field(default_factory=dict)
    max_queue_size: int = 2048
    max_export_batch_size: int = 512
    schedule_delay_s: float = 1.0
    export_timeout_s: float = 5.0
    metric_interval_s: float = 15.0
    prometheus_port: int | None = None
    instrument: tuple[str, ...] = INSTRUMENTABLE
    disabled: bool = False
    include_usage_in_streams: bool = True
    max_label_values: int = 200
    propagate_threads: bool = True
    keep_native_spans: bool = False


# -- value types ---------------------------------------------------------------------------------------------


def _url(value: Any) -> str:
    url = str(value).strip()
    if not url.startswith(("http://", "https://")) or len(url) > 2048:
        raise ValueError("expected an http(s) URL")
    return url


def _base_url(value: Any) -> str:
    return _url(value).rstrip("/")


def _capture(value: Any) -> bool:
    """A boolean, or one of the OTel GenAI capture modes (any mode but no_content records content)."""
    text = str(value).strip().lower()
    if text in {"span_only", "span_and_event", "event_only"}:
        return True
    if text == "no_content":
        return False
    return boolean(value)


def _milliseconds(low_s: float, high_s: float) -> Parser:
    """The OTel variables of a duration are in milliseconds; the setting is in seconds."""
    parse = number(float, low_s * 1000, high_s * 1000)
    return lambda value: parse(value) / 1000


def _budgets(value: Any) -> dict[str, int]:
    """Token budgets per feature: a mapping, JSON text, or ``feature=tokens,feature=tokens``."""
    if isinstance(value, str) and value.strip().startswith("{"):
        value = json.loads(value)
    return dict(name_counts(value))


def _headers(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for part in (p for p in str(value).split(",") if p.strip()):
        if "=" not in part:
            raise ValueError("use key=value,…")
        key, text = part.split("=", 1)
        out[key.strip()] = text.strip()
    return out


def _instrument(value: Any) -> tuple[str, ...]:
    """Comma-separated text, or any collection of names (a list, tuple or set)."""
    names = word_list(value if isinstance(value, str | list | tuple) else sorted(map(str, value)))
    for name in names:
        if name not in INSTRUMENTABLE:
            raise BadEntry(name, name, f"known: {', '.join(INSTRUMENTABLE)}")
    return names


def _default(name: str) -> Any:
    found = next(f for f in fields(SdkConfig) if f.name == name)
    if found.default is not MISSING:
        return found.default
    assert found.default_factory is not MISSING
    return found.default_factory()


def _s(name: str, parse: Parser, help: str, env: tuple[str, ...] | None = None,
       env_types: tuple[tuple[str, Parser], ...] = ()) -> Setting:
    return Setting(name, parse, _default(name), help, env=env, env_types=env_types)


SETTINGS: tuple[Setting, ...] = (
    _s("service_name", str, "service.name of every span and metric.", ("GENLENS_SERVICE_NAME", "OTEL_SERVICE_NAME")),
    _s("service_version", str, "service.version."),
    _s("environment", str, "deployment.environment.name."),
    _s("endpoint", _base_url, "OTLP/HTTP base URL; /v1/traces and /v1/metrics are appended.",
       ("GENLENS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")),
    _s("traces_endpoint", _url, "Full URL for spans, used as given.", ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",)),
    _s("metrics_endpoint", _url, "Full URL for metrics, used as given.", ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",)),
    _s("headers", _headers, "key=value,… sent with every export.", ("GENLENS_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")),
    _s("capture_content", _capture, "Record messages, tool arguments and results.",
       ("GENLENS_CAPTURE_CONTENT", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")),
    _s("content_sample_rate", number(float, 0.0, 1.0), "Share of traces whose content is recorded."),
    _s("redact", boolean, "Mask personal data and secrets in content before export."),
    _s("max_content_chars", number(int, 64, 10**8), "Longer content values are cut."),
    _s("budgets", _budgets, "Per-feature token budgets."),
    _s("max_queue_size", number(int, 1, 10**7), "Spans waiting for export.",
       ("GENLENS_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_QUEUE_SIZE")),
    _s("max_export_batch_size", number(int, 1, 10**6), "Spans per export request.",
       ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE",)),
    _s("schedule_delay_s", number(float, 0.001, 3600), "Longest wait before queued spans are exported.",
       ("GENLENS_SCHEDULE_DELAY_S", "OTEL_BSP_SCHEDULE_DELAY"),
       (("OTEL_BSP_SCHEDULE_DELAY", _milliseconds(0.001, 3600)),)),
    _s("export_timeout_s", number(float, 0.01, 600), "Timeout of one export request.",
       ("GENLENS_EXPORT_TIMEOUT_S", "OTEL_EXPORTER_OTLP_TIMEOUT"),
       (("OTEL_EXPORTER_OTLP_TIMEOUT", _milliseconds(0.01, 600)),)),
    _s("metric_interval_s", number(float, 0.01, 86400), "Metric export interval.",
       ("GENLENS_METRIC_INTERVAL_S", "OTEL_METRIC_EXPORT_INTERVAL"),
       (("OTEL_METRIC_EXPORT_INTERVAL", _milliseconds(0.01, 86400)),)),
    _s("prometheus_port", number(int, 0, 65535), "Also serve the metrics on this port."),
    _s("instrument", _instrument, "Provider SDKs to instrument."),
    _s("disabled", boolean, "init() does nothing.", ("GENLENS_DISABLED", "OTEL_SDK_DISABLED")),
    _s("include_usage_in_streams", boolean, "Ask OpenAI streams for their final usage chunk."),
    _s("max_label_values", number(int, 1, 100_000), "Distinct values per metric label."),
    _s("propagate_threads", boolean, "Carry the trace context into executor jobs and new threads."),
    _s("keep_native_spans", boolean, "Keep a provider SDK's own spans beside genlens's."),
)
assert {s.name for s in SETTINGS} == {f.name for f in fields(SdkConfig)}, "every SdkConfig field is declared once"


def resolve_config(arguments: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> SdkConfig:
    """Resolve the SDK settings once; ``None`` arguments count as not given."""
    values = resolve_table(SETTINGS, arguments, os.environ if environ is None else environ)
    if arguments.get("endpoint") is not None:  # an endpoint given to init() beats the environment's per-signal ones
        for name in ("traces_endpoint", "metrics_endpoint"):
            if arguments.get(name) is None:
                values.pop(name, None)
    queue = values.get("max_queue_size", _default("max_queue_size"))
    if values.get("max_export_batch_size", _default("max_export_batch_size")) > queue:
        values["max_export_batch_size"] = queue
    return SdkConfig(**values)
