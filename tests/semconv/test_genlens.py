"""genlens's own app.llm.* context, tenant resolution, reported cost and error class."""

from __future__ import annotations

import json

import pytest

from genlens.semconv import attrs as a
from genlens.semconv.model import RawEvent
from genlens.semconv.normalize import normalize_span

from .helpers import RESOURCE, norm, raw_span, text

GENLENS = {
    a.GEN_AI_OPERATION_NAME: "chat", a.GEN_AI_PROVIDER_NAME: "openai", a.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
    a.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18", a.GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
    a.GEN_AI_USAGE_INPUT_TOKENS: 1200, a.GEN_AI_USAGE_OUTPUT_TOKENS: 85, a.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 1024,
    a.APP_FEATURE: "support-chat", a.APP_TENANT_ID: "acme", a.APP_PROMPT_TEMPLATE_ID: "support",
    a.APP_PROMPT_TEMPLATE_SHA: "9f2c1e0a", a.APP_EXPERIMENT_ID: "exp-7", a.APP_EXPERIMENT_VARIANT: "b",
    a.APP_CONVERSATION_ID: "conv-42", a.USER_ID: "u-981", a.APP_COST_USD: 0.00031, a.APP_TTFT_S: 0.31,
    a.APP_TPOT_S: 0.012, a.APP_DECODE_TOKENS_PER_S: 83.3, a.APP_STREAMING: True, a.APP_BUDGET_EXCEEDED: False,
    a.APP_SPAN_KIND: "llm", a.APP_CONTENT_SAMPLED: True, a.APP_REDACTED: False, a.APP_TOTAL_LATENCY_S: 1.9,
    a.GEN_AI_CONVERSATION_ID: "conv-42",
    a.GEN_AI_INPUT_MESSAGES: json.dumps([text("user", "Where is my order?")]),
    a.GEN_AI_OUTPUT_MESSAGES: json.dumps([text("assistant", "On its way.", finish_reason="stop")]),
}


def test_genlens_span_row():
    row, content = norm(GENLENS)
    expect = {
        "convention": "genlens", "kind": "llm", "operation": "chat", "provider": "openai", "tenant": "acme",
        "feature": "support-chat", "prompt_id": "support", "prompt_sha": "9f2c1e0a", "experiment_id": "exp-7",
        "experiment_variant": "b", "conversation_id": "conv-42", "user_id": "u-981", "cost_usd": 0.00031,
        "cost_source": "reported", "ttft_s": 0.31, "tpot_s": 0.012, "decode_tps": 83.3, "streaming": True,
        "budget_exceeded": False, "content_sampled": True, "redacted": False, "input_tokens": 1200,
        "output_tokens": 85, "cache_read_tokens": 1024, "total_tokens": 1285, "finish_reasons": ["stop"],
        "attributes": {a.APP_TOTAL_LATENCY_S: 1.9}, "price_source": None,
    }
    assert {k: row[k] for k in expect} == expect
    assert content == {"input_messages": [text("user", "Where is my order?")],
                       "output_messages": [text("assistant", "On its way.", finish_reason="stop")]}


@pytest.mark.parametrize(("span_attrs", "resource", "want"), [
    ({a.APP_TENANT_ID: "t-span-app", a.TENANT_ID: "t-span"}, {a.APP_TENANT_ID: "t-res-app"}, "t-span-app"),
    ({a.TENANT_ID: "t-span"}, {a.APP_TENANT_ID: "t-res-app", a.TENANT_ID: "t-res"}, "t-span"),
    ({}, {a.APP_TENANT_ID: "t-res-app", a.TENANT_ID: "t-res"}, "t-res-app"),
    ({}, {a.TENANT_ID: "t-res"}, "t-res"),
    ({}, {}, "fallback"),
    ({a.APP_TENANT_ID: ""}, {a.TENANT_ID: 7}, "fallback"),  # empty / wrong-typed values never become tenants
])
def test_tenant_resolution(span_attrs, resource, want):
    row, _ = normalize_span(raw_span(dict(span_attrs), resource={**RESOURCE, **resource}), default_tenant="fallback")
    assert row["tenant"] == want


def test_environment_falls_back_to_old_resource_key():
    row, _ = norm({}, resource={"service.name": "s", "deployment.environment": "staging"})
    assert (row["service_name"], row["environment"], row["service_version"]) == ("s", "staging", None)
    assert row["resource_attributes"] == {"service.name": "s", "deployment.environment": "staging"}
    assert (row["kind"], row["convention"], row["attributes"]) == ("other", "none", None)


def test_declared_error_class_and_its_absence():
    row, _ = norm({a.APP_ERROR_CLASS: "guardrail", a.APP_SPAN_KIND: "llm"}, status=2)
    assert row["error_class"] == "guardrail"
    row, _ = norm({a.APP_ERROR_CLASS: "nonsense", a.ERROR_TYPE: "BadRequestError"}, status=2)
    assert (row["error_class"], row["error_type"]) == ("api", "BadRequestError")
    assert row["attributes"] == {a.APP_ERROR_CLASS: "nonsense"}
    # a span that is not an error has error_class none; a stray declaration is kept, not lost
    row, _ = norm({a.APP_ERROR_CLASS: "timeout"}, status=1)
    assert row["error_class"] == "none" and row["attributes"] == {a.APP_ERROR_CLASS: "timeout"}


def test_exception_event_supplies_error_type():
    ev = RawEvent("exception", 3, {"exception.type": "httpx.ReadTimeout", "exception.message": "read",
                                   "exception.stacktrace": "..."})
    row, _ = norm({a.APP_SPAN_KIND: "llm"}, events=[ev], status=2)
    assert (row["error_type"], row["error_class"]) == ("httpx.ReadTimeout", "timeout")
    assert row["events"][0]["name"] == "exception"


@pytest.mark.parametrize("kind", ["llm", "embedding", "tool", "retrieval", "agent", "workflow", "other"])
def test_app_span_kind_wins(kind):
    row, _ = norm({a.APP_SPAN_KIND: kind, a.GEN_AI_OPERATION_NAME: "chat"})
    assert row["kind"] == kind


def test_genlens_agent_span_with_aggregated_usage_and_cost():
    row, _ = norm({a.APP_SPAN_KIND: "agent", a.GEN_AI_OPERATION_NAME: "invoke_agent", a.GEN_AI_AGENT_NAME: "planner",
                   a.GEN_AI_USAGE_INPUT_TOKENS: 4000, a.GEN_AI_USAGE_OUTPUT_TOKENS: 600, a.APP_COST_USD: 0.02})
    assert (row["kind"], row["agent_name"], row["usage_aggregated"]) == ("agent", "planner", True)
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"], row["cost_source"]) == (None, None, None, None)
    assert row["attributes"] == {a.GEN_AI_USAGE_INPUT_TOKENS: 4000, a.GEN_AI_USAGE_OUTPUT_TOKENS: 600,
                                 a.APP_COST_USD: 0.02}


def test_pydantic_ai_aggregated_usage_attributes():
    row, _ = norm({a.GEN_AI_OPERATION_NAME: "invoke_agent", "gen_ai.aggregated_usage.input_tokens": 10,
                   "gen_ai.aggregated_usage.output_tokens": 2})
    assert row["usage_aggregated"] is True
    assert row["attributes"] == {"gen_ai.aggregated_usage.input_tokens": 10, "gen_ai.aggregated_usage.output_tokens": 2}


@pytest.mark.parametrize(("key", "value"), [
    ("llm.cost.total", 0.5), ("gen_ai.usage.cost", 0.5), ("operation.cost", 0.5), (a.APP_COST_USD, 0.5)])
def test_reported_cost_sources(key, value):
    row, _ = norm({a.GEN_AI_OPERATION_NAME: "chat", key: value})
    assert (row["cost_usd"], row["cost_source"]) == (value, "reported")


def test_cost_left_for_the_pricing_stage_when_not_reported():
    row, _ = norm({a.GEN_AI_OPERATION_NAME: "chat", a.GEN_AI_USAGE_INPUT_TOKENS: 10})
    assert (row["cost_usd"], row["cost_source"], row["price_source"]) == (None, None, None)
    row, _ = norm({"openinference.span.kind": "EMBEDDING", "llm.cost.prompt": 0.25})
    assert (row["cost_usd"], row["cost_source"]) == (0.25, "reported")  # the breakdown alone still sums


def test_requested_tool_call_and_feedback_spans_keep_their_own_operation():
    """A tool call the model asked for is not a tool execution; feedback is not an LLM call."""
    requested, _ = norm({a.GEN_AI_TOOL_NAME: "lookup", a.GEN_AI_TOOL_TYPE: "function",
                         a.APP_SPAN_KIND: "tool_call", a.APP_TOOL_CALL_REQUESTED: True,
                         a.GEN_AI_TOOL_CALL_ID: "call_1"}, name="tool_call lookup")
    assert (requested["kind"], requested["operation"]) == ("tool", "tool_call")
    assert (requested["tool_name"], requested["tool_call_id"]) == ("lookup", "call_1")
    executed, _ = norm({a.GEN_AI_OPERATION_NAME: "execute_tool", a.GEN_AI_TOOL_NAME: "lookup"})
    assert (executed["kind"], executed["operation"]) == ("tool", "execute_tool")
    feedback, _ = norm({a.APP_SPAN_KIND: "feedback", a.APP_FEEDBACK_THUMBS: "up",
                        a.APP_FEEDBACK_TRACE_ID: "ab" * 16}, name="feedback")
    assert (feedback["kind"], feedback["operation"]) == ("other", "feedback")
    assert feedback["input_tokens"] is None
