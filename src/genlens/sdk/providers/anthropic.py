"""Anthropic SDK: messages (create and the ``stream()`` helper), sync and async.

Anthropic reports cache tokens beside ``input_tokens``; OTel's input count
includes them, so input = input + cache read + cache write here.
"""

from __future__ import annotations

import json
from typing import Any

from genlens.sdk import _safety
from genlens.sdk.core import LLMCall, Request, Result, ToolCall
from genlens.sdk.cost import Usage
from genlens.sdk.instrument import MethodSpec, patch, patch_method, server_attributes, unpatch
from genlens.sdk.providers._common import find_prompt, get, given, int_or_none, text_parts
from genlens.sdk.streams import AsyncTracedStream, TracedStream
from genlens.semconv import attrs

PROVIDER = "anthropic"
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_call",
          "refusal": "content_filter", "pause_turn": "pause_turn"}

_PARAMS = (
    ("temperature", attrs.GEN_AI_REQUEST_TEMPERATURE, float),
    ("top_p", attrs.GEN_AI_REQUEST_TOP_P, float),
    ("top_k", attrs.GEN_AI_REQUEST_TOP_K, float),
    ("max_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS, int),
)


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str) or content is None:
        return text_parts(content)
    parts: list[dict[str, Any]] = []
    for block in list(content)[:256]:
        kind = get(block, "type")
        if kind == "tool_use":
            parts.append({"type": "tool_call", "id": get(block, "id"), "name": get(block, "name"),
                          "arguments": get(block, "input")})
        elif kind == "tool_result":
            parts.append({"type": "tool_call_response", "id": get(block, "tool_use_id"),
                          "response": get(block, "content")})
        elif kind == "thinking":
            parts.append({"type": "reasoning", "content": get(block, "thinking")})
        else:
            parts.extend(text_parts([block]))
    return parts


def _params(kwargs: dict[str, Any], instance: Any) -> dict[str, Any]:
    extra = server_attributes(instance)
    for key, attr, kind in _PARAMS:
        value = kwargs.get(key)
        if given(value) and isinstance(value, (int, float)) and not isinstance(value, bool):
            extra[attr] = kind(value)
    stops = kwargs.get("stop_sequences")
    if stops is not None and given(stops):
        extra[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] = [str(s) for s in stops][:16]
    if kwargs.get("stream") is True:
        extra[attrs.GEN_AI_REQUEST_STREAM] = True
    return extra


def messages_request(instance: Any, kwargs: dict[str, Any]) -> Request:
    messages = kwargs.get("messages")
    messages = list(messages) if messages is not None and given(messages) else []
    system = kwargs.get("system")
    tools = kwargs.get("tools")
    model = kwargs.get("model")
    scan: list[Any] = [system, *messages] if given(system) else messages

    def content() -> tuple[Any, Any, Any]:
        return (
            [{"role": str(get(m, "role", "user")), "parts": _blocks(get(m, "content"))} for m in messages],
            _blocks(system) if given(system) else None,
            [{"type": "function", "name": get(t, "name"), "description": get(t, "description")}
             for t in list(tools)[:256]] if tools is not None and given(tools) else None,
        )

    return Request(PROVIDER, attrs.OP_CHAT, str(model) if given(model) else None, lambda: _params(kwargs, instance),
                   content=content,
                   prompt_attributes=find_prompt(scan))


def _usage(usage: Any, output_tokens: int | None = None) -> Usage | None:
    if usage is None:
        return None
    read = int_or_none(get(usage, "cache_read_input_tokens")) or 0
    write = int_or_none(get(usage, "cache_creation_input_tokens")) or 0
    out = output_tokens if output_tokens is not None else int_or_none(get(usage, "output_tokens")) or 0
    return Usage(input_tokens=(int_or_none(get(usage, "input_tokens")) or 0) + read + write,
                 output_tokens=out, cache_read_tokens=read, cache_write_tokens=write)


def messages_response(response: Any) -> Result:
    reason = get(response, "stop_reason")
    reason = FINISH.get(reason, reason) if reason else "error"
    result = Result(response_model=get(response, "model"), response_id=get(response, "id"),
                    usage=_usage(get(response, "usage")), finish_reasons=[reason])
    content = get(response, "content") or []
    for block in content:
        if get(block, "type") == "tool_use":
            result.tool_calls.append(ToolCall(get(block, "id"), str(get(block, "name")), get(block, "input")))
    result.output_messages = lambda: [{"role": "assistant", "parts": _blocks(content), "finish_reason": reason}]
    return result


class MessagesAccumulator:
    def __init__(self, kwargs: dict[str, Any] | None = None, hide_usage: bool = False) -> None:
        self.model: str | None = None
        self.id: str | None = None
        self.start_usage: Any = None
        self.delta_usage: Any = None
        self.reason: str | None = None
        self.blocks: dict[int, dict[str, Any]] = {}

    def feed(self, event: Any) -> tuple[bool, bool]:
        kind = get(event, "type")
        if kind == "message_start":
            message = get(event, "message")
            self.model, self.id = get(message, "model"), get(message, "id")
            self.start_usage = get(message, "usage")
        elif kind == "content_block_start" and len(self.blocks) < 256:
            block = get(event, "content_block")
            self.blocks[get(event, "index", 0)] = {"type": get(block, "type"), "id": get(block, "id"),
                                                    "name": get(block, "name"), "text": []}
        elif kind == "content_block_delta":
            delta = get(event, "delta")
            slot = self.blocks.get(get(event, "index", 0))
            piece = get(delta, "text") or get(delta, "partial_json") or get(delta, "thinking")
            if slot is not None and piece and len(slot["text"]) < 65536:
                slot["text"].append(piece)
            return bool(piece), False
        elif kind == "message_delta":
            self.reason = get(get(event, "delta"), "stop_reason") or self.reason
            self.delta_usage = get(event, "usage") or self.delta_usage
        return False, False

    def result(self) -> Result:
        reason = FINISH.get(self.reason, self.reason) if self.reason else "error"
        output = int_or_none(get(self.delta_usage, "output_tokens"))
        if output is None:
            output = int_or_none(get(self.start_usage, "output_tokens"))
        usage = _usage(self.start_usage, output)
        if usage is not None and self.delta_usage is not None:
            late_input = int_or_none(get(self.delta_usage, "input_tokens"))
            if late_input:  # some servers send the final input count in message_delta
                usage = _usage(self.delta_usage, output)
        result = Result(response_model=self.model, response_id=self.id, usage=usage, finish_reasons=[reason])
        parts = []
        for _, slot in sorted(self.blocks.items()):
            text = "".join(slot["text"])
            if slot["type"] == "tool_use":
                try:
                    args = json.loads(text) if text else {}
                except ValueError:
                    args = text
                result.tool_calls.append(ToolCall(slot["id"], str(slot["name"]), args))
                parts.append({"type": "tool_call", "id": slot["id"], "name": slot["name"], "arguments": args})
            elif slot["type"] == "thinking":
                parts.append({"type": "reasoning", "content": text})
            else:
                parts.extend(text_parts(text))
        result.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]
        return result


MESSAGES = MethodSpec(messages_request, messages_response, MessagesAccumulator)


def _wrap_stream_helper(original: Any, is_async: bool) -> Any:
    """``messages.stream()`` posts by itself (not through ``create``): trace its request instead."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)
        try:
            attr = "_AsyncMessageStreamManager__api_request" if is_async else "_MessageStreamManager__api_request"
            api_request = getattr(manager, attr)
            request = messages_request(self, {**kwargs, "stream": True})
            if is_async:
                async def traced_async() -> Any:
                    call = LLMCall(request, streaming=True)
                    try:
                        raw = await api_request
                    except BaseException as exc:
                        call.fail(exc)
                        raise
                    return AsyncTracedStream(raw, call, MessagesAccumulator())

                setattr(manager, attr, traced_async())
            else:
                def traced() -> Any:
                    call = LLMCall(request, streaming=True)
                    try:
                        raw = api_request()
                    except BaseException as exc:
                        call.fail(exc)
                        raise
                    return TracedStream(raw, call, MessagesAccumulator())

                setattr(manager, attr, traced)
        except Exception as exc:
            _safety.report("anthropic stream helper", exc)
        return manager

    return wrapper


def _classes() -> tuple[type, type]:
    from anthropic.resources.messages import messages

    return messages.Messages, messages.AsyncMessages


def instrument() -> int:
    sync_cls, async_cls = _classes()
    count = sum(patch_method(cls, name, MESSAGES) for cls in (sync_cls, async_cls) for name in ("create", "parse"))
    count += patch(sync_cls, "stream", lambda orig: _wrap_stream_helper(orig, False))
    count += patch(async_cls, "stream", lambda orig: _wrap_stream_helper(orig, True))
    return count


def uninstrument() -> int:
    sync_cls, async_cls = _classes()
    return sum(unpatch(cls, name) for cls in (sync_cls, async_cls) for name in ("create", "parse", "stream"))
