"""Message shapes: every convention's messages become OTel "parts" messages.

The content table stores one shape only, so readers never branch on where a
message came from::

    {"role": "...", "parts": [{"type": "text", "content": "..."},
                              {"type": "tool_call", "id": ..., "name": ..., "arguments": <JSON value>},
                              {"type": "tool_call_response", "id": ..., "response": ...}],
     "finish_reason": "..."}            # output messages only

Inputs handled: OTel parts messages (v1.37+, possibly as a JSON string),
OpenAI-style ``{role, content, tool_calls, tool_call_id}`` dicts (OTel v1.28–1.36
event bodies, v1.26 ``gen_ai.prompt`` events, producers that never migrated),
and Anthropic-style content blocks inside them.  Tool arguments are stored as
their JSON value whatever the wire form.
"""

from __future__ import annotations

import ast
from typing import Any

from genlens.semconv._convert import MAX_JSON_CHARS, json_or_raw, jsonable, parse_json

# Finish reasons onto the OTel output-message vocabulary (stop, length,
# content_filter, tool_call, error); anything else passes through lower-cased.
FINISH_REASONS: dict[str, str] = {
    "tool_calls": "tool_call",
    "function_call": "tool_call",
    "tool_use": "tool_call",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "safety": "content_filter",
    "refusal": "content_filter",
}


def finish_reason(v: Any) -> str | None:
    """One finish reason in the OTel vocabulary, or ``None`` when there is none."""
    if type(v) is not str or not v:
        return None
    low = v.lower()
    return FINISH_REASONS.get(low, low)


def finish_reasons(v: Any) -> list[str] | None:
    """A list of normalized finish reasons from a string or a list of strings."""
    if type(v) is str:
        r = finish_reason(v)
        return [r] if r else None
    if type(v) in (list, tuple):
        out = [r for r in map(finish_reason, v) if r]
        return out or None
    return None


def _text(content: Any) -> dict[str, Any]:
    return {"type": "text", "content": content}


def _block_part(b: Any) -> dict[str, Any] | None:
    """One OpenAI/Anthropic content block → one OTel part."""
    if type(b) is str:
        return _text(b)
    if type(b) is not dict:
        return None if b is None else _text(jsonable(b))
    t = b.get("type")
    if t in ("text", "input_text", "output_text"):
        return _text(b.get("text", b.get("content")))
    if t == "image_url":
        url = b.get("image_url")
        url = url.get("url") if type(url) is dict else url
        return {"type": "uri", "modality": "image", "uri": url}
    if t == "tool_use":
        return {"type": "tool_call", "id": b.get("id"), "name": b.get("name"), "arguments": json_or_raw(b.get("input"))}
    if t == "tool_result":
        return {"type": "tool_call_response", "id": b.get("tool_use_id"), "response": jsonable(b.get("content"))}
    if t in ("thinking", "reasoning"):
        return {"type": "reasoning", "content": b.get("thinking", b.get("content", b.get("text")))}
    if "parts" not in b and type(t) is str:
        return norm_part(b)
    safe: dict[str, Any] = jsonable(b)
    return safe


def norm_part(p: Any) -> dict[str, Any] | None:
    """Normalize one OTel part: string arguments parsed, the registry example's ``result`` read as ``response``."""
    if type(p) is str:
        return _text(p)
    if type(p) is not dict:
        return None if p is None else _text(jsonable(p))
    t = p.get("type")
    if t == "tool_call":
        args = p.get("arguments")
        if type(args) is str:
            p = dict(p)
            p["arguments"] = json_or_raw(args)
    elif t == "tool_call_response" and "response" not in p and "result" in p:
        p = dict(p)
        p["response"] = p.pop("result")
    part: dict[str, Any] = p
    return part


def _tool_call(tc: Any) -> dict[str, Any] | None:
    """OpenAI ``{id, type, function: {name, arguments}}`` (or flat ``{id, name, arguments}``) → part."""
    if type(tc) is not dict:
        return None
    fn = tc.get("function")
    src = fn if type(fn) is dict else tc
    return {"type": "tool_call", "id": tc.get("id"), "name": src.get("name"),
            "arguments": json_or_raw(src.get("arguments"))}


def openai_message(m: dict[str, Any], default_role: str) -> dict[str, Any]:
    """An OpenAI-style message dict → an OTel parts message."""
    role = m.get("role")
    role = role if type(role) is str and role else default_role
    parts: list[dict[str, Any]] = []
    content = m.get("content")
    call_id = m.get("tool_call_id", m.get("id") if role == "tool" else None)
    if role == "tool" and content is not None:
        parts.append({"type": "tool_call_response", "id": call_id, "response": json_or_raw(content)})
    elif type(content) is list:
        parts.extend(p for p in map(_block_part, content) if p is not None)
    elif content is not None and content != "":
        parts.append(_text(content if type(content) is str else jsonable(content)))
    calls = m.get("tool_calls")
    if type(calls) is list:
        parts.extend(p for p in map(_tool_call, calls) if p is not None)
    out: dict[str, Any] = {"role": role, "parts": parts}
    name = m.get("name")
    if type(name) is str and name:
        out["name"] = name
    fr = finish_reason(m.get("finish_reason"))
    if fr:
        out["finish_reason"] = fr
    return out


def any_message(m: Any, default_role: str, fresh: bool = False) -> dict[str, Any] | None:
    """One message in either shape (OTel parts or OpenAI-style) → OTel parts message.

    ``fresh`` says the dict was just parsed from a JSON string and may be
    normalized in place (the common case, and the fast one).
    """
    if type(m) is not dict:
        return None
    parts = m.get("parts")
    if type(parts) is not list:
        return openai_message(m, default_role)
    out = m if fresh else dict(m)
    role = m.get("role")
    if type(role) is not str or not role:
        out["role"] = default_role
    for p in parts:
        if type(p) is not dict or p.get("type") != "text":
            out["parts"] = [x for x in map(norm_part, parts) if x is not None]
            break
    if "finish_reason" in m:
        fr = finish_reason(m["finish_reason"])
        if fr:
            out["finish_reason"] = fr
        else:
            del out["finish_reason"]
    return out


_CANONICAL_FINISH = frozenset(("stop", "length", "content_filter", "tool_call", "error"))


def messages(value: Any, default_role: str) -> list[dict[str, Any]] | None:
    """A messages attribute (JSON string or list) → list of OTel messages; ``None`` when malformed."""
    fresh = type(value) is str
    data = parse_json(value) if fresh else value
    if type(data) is dict:
        data = [data]
    if type(data) not in (list, tuple):
        return None
    out = []
    for m in data:
        # Fast path: a freshly parsed message already in canonical shape (text parts only,
        # a role, a canonical finish reason or none) is kept as it is.
        if fresh and type(m) is dict:
            parts, role, fr = m.get("parts"), m.get("role"), m.get("finish_reason")
            if (type(parts) is list and type(role) is str and role
                    and (fr is None and "finish_reason" not in m
                         or type(fr) is str and fr in _CANONICAL_FINISH)):
                for p in parts:
                    if type(p) is not dict or p.get("type") != "text":
                        break
                else:
                    out.append(m)
                    continue
        x = any_message(m, default_role, fresh)
        if x is not None:
            out.append(x)
    return out if out or not data else None


def instructions(value: Any) -> list[dict[str, Any]] | None:
    """System instructions: a list of parts (or a plain string) → list of parts."""
    data = parse_json(value) if type(value) is str and value[:1] in ("[", "{") else value
    if type(data) is str:
        return [_text(data)] if data else None
    if type(data) is dict:
        data = [data]
    if type(data) not in (list, tuple):
        return None
    return [p for p in map(norm_part, data) if p is not None]


def legacy_prompt(value: Any) -> Any:
    """The v1.26 ``gen_ai.prompt``/``gen_ai.completion`` event attribute: JSON or a Python-repr list.

    Instrumentations of that era wrote ``str(list_of_dicts)``; it is read with
    ``ast.literal_eval`` (literals only, size-fenced, every failure caught).
    """
    data = parse_json(value)
    if data is None and type(value) is str and len(value) <= MAX_JSON_CHARS // 4:
        try:
            data = ast.literal_eval(value)
        except Exception:  # literal_eval raises many kinds on hostile text; none may escape
            return None
    return data
