"""OpenAI SDK: chat completions, the responses API, legacy completions and embeddings (sync, async, streams)."""

from __future__ import annotations

import json
from typing import Any

from genlens.sdk.core import Request, Result, ToolCall
from genlens.sdk.cost import Usage
from genlens.sdk.instrument import MethodSpec, patch_method, server_attributes, unpatch
from genlens.sdk.providers._common import find_prompt, get, given, int_or_none, text_parts
from genlens.semconv import attrs

PROVIDER = "openai"
FINISH = {"tool_calls": "tool_call", "function_call": "tool_call"}

_PARAMS = (
    ("temperature", attrs.GEN_AI_REQUEST_TEMPERATURE, float),
    ("top_p", attrs.GEN_AI_REQUEST_TOP_P, float),
    ("max_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS, int),
    ("max_completion_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS, int),
    ("max_output_tokens", attrs.GEN_AI_REQUEST_MAX_TOKENS, int),
    ("seed", attrs.GEN_AI_REQUEST_SEED, int),
    ("frequency_penalty", attrs.GEN_AI_REQUEST_FREQUENCY_PENALTY, float),
    ("presence_penalty", attrs.GEN_AI_REQUEST_PRESENCE_PENALTY, float),
    ("n", attrs.GEN_AI_REQUEST_CHOICE_COUNT, int),
)


def _params(kwargs: dict[str, Any], instance: Any) -> dict[str, Any]:
    out = server_attributes(instance)
    for key, attr, kind in _PARAMS:
        value = kwargs.get(key)
        if given(value) and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[attr] = kind(value)
    stop = kwargs.get("stop")
    if stop is not None and given(stop):
        out[attrs.GEN_AI_REQUEST_STOP_SEQUENCES] = [stop] if isinstance(stop, str) else [str(s) for s in stop][:16]
    fmt = kwargs.get("response_format")
    if given(fmt):
        fmt_type = get(fmt, "type") if not isinstance(fmt, type) else "json_schema"
        out[attrs.GEN_AI_OUTPUT_TYPE] = "json" if fmt_type in {"json_object", "json_schema"} else "text"
    if kwargs.get("stream") is True:
        out[attrs.GEN_AI_REQUEST_STREAM] = True
    return out


def _model(kwargs: dict[str, Any]) -> str | None:
    model = kwargs.get("model")
    return str(model) if given(model) else None


def _args(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


# --- chat completions ---------------------------------------------------------
def _chat_messages(messages: Any) -> list[dict[str, Any]]:
    out = []
    for message in list(messages or [])[:1024]:
        role = str(get(message, "role", "user"))
        parts = text_parts(get(message, "content"))
        for call in get(message, "tool_calls") or []:
            fn = get(call, "function")
            parts.append({"type": "tool_call", "id": get(call, "id"), "name": get(fn, "name"),
                          "arguments": _args(get(fn, "arguments"))})
        if role == "tool":
            parts = [{"type": "tool_call_response", "id": get(message, "tool_call_id"),
                      "response": get(message, "content")}]
        out.append({"role": role, "parts": parts})
    return out


def _tool_definitions(tools: Any) -> list[dict[str, Any]] | None:
    if not given(tools):
        return None
    out = []
    for tool in list(tools)[:256]:
        fn = get(tool, "function") or tool
        out.append({"type": "function", "name": get(fn, "name"), "description": get(fn, "description")})
    return out


def chat_request(instance: Any, kwargs: dict[str, Any]) -> Request:
    messages = kwargs.get("messages")
    messages = messages if isinstance(messages, list) else list(messages or []) if given(messages) else []
    if not isinstance(kwargs.get("messages"), list) and messages:
        kwargs["messages"] = messages  # an iterator may be read only once: send the list we read
    tools = kwargs.get("tools")
    return Request(PROVIDER, attrs.OP_CHAT, _model(kwargs), lambda: _params(kwargs, instance),
                   content=lambda: (_chat_messages(messages), None, _tool_definitions(tools)),
                   prompt_attributes=find_prompt(messages))


def _chat_usage(usage: Any) -> Usage | None:
    if usage is None:
        return None
    details = get(usage, "prompt_tokens_details")
    out_details = get(usage, "completion_tokens_details")
    return Usage(input_tokens=int_or_none(get(usage, "prompt_tokens")) or 0,
                 output_tokens=int_or_none(get(usage, "completion_tokens")) or 0,
                 cache_read_tokens=int_or_none(get(details, "cached_tokens")) or 0,
                 reasoning_tokens=int_or_none(get(out_details, "reasoning_tokens")) or 0)


def chat_response(response: Any) -> Result:
    result = Result(response_model=get(response, "model"), response_id=get(response, "id"),
                    usage=_chat_usage(get(response, "usage")))
    choices = list(get(response, "choices") or [])
    for choice in choices:
        reason = get(choice, "finish_reason") or "error"
        result.finish_reasons.append(FINISH.get(reason, reason))
        for call in get(get(choice, "message"), "tool_calls") or []:
            fn = get(call, "function")
            result.tool_calls.append(ToolCall(get(call, "id"), str(get(fn, "name")), _args(get(fn, "arguments"))))

    def outputs() -> list[dict[str, Any]]:
        out = []
        for choice, reason in zip(choices, result.finish_reasons, strict=False):
            message = get(choice, "message")
            parts = text_parts(get(message, "content"))
            for call in get(message, "tool_calls") or []:
                fn = get(call, "function")
                parts.append({"type": "tool_call", "id": get(call, "id"), "name": get(fn, "name"),
                              "arguments": _args(get(fn, "arguments"))})
            out.append({"role": "assistant", "parts": parts, "finish_reason": reason})
        return out

    result.output_messages = outputs
    return result


def chat_stream_kwargs(kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Ask for the final usage chunk when the caller did not; hide that chunk from them then."""
    options = kwargs.get("stream_options")
    if given(options) and get(options, "include_usage") is not None:
        return kwargs, False
    merged = dict(options) if given(options) and isinstance(options, dict) else {}
    merged["include_usage"] = True
    return {**kwargs, "stream_options": merged}, True


class ChatAccumulator:
    def __init__(self, kwargs: dict[str, Any], hide_usage: bool) -> None:
        self.hide_usage = hide_usage
        self.model: str | None = None
        self.id: str | None = None
        self.usage: Usage | None = None
        self.text: dict[int, list[str]] = {}
        self.reasons: dict[int, str] = {}
        self.calls: dict[tuple[int, int], dict[str, Any]] = {}

    def feed(self, chunk: Any) -> tuple[bool, bool]:
        self.model = self.model or get(chunk, "model")
        self.id = self.id or get(chunk, "id")
        usage = get(chunk, "usage")
        choices = get(chunk, "choices") or []
        if usage is not None:
            self.usage = _chat_usage(usage)
        output = False
        for choice in choices:
            index = get(choice, "index", 0)
            delta = get(choice, "delta")
            content = self._text(choice, delta)
            if content:
                output = True
                pieces = self.text.setdefault(index, [])
                if len(pieces) < 65536:
                    pieces.append(content)
            for call in get(delta, "tool_calls") or []:
                output = True
                slot = self.calls.setdefault((index, get(call, "index", 0)), {"id": None, "name": "", "args": []})
                slot["id"] = slot["id"] or get(call, "id")
                fn = get(call, "function")
                if get(fn, "name"):
                    slot["name"] = get(fn, "name")
                if get(fn, "arguments") and len(slot["args"]) < 65536:
                    slot["args"].append(get(fn, "arguments"))
            reason = get(choice, "finish_reason")
            if reason:
                self.reasons[index] = FINISH.get(reason, reason)
        return output, bool(self.hide_usage and usage is not None and not choices)

    def _text(self, choice: Any, delta: Any) -> Any:
        return get(delta, "content")

    def result(self) -> Result:
        result = Result(response_model=self.model, response_id=self.id, usage=self.usage)
        indexes = sorted(set(self.text) | set(self.reasons) | {i for i, _ in self.calls})
        outputs = []
        for index in indexes:
            reason = self.reasons.get(index, "error")
            result.finish_reasons.append(reason)
            parts = text_parts("".join(self.text[index])) if index in self.text else []
            for (i, _), slot in sorted(self.calls.items()):
                if i == index:
                    tool = ToolCall(slot["id"], slot["name"], _args("".join(slot["args"])))
                    result.tool_calls.append(tool)
                    parts.append({"type": "tool_call", "id": tool.id, "name": tool.name, "arguments": tool.arguments})
            outputs.append({"role": "assistant", "parts": parts, "finish_reason": reason})
        result.output_messages = outputs
        return result


# --- legacy completions -----------------------------------------------------------
def _prompt_texts(raw: Any) -> list[str]:
    """The string prompts of a call (token-array prompts carry no text to capture)."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list | tuple):
        return [p for p in raw[:1024] if isinstance(p, str)]
    return []  # another iterable may be readable once only: leave it to the SDK


def completions_request(instance: Any, kwargs: dict[str, Any]) -> Request:
    prompts = _prompt_texts(kwargs.get("prompt"))
    return Request(PROVIDER, attrs.OP_TEXT_COMPLETION, _model(kwargs), lambda: _params(kwargs, instance),
                   content=lambda: ([{"role": "user", "parts": text_parts(p)} for p in prompts], None, None),
                   prompt_attributes=find_prompt(prompts))


def completions_response(response: Any) -> Result:
    result = Result(response_model=get(response, "model"), response_id=get(response, "id"),
                    usage=_chat_usage(get(response, "usage")))
    choices = list(get(response, "choices") or [])
    result.finish_reasons = [str(get(choice, "finish_reason") or "error") for choice in choices]

    def outputs() -> list[dict[str, Any]]:
        return [{"role": "assistant", "parts": text_parts(get(choice, "text")), "finish_reason": reason}
                for choice, reason in zip(choices, result.finish_reasons, strict=False)]

    result.output_messages = outputs
    return result


class CompletionsAccumulator(ChatAccumulator):
    """Legacy stream chunks carry each choice's text in ``choices[].text`` instead of a delta."""

    def _text(self, choice: Any, delta: Any) -> Any:
        return get(choice, "text")


# --- responses API ---------------------------------------------------------------
def responses_request(instance: Any, kwargs: dict[str, Any]) -> Request:
    raw_input = kwargs.get("input")
    items = [raw_input] if isinstance(raw_input, str) else (
        list(raw_input) if given(raw_input) and isinstance(raw_input, list) else [])
    instructions = kwargs.get("instructions")
    tools = kwargs.get("tools")

    def content() -> tuple[Any, Any, Any]:
        messages = [{"role": "user", "parts": text_parts(m)} if isinstance(m, str) else
                    {"role": str(get(m, "role", "user")), "parts": text_parts(get(m, "content"))} for m in items]
        system = text_parts(instructions) if given(instructions) else None
        return messages, system, _tool_definitions(tools)

    scan = [instructions, *items] if given(instructions) else items
    return Request(PROVIDER, attrs.OP_CHAT, _model(kwargs), lambda: _params(kwargs, instance), content=content,
                   prompt_attributes=find_prompt(scan))


def _responses_usage(usage: Any) -> Usage | None:
    if usage is None:
        return None
    return Usage(input_tokens=int_or_none(get(usage, "input_tokens")) or 0,
                 output_tokens=int_or_none(get(usage, "output_tokens")) or 0,
                 cache_read_tokens=int_or_none(get(get(usage, "input_tokens_details"), "cached_tokens")) or 0,
                 reasoning_tokens=int_or_none(get(get(usage, "output_tokens_details"), "reasoning_tokens")) or 0)


def responses_response(response: Any) -> Result:
    result = Result(response_model=get(response, "model"), response_id=get(response, "id"),
                    usage=_responses_usage(get(response, "usage")))
    parts: list[dict[str, Any]] = []
    for item in get(response, "output") or []:
        kind = get(item, "type")
        if kind == "message":
            parts.extend(text_parts(get(item, "content")))
        elif kind == "function_call":
            tool = ToolCall(get(item, "call_id"), str(get(item, "name")), _args(get(item, "arguments")))
            result.tool_calls.append(tool)
            parts.append({"type": "tool_call", "id": tool.id, "name": tool.name, "arguments": tool.arguments})
    status = get(response, "status")
    if status == "incomplete":
        why = get(get(response, "incomplete_details"), "reason")
        reason = "length" if why == "max_output_tokens" else str(why or "error")
    elif status == "failed":
        reason = "error"
    else:
        reason = "tool_call" if result.tool_calls else "stop"
    result.finish_reasons = [reason]
    result.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": reason}]
    return result


class ResponsesAccumulator:
    def __init__(self, kwargs: dict[str, Any], hide_usage: bool) -> None:
        self.final: Any = None
        self.model: str | None = None
        self.id: str | None = None

    def feed(self, event: Any) -> tuple[bool, bool]:
        kind = get(event, "type") or ""
        response = get(event, "response")
        if response is not None:
            self.model = get(response, "model") or self.model
            self.id = get(response, "id") or self.id
            if kind in {"response.completed", "response.incomplete", "response.failed"}:
                self.final = response
        return kind.endswith(".delta"), False

    def result(self) -> Result:
        if self.final is not None:
            return responses_response(self.final)
        return Result(response_model=self.model, response_id=self.id)


# --- embeddings -------------------------------------------------------------------
def _embeddings_params(kwargs: dict[str, Any], instance: Any) -> dict[str, Any]:
    extra = _params(kwargs, instance)
    fmt = kwargs.get("encoding_format")
    if given(fmt):
        extra[attrs.GEN_AI_REQUEST_ENCODING_FORMATS] = [str(fmt)]
    dims = kwargs.get("dimensions")
    if given(dims) and isinstance(dims, int):
        extra[attrs.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims
    return extra


def embeddings_request(instance: Any, kwargs: dict[str, Any]) -> Request:
    raw = kwargs.get("input")
    texts = [raw] if isinstance(raw, str) else [t for t in (raw or []) if isinstance(t, str)][:1024]
    return Request(PROVIDER, attrs.OP_EMBEDDINGS, _model(kwargs), lambda: _embeddings_params(kwargs, instance),
                   content=lambda: ([{"role": "user", "parts": text_parts(t)} for t in texts], None, None),
                   prompt_attributes=find_prompt(texts))


def embeddings_response(response: Any) -> Result:
    usage = get(response, "usage")
    tokens = int_or_none(get(usage, "prompt_tokens"))
    result = Result(response_model=get(response, "model"),
                    usage=Usage(input_tokens=tokens) if tokens is not None else None)
    data = get(response, "data") or []
    if data:
        vector = get(data[0], "embedding")
        if isinstance(vector, list):
            result.attributes[attrs.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)
    return result


CHAT = MethodSpec(chat_request, chat_response, ChatAccumulator, chat_stream_kwargs)
COMPLETIONS = MethodSpec(completions_request, completions_response, CompletionsAccumulator, chat_stream_kwargs)
RESPONSES = MethodSpec(responses_request, responses_response, ResponsesAccumulator)
EMBEDDINGS = MethodSpec(embeddings_request, embeddings_response)


def _targets() -> list[tuple[type, str, MethodSpec]]:
    from openai.resources import completions as text_completions
    from openai.resources import embeddings
    from openai.resources.chat import completions
    from openai.resources.responses import responses

    return [
        (completions.Completions, "create", CHAT), (completions.AsyncCompletions, "create", CHAT),
        # parse() posts by itself (structured outputs); it never streams
        (completions.Completions, "parse", CHAT), (completions.AsyncCompletions, "parse", CHAT),
        (text_completions.Completions, "create", COMPLETIONS),
        (text_completions.AsyncCompletions, "create", COMPLETIONS),
        (responses.Responses, "create", RESPONSES), (responses.AsyncResponses, "create", RESPONSES),
        (responses.Responses, "parse", RESPONSES), (responses.AsyncResponses, "parse", RESPONSES),
        (embeddings.Embeddings, "create", EMBEDDINGS), (embeddings.AsyncEmbeddings, "create", EMBEDDINGS),
    ]


def instrument() -> int:
    """Patch the installed ``openai`` package; returns how many methods were patched."""
    return sum(patch_method(cls, name, spec) for cls, name, spec in _targets())


def uninstrument() -> int:
    return sum(unpatch(cls, name) for cls, name, _ in _targets())
