"""The same logical LLM call, expressed in every convention, yields the same canonical values."""

from __future__ import annotations

import json

import pytest

from .helpers import log, norm, text

SYSTEM, USER, ANSWER = "You are a weather bot.", "Weather in Paris?", "Rainy, 14 degrees."
ARGS = {"location": "Paris"}
OTEL_IN = json.dumps([text("system", SYSTEM), text("user", USER)])
OTEL_OUT = json.dumps([{"role": "assistant", "parts": [
    {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": ARGS}], "finish_reason": "tool_call"}])

SAME_CALL = {
    "genlens": {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.response.model": "claude-sonnet-4-20250514", "gen_ai.response.finish_reasons": ["tool_use"],
        "gen_ai.usage.input_tokens": 1900, "gen_ai.usage.output_tokens": 120,
        "gen_ai.usage.cache_read.input_tokens": 1500, "gen_ai.usage.cache_creation.input_tokens": 300,
        "app.llm.feature": "weather", "gen_ai.input.messages": OTEL_IN, "gen_ai.output.messages": OTEL_OUT,
    },
    "otel v1.41": {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.response.model": "claude-sonnet-4-20250514", "gen_ai.response.finish_reasons": ["tool_call"],
        "gen_ai.usage.input_tokens": 1900, "gen_ai.usage.output_tokens": 120,
        "gen_ai.usage.cache_read.input_tokens": 1500, "gen_ai.usage.cache_creation.input_tokens": 300,
        "gen_ai.input.messages": OTEL_IN, "gen_ai.output.messages": OTEL_OUT,
    },
    "otel genai-repo names, Anthropic-raw input": {
        "gen_ai.operation.name": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.response.model": "claude-sonnet-4-20250514", "gen_ai.response.finish_reasons": ["tool_use"],
        "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 120,
        "gen_ai.usage.cache_read.input_tokens": 1500, "gen_ai.usage.cache_write.input_tokens": 300,
        "gen_ai.input.messages": OTEL_IN, "gen_ai.output.messages": OTEL_OUT,
    },
    "openinference": {
        "openinference.span.kind": "LLM", "llm.provider": "anthropic", "llm.system": "anthropic",
        "llm.model_name": "claude-sonnet-4-20250514",
        "llm.invocation_parameters": json.dumps({"model": "claude-sonnet-4", "max_tokens": 1024}),
        "llm.token_count.prompt": 1900, "llm.token_count.completion": 120, "llm.token_count.total": 2020,
        "llm.token_count.prompt_details.cache_read": 1500, "llm.token_count.prompt_details.cache_write": 300,
        "llm.finish_reason": "tool_use",
        "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": SYSTEM,
        "llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": USER,
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": json.dumps(ARGS),
    },
    "openllmetry legacy": {
        "llm.request.type": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.response.model": "claude-sonnet-4-20250514",
        "gen_ai.usage.prompt_tokens": 100, "gen_ai.usage.completion_tokens": 120,
        "gen_ai.usage.cache_read_input_tokens": 1500, "gen_ai.usage.cache_creation_input_tokens": 300,
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": SYSTEM,
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": USER,
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_use",
        "gen_ai.completion.0.tool_calls.0.id": "call_1", "gen_ai.completion.0.tool_calls.0.name": "get_weather",
        "gen_ai.completion.0.tool_calls.0.arguments": json.dumps(ARGS),
    },
    "openllmetry migrated": {
        "gen_ai.system": "anthropic", "gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.response.model": "claude-sonnet-4-20250514", "gen_ai.response.finish_reason": "tool_use",
        "gen_ai.usage.input_tokens": 1900, "gen_ai.usage.output_tokens": 120, "gen_ai.usage.total_tokens": 2020,
        "gen_ai.usage.cache_read.input_tokens": 1500, "gen_ai.usage.cache_creation.input_tokens": 300,
        "gen_ai.input.messages": OTEL_IN, "gen_ai.output.messages": OTEL_OUT,
    },
}

# Expected values computed independently of the normalizer: OTel counts cache inside input.
RAW_INPUT, CACHE_READ, CACHE_WRITE, OUTPUT = 100, 1500, 300, 120
EXPECTED = {
    "kind": "llm", "operation": "chat", "provider": "anthropic", "request_model": "claude-sonnet-4",
    "response_model": "claude-sonnet-4-20250514", "finish_reasons": ["tool_call"],
    "input_tokens": RAW_INPUT + CACHE_READ + CACHE_WRITE, "output_tokens": OUTPUT,
    "cache_read_tokens": CACHE_READ, "cache_write_tokens": CACHE_WRITE,
    "total_tokens": RAW_INPUT + CACHE_READ + CACHE_WRITE + OUTPUT,
}
EXPECTED_IN = [text("system", SYSTEM), text("user", USER)]
EXPECTED_OUT_PARTS = [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": ARGS}]


@pytest.mark.parametrize("convention", list(SAME_CALL))
def test_same_call_same_row(convention):
    row, content = norm(SAME_CALL[convention])
    assert {k: row[k] for k in EXPECTED} == EXPECTED
    assert content["input_messages"] == EXPECTED_IN
    assert [m["parts"] for m in content["output_messages"]] == [EXPECTED_OUT_PARTS]
    assert all(m["role"] == "assistant" for m in content["output_messages"])


def test_same_call_via_logs_matches_span_attributes():
    from genlens.semconv.normalize import content_from_logs

    recs = content_from_logs([
        log("gen_ai.system.message", {"content": SYSTEM}), log("gen_ai.user.message", {"content": USER}),
        log("gen_ai.choice", {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": json.dumps(ARGS)}}]}}),
    ])
    by = {r.kind: r.data for r in recs}
    assert by["input_messages"] == EXPECTED_IN
    assert by["output_messages"] == json.loads(OTEL_OUT)
