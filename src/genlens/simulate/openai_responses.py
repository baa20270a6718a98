"""OpenAI Responses API (``POST /v1/responses``), JSON and streaming.

Output items: one ``message`` (``output_text`` or ``refusal`` content) or one
``function_call`` per tool call.  ``usage.input_tokens`` includes
``input_tokens_details.cached_tokens``.  A ``max_output_tokens`` cut or a
content-filter finish gives ``status: "incomplete"`` with ``incomplete_details.reason``.
Streams are typed events (``event:`` lines) with a ``sequence_number``, ending
in ``response.completed`` or ``response.incomplete``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from genlens.simulate import text as tx
from genlens.simulate.engine import Completion, Prompt, Tool
from genlens.simulate.http import ApiError, Frame, sse
from genlens.simulate.openai_chat import _int_or_none, _text_of


def parse_responses(body: dict[str, Any]) -> Prompt:
    raw_input = body.get("input")
    items: Any = [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else raw_input
    if not isinstance(items, list) or not items:
        raise ApiError(400, "'input' must be a string or a non-empty array of input items.", "invalid_value")
    tools = []
    for index, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict):
            raise ApiError(400, f"Invalid 'tools[{index}]': expected an object.")
        if tool.get("type") == "function":
            if not isinstance(tool.get("name"), str):
                raise ApiError(400, f"Missing required parameter: 'tools[{index}].name'.", "missing_required")
            tools.append(Tool(tool["name"], tool.get("parameters")))
    rendered: list[str] = []
    if tools:
        rendered.append(tx.render_message("tools", json.dumps([[t.name, t.schema] for t in tools], sort_keys=True)))
    if isinstance(body.get("instructions"), str):
        rendered.append(tx.render_message("developer", body["instructions"]))
    last_user, last_kind = "", ""
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ApiError(400, f"Invalid 'input[{index}]': expected an object.")
        kind = item.get("type", "message")
        if kind == "function_call_output":
            rendered.append(tx.render_message("tool", str(item.get("output", ""))))
        elif kind == "function_call":
            rendered.append(tx.render_message("assistant", f"[call {item.get('name')}({item.get('arguments')})]"))
        else:
            role = str(item.get("role", "user"))
            content = _text_of(item.get("content"))
            rendered.append(tx.render_message(role, content))
            if role == "user":
                last_user = content
        last_kind = kind
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = choice.get("name")
    fmt = ((body.get("text") or {}).get("format") or {})
    return Prompt(
        text="".join(rendered),
        last_user_text=last_user,
        last_is_tool_result=last_kind == "function_call_output",
        tools=tools,
        tool_choice=choice if isinstance(choice, str) else None,
        json_mode=fmt.get("type") in ("json_object", "json_schema"),
        json_schema=fmt.get("schema") if fmt.get("type") == "json_schema" else None,
        max_tokens=_int_or_none(body.get("max_output_tokens")),
    )


def _usage(c: Completion) -> dict[str, Any]:
    return {"input_tokens": c.input_tokens, "input_tokens_details": {"cached_tokens": c.cache_read_tokens},
            "output_tokens": c.output_tokens, "output_tokens_details": {"reasoning_tokens": c.reasoning_tokens},
            "total_tokens": c.input_tokens + c.output_tokens}


def _items(c: Completion, msg_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if c.reasoning_tokens:  # reasoning models put an (unsummarised) reasoning item first
        items.append({"type": "reasoning", "id": "rs_" + msg_id.removeprefix("msg_"), "summary": []})
    if c.tool_calls:
        return items + [{"type": "function_call", "id": "fc_" + t.id.removeprefix("call_"), "call_id": t.id,
                         "name": t.name, "arguments": t.arguments, "status": "completed"} for t in c.tool_calls]
    part = ({"type": "refusal", "refusal": c.text} if c.refusal
            else {"type": "output_text", "text": c.text, "annotations": [], "logprobs": []})
    return items + [{"type": "message", "id": msg_id, "status": "completed", "role": "assistant",
                     "content": [part]}]


def _envelope(body: dict[str, Any], rid: str, model: str, created: int, status: str,
              output: list[dict[str, Any]], c: Completion | None) -> dict[str, Any]:
    incomplete = None
    if c is not None and c.finish in ("length", "content_filter"):
        incomplete = {"reason": "max_output_tokens" if c.finish == "length" else "content_filter"}
    return {
        "id": rid, "object": "response", "created_at": created, "status": status, "background": False,
        "error": None, "incomplete_details": incomplete, "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"), "model": model, "output": output,
        "parallel_tool_calls": True, "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None}, "store": True,
        "temperature": body.get("temperature", 1.0), "top_p": body.get("top_p", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}}, "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [], "truncation": "disabled", "metadata": body.get("metadata") or {},
        "usage": _usage(c) if c is not None else None, "user": None,
    }


def _status(c: Completion) -> str:
    return "incomplete" if c.finish in ("length", "content_filter") else "completed"


def responses_json(body: dict[str, Any], c: Completion, rid: str, msg_id: str, model: str) -> dict[str, Any]:
    return _envelope(body, rid, model, int(time.time()), _status(c), _items(c, msg_id), c)


def responses_frames(body: dict[str, Any], c: Completion, rid: str, msg_id: str, model: str) -> list[Frame]:
    created = int(time.time())
    seq = 0
    frames: list[Frame] = []

    def emit(kind: str, payload: dict[str, Any], token: bool = False) -> None:
        nonlocal seq
        frames.append((sse({"type": kind, "sequence_number": seq, **payload}, kind), token))
        seq += 1

    start = _envelope(body, rid, model, created, "in_progress", [], None)
    emit("response.created", {"response": start})
    emit("response.in_progress", {"response": start})
    for index, item in enumerate(_items(c, msg_id)):
        if item["type"] == "reasoning":
            emit("response.output_item.added", {"output_index": index, "item": item})
        elif item["type"] == "function_call":
            emit("response.output_item.added", {"output_index": index,
                                                "item": {**item, "arguments": "", "status": "in_progress"}}, True)
            for piece in tx.pieces(item["arguments"]):
                emit("response.function_call_arguments.delta",
                     {"item_id": item["id"], "output_index": index, "delta": piece}, True)
            emit("response.function_call_arguments.done",
                 {"item_id": item["id"], "output_index": index, "name": item["name"], "arguments": item["arguments"]})
        else:
            part = item["content"][0]
            refusal = part["type"] == "refusal"
            empty = {"type": "refusal", "refusal": ""} if refusal else {**part, "text": ""}
            emit("response.output_item.added", {"output_index": index,
                                                "item": {**item, "status": "in_progress", "content": []}})
            ids = {"item_id": item["id"], "output_index": index, "content_index": 0}
            emit("response.content_part.added", {**ids, "part": empty})
            for piece in tx.pieces(c.text):
                if refusal:
                    emit("response.refusal.delta", {**ids, "delta": piece}, True)
                else:
                    emit("response.output_text.delta", {**ids, "delta": piece, "logprobs": []}, True)
            if refusal:
                emit("response.refusal.done", {**ids, "refusal": c.text})
            else:
                emit("response.output_text.done", {**ids, "text": c.text, "logprobs": []})
            emit("response.content_part.done", {**ids, "part": part})
        emit("response.output_item.done", {"output_index": index, "item": item})
    final = responses_json(body, c, rid, msg_id, model)
    final["created_at"] = created
    emit("response.incomplete" if final["status"] == "incomplete" else "response.completed", {"response": final})
    return frames
