"""OpenAI Chat Completions (``POST /v1/chat/completions``) and Embeddings (``POST /v1/embeddings``).

Wire details kept from the real API: ``chatcmpl-`` ids, the dated model name
for aliases, ``system_fingerprint``, ``usage.prompt_tokens_details.cached_tokens``
(cached tokens are *included* in ``prompt_tokens``), ``finish_reason`` in
stop | length | tool_calls | content_filter, refusals in ``message.refusal``,
streaming chunks ending with ``data: [DONE]`` and, with
``stream_options.include_usage``, a last chunk with empty ``choices`` and the usage.
"""

from __future__ import annotations

import json
import time
from typing import Any

from genlens.simulate import text as tx
from genlens.simulate.engine import Completion, Prompt, Tool
from genlens.simulate.http import ApiError, Frame, sse, templated

PROVIDER = "openai"
MAX_EMBEDDING_INPUTS = 2048


def error_body(error: ApiError) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 404: "invalid_request_error", 413: "invalid_request_error",
             429: "requests", 500: "server_error", 503: "server_error", 529: "server_error"}
    codes = {429: "rate_limit_exceeded", 503: "service_unavailable", 529: "overloaded"}
    return {"error": {"message": error.message, "type": kinds.get(error.status, "server_error"),
                      "param": None, "code": error.code or codes.get(error.status)}}


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, dict):
                kind = part.get("type")
                if isinstance(part.get("text"), str):
                    out.append(part["text"])
                elif isinstance(part.get("refusal"), str):
                    out.append(part["refusal"])
                elif kind:
                    out.append(f"[{kind}]")
            elif isinstance(part, str):
                out.append(part)
        return "".join(out)
    raise ApiError(400, "Invalid type for 'content': expected a string or an array of content parts.")


def parse_chat(body: dict[str, Any]) -> Prompt:
    """Translate a Chat Completions body into a ``Prompt``; malformed bodies raise 400."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array.", "invalid_value")
    rendered: list[str] = []
    tools = _tools(body)
    if tools:
        rendered.append(tx.render_message("tools", json.dumps([[t.name, t.schema] for t in tools], sort_keys=True)))
    last_user, last_role = "", ""
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiError(400, f"Invalid value for 'messages[{index}]': expected an object with a 'role'.")
        role = message["role"]
        content = _text_of(message.get("content"))
        for call in message.get("tool_calls") or []:
            function = call.get("function", {}) if isinstance(call, dict) else {}
            content += f"[call {function.get('name')}({function.get('arguments')})]"
        rendered.append(tx.render_message(role, content))
        if role == "user":
            last_user = content
        last_role = role
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name")
    response_format = body.get("response_format") or {}
    fmt = response_format.get("type") if isinstance(response_format, dict) else None
    schema = ((response_format.get("json_schema") or {}).get("schema")) if fmt == "json_schema" else None
    return Prompt(
        text="".join(rendered),
        last_user_text=last_user,
        last_is_tool_result=last_role in ("tool", "function"),
        tools=tools,
        tool_choice=choice if isinstance(choice, str) else None,
        json_mode=fmt in ("json_object", "json_schema"),
        json_schema=schema,
        max_tokens=_int_or_none(body.get("max_completion_tokens", body.get("max_tokens"))),
    )


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, f"Invalid 'max_tokens': expected an integer >= 1, got {value!r}.", "invalid_value")
    return value


def _tools(body: dict[str, Any]) -> list[Tool]:
    raw = body.get("tools")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError(400, "'tools' must be an array.", "invalid_type")
    tools = []
    for index, tool in enumerate(raw[:128]):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise ApiError(400, f"Missing required parameter: 'tools[{index}].function.name'.", "missing_required")
        tools.append(Tool(function["name"], function.get("parameters")))
    return tools


def _usage(c: Completion) -> dict[str, Any]:
    return {
        "prompt_tokens": c.input_tokens,
        "completion_tokens": c.output_tokens,
        "total_tokens": c.input_tokens + c.output_tokens,
        "prompt_tokens_details": {"cached_tokens": c.cache_read_tokens, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": c.reasoning_tokens, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    }


def _finish(c: Completion) -> str:
    return "stop" if c.finish == "refusal" else c.finish


def chat_json(c: Completion, rid: str, model: str, fingerprint: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None if c.refusal or c.tool_calls else c.text,
                               "refusal": c.text if c.refusal else None, "annotations": []}
    if c.tool_calls:
        message["tool_calls"] = [{"id": t.id, "type": "function",
                                  "function": {"name": t.name, "arguments": t.arguments}} for t in c.tool_calls]
    return {
        "id": rid, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(c)}],
        "usage": _usage(c), "service_tier": "default", "system_fingerprint": fingerprint,
    }


def chat_frames(c: Completion, rid: str, model: str, fingerprint: str, include_usage: bool) -> list[Frame]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        data: dict[str, Any] = {
            "id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
            "service_tier": "default", "system_fingerprint": fingerprint,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        return sse(data)

    frames: list[Frame] = [(chunk({"role": "assistant", "content": "", "refusal": None}), False)]
    key = "refusal" if c.refusal else "content"
    piece_chunk = templated(lambda piece: chunk({key: piece}))
    frames.extend((piece_chunk(piece), True) for piece in tx.pieces(c.text))
    for index, call in enumerate(c.tool_calls):
        head = {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        frames.append((chunk({"tool_calls": [head]}), True))
        frames.extend((chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}), True)
                      for piece in tx.pieces(call.arguments))
    frames.append((chunk({}, _finish(c)), False))
    if include_usage:
        frames.append((sse({"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                            "service_tier": "default", "system_fingerprint": fingerprint, "choices": [],
                            "usage": _usage(c)}), False))
    frames.append((b"data: [DONE]\n\n", False))
    return frames


def embeddings_json(body: dict[str, Any], model: str, max_dims: int) -> tuple[dict[str, Any], int]:
    """The embeddings answer and its token count; unit vectors of the requested dimension."""
    raw = body.get("input")
    if isinstance(raw, str) or (isinstance(raw, list) and raw and all(isinstance(t, int) for t in raw)):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "'input' must be a non-empty string or array.", "invalid_value")
    if len(raw) > MAX_EMBEDDING_INPUTS:
        raise ApiError(400, f"'input' has {len(raw)} items; at most {MAX_EMBEDDING_INPUTS} are allowed.")
    dims = body.get("dimensions", max_dims)
    if isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims <= max_dims:
        raise ApiError(400, f"Invalid 'dimensions': expected 1..{max_dims}, got {dims!r}.", "invalid_value")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise ApiError(400, f"Invalid 'encoding_format': {encoding!r}.", "invalid_value")
    data, tokens = [], 0
    for index, item in enumerate(raw):
        if isinstance(item, str):
            text, tokens = item, tokens + tx.count_tokens(item)
        elif isinstance(item, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in item):
            text, tokens = " ".join(map(str, item)), tokens + len(item)
        else:
            raise ApiError(400, f"Invalid 'input[{index}]': expected a string or an array of token ids.")
        vector = tx.embedding(text, dims)
        data.append({"object": "embedding", "index": index,
                     "embedding": tx.embedding_base64(vector) if encoding == "base64" else vector})
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}, tokens
