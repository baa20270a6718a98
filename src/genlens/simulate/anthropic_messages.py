"""Anthropic Messages API (``POST /v1/messages``), JSON and streaming.

Usage follows the real API: ``input_tokens`` counts only the uncached rest;
``cache_read_input_tokens`` and ``cache_creation_input_tokens`` are reported
*beside* it (their sum is the whole prompt).  Caching follows ``cache_control``
markers on tools, system blocks and message blocks (see ``cache.py``).
``stop_reason`` is end_turn | max_tokens | tool_use | refusal (a content-filter
fault also ends in ``refusal``: Anthropic has no separate filter finish).
Streams are ``message_start``, ``content_block_start``, ``ping``,
``content_block_delta`` (text_delta / input_json_delta), ``content_block_stop``,
``message_delta`` (stop reason and usage) and ``message_stop``.
"""

from __future__ import annotations

import json
from typing import Any

from genlens.simulate import text as tx
from genlens.simulate.engine import Completion, Prompt, Tool
from genlens.simulate.http import ApiError, Frame, sse, templated

PROVIDER = "anthropic"
_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
         "content_filter": "refusal", "refusal": "refusal"}
_ERROR_TYPES = {400: "invalid_request_error", 404: "not_found_error", 413: "request_too_large",
                429: "rate_limit_error", 500: "api_error", 503: "api_error", 529: "overloaded_error"}


def error_body(error: ApiError) -> dict[str, Any]:
    message = "Overloaded" if error.status == 529 else error.message
    return {"type": "error", "error": {"type": _ERROR_TYPES.get(error.status, "api_error"), "message": message}}


def _block_text(block: Any) -> tuple[str, bool]:
    """Text a content block contributes, and whether it is a tool result."""
    if isinstance(block, str):
        return block, False
    if not isinstance(block, dict):
        raise ApiError(400, "messages: content blocks must be objects or strings")
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", "")), False
    if kind == "tool_use":
        return f"[call {block.get('name')}({json.dumps(block.get('input'), sort_keys=True)})]", False
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            content = "".join(_block_text(b)[0] for b in content)
        return str(content), True
    if kind in ("thinking", "redacted_thinking"):
        return str(block.get("thinking", "")), False
    return f"[{kind}]", False


def parse_messages(body: dict[str, Any]) -> Prompt:
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ApiError(400, "max_tokens: Field required (an integer >= 1)")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages: at least one message is required")
    out: list[str] = []
    marks: list[int] = []
    length = 0

    def add(role: str, text: str, block: Any) -> None:
        nonlocal length
        segment = tx.render_message(role, text)
        out.append(segment)
        length += len(segment)
        if isinstance(block, dict) and isinstance(block.get("cache_control"), dict):
            marks.append(length)

    tools = []
    for index, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise ApiError(400, f"tools.{index}.name: Field required")
        if "input_schema" in tool or tool.get("type") in (None, "custom"):
            tools.append(Tool(tool["name"], tool.get("input_schema")))
        add("tool", tool["name"] + json.dumps(tool.get("input_schema"), sort_keys=True), tool)
    system = body.get("system")
    if isinstance(system, str):
        add("system", system, None)
    elif isinstance(system, list):
        for block in system:
            add("system", _block_text(block)[0], block)
    last_user, last_tool_result = "", False
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise ApiError(400, f"messages.{index}.role: Input should be 'user' or 'assistant'")
        role, content = message["role"], message.get("content")
        blocks = [content] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            raise ApiError(400, f"messages.{index}.content: Input should be a valid list or string")
        texts, has_result = [], False
        for block in blocks:
            text, is_result = _block_text(block)
            add(role, text, block)
            texts.append(text)
            has_result = has_result or is_result
        if role == "user":
            last_user, last_tool_result = "".join(texts), has_result
        else:
            last_tool_result = False
    raw_choice = body.get("tool_choice")
    choice: dict[str, Any] = raw_choice if isinstance(raw_choice, dict) else {}
    forced = choice.get("name") if choice.get("type") == "tool" else ("none" if choice.get("type") == "none" else None)
    fmt = body.get("output_format")  # structured outputs: {"type": "json_schema", "schema": {...}}
    json_schema = fmt.get("schema") if isinstance(fmt, dict) and fmt.get("type") == "json_schema" else None
    return Prompt(text="".join(out), last_user_text=last_user,
                  last_is_tool_result=last_tool_result or messages[-1].get("role") == "assistant",
                  tools=tools, tool_choice=forced, max_tokens=max_tokens, cache_breakpoints=marks,
                  json_mode=json_schema is not None, json_schema=json_schema)


def _usage(c: Completion, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": c.input_tokens - c.cache_read_tokens - c.cache_write_tokens,
        "cache_creation_input_tokens": c.cache_write_tokens,
        "cache_read_input_tokens": c.cache_read_tokens,
        "cache_creation": {"ephemeral_5m_input_tokens": c.cache_write_tokens, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _content(c: Completion) -> list[dict[str, Any]]:
    if c.tool_calls:
        return [{"type": "tool_use", "id": t.id, "name": t.name, "input": json.loads(t.arguments)}
                for t in c.tool_calls]
    return [{"type": "text", "text": c.text}] if c.text else []


def message_json(c: Completion, mid: str, model: str) -> dict[str, Any]:
    return {"id": mid, "type": "message", "role": "assistant", "model": model, "content": _content(c),
            "stop_reason": _STOP[c.finish], "stop_sequence": None, "usage": _usage(c, c.output_tokens)}


def message_frames(c: Completion, mid: str, model: str) -> list[Frame]:
    start: dict[str, Any] = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
             "stop_reason": None, "stop_sequence": None, "usage": _usage(c, 1)}
    frames: list[Frame] = [(sse({"type": "message_start", "message": start}, "message_start"), False)]
    index = 0
    if c.text:
        frames.append((sse({"type": "content_block_start", "index": 0,
                            "content_block": {"type": "text", "text": ""}}, "content_block_start"), False))
        frames.append((sse({"type": "ping"}, "ping"), False))
        delta = templated(lambda piece: sse({"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "text_delta", "text": piece}}, "content_block_delta"))
        frames.extend((delta(piece), True) for piece in tx.pieces(c.text))
        frames.append((sse({"type": "content_block_stop", "index": 0}, "content_block_stop"), False))
        index = 1
    for offset, call in enumerate(c.tool_calls):
        block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        frames.append((sse({"type": "content_block_start", "index": index + offset,
                            "content_block": block}, "content_block_start"), True))
        frames.extend((sse({"type": "content_block_delta", "index": index + offset,
                            "delta": {"type": "input_json_delta", "partial_json": piece}}, "content_block_delta"),
                       True) for piece in tx.pieces(call.arguments))
        frames.append((sse({"type": "content_block_stop", "index": index + offset}, "content_block_stop"), False))
    frames.append((sse({"type": "message_delta", "delta": {"stop_reason": _STOP[c.finish], "stop_sequence": None},
                        "usage": _usage(c, c.output_tokens)}, "message_delta"), False))
    frames.append((sse({"type": "message_stop"}, "message_stop"), False))
    return frames
