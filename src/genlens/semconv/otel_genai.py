"""OTel GenAI semantic conventions (v1.41 and the names older versions used).

The key table maps each attribute to a slot (a canonical column, a request
parameter ``p:*``, a content kind ``c:*`` or a kind hint ``k:*``), a priority
and a converter; :mod:`genlens.semconv.normalize` merges every convention's
table into one dict and reads each span in one pass.  Values from vendors
that extend OTel names (OpenLIT ``gen_ai.usage.cost``, Logfire
``operation.cost``) are read here as well.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv import attrs as a
from genlens.semconv._convert import (
    C_OTEL,
    P_LEGACY,
    P_OTEL,
    as_bool,
    as_count,
    as_float,
    as_nonneg_float,
    as_str,
    jsonable,
    present,
)
from genlens.semconv._messages import finish_reasons

# Vendor extensions met next to OTel names.
OPENLIT_USAGE_COST = "gen_ai.usage.cost"
OPENLIT_CACHED_TOKENS = "gen_ai.usage.prompt_tokens_details.cached_tokens"
LOGFIRE_OPERATION_COST = "operation.cost"


def param(v: Any) -> Any:
    """A request parameter: scalars and lists of scalars, kept as JSON values."""
    t = type(v)
    if t is str or t is float or t is bool:
        return v
    if t is int:
        return v if -(1 << 63) <= v < (1 << 63) else str(v)
    if t is list or t is tuple:
        return jsonable(v)  # copied JSON-safe
    return None


def _provider_value(v: Any) -> str | None:
    return provider_value(v)


KEYS: list[tuple[str, str | None, int, Any, int]] = [
    (a.GEN_AI_PROVIDER_NAME, "provider", P_OTEL, _provider_value, C_OTEL),
    (a.GEN_AI_SYSTEM, "provider", P_OTEL + 1, _provider_value, C_OTEL),
    (a.GEN_AI_OPERATION_NAME, "operation", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_REQUEST_MODEL, "request_model", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_RESPONSE_MODEL, "response_model", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_RESPONSE_ID, "response_id", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_RESPONSE_FINISH_REASONS, "finish_reasons", P_OTEL, finish_reasons, C_OTEL),
    (a.GEN_AI_REQUEST_TEMPERATURE, "temperature", P_OTEL, as_float, C_OTEL),
    (a.GEN_AI_REQUEST_TOP_P, "top_p", P_OTEL, as_float, C_OTEL),
    (a.GEN_AI_REQUEST_MAX_TOKENS, "max_tokens", P_OTEL, as_count, C_OTEL),
    (a.GEN_AI_REQUEST_STREAM, "streaming", P_OTEL, as_bool, C_OTEL),
    (a.GEN_AI_REQUEST_SEED, "p:seed", P_OTEL, param, C_OTEL),
    (a.GEN_AI_OPENAI_REQUEST_SEED, "p:seed", P_LEGACY, param, C_OTEL),
    (a.GEN_AI_REQUEST_TOP_K, "p:top_k", P_OTEL, param, C_OTEL),
    (a.GEN_AI_REQUEST_STOP_SEQUENCES, "p:stop_sequences", P_OTEL, param, C_OTEL),
    (a.GEN_AI_REQUEST_FREQUENCY_PENALTY, "p:frequency_penalty", P_OTEL, param, C_OTEL),
    (a.GEN_AI_REQUEST_PRESENCE_PENALTY, "p:presence_penalty", P_OTEL, param, C_OTEL),
    (a.GEN_AI_REQUEST_CHOICE_COUNT, "p:choice_count", P_OTEL, param, C_OTEL),
    (a.GEN_AI_REQUEST_ENCODING_FORMATS, "p:encoding_formats", P_OTEL, param, C_OTEL),
    (a.GEN_AI_REQUEST_REASONING_LEVEL, "p:reasoning_level", P_OTEL, param, C_OTEL),
    (a.GEN_AI_OUTPUT_TYPE, "p:output_type", P_OTEL, param, C_OTEL),
    (a.GEN_AI_OPENAI_REQUEST_RESPONSE_FORMAT, "p:output_type", P_LEGACY, param, C_OTEL),
    (a.GEN_AI_USAGE_INPUT_TOKENS, "input_tokens", P_OTEL, as_count, C_OTEL),
    (a.GEN_AI_USAGE_OUTPUT_TOKENS, "output_tokens", P_OTEL, as_count, C_OTEL),
    (a.GEN_AI_USAGE_PROMPT_TOKENS, "input_tokens", P_LEGACY, as_count, C_OTEL),
    (a.GEN_AI_USAGE_COMPLETION_TOKENS, "output_tokens", P_LEGACY, as_count, C_OTEL),
    (a.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, "cache_read_tokens", P_OTEL, as_count, C_OTEL),
    (a.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, "cache_write_tokens", P_OTEL, as_count, C_OTEL),
    (a.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, "cache_write_tokens", P_OTEL + 1, as_count, C_OTEL),
    (a.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, "reasoning_tokens", P_OTEL, as_count, C_OTEL),
    (a.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, "ttft_s", P_OTEL, as_nonneg_float, C_OTEL),
    (a.GEN_AI_CONVERSATION_ID, "conversation_id", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_AGENT_NAME, "agent_name", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_TOOL_NAME, "tool_name", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_TOOL_CALL_ID, "tool_call_id", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_PROMPT_NAME, "prompt_id", P_OTEL, as_str, C_OTEL),
    (a.GEN_AI_INPUT_MESSAGES, "c:input_messages", P_OTEL, present, C_OTEL),
    (a.GEN_AI_OUTPUT_MESSAGES, "c:output_messages", P_OTEL, present, C_OTEL),
    (a.GEN_AI_SYSTEM_INSTRUCTIONS, "c:system_instructions", P_OTEL, present, C_OTEL),
    (a.GEN_AI_TOOL_DEFINITIONS, "c:tool_definitions", P_OTEL, present, C_OTEL),
    (a.GEN_AI_TOOL_CALL_ARGUMENTS, "c:tool_arguments", P_OTEL, present, C_OTEL),
    (a.GEN_AI_TOOL_CALL_RESULT, "c:tool_result", P_OTEL, present, C_OTEL),
    (a.GEN_AI_RETRIEVAL_DOCUMENTS, "c:documents", P_OTEL, present, C_OTEL),
    (a.GEN_AI_RETRIEVAL_QUERY_TEXT, "c:input_value", P_OTEL, present, C_OTEL),  # the query is content
    (a.ERROR_TYPE, "error_type", P_OTEL, as_str, 0),
    (a.ENDUSER_ID, "user_id", P_LEGACY, as_str, 0),
    (OPENLIT_USAGE_COST, "cost_usd", P_OTEL + 5, as_nonneg_float, 0),
    (OPENLIT_CACHED_TOKENS, "cache_read_tokens", P_OTEL + 5, as_count, 0),
    (LOGFIRE_OPERATION_COST, "cost_usd", P_OTEL + 6, as_nonneg_float, 0),
]

# gen_ai.operation.name → canonical span kind (OTel values, OpenLLMetry's
# custom ones, and the genai repository's newer operations).
OPERATION_KIND: dict[str, str] = {
    a.OP_CHAT: "llm",
    a.OP_TEXT_COMPLETION: "llm",
    a.OP_GENERATE_CONTENT: "llm",
    "completion": "llm",
    "llm_request": "llm",
    "fetch_response": "llm",
    a.OP_EMBEDDINGS: "embedding",
    "embedding": "embedding",
    a.OP_RETRIEVAL: "retrieval",
    "vector_db_retrieve": "retrieval",
    "rerank": "retrieval",
    a.OP_EXECUTE_TOOL: "tool",
    a.OP_INVOKE_AGENT: "agent",
    a.OP_CREATE_AGENT: "agent",
    "plan": "agent",
    a.OP_INVOKE_WORKFLOW: "workflow",
    "execute_task": "workflow",
    "handle_conversation_turn": "workflow",
}

# Kind → the operation name a span of that kind gets when its convention names none.
KIND_OPERATION: dict[str, str] = {
    "llm": a.OP_CHAT,
    "embedding": a.OP_EMBEDDINGS,
    "retrieval": a.OP_RETRIEVAL,
    "tool": a.OP_EXECUTE_TOOL,
    "agent": a.OP_INVOKE_AGENT,
    "workflow": a.OP_INVOKE_WORKFLOW,
}

# Provider spellings → OTel gen_ai.provider.name well-known values (keys lower-case).
PROVIDER_ALIASES: dict[str, str] = {
    "xai": "x_ai",
    "az.ai.openai": "azure.ai.openai",
    "az.ai.inference": "azure.ai.inference",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "google": "gcp.gen_ai",
    "mistralai": "mistral_ai",
    "mistral": "mistral_ai",
    "aws": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "amazon": "aws.bedrock",
    "ibm.watson.ai": "ibm.watsonx.ai",
    "watsonx": "ibm.watsonx.ai",
    "moonshot": "moonshot_ai",
}


def provider(v: str) -> str:
    """Normalize a provider value: lower-case, then the alias table."""
    low = v.lower() if not v.islower() else v
    return PROVIDER_ALIASES.get(low, low)


def provider_value(v: Any) -> str | None:
    """Converter for provider attributes: a normalized provider, or ``None``."""
    return provider(v) if type(v) is str and v else None
