"""OpenInference (Arize) attributes: ``openinference.span.kind``, ``llm.*``, flattened messages.

Messages arrive flattened (``llm.input_messages.N.message.role``,
``...message.contents.M.message_content.text``,
``...message.tool_calls.M.tool_call.function.arguments``) or as a JSON string
under the root key; both become OTel parts messages.  ``llm.provider`` (who
hosts) and ``llm.system`` (which product) are combined into one OTel provider
value the way OpenInference's own GenAI converter does.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv import attrs as a
from genlens.semconv._convert import (
    C_OPENINFERENCE,
    P_OPENINFERENCE,
    as_count,
    as_nonneg_float,
    as_str,
    json_or_raw,
    parse_json,
    present,
)
from genlens.semconv._flat import Group, Leftover, nested_rows, unused
from genlens.semconv._messages import finish_reasons
from genlens.semconv.otel_genai import provider as norm_provider

SPAN_KIND = "openinference.span.kind"
LLM_MODEL_NAME = "llm.model_name"
LLM_PROVIDER = "llm.provider"
LLM_SYSTEM = "llm.system"
LLM_INVOCATION_PARAMETERS = "llm.invocation_parameters"
INPUT_VALUE = "input.value"
OUTPUT_VALUE = "output.value"
INPUT_MIME_TYPE = "input.mime_type"
OUTPUT_MIME_TYPE = "output.mime_type"
METADATA = "metadata"
LLM_COST_PROMPT = "llm.cost.prompt"
LLM_COST_COMPLETION = "llm.cost.completion"

P = P_OPENINFERENCE
C = C_OPENINFERENCE
KEYS: list[tuple[str, str | None, int, Any, int]] = [
    (SPAN_KIND, "k:oi", P, as_str, C),
    (LLM_MODEL_NAME, "x:oi_model", P, as_str, C),
    ("llm.request.model_name", "request_model", P, as_str, C),
    ("llm.response.model_name", "response_model", P, as_str, C),
    ("embedding.model_name", "request_model", P + 1, as_str, C),
    (LLM_PROVIDER, "x:oi_provider", P, as_str, C),
    (LLM_SYSTEM, "x:oi_system", P, as_str, C),
    (LLM_INVOCATION_PARAMETERS, "x:invocation_params", P, parse_json, C),
    ("llm.finish_reason", "finish_reasons", P, finish_reasons, C),
    ("llm.token_count.prompt", "input_tokens", P, as_count, C),
    ("llm.token_count.completion", "output_tokens", P, as_count, C),
    ("llm.token_count.total", "total_tokens", P, as_count, C),
    ("llm.token_count.prompt_details.cache_read", "cache_read_tokens", P, as_count, C),
    ("llm.token_count.prompt_details.cache_write", "cache_write_tokens", P, as_count, C),
    ("llm.token_count.completion_details.reasoning", "reasoning_tokens", P, as_count, C),
    ("llm.cost.total", "cost_usd", P, as_nonneg_float, C),
    (LLM_COST_PROMPT, "x:cost_prompt", P, as_nonneg_float, C),
    (LLM_COST_COMPLETION, "x:cost_completion", P, as_nonneg_float, C),
    (INPUT_VALUE, "c:input_value", P, present, C),
    (OUTPUT_VALUE, "c:output_value", P, present, C),
    (INPUT_MIME_TYPE, "x:input_mime", P, as_str, C),
    (OUTPUT_MIME_TYPE, "x:output_mime", P, as_str, C),
    ("llm.input_messages", "c:input_messages", P, present, C),
    ("llm.output_messages", "c:output_messages", P, present, C),
    ("llm.tools", "c:tool_definitions", P, present, C),
    ("tool.name", "tool_name", P, as_str, C),
    ("tool.id", "tool_call_id", P, as_str, C),
    ("tool.parameters", "c:tool_arguments", P, present, C),
    ("agent.name", "agent_name", P, as_str, C),
    (a.SESSION_ID, "conversation_id", P, as_str, 0),
    (METADATA, "x:metadata", P, parse_json, 0),
]

SPAN_KIND_MAP: dict[str, str] = {
    "LLM": "llm",
    "EMBEDDING": "embedding",
    "CHAIN": "workflow",
    "RETRIEVER": "retrieval",
    "RERANKER": "retrieval",
    "TOOL": "tool",
    "AGENT": "agent",
    "GUARDRAIL": "other",
    "EVALUATOR": "other",
    "PROMPT": "other",
    "UNKNOWN": "other",
}

# Flattened families: prefix → content kind.
INPUT_MESSAGES = "llm.input_messages."
OUTPUT_MESSAGES = "llm.output_messages."
TOOLS = "llm.tools."
DOCUMENTS = "retrieval.documents."
CHOICES = "llm.choices."  # legacy completions API: llm.choices.N.completion.text
EMBEDDINGS = "embedding.embeddings."  # .N.embedding.text / .N.embedding.vector
RERANKED = "reranker.output_documents."
RERANK_INPUT = "reranker.input_documents."
FAMILIES: dict[str, str] = {
    INPUT_MESSAGES: "input_messages",
    OUTPUT_MESSAGES: "output_messages",
    TOOLS: "tool_definitions",
    DOCUMENTS: "documents",
    CHOICES: "output_messages",
    EMBEDDINGS: "input_value",  # the texts; the vectors become output_value (see embeddings())
    RERANKED: "documents",
    RERANK_INPUT: "input_value",
}


def provider(hosting: str | None, system: str | None) -> str | None:
    """``llm.provider`` + ``llm.system`` → one OTel provider value."""
    h = hosting.lower() if hosting else None
    s = system.lower() if system else None
    if h == "azure":
        return "azure.ai.openai" if s == "openai" else "azure.ai.inference"
    if h == "google":
        return "gcp.vertex_ai" if s == "vertexai" else "gcp.gen_ai"
    v = h or s
    return norm_provider(v) if v else None


_CONTENTS = "message.contents."
_TOOL_CALLS = "message.tool_calls."
_NESTED = (_CONTENTS, _TOOL_CALLS)


def _tool_call(d: dict[str, Any], pre: str = "") -> dict[str, Any]:
    return {
        "type": "tool_call",
        "id": d.pop(pre + "tool_call.id", None),
        "name": d.pop(pre + "tool_call.function.name", None),
        "arguments": json_or_raw(d.pop(pre + "tool_call.function.arguments", None)),
    }


def _content_part(d: dict[str, Any]) -> dict[str, Any] | None:
    t = d.pop("message_content.type", None)
    text = d.pop("message_content.text", None)
    url = d.pop("message_content.image.image.url", None)
    if t == "image" or (t is None and url is not None):
        return {"type": "uri", "modality": "image", "uri": url}
    if t == "reasoning":
        return {"type": "reasoning", "content": text}
    if t == "tool_use":
        return _tool_call(d, "message_content.")
    if text is not None:
        return {"type": "text", "content": text}
    return None


def _message(g: Group, default_role: str) -> dict[str, Any]:
    f = g[1]
    role = f.pop("message.role", None)
    role = role if type(role) is str and role else default_role
    parts: list[dict[str, Any]] = []
    content = f.pop("message.content", None)
    if content is not None:
        if role == "tool":
            parts.append({"type": "tool_call_response", "id": f.pop("message.tool_call_id", None),
                          "response": json_or_raw(content)})
        else:
            parts.append({"type": "text", "content": content})
    if g[2]:
        for _, d in nested_rows(g, _CONTENTS):
            p = _content_part(d)
            if p is not None:
                parts.append(p)
        for _, d in nested_rows(g, _TOOL_CALLS):
            parts.append(_tool_call(d))
    msg: dict[str, Any] = {"role": role, "parts": parts}
    name = f.pop("message.name", None)
    if type(name) is str and name:
        msg["name"] = name
    return msg


def nested_prefixes(prefix: str) -> tuple[str, ...]:
    """Which nested lists a family's entries hold (for :func:`genlens.semconv._flat.layout`)."""
    return _NESTED if prefix in (INPUT_MESSAGES, OUTPUT_MESSAGES) else ()


def parse_family(prefix: str, groups: list[Group], leftover: Leftover) -> Any:
    """One flattened family → its content value (messages list, tool definitions, documents)."""
    if prefix in (INPUT_MESSAGES, OUTPUT_MESSAGES):
        role = "user" if prefix == INPUT_MESSAGES else "assistant"
        out: list[Any] = [_message(g, role) for g in groups]
    else:
        out = []
        for g in groups:
            f = g[1]
            if prefix == CHOICES:
                out.append({"role": "assistant", "parts": [{"type": "text", "content": f.pop("completion.text", None)}]})
            elif prefix == TOOLS:
                out.append(json_or_raw(f.pop("tool.json_schema", None)))
            elif prefix == EMBEDDINGS:
                text = f.pop("embedding.text", None)
                if text is not None:
                    out.append(text)
            else:
                doc: dict[str, Any] = {}
                for field in ("id", "score", "content"):
                    v = f.pop("document." + field, None)
                    if v is not None:
                        doc[field] = v
                meta = f.pop("document.metadata", None)
                if meta is not None:
                    doc["metadata"] = json_or_raw(meta)
                out.append(doc)
    for g in groups:
        unused(prefix, g, leftover)
    return out


def embedding_vectors(groups: list[Group]) -> list[Any]:
    """The vectors of an ``embedding.embeddings`` family (popped, so they are not handed back)."""
    return [v for v in (g[1].pop("embedding.vector", None) for g in groups) if v is not None]
