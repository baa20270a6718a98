"""OpenLLMetry (Traceloop) attributes, migrated (v0.5.x) and legacy (<= v0.4.x, pre-2024).

Migrated instrumentations write OTel names (read by :mod:`otel_genai`) plus a
few custom keys; non-migrated ones flatten messages as
``gen_ai.prompt.N.{role,content,tool_calls.J.*,tool_call_id}`` and
``gen_ai.completion.N.{...,finish_reason}``; pre-2024 spans use ``llm.*`` names
and ``llm.prompts.N.*``.  Decorator spans (``@workflow``, ``@task``, ``@agent``,
``@tool``) carry ``traceloop.span.kind`` and ``traceloop.entity.*``.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv._convert import (
    C_OPENLLMETRY,
    P_LEGACY,
    P_OPENLLMETRY,
    as_bool,
    as_count,
    as_float,
    as_str,
    json_or_raw,
    present,
)
from genlens.semconv._flat import Group, Leftover, nested_rows, unused
from genlens.semconv._messages import any_message, finish_reason, finish_reasons, legacy_prompt
from genlens.semconv.otel_genai import provider_value

SPAN_KIND = "traceloop.span.kind"
LLM_REQUEST_TYPE = "llm.request.type"
ENTITY_NAME = "traceloop.entity.name"
ENTITY_INPUT = "traceloop.entity.input"
ENTITY_OUTPUT = "traceloop.entity.output"
ASSOCIATION_PREFIX = "traceloop.association.properties."

P = P_OPENLLMETRY
L = P_LEGACY
C = C_OPENLLMETRY
KEYS: list[tuple[str, str | None, int, Any, int]] = [
    (SPAN_KIND, "k:tl", P, as_str, C),
    (LLM_REQUEST_TYPE, "k:reqtype", P, as_str, C),
    (ENTITY_NAME, "x:entity_name", P, as_str, C),
    (ENTITY_INPUT, "c:input_value", P, present, C),
    (ENTITY_OUTPUT, "c:output_value", P, present, C),
    (ASSOCIATION_PREFIX + "user_id", "user_id", P, as_str, C),
    (ASSOCIATION_PREFIX + "session_id", "conversation_id", P, as_str, C),
    ("gen_ai.usage.total_tokens", "total_tokens", P, as_count, C),
    ("gen_ai.usage.reasoning_tokens", "reasoning_tokens", P, as_count, C),
    ("gen_ai.usage.cache_read_input_tokens", "cache_read_tokens", L, as_count, C),
    ("gen_ai.usage.cache_creation_input_tokens", "cache_write_tokens", L, as_count, C),
    ("gen_ai.response.finish_reason", "finish_reasons", P, finish_reasons, C),
    ("gen_ai.response.stop_reason", "finish_reasons", P + 1, finish_reasons, C),
    ("gen_ai.request.max_completion_tokens", "max_tokens", P, as_count, C),
    ("gen_ai.is_streaming", "streaming", P, as_bool, C),
    ("llm.is_streaming", "streaming", P + 1, as_bool, C),
    ("llm.usage.prompt_tokens", "input_tokens", L, as_count, C),
    ("llm.usage.completion_tokens", "output_tokens", L, as_count, C),
    ("llm.usage.total_tokens", "total_tokens", L, as_count, C),
    ("llm.usage.reasoning_tokens", "reasoning_tokens", L, as_count, C),
    ("llm.vendor", "provider", L, provider_value, C),
    ("gen_ai.user", "user_id", L, as_str, C),  # the OpenAI request's ``user`` field
    ("llm.user", "user_id", L + 1, as_str, C),
    ("llm.request.model", "request_model", L, as_str, C),
    ("llm.response.model", "response_model", L, as_str, C),
    ("llm.temperature", "temperature", L, as_float, C),
    ("llm.top_p", "top_p", L, as_float, C),
    ("llm.request.max_tokens", "max_tokens", L, as_count, C),
    ("llm.response.finish_reason", "finish_reasons", L, finish_reasons, C),
    # Kept in attributes, but they mark the span as OpenLLMetry's.
    ("traceloop.workflow.name", None, P, None, C),
    ("traceloop.entity.path", None, P, None, C),
    ("gen_ai.openai.api_base", None, P, None, C),
]

SPAN_KIND_MAP: dict[str, str] = {
    "workflow": "workflow",
    "task": "workflow",
    "agent": "agent",
    "tool": "tool",
    "unknown": "other",
}

# llm.request.type → (operation, kind).
REQUEST_TYPE_MAP: dict[str, tuple[str, str]] = {
    "chat": ("chat", "llm"),
    "completion": ("text_completion", "llm"),
    "embedding": ("embeddings", "embedding"),
    "rerank": ("rerank", "retrieval"),
    "unknown": ("chat", "llm"),
}

PROMPT = "gen_ai.prompt."
COMPLETION = "gen_ai.completion."
LEGACY_PROMPTS = "llm.prompts."
LEGACY_COMPLETIONS = "llm.completions."
FUNCTIONS = "llm.request.functions."  # .N.name / .description / .parameters (tool definitions)
FAMILIES: dict[str, str] = {
    FUNCTIONS: "tool_definitions",
    PROMPT: "input_messages",
    COMPLETION: "output_messages",
    LEGACY_PROMPTS: "input_messages",
    LEGACY_COMPLETIONS: "output_messages",
}


def _content_parts(content: Any) -> list[dict[str, Any]]:
    """``content`` is text, or (Anthropic/OpenAI multimodal) a JSON list of blocks."""
    if type(content) is str and content[:1] == "[":
        blocks = legacy_prompt(content)
        if type(blocks) is list and blocks and all(type(b) is dict and "type" in b for b in blocks):
            msg = any_message({"role": "user", "content": blocks}, "user")
            return msg["parts"] if msg else []
    return [{"type": "text", "content": content}]


_TOOL_CALLS = "tool_calls."
_NESTED = (_TOOL_CALLS,)


def _message(g: Group, default_role: str) -> dict[str, Any]:
    f = g[1]
    role = f.pop("role", None)
    role = role if type(role) is str and role else default_role
    parts: list[dict[str, Any]] = []
    content = f.pop("content", None)
    if content is None:  # OpenInference's legacy completions API shares the llm.prompts. prefix
        content = f.pop("prompt.text", None)
        if content is None:
            content = f.pop("completion.text", None)
    if content is not None:
        if role == "tool":
            parts.append({"type": "tool_call_response", "id": f.pop("tool_call_id", None),
                          "response": json_or_raw(content)})
        else:
            parts.extend(_content_parts(content))
    if g[2]:
        for _, d in nested_rows(g, _TOOL_CALLS):
            parts.append({"type": "tool_call", "id": d.pop("id", None), "name": d.pop("name", None),
                          "arguments": json_or_raw(d.pop("arguments", None))})
    refusal = f.pop("refusal", None)
    if refusal is not None:
        parts.append({"type": "refusal", "content": refusal})
    msg: dict[str, Any] = {"role": role, "parts": parts}
    fr = finish_reason(f.pop("finish_reason", None))
    if fr:
        msg["finish_reason"] = fr
    return msg


def nested_prefixes(prefix: str) -> tuple[str, ...]:
    """Which nested lists a family's entries hold (for :func:`genlens.semconv._flat.layout`)."""
    return () if prefix == FUNCTIONS else _NESTED


def parse_family(prefix: str, groups: list[Group], leftover: Leftover) -> list[dict[str, Any]]:
    """``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*`` / ``llm.prompts.N.*`` → OTel messages, in index order."""
    if prefix == FUNCTIONS:
        out: list[dict[str, Any]] = []
        for g in groups:
            f = g[1]
            tool = {"type": "function", "name": f.pop("name", None), "description": f.pop("description", None),
                    "parameters": json_or_raw(f.pop("parameters", None))}
            out.append({k: v for k, v in tool.items() if v is not None})
    else:
        role = "user" if prefix in (PROMPT, LEGACY_PROMPTS) else "assistant"
        out = [_message(g, role) for g in groups]
    for g in groups:
        unused(prefix, g, leftover)
    return out
