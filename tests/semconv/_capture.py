"""Run one real instrumentation over the real ``openai`` SDK and print what it emitted, as JSON.

Usage: ``python -m tests.semconv._capture MODE BASE_URL``.  Each mode runs in its
own process: instrumentors patch the ``openai`` module globally and the official
one reads its stability opt-in once per process.  Spans and log records are
captured with the real opentelemetry-sdk in-memory exporters and printed in the
shape the OTLP decoder produces (attribute values as JSON values).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

MODES = ("openai-v2-default", "openai-v2-experimental", "openinference", "openllmetry")
ANTHROPIC_MODES = ("anthropic-openinference", "anthropic-openllmetry")
# Long enough for the simulator's (and Anthropic's) 1,024-token minimum cacheable prefix.
LONG_SYSTEM = "You are a weather bot. " + " ".join(f"Rule {i}: answer briefly and cite the station." for i in range(450))


def _value(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _value(x) for k, x in v.items()}
    return v


def main(mode: str, base_url: str) -> None:
    if mode == "openai-v2-default":
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
    elif mode == "openai-v2-experimental":
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY"
    os.environ["TRACELOOP_TRACE_CONTENT"] = "true"

    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    try:
        from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter as InMemoryLogExporter
    except ImportError:  # older SDKs
        from opentelemetry.sdk._logs.export import InMemoryLogExporter  # type: ignore[no-redef]
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans_out, logs_out = InMemorySpanExporter(), InMemoryLogExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans_out))
    lp = LoggerProvider()
    lp.add_log_record_processor(SimpleLogRecordProcessor(logs_out))
    if mode.startswith("openai-v2"):
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as Instrumentor
    elif mode == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as Instrumentor  # type: ignore[no-redef]
    elif mode == "openllmetry":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Instrumentor  # type: ignore[no-redef]
    elif mode == "anthropic-openinference":
        from openinference.instrumentation.anthropic import (  # type: ignore[no-redef]
            AnthropicInstrumentor as Instrumentor,
        )
    else:
        from opentelemetry.instrumentation.anthropic import (  # type: ignore[no-redef]
            AnthropicInstrumentor as Instrumentor,
        )
    Instrumentor().instrument(tracer_provider=tp, logger_provider=lp)
    if mode in ANTHROPIC_MODES:
        _anthropic_calls(mode, base_url)
    else:
        _openai_call(base_url)
    tp.force_flush()
    out = {"spans": [], "logs": []}
    for s in spans_out.get_finished_spans():
        out["spans"].append({
            "trace_id": f"{s.context.trace_id:032x}", "span_id": f"{s.context.span_id:016x}",
            "name": s.name, "kind": s.kind.value, "start": s.start_time, "end": s.end_time,
            "status": s.status.status_code.value, "attributes": _value(dict(s.attributes or {})),
            "events": [{"name": e.name, "time": e.timestamp, "attributes": _value(dict(e.attributes or {}))}
                       for e in s.events],
            "resource": _value(dict(s.resource.attributes)), "scope": s.instrumentation_scope.name,
        })
    for item in logs_out.get_finished_logs():
        rec = item.log_record
        out["logs"].append({
            "trace_id": f"{rec.trace_id:032x}" if rec.trace_id else None,
            "span_id": f"{rec.span_id:016x}" if rec.span_id else None,
            "event_name": getattr(rec, "event_name", None) or "", "body": _value(rec.body),
            "attributes": _value(dict(rec.attributes or {})), "time": rec.timestamp or 0,
        })
    json.dump(out, sys.stdout)


def _openai_call(base_url: str) -> None:
    import openai

    client = openai.OpenAI(base_url=base_url + "/v1", api_key="sk-test", max_retries=0)
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather lookup",
                                               "parameters": {"type": "object",
                                                              "properties": {"city": {"type": "string"}}}}}]
    client.chat.completions.create(
        model="gpt-4o-mini", temperature=0.2, max_tokens=64, tools=tools, tool_choice="required",
        messages=[{"role": "system", "content": "You are a weather bot."},
                  {"role": "user", "content": "Weather in Paris?"}])


def _anthropic_calls(mode: str, base_url: str) -> None:
    """The same cached prompt twice: the first call writes the cache, the second reads it."""
    import anthropic

    client = anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test", max_retries=0)
    system = [{"type": "text", "text": f"[{mode}] {LONG_SYSTEM}", "cache_control": {"type": "ephemeral"}}]
    for _ in range(2):
        client.messages.create(model="claude-sonnet-4-20250514", max_tokens=64, system=system,
                               messages=[{"role": "user", "content": "Weather in Paris?"}])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
