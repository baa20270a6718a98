"""OpenInference: flattened messages, span kinds, provider/system mapping, dual-written spans."""

from __future__ import annotations

import json

import pytest

from .helpers import norm, text

LLM_SPAN = {
    "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-2024-08-06", "llm.provider": "openai",
    "llm.system": "openai",
    "llm.invocation_parameters": json.dumps({"model": "gpt-4o", "temperature": 0.2, "max_completion_tokens": 200,
                                             "top_p": 0.9, "seed": 3, "tool_choice": "auto"}),
    "input.value": json.dumps({"messages": [{"role": "user", "content": "Weather in Paris?"}]}),
    "input.mime_type": "application/json", "output.value": "It rains.", "output.mime_type": "text/plain",
    "llm.input_messages.0.message.role": "system",
    "llm.input_messages.0.message.content": "You are a weather bot.",
    "llm.input_messages.1.message.role": "user",
    "llm.input_messages.1.message.contents.0.message_content.type": "text",
    "llm.input_messages.1.message.contents.0.message_content.text": "Weather in Paris?",
    "llm.input_messages.1.message.contents.1.message_content.type": "image",
    "llm.input_messages.1.message.contents.1.message_content.image.image.url": "https://example.com/p.png",
    "llm.input_messages.2.message.role": "assistant",
    "llm.input_messages.2.message.tool_calls.0.tool_call.id": "call_1",
    "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": "get_weather",
    "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments": '{"location": "Paris"}',
    "llm.input_messages.3.message.role": "tool",
    "llm.input_messages.3.message.content": '{"temp": 57}',
    "llm.input_messages.3.message.tool_call_id": "call_1",
    "llm.input_messages.3.message.name": "get_weather",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.content": "It rains.",
    "llm.tools.0.tool.json_schema": json.dumps({"type": "function", "function": {"name": "get_weather"}}),
    "llm.token_count.prompt": 52, "llm.token_count.completion": 17, "llm.token_count.total": 69,
    "llm.token_count.prompt_details.cache_read": 0,
    "llm.finish_reason": "stop",
    "llm.cost.total": 0.00042, "llm.cost.prompt": 0.0003, "llm.cost.completion": 0.00012,
    "session.id": "s-1", "user.id": "u-1", "metadata": json.dumps({"tier": "pro"}), "tag.tags": ["a", "b"],
}


def test_llm_span_row():
    row, _ = norm(LLM_SPAN)
    expect = {
        "kind": "llm", "operation": "chat", "provider": "openai", "convention": "openinference",
        "request_model": "gpt-4o", "response_model": "gpt-4o-2024-08-06", "temperature": 0.2, "top_p": 0.9,
        "max_tokens": 200, "request_params": {"seed": 3, "tool_choice": "auto"},
        "input_tokens": 52, "output_tokens": 17, "total_tokens": 69, "cache_read_tokens": 0,
        "finish_reasons": ["stop"], "cost_usd": 0.00042, "cost_source": "reported",
        "conversation_id": "s-1", "user_id": "u-1",
        "attributes": {"metadata": {"tier": "pro"}, "tag.tags": ["a", "b"], "llm.cost.prompt": 0.0003,
                       "llm.cost.completion": 0.00012},
    }
    assert {k: row[k] for k in expect} == expect


def test_llm_span_content():
    _, content = norm(LLM_SPAN)
    assert content["input_messages"] == [
        text("system", "You are a weather bot."),
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"},
                                   {"type": "uri", "modality": "image", "uri": "https://example.com/p.png"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather",
                                         "arguments": {"location": "Paris"}}]},
        {"role": "tool", "name": "get_weather",
         "parts": [{"type": "tool_call_response", "id": "call_1", "response": {"temp": 57}}]},
    ]
    assert content["output_messages"] == [text("assistant", "It rains.")]
    assert content["tool_definitions"] == [{"type": "function", "function": {"name": "get_weather"}}]
    assert content["input_value"] == {"messages": [{"role": "user", "content": "Weather in Paris?"}]}
    assert content["output_value"] == "It rains."  # text/plain stays text


def test_indices_out_of_order_gapped_and_garbage():
    attrs = {
        "openinference.span.kind": "LLM",
        "llm.input_messages.10.message.role": "user", "llm.input_messages.10.message.content": "third",
        "llm.input_messages.2.message.content": "second (no role)",
        "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "first",
        "llm.input_messages.x.message.role": "user",
        "llm.input_messages.01.message.role": "user",
        "llm.input_messages.3": "no field",
        "llm.input_messages.0.message.unknown_field": 5,
    }
    row, content = norm(attrs)
    assert content["input_messages"] == [text("system", "first"), text("user", "second (no role)"),
                                         text("user", "third")]
    # nothing thrown away: what could not be placed stays in attributes
    assert row["attributes"] == {"llm.input_messages.x.message.role": "user",
                                 "llm.input_messages.01.message.role": "user",
                                 "llm.input_messages.3": "no field",
                                 "llm.input_messages.0.message.unknown_field": 5}


def test_messages_as_json_string_under_root_key():
    _, content = norm({"openinference.span.kind": "LLM",
                       "llm.input_messages": json.dumps([{"role": "user", "content": "hi"}])})
    assert content["input_messages"] == [text("user", "hi")]


@pytest.mark.parametrize(("hosting", "system", "want"), [
    ("azure", "openai", "azure.ai.openai"), ("azure", None, "azure.ai.inference"), ("aws", "anthropic", "aws.bedrock"),
    ("google", "vertexai", "gcp.vertex_ai"), ("google", None, "gcp.gen_ai"), (None, "mistralai", "mistral_ai"),
    ("xai", "xai", "x_ai"), ("anthropic", "anthropic", "anthropic"), (None, "vertexai", "gcp.vertex_ai"),
])
def test_provider_from_llm_provider_and_system(hosting, system, want):
    attrs = {"openinference.span.kind": "LLM"}
    if hosting:
        attrs["llm.provider"] = hosting
    if system:
        attrs["llm.system"] = system
    assert norm(attrs)[0]["provider"] == want


@pytest.mark.parametrize(("oi_kind", "kind", "op"), [
    ("LLM", "llm", "chat"), ("EMBEDDING", "embedding", "embeddings"), ("CHAIN", "workflow", "invoke_workflow"),
    ("RETRIEVER", "retrieval", "retrieval"), ("RERANKER", "retrieval", "retrieval"), ("TOOL", "tool", "execute_tool"),
    ("AGENT", "agent", "invoke_agent"), ("GUARDRAIL", "other", None), ("EVALUATOR", "other", None),
    ("PROMPT", "other", None), ("UNKNOWN", "other", None),
])
def test_span_kinds(oi_kind, kind, op):
    row, _ = norm({"openinference.span.kind": oi_kind})
    assert (row["kind"], row["operation"], row["convention"]) == (kind, op, "openinference")


def test_anthropic_cache_tokens_as_openinference_reports_them():
    # OpenInference's Anthropic instrumentation already sums cache tokens into the prompt count.
    row, _ = norm({"openinference.span.kind": "LLM", "llm.provider": "anthropic", "llm.model_name": "claude-sonnet-4",
                   "llm.token_count.prompt": 1200, "llm.token_count.completion": 40,
                   "llm.token_count.prompt_details.cache_read": 1000,
                   "llm.token_count.prompt_details.cache_write": 150, "llm.token_count.total": 1240})
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"], row["total_tokens"]) == (
        1200, 1000, 150, 1240)
    assert row["attributes"] is None


def test_agent_span_usage_is_aggregated_not_counted():
    row, _ = norm({"openinference.span.kind": "AGENT", "llm.token_count.prompt": 900,
                   "llm.token_count.completion": 100, "llm.token_count.total": 1000, "llm.cost.total": 0.01})
    assert row["kind"] == "agent" and row["usage_aggregated"] is True
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"], row["cost_usd"]) == (None,) * 4
    assert row["attributes"] == {"llm.token_count.prompt": 900, "llm.token_count.completion": 100,
                                 "llm.token_count.total": 1000, "llm.cost.total": 0.01}


def test_retriever_span_documents():
    row, content = norm({
        "openinference.span.kind": "RETRIEVER", "input.value": "capital of France",
        "retrieval.documents.1.document.id": "d2", "retrieval.documents.1.document.score": 0.5,
        "retrieval.documents.0.document.id": "d1", "retrieval.documents.0.document.score": 0.9,
        "retrieval.documents.0.document.content": "Paris is the capital.",
        "retrieval.documents.0.document.metadata": '{"source": "wiki"}',
    })
    assert row["kind"] == "retrieval"
    assert content["documents"] == [
        {"id": "d1", "score": 0.9, "content": "Paris is the capital.", "metadata": {"source": "wiki"}},
        {"id": "d2", "score": 0.5}]
    assert content["input_value"] == "capital of France"


def test_tool_span():
    row, content = norm({"openinference.span.kind": "TOOL", "tool.name": "get_weather", "tool.id": "call_1",
                         "tool.description": "Weather lookup", "tool.parameters": '{"location": "Paris"}',
                         "input.value": '{"location": "Paris"}', "input.mime_type": "application/json",
                         "output.value": '{"temp": 57}', "output.mime_type": "application/json"})
    assert (row["kind"], row["tool_name"], row["tool_call_id"]) == ("tool", "get_weather", "call_1")
    assert content["tool_arguments"] == {"location": "Paris"}
    assert content["tool_result"] == {"temp": 57}
    assert content["input_value"] == {"location": "Paris"}
    assert row["attributes"] == {"tool.description": "Weather lookup"}


def test_embedding_span():
    row, _ = norm({"openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small",
                   "llm.token_count.prompt": 8, "llm.token_count.total": 8})
    assert (row["kind"], row["request_model"], row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (
        "embedding", "text-embedding-3-small", 8, None, 8)


def test_legacy_completions_api():
    _, content = norm({"openinference.span.kind": "LLM", "llm.prompts.0.prompt.text": "Say hi",
                       "llm.choices.0.completion.text": "hi"})
    assert content["input_messages"] == [text("user", "Say hi")]
    assert content["output_messages"] == [text("assistant", "hi")]
    assert norm({"openinference.span.kind": "LLM", "llm.prompts.0.prompt.text": "x"})[0]["operation"] == "text_completion"


def test_dual_written_span_counted_once():
    # OPENINFERENCE_ENABLE_GENAI_SEMCONV=true: OpenInference writes gen_ai.* beside its own keys.
    attrs = {
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.provider": "openai",
        "llm.token_count.prompt": 52, "llm.token_count.completion": 17, "llm.token_count.total": 69,
        "llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "hi",
        "llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": "hello",
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 52, "gen_ai.usage.output_tokens": 17,
        "gen_ai.input.messages": json.dumps([text("user", "hi")]),
        "gen_ai.output.messages": json.dumps([text("assistant", "hello")]),
    }
    row, content = norm(attrs)
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (52, 17, 69)
    assert (row["convention"], row["kind"], row["provider"]) == ("openinference", "llm", "openai")
    assert content["input_messages"] == [text("user", "hi")]
    assert content["output_messages"] == [text("assistant", "hello")]
    assert row["attributes"] is None  # every duplicate agreed: nothing left over, nothing twice

    # a duplicate that disagrees is kept, not silently dropped
    attrs["llm.token_count.prompt"] = 50
    row, _ = norm(attrs)
    assert row["input_tokens"] == 52 and row["attributes"] == {"llm.token_count.prompt": 50}


def test_embedding_texts_and_vectors_go_to_content_not_attributes():
    row, content = norm({"openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small",
                         "embedding.embeddings.0.embedding.text": "hello",
                         "embedding.embeddings.0.embedding.vector": [0.1, 0.2, 0.3],
                         "embedding.embeddings.1.embedding.text": "world",
                         "embedding.embeddings.1.embedding.vector": [0.4, 0.5, 0.6]})
    assert content == {"input_value": ["hello", "world"], "output_value": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]}
    assert row["attributes"] is None


def test_reranker_documents():
    row, content = norm({"openinference.span.kind": "RERANKER", "reranker.query": "capital?", "reranker.top_k": 1,
                         "reranker.model_name": "rerank-v3",
                         "reranker.input_documents.0.document.id": "a", "reranker.input_documents.1.document.id": "b",
                         "reranker.output_documents.0.document.id": "b",
                         "reranker.output_documents.0.document.score": 0.97})
    assert row["kind"] == "retrieval"
    assert content == {"documents": [{"id": "b", "score": 0.97}], "input_value": [{"id": "a"}, {"id": "b"}]}
    assert row["attributes"] == {"reranker.query": "capital?", "reranker.top_k": 1, "reranker.model_name": "rerank-v3"}
