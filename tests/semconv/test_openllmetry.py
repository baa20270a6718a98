"""OpenLLMetry (Traceloop): non-migrated flattened prompts, migrated JSON, pre-2024 names, decorator spans."""

from __future__ import annotations

import json

from .helpers import norm, text

NON_MIGRATED = {  # e.g. the cohere/mistralai/ollama packages today, and every package up to v0.4.x
    "llm.request.type": "chat", "gen_ai.system": "cohere", "gen_ai.request.model": "command-r",
    "gen_ai.response.model": "command-r", "gen_ai.request.temperature": 0.3, "llm.is_streaming": False,
    "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "You are a weather bot.",
    "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Weather in Paris?",
    "gen_ai.prompt.2.role": "assistant",
    "gen_ai.prompt.2.tool_calls.0.id": "call_0", "gen_ai.prompt.2.tool_calls.0.name": "get_weather",
    "gen_ai.prompt.2.tool_calls.0.arguments": '{"location": "Paris"}',
    "gen_ai.prompt.3.role": "tool", "gen_ai.prompt.3.content": "rainy", "gen_ai.prompt.3.tool_call_id": "call_0",
    "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
    "gen_ai.completion.0.tool_calls.0.id": "call_1", "gen_ai.completion.0.tool_calls.0.name": "get_weather",
    "gen_ai.completion.0.tool_calls.0.arguments": '{"location": "Lyon"}',
    "gen_ai.usage.prompt_tokens": 52, "gen_ai.usage.completion_tokens": 17, "llm.usage.total_tokens": 69,
    "traceloop.association.properties.user_id": "u-1", "traceloop.association.properties.session_id": "s-1",
    "traceloop.association.properties.plan": "pro", "traceloop.workflow.name": "trip_planner",
}


def test_non_migrated_row_and_content():
    row, content = norm(NON_MIGRATED, name="cohere.chat")
    expect = {"kind": "llm", "operation": "chat", "provider": "cohere", "request_model": "command-r",
              "temperature": 0.3, "streaming": False, "input_tokens": 52, "output_tokens": 17, "total_tokens": 69,
              "finish_reasons": ["tool_call"], "user_id": "u-1", "conversation_id": "s-1",
              "convention": "openllmetry",
              "attributes": {"traceloop.association.properties.plan": "pro", "traceloop.workflow.name": "trip_planner"}}
    assert {k: row[k] for k in expect} == expect
    assert content["input_messages"] == [
        text("system", "You are a weather bot."), text("user", "Weather in Paris?"),
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_0", "name": "get_weather",
                                         "arguments": {"location": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_0", "response": "rainy"}]},
    ]
    assert content["output_messages"] == [
        {"role": "assistant", "finish_reason": "tool_call",
         "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"location": "Lyon"}}]}]


def test_migrated_openai_span():
    attrs = {
        "gen_ai.system": "openai", "gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06", "llm.is_streaming": True,
        "gen_ai.usage.input_tokens": 300, "gen_ai.usage.output_tokens": 120, "gen_ai.usage.total_tokens": 420,
        "gen_ai.usage.reasoning_tokens": 64, "gen_ai.usage.cache_read.input_tokens": 256,
        "gen_ai.openai.api_base": "https://api.openai.com/v1/",
        "gen_ai.input.messages": json.dumps([text("developer", "Be brief."), text("user", "Hi")]),
        "gen_ai.output.messages": json.dumps([text("assistant", "Hello", finish_reason="stop")]),
    }
    row, content = norm(attrs, name="openai.chat")
    assert (row["convention"], row["kind"], row["provider"], row["streaming"]) == ("openllmetry", "llm", "openai", True)
    assert (row["input_tokens"], row["output_tokens"], row["reasoning_tokens"], row["cache_read_tokens"],
            row["total_tokens"]) == (300, 120, 64, 256, 420)
    assert row["finish_reasons"] == ["stop"]
    assert content["input_messages"] == [text("developer", "Be brief."), text("user", "Hi")]
    assert row["attributes"] == {"gen_ai.openai.api_base": "https://api.openai.com/v1/"}


def test_anthropic_cache_tokens_reported_beside_input():
    # OpenLLMetry <= 0.4.x anthropic: raw Anthropic input beside the cache counts (legacy spellings).
    row, _ = norm({"llm.request.type": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-3-5-sonnet",
                   "gen_ai.usage.prompt_tokens": 200, "gen_ai.usage.completion_tokens": 30,
                   "gen_ai.usage.cache_read_input_tokens": 800, "gen_ai.usage.cache_creation_input_tokens": 100,
                   "llm.usage.total_tokens": 230})
    assert (row["provider"], row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (
        "anthropic", 1100, 800, 100)
    assert row["total_tokens"] == 1130
    # the reported total counted input without the cache; it disagrees, so it is kept, not lost
    assert row["attributes"] == {"llm.usage.total_tokens": 230}


def test_pre_2024_names():
    row, content = norm({
        "llm.request.type": "completion", "llm.vendor": "OpenAI", "llm.request.model": "text-davinci-003",
        "llm.response.model": "text-davinci-003", "llm.temperature": 0.7, "llm.top_p": 1, "llm.request.max_tokens": 64,
        "llm.usage.prompt_tokens": 5, "llm.usage.completion_tokens": 7, "llm.usage.total_tokens": 12,
        "llm.prompts.0.role": "user", "llm.prompts.0.content": "Say hi",
        "llm.completions.0.role": "assistant", "llm.completions.0.content": "hi",
        "llm.completions.0.finish_reason": "length",
    })
    assert (row["kind"], row["operation"], row["provider"], row["request_model"], row["temperature"], row["top_p"],
            row["max_tokens"]) == ("llm", "text_completion", "openai", "text-davinci-003", 0.7, 1.0, 64)
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"], row["finish_reasons"]) == (5, 7, 12, ["length"])
    assert content["input_messages"] == [text("user", "Say hi")]
    assert content["output_messages"] == [text("assistant", "hi", finish_reason="length")]
    assert row["attributes"] is None


def test_anthropic_content_blocks_in_flattened_content():
    blocks = json.dumps([{"type": "text", "text": "Look:"},
                         {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}])
    _, content = norm({"llm.request.type": "chat", "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": blocks})
    assert content["input_messages"] == [{"role": "user", "parts": [
        {"type": "text", "content": "Look:"}, {"type": "uri", "modality": "image", "uri": "https://example.com/a.png"}]}]


def test_decorator_spans():
    row, content = norm({"traceloop.span.kind": "tool", "traceloop.entity.name": "get_weather",
                         "traceloop.entity.path": "plan", "traceloop.workflow.name": "trip_planner",
                         "traceloop.entity.input": json.dumps({"args": [], "kwargs": {"city": "Paris"}}),
                         "traceloop.entity.output": json.dumps({"temp": 57})}, name="get_weather.tool")
    assert (row["kind"], row["operation"], row["tool_name"], row["convention"]) == (
        "tool", "execute_tool", "get_weather", "openllmetry")
    assert content == {"tool_arguments": {"args": [], "kwargs": {"city": "Paris"}}, "tool_result": {"temp": 57}}
    assert row["attributes"] == {"traceloop.entity.path": "plan", "traceloop.workflow.name": "trip_planner"}

    for tl_kind, kind in (("workflow", "workflow"), ("task", "workflow"), ("agent", "agent"), ("unknown", "other")):
        row, content = norm({"traceloop.span.kind": tl_kind, "traceloop.entity.name": "planner",
                             "traceloop.entity.input": '{"args": ["go"]}', "traceloop.entity.output": '"done"'})
        assert row["kind"] == kind
        assert content == {"input_value": {"args": ["go"]}, "output_value": "done"}
        assert row["agent_name"] == ("planner" if kind == "agent" else None)
        assert ("traceloop.entity.name" in (row["attributes"] or {})) is (kind != "agent")


def test_request_types():
    for req, (kind, op) in {"chat": ("llm", "chat"), "completion": ("llm", "text_completion"),
                            "embedding": ("embedding", "embeddings"), "rerank": ("retrieval", "rerank")}.items():
        row, _ = norm({"llm.request.type": req})
        assert (row["kind"], row["operation"]) == (kind, op)


def test_legacy_function_definitions_and_request_user():
    row, content = norm({"llm.request.type": "chat", "gen_ai.user": "end-user-7",
                         "llm.request.functions.0.name": "get_weather",
                         "llm.request.functions.0.description": "Weather lookup",
                         "llm.request.functions.0.parameters": '{"type": "object"}',
                         "llm.request.functions.1.name": "get_time"})
    assert row["user_id"] == "end-user-7"
    assert content["tool_definitions"] == [
        {"type": "function", "name": "get_weather", "description": "Weather lookup", "parameters": {"type": "object"}},
        {"type": "function", "name": "get_time"}]
    assert row["attributes"] is None
