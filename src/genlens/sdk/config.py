"""SDK configuration: ``init()`` arguments → ``GENLENS_*`` → standard ``OTEL_*`` → defaults.

This is the SDK's composition root, so it is the one place that reads the
environment; everything below receives an :class:`SdkConfig`.  Errors name the
key and the bad value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genlens.errors import ConfigError

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"


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
    instrument: tuple[str, ...] = ("openai", "anthropic")
    disabled: bool = False
    include_usage_in_streams: bool = True
    max_label_values: int = 200
    propagate_threads: bool = True
    keep_native_spans: bool = False


def _bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on", "span_only", "span_and_event", "event_only"}:
        return True
    if text in {"0", "false", "no", "off", "", "no_content"}:
        return False
    raise ConfigError(f"setting {key!r}: bad value {raw!r} (expected a boolean)")


def _number(key: str, raw: Any, kind: type, low: float, high: float) -> Any:
    try:
        value = kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {key!r}: bad value {raw!r} ({exc})") from exc
    if not low <= value <= high:
        raise ConfigError(f"setting {key!r}: bad value {raw!r} (must be within {low}..{high})")
    return value


def _budgets(key: str, raw: Any) -> dict[str, int]:
    """Budgets as a mapping, JSON text, or ``feature=tokens,feature=tokens``."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("{"):
            try:
                raw = json.loads(text)
            except ValueError as exc:
                raise ConfigError(f"setting {key!r}: bad value {raw!r} ({exc})") from exc
        else:
            pairs = [p for p in text.split(",") if p.strip()]
            try:
                raw = {k.strip(): v.strip() for k, v in (p.split("=", 1) for p in pairs)}
            except ValueError as exc:
                raise ConfigError(f"setting {key!r}: bad value {raw!r} (use feature=tokens,…)") from exc
    if not isinstance(raw, Mapping):
        raise ConfigError(f"setting {key!r}: bad value {raw!r} (expected feature → tokens)")
    return {str(k): _number(f"{key}.{k}", v, int, 1, 10**15) for k, v in raw.items()}


def _headers(key: str, raw: Any) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    for part in str(raw).split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ConfigError(f"setting {key!r}: bad value {raw!r} (use key=value,…)")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def resolve_config(arguments: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> SdkConfig:
    """Resolve the SDK settings once; ``None`` arguments count as not given."""
    env = os.environ if environ is None else environ
    args = {k: v for k, v in arguments.items() if v is not None}
    unknown = sorted(set(args) - set(SdkConfig.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"unknown init() argument(s): {', '.join(unknown)}")

    def pick(name: str, *env_keys: str) -> tuple[str, Any] | None:
        if name in args:
            return name, args[name]
        for env_key in env_keys:
            if env.get(env_key, "") != "":
                return env_key, env[env_key]
        return None

    values: dict[str, Any] = {}
    if (got := pick("service_name", "GENLENS_SERVICE_NAME", "OTEL_SERVICE_NAME")):
        values["service_name"] = str(got[1])
    if (got := pick("service_version", "GENLENS_SERVICE_VERSION")):
        values["service_version"] = str(got[1])
    if (got := pick("environment", "GENLENS_ENVIRONMENT")):
        values["environment"] = str(got[1])
    for name, env_keys in (("endpoint", ("GENLENS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")),
                           ("traces_endpoint", ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",)),
                           ("metrics_endpoint", ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",))):
        if (got := pick(name, *env_keys)):
            url = str(got[1]).strip()
            if not url.startswith(("http://", "https://")) or len(url) > 2048:
                raise ConfigError(f"setting {got[0]!r}: bad value {got[1]!r} (expected an http(s) URL)")
            values[name] = url.rstrip("/") if name == "endpoint" else url
    for name in ("traces_endpoint", "metrics_endpoint"):  # an endpoint argument beats the environment's
        if "endpoint" in args and name not in args:
            values.pop(name, None)
    if (got := pick("headers", "GENLENS_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")):
        values["headers"] = _headers(got[0], got[1])
    if (got := pick("capture_content", "GENLENS_CAPTURE_CONTENT",
                    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")):
        values["capture_content"] = _bool(got[0], got[1])
    if (got := pick("content_sample_rate", "GENLENS_CONTENT_SAMPLE_RATE")):
        values["content_sample_rate"] = _number(got[0], got[1], float, 0.0, 1.0)
    if (got := pick("redact", "GENLENS_REDACT")):
        values["redact"] = _bool(got[0], got[1])
    if (got := pick("max_content_chars", "GENLENS_MAX_CONTENT_CHARS")):
        values["max_content_chars"] = _number(got[0], got[1], int, 64, 10**8)
    if (got := pick("budgets", "GENLENS_BUDGETS")):
        values["budgets"] = _budgets(got[0], got[1])
    if (got := pick("max_queue_size", "GENLENS_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_QUEUE_SIZE")):
        values["max_queue_size"] = _number(got[0], got[1], int, 1, 10**7)
    if (got := pick("max_export_batch_size", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE")):
        values["max_export_batch_size"] = _number(got[0], got[1], int, 1, 10**6)
    # the OTEL_* variants of these are in milliseconds, as the OTel specification has them
    for name, own, otel, low, high in (("schedule_delay_s", "GENLENS_SCHEDULE_DELAY_S", "OTEL_BSP_SCHEDULE_DELAY",
                                        0.001, 3600),
                                       ("export_timeout_s", "GENLENS_EXPORT_TIMEOUT_S", "OTEL_EXPORTER_OTLP_TIMEOUT",
                                        0.01, 600),
                                       ("metric_interval_s", "GENLENS_METRIC_INTERVAL_S", "OTEL_METRIC_EXPORT_INTERVAL",
                                        0.01, 86400)):
        if (got := pick(name, own, otel)):
            if got[0] == otel:
                values[name] = _number(got[0], got[1], float, low * 1000, high * 1000) / 1000
            else:
                values[name] = _number(got[0], got[1], float, low, high)
    if (got := pick("prometheus_port", "GENLENS_PROMETHEUS_PORT")):
        values["prometheus_port"] = _number(got[0], got[1], int, 0, 65535)
    if (got := pick("instrument", "GENLENS_INSTRUMENT")):
        raw = got[1]
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        names = tuple(str(i).strip() for i in items if str(i).strip())
        bad = [n for n in names if n not in {"openai", "anthropic"}]
        if bad:
            raise ConfigError(f"setting {got[0]!r}: bad value {raw!r} (known: openai, anthropic)")
        values["instrument"] = names
    if (got := pick("disabled", "GENLENS_DISABLED", "OTEL_SDK_DISABLED")):
        values["disabled"] = _bool(got[0], got[1])
    if (got := pick("include_usage_in_streams", "GENLENS_INCLUDE_USAGE_IN_STREAMS")):
        values["include_usage_in_streams"] = _bool(got[0], got[1])
    if (got := pick("max_label_values", "GENLENS_MAX_LABEL_VALUES")):
        values["max_label_values"] = _number(got[0], got[1], int, 1, 100_000)
    if (got := pick("propagate_threads", "GENLENS_PROPAGATE_THREADS")):
        values["propagate_threads"] = _bool(got[0], got[1])
    if (got := pick("keep_native_spans", "GENLENS_KEEP_NATIVE_SPANS")):
        values["keep_native_spans"] = _bool(got[0], got[1])
    if values.get("max_export_batch_size", 512) > values.get("max_queue_size", 2048):
        values["max_export_batch_size"] = values.get("max_queue_size", 2048)
    return SdkConfig(**values)
