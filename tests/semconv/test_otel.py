"""OTel GenAI: the official openai-v2 instrumentation (default and latest-experimental) and older names."""

from __future__ import annotations

import json

from genlens.semconv.model import RawEvent
from genlens.semconv.normalize import content_from_logs

from .helpers import PARENT, SPAN, TRACE, log, norm, text

# openai-v2 2.x default path (semconv 1.30 schema): no content on the span, gen_ai.system.
V2_DEFAULT = {
    "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 256, "gen_ai.request.seed": 11,
    "gen_ai.openai.request.response_format": "json_object", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": "chatcmpl-AbC123", "gen_ai.response.finish_reasons": ["tool_calls"],
    "gen_ai.usage.input_tokens": 82, "gen_ai.usage.output_tokens": 18, "gen_ai.openai.response.service_tier": "default",
    "server.address": "api.openai.com", "server.port": 443,
}


def test_openai_v2_default_mode_row():
    row, content = norm(V2_DEFAULT, name="chat gpt-4o-mini", status=0)
    assert content == {}  # content travels as log records in this mode
    expect = {
        "trace_id": TRACE, "span_id": SPAN, "parent_span_id": PARENT, "name": "chat gpt-4o-mini",
        "kind": "llm", "operation": "chat", "provider": "openai", "request_model": "gpt-4o-mini",
        "response_model": "gpt-4o-mini-2024-07-18", "response_id": "chatcmpl-AbC123",
        "finish_reasons": ["tool_call"], "temperature": 0.2, "max_tokens": 256, "top_p": None,
        "request_params": {"seed": 11, "output_type": "json_object"},
        "input_tokens": 82, "output_tokens": 18, "total_tokens": 100, "cache_read_tokens": None,
        "reasoning_tokens": None, "usage_aggregated": False, "cost_usd": None, "cost_source": None,
        "status": "unset", "error_class": "none", "error_type": None, "convention": "otel", "tenant": "default",
        "service_name": "weather-bot", "service_version": "2.1.0", "environment": "prod",
        "start_ns": 1_700_000_000_000_000_000, "end_ns": 1_700_000_001_250_000_000, "duration_ns": 1_250_000_000,
        "attributes": {"gen_ai.openai.response.service_tier": "default", "server.address": "api.openai.com",
                       "server.port": 443},
        "events": None,
    }
    assert {k: row[k] for k in expect} == expect


def test_openai_v2_default_mode_content_from_logs():
    args = json.dumps({"location": "Paris"})
    logs = [
        log("gen_ai.system.message", {"content": "You are a weather bot."}, attributes={"gen_ai.system": "openai"}),
        log("gen_ai.user.message", {"content": "Weather in Paris?"}, attributes={"gen_ai.system": "openai"}),
        log("gen_ai.assistant.message", {"tool_calls": [
            {"id": "call_V", "type": "function", "function": {"name": "get_weather", "arguments": args}}]}),
        log("gen_ai.tool.message", {"content": "rainy, 57F", "id": "call_V"}, event_attr=True),
        # choices arrive out of index order; the output keeps index order
        log("gen_ai.choice", {"index": 1, "finish_reason": "length", "message": {"content": "It is"}}),
        log("gen_ai.choice", {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
            "tool_calls": [{"id": "call_W", "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"location": "Lyon"}'}}]}}),
        log("gen_ai.user.message", {"content": "other span"}, span_id="1111111111111111"),
        log("gen_ai.user.message", {"content": "no span"}, span_id=None),
        log("app.started", {"content": "not genai"}),
        log("", "plain log line"),
    ]
    recs = content_from_logs(logs)
    by = {(r.span_id, r.kind): r for r in recs}
    assert set(by) == {(SPAN, "input_messages"), (SPAN, "output_messages"), ("1111111111111111", "input_messages")}
    assert all(r.source == "otel.logs" and r.trace_id == TRACE for r in recs)
    assert by[(SPAN, "input_messages")].data == [
        text("system", "You are a weather bot."),
        text("user", "Weather in Paris?"),
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_V", "name": "get_weather",
                                         "arguments": {"location": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_V", "response": "rainy, 57F"}]},
    ]
    assert by[(SPAN, "output_messages")].data == [
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_W", "name": "get_weather",
                                         "arguments": {"location": "Lyon"}}], "finish_reason": "tool_call"},
        {"role": "assistant", "parts": [{"type": "text", "content": "It is"}], "finish_reason": "length"},
    ]


def test_logs_without_captured_content_are_not_empty_content():
    logs = [log("gen_ai.user.message", {}), log("gen_ai.choice", {"index": 0, "finish_reason": "stop",
                                                                   "message": {}})]
    recs = content_from_logs(logs)
    # The user message had no content: nothing captured, no record.  The choice still says how it ended.
    assert [(r.kind, r.data) for r in recs] == [
        ("output_messages", [{"role": "assistant", "parts": [], "finish_reason": "stop"}])]


def test_inference_details_log_event():
    details = {
        "gen_ai.system_instructions": [{"type": "text", "content": "Be brief."}],
        "gen_ai.input.messages": [text("user", "Hi")],
        "gen_ai.output.messages": [text("assistant", "Hello", finish_reason="stop")],
        "gen_ai.provider.name": "openai",
    }
    recs = content_from_logs([log("gen_ai.client.inference.operation.details", None, attributes=details)])
    assert {r.kind: r.data for r in recs} == {
        "system_instructions": [{"type": "text", "content": "Be brief."}],
        "input_messages": [text("user", "Hi")],
        "output_messages": [text("assistant", "Hello", finish_reason="stop")],
    }


# openai-v2 with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental, content SPAN_ONLY.
V2_EXPERIMENTAL = {
    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.response.id": "chatcmpl-9",
    "gen_ai.response.finish_reasons": ["tool_calls"], "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 300, "gen_ai.usage.cache_read.input_tokens": 1024,
    "gen_ai.usage.reasoning.output_tokens": 256, "gen_ai.request.stream": True,
    "gen_ai.response.time_to_first_chunk": 0.42, "gen_ai.conversation.id": "conv-7",
    "gen_ai.input.messages": json.dumps([
        {"role": "developer", "parts": [{"type": "text", "content": "Answer in French."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather?"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "w",
                                         "arguments": '{"city": "Paris"}'}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "result": "rainy"}]},
    ]),
    "gen_ai.output.messages": json.dumps([
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c2", "name": "w",
                                         "arguments": {"city": "Lyon"}}], "finish_reason": "tool_calls"}]),
    "gen_ai.tool.definitions": json.dumps([{"type": "function", "name": "w", "parameters": {"type": "object"}}]),
    "server.address": "api.openai.com",
}


def test_openai_v2_latest_experimental_span():
    row, content = norm(V2_EXPERIMENTAL)
    assert (row["kind"], row["provider"], row["request_model"], row["convention"]) == ("llm", "openai", "gpt-4o", "otel")
    # cache read is a subset of input (1024 < 1200): nothing added; reasoning inside output.
    assert (row["input_tokens"], row["output_tokens"], row["cache_read_tokens"], row["reasoning_tokens"],
            row["total_tokens"]) == (1200, 300, 1024, 256, 1500)
    assert row["finish_reasons"] == ["tool_call"]
    assert (row["streaming"], row["ttft_s"], row["conversation_id"]) == (True, 0.42, "conv-7")
    assert content["input_messages"] == [
        text("developer", "Answer in French."), text("user", "Weather?"),
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "w", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "rainy"}]},
    ]
    assert content["output_messages"] == [
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c2", "name": "w", "arguments": {"city": "Lyon"}}],
         "finish_reason": "tool_call"}]
    assert content["tool_definitions"] == [{"type": "function", "name": "w", "parameters": {"type": "object"}}]
    assert row["attributes"] == {"server.address": "api.openai.com"}


def test_structured_content_attributes_and_system_instructions():
    row, content = norm({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.system_instructions": "You are terse.",
        "gen_ai.input.messages": [text("user", "Hi")],
        "gen_ai.output.messages": [text("assistant", "Hello.", finish_reason="end_turn")],
    })
    assert content["system_instructions"] == [{"type": "text", "content": "You are terse."}]
    assert content["input_messages"] == [text("user", "Hi")]
    assert content["output_messages"] == [text("assistant", "Hello.", finish_reason="stop")]
    assert row["finish_reasons"] == ["stop"]  # derived from the output messages when the span has none


def test_v126_names_and_span_event_content():
    events = [
        RawEvent("gen_ai.content.prompt", 5, {"gen_ai.prompt": "[{'role': 'user', 'content': 'Capital of France?'}]"}),
        RawEvent("gen_ai.content.completion", 6, {"gen_ai.completion": json.dumps(
            [{"role": "assistant", "content": "Paris."}])}),
        RawEvent("gen_ai.evaluation.result", 7, {"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.9}),
    ]
    row, content = norm({"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4", "gen_ai.usage.prompt_tokens": 14,
                         "gen_ai.usage.completion_tokens": 3}, events=events, name="ChatCompletions gpt-4")
    assert (row["kind"], row["operation"], row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (
        "llm", "chat", 14, 3, 17)
    assert content["input_messages"] == [text("user", "Capital of France?")]
    assert content["output_messages"] == [text("assistant", "Paris.")]
    assert row["events"] == [{"name": "gen_ai.evaluation.result", "time_ns": 7,
                              "attributes": {"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.9}}]


def test_execute_tool_and_retrieval_spans():
    row, content = norm({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
                         "gen_ai.tool.call.id": "call_1", "gen_ai.tool.type": "function",
                         "gen_ai.tool.call.arguments": '{"city": "Paris"}', "gen_ai.tool.call.result": "rainy"},
                        name="execute_tool get_weather")
    assert (row["kind"], row["operation"], row["tool_name"], row["tool_call_id"]) == (
        "tool", "execute_tool", "get_weather", "call_1")
    assert content == {"tool_arguments": {"city": "Paris"}, "tool_result": "rainy"}
    assert row["attributes"] == {"gen_ai.tool.type": "function"}

    row, content = norm({"gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": "kb-1",
                         "gen_ai.retrieval.query.text": "capital of France",
                         "gen_ai.retrieval.documents": '[{"id": "doc_123", "score": 0.95}]'})
    assert row["kind"] == "retrieval" and row["input_tokens"] is None
    assert content == {"documents": [{"id": "doc_123", "score": 0.95}], "input_value": "capital of France"}
    assert row["attributes"] == {"gen_ai.data_source.id": "kb-1"}


def test_error_span_classification():
    exc = RawEvent("exception", 9, {"exception.type": "openai.APITimeoutError", "exception.message": "Request timed out."})
    row, _ = norm({"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "error.type": "APITimeoutError"},
                  events=[exc], status=2, status_message="Request timed out.")
    assert (row["status"], row["status_message"], row["error_class"], row["error_type"]) == (
        "error", "Request timed out.", "timeout", "APITimeoutError")
    assert row["events"] == [{"name": "exception", "time_ns": 9, "attributes": exc.attributes}]

    row, _ = norm({"gen_ai.operation.name": "chat"}, events=[RawEvent("exception", 1, {
        "exception.type": "asyncio.CancelledError"})], status=2)
    assert (row["error_class"], row["error_type"]) == ("cancelled", "asyncio.CancelledError")
    row, _ = norm({"gen_ai.operation.name": "chat", "error.type": "429"}, status=2)
    assert (row["error_class"], row["error_type"]) == ("api", "429")
    row, _ = norm({"gen_ai.operation.name": "chat", "error.type": "timeout"}, status=1)
    assert (row["status"], row["error_class"], row["error_type"]) == ("ok", "none", "timeout")


def test_provider_spellings():
    cases = {"xai": "x_ai", "az.ai.openai": "azure.ai.openai", "az.ai.inference": "azure.ai.inference",
             "Anthropic": "anthropic", "MistralAI": "mistral_ai", "vertex_ai": "gcp.vertex_ai", "gemini": "gcp.gemini",
             "AWS": "aws.bedrock", "ibm.watson.ai": "ibm.watsonx.ai", "Cohere": "cohere", "groq": "groq"}
    for given, want in cases.items():
        assert norm({"gen_ai.system": given, "gen_ai.operation.name": "chat"})[0]["provider"] == want, given
    # the current key wins over the deprecated one
    row, _ = norm({"gen_ai.provider.name": "x_ai", "gen_ai.system": "xai"})
    assert row["provider"] == "x_ai" and row["attributes"] is None


def test_kinds_from_operation_names():
    ops = {"chat": "llm", "text_completion": "llm", "generate_content": "llm", "embeddings": "embedding",
           "retrieval": "retrieval", "execute_tool": "tool", "invoke_agent": "agent", "create_agent": "agent",
           "invoke_workflow": "workflow", "create_memory": "other"}
    for op, kind in ops.items():
        row, _ = norm({"gen_ai.operation.name": op})
        assert (row["kind"], row["operation"]) == (kind, op)


def test_empty_message_lists_store_nothing_and_agent_name_alone_means_agent():
    row, content = norm({"gen_ai.input.messages": "[]", "gen_ai.output.messages": [], "gen_ai.agent.name": "planner"})
    assert content == {} and row["attributes"] is None
    assert (row["kind"], row["operation"], row["agent_name"]) == ("agent", "invoke_agent", "planner")
