"""Time ``normalize_span`` over a realistic mix of conventions and print µs/span.

The ingest budget is >= 20,000 spans/s on 2 cores including decode and the
DuckDB write, which leaves roughly 10–15 µs per span for normalization.  The
mix: genlens SDK spans, official OTel (openai-v2, latest-experimental content
on the span), OpenInference (flattened messages), OpenLLMetry (legacy
flattened prompts/completions), plus agent and tool spans, each around 20–35
attributes, content included.

    .venv/bin/python bench/normalize.py [--spans 200000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from genlens.semconv.model import RawEvent, RawSpan
from genlens.semconv.normalize import normalize_span

RESOURCE = {"service.name": "checkout", "service.version": "1.4.2", "deployment.environment.name": "prod",
            "telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry", "host.name": "web-1"}
MSGS_IN = json.dumps([{"role": "system", "parts": [{"type": "text", "content": "You are a helpful assistant."}]},
                      {"role": "user", "parts": [{"type": "text", "content": "What is the weather in Paris?"}]}])
MSGS_OUT = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "Rainy, 12 degrees."}],
                        "finish_reason": "stop"}])


def genlens_span() -> dict:
    return {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.response.id": "chatcmpl-abc123",
        "gen_ai.response.finish_reasons": ["stop"], "gen_ai.request.temperature": 0.3,
        "gen_ai.request.max_tokens": 512, "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 85,
        "gen_ai.usage.cache_read.input_tokens": 1024, "server.address": "api.openai.com", "server.port": 443,
        "app.llm.feature": "support-chat", "app.llm.tenant.id": "acme", "app.llm.prompt.template.id": "support-v3",
        "app.llm.prompt.template.sha": "9f2c1e", "app.llm.experiment.id": "exp-7", "app.llm.experiment.variant": "b",
        "app.llm.conversation.id": "conv-42", "user.id": "u-981", "app.llm.cost_usd": 0.00031,
        "app.llm.ttft_s": 0.31, "app.llm.tpot_s": 0.012, "app.llm.decode_tokens_per_s": 83.3,
        "app.llm.streaming": True, "app.llm.budget_exceeded": False, "app.llm.span.kind": "llm",
        "gen_ai.input.messages": MSGS_IN, "gen_ai.output.messages": MSGS_OUT,
    }


def otel_span() -> dict:
    return {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.response.id": "chatcmpl-xyz",
        "gen_ai.response.finish_reasons": ["tool_calls"], "gen_ai.request.temperature": 0.0,
        "gen_ai.request.top_p": 1.0, "gen_ai.request.max_tokens": 1024, "gen_ai.request.seed": 42,
        "gen_ai.request.frequency_penalty": 0.0, "gen_ai.request.presence_penalty": 0.0,
        "gen_ai.request.stop_sequences": ["\n\n"], "gen_ai.output.type": "text",
        "gen_ai.usage.input_tokens": 310, "gen_ai.usage.output_tokens": 40, "server.address": "api.openai.com",
        "server.port": 443, "openai.response.service_tier": "default",
        "openai.response.system_fingerprint": "fp_44709d6fcb", "gen_ai.conversation.id": "c-9",
        "gen_ai.input.messages": MSGS_IN,
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
            {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}],
            "finish_reason": "tool_call"}]),
    }


def openinference_span() -> dict:
    return {
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-2024-08-06", "llm.provider": "openai",
        "llm.system": "openai", "llm.invocation_parameters": '{"temperature": 0.2, "max_tokens": 200}',
        "input.value": '{"messages": [{"role": "user", "content": "Weather in Paris?"}]}',
        "input.mime_type": "application/json", "output.value": '{"id": "chatcmpl-1"}',
        "output.mime_type": "application/json",
        "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "You are a bot.",
        "llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": "Weather in Paris?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"location": "Paris"}',
        "llm.token_count.prompt": 52, "llm.token_count.completion": 17, "llm.token_count.total": 69,
        "llm.token_count.prompt_details.cache_read": 0, "session.id": "s-1", "user.id": "u-1",
        "metadata": '{"tier": "pro"}', "tag.tags": ["a", "b"],
    }


def openllmetry_span() -> dict:
    return {
        "llm.request.type": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-3-5-sonnet",
        "gen_ai.response.model": "claude-3-5-sonnet-20241022", "gen_ai.request.max_tokens": 1024,
        "gen_ai.request.temperature": 0.5, "llm.is_streaming": False,
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "You are a weather bot.",
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Weather in Paris?",
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Rainy.",
        "gen_ai.completion.0.finish_reason": "end_turn",
        "gen_ai.usage.prompt_tokens": 200, "gen_ai.usage.completion_tokens": 30,
        "gen_ai.usage.cache_read_input_tokens": 800, "gen_ai.usage.cache_creation_input_tokens": 0,
        "llm.usage.total_tokens": 230, "traceloop.association.properties.user_id": "u-2",
        "traceloop.association.properties.session_id": "s-2", "traceloop.workflow.name": "trip",
    }


def agent_span() -> dict:
    return {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner", "gen_ai.provider.name": "openai",
            "gen_ai.usage.input_tokens": 4000, "gen_ai.usage.output_tokens": 600, "app.llm.feature": "planner",
            "app.llm.tenant.id": "acme"}


def tool_span() -> dict:
    return {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "call_1", "gen_ai.tool.type": "function",
            "gen_ai.tool.call.arguments": '{"city": "Paris"}', "gen_ai.tool.call.result": '{"temp": 12}'}


MIX = [(genlens_span, 4), (otel_span, 3), (openinference_span, 2), (openllmetry_span, 2), (agent_span, 1),
       (tool_span, 1)]


def _fresh(attrs: dict) -> dict:
    """New key and string objects per span, as a protobuf decoder produces (no interned literals)."""
    return {"".join(k): ("".join(v) if type(v) is str else v) for k, v in attrs.items()}


def build(n: int) -> list[RawSpan]:
    kinds = [f for f, w in MIX for _ in range(w)]
    spans = []
    for i in range(n):
        attrs = _fresh(kinds[i % len(kinds)]())
        ev = [RawEvent("exception", 5, {"exception.type": "TimeoutError"})] if i % 50 == 0 else []
        spans.append(RawSpan(f"{i:032x}", f"{i:016x}", f"{i + 1:016x}", "chat gpt-4o", 3, 1_000_000 + i,
                             2_500_000 + i, 2 if ev else 1, "", attrs, ev, RESOURCE, "bench"))
    return spans


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spans", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    spans = build(args.spans)
    n_attrs = statistics.mean(len(s.attributes) for s in spans)
    wall, cpu = [], []
    for _ in range(args.rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        for s in spans:
            normalize_span(s)
        wall.append((time.perf_counter() - w0) / len(spans) * 1e6)
        cpu.append((time.process_time() - c0) / len(spans) * 1e6)
    # CPU time is reported beside wall time: on a shared machine it is the steadier of the two.
    print(f"spans={len(spans)} mean_attrs={n_attrs:.1f} rounds={args.rounds}  µs/span: "
          f"wall best={min(wall):.2f} median={statistics.median(wall):.2f}  "
          f"cpu best={min(cpu):.2f} median={statistics.median(cpu):.2f}")
    for fn, _ in MIX:
        one = build(2)[1]
        one.attributes = fn()
        best = float("inf")
        for _ in range(args.rounds):
            c0 = time.process_time()
            for _ in range(5_000):
                normalize_span(one)
            best = min(best, (time.process_time() - c0) / 5_000 * 1e6)
        print(f"  {fn.__name__:<20} attrs={len(one.attributes):>3} cpu best {best:6.2f} µs/span")


if __name__ == "__main__":
    main()
