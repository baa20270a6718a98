"""One span as the UI's span panel shows it: facts, its content as a chat, tool I/O, documents, links.

Built here, below the web layer, like every other answer a page shows.

Messages arrive in the OTel parts shape (``{"role", "parts": [...]}``); anything
else that was stored (a bare string, a foreign shape) is still shown, as JSON,
rather than dropped.  Long values are cut at :data:`MAX_TEXT` characters so one
huge prompt cannot make the panel unusable; the cut is stated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from genlens.errors import NotFound
from genlens.query.paging import HEX
from genlens.query.traces import decode_row, merge_content
from genlens.store.base import TraceReader

MAX_TEXT = 20_000
MAX_MESSAGES = 200
MAX_DOCUMENTS = 50
FACTS = (
    ("kind", "kind"), ("operation", "operation"), ("provider", "provider"), ("request_model", "request model"),
    ("response_model", "response model"), ("service_name", "service"), ("environment", "environment"),
    ("feature", "feature"), ("tenant", "tenant"), ("user_id", "user"), ("conversation_id", "conversation"),
    ("prompt_id", "prompt"), ("prompt_sha", "prompt sha"), ("agent_name", "agent"), ("tool_name", "tool"),
    ("tool_call_id", "tool call id"), ("finish_reasons", "finish reasons"), ("temperature", "temperature"),
    ("max_tokens", "max tokens"), ("cost_source", "cost source"), ("convention", "convention"),
)
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
          "total_tokens")


def pretty(value: Any) -> str:
    """Indented JSON for display (a string that holds JSON is parsed first), cut at MAX_TEXT."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return clip(value)
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = str(value)
    return clip(text)


def clip(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT:,} more characters not shown)"


@dataclass
class ChatPart:
    type: str  # text | tool_call | tool_call_response | other
    text: str = ""
    name: str = ""
    call_id: str = ""


@dataclass
class ChatMessage:
    role: str
    parts: list[ChatPart]
    source: str  # input | output | system
    finish_reason: str | None = None


@dataclass
class SpanPanel:
    span_id: str
    trace_id: str
    name: str
    status: str
    error_class: str | None
    error_type: str | None
    status_message: str | None
    start_ns: int | None
    duration_ns: int | None
    ttft_s: float | None
    tpot_s: float | None
    decode_tps: float | None
    cost_usd: float | None
    facts: list[tuple[str, str]]
    tokens: dict[str, int]
    messages: list[ChatMessage] = field(default_factory=list)
    tool_arguments: str | None = None
    tool_result: str | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    other_content: dict[str, str] = field(default_factory=dict)
    attributes: str = "{}"
    events: str | None = None
    truncated_messages: int = 0
    links: list[SpanLink] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SpanLink:
    """A span link: the span it points at (in this trace or another) and the link's attributes."""

    trace_id: str
    span_id: str
    attributes: str  # pretty JSON, "" when the link has none
    href: str | None  # the linked span in its trace; None when the ids are not ones a page can open


def _links(raw: Any) -> list[SpanLink]:
    out = []
    for link in raw if isinstance(raw, list) else []:
        if not isinstance(link, dict):
            continue
        trace_id, span_id = str(link.get("trace_id") or ""), str(link.get("span_id") or "")
        openable = len(trace_id) == 32 and len(span_id) == 16 and set(trace_id + span_id) <= HEX
        attributes = link.get("attributes")
        out.append(SpanLink(trace_id=clip(trace_id), span_id=clip(span_id),
                            attributes=pretty(attributes) if attributes else "",
                            href=f"/traces/{trace_id}?span={span_id}" if openable else None))
    return out


def _part(raw: Any) -> ChatPart:
    if not isinstance(raw, dict):
        return ChatPart("text", clip(raw if isinstance(raw, str) else pretty(raw)))
    kind = raw.get("type")
    if kind == "text":
        content = raw.get("content")
        return ChatPart("text", clip(content if isinstance(content, str) else pretty(content)))
    if kind == "tool_call":
        return ChatPart("tool_call", pretty(raw.get("arguments")), name=str(raw.get("name") or ""),
                        call_id=str(raw.get("id") or ""))
    if kind == "tool_call_response":
        return ChatPart("tool_call_response", pretty(raw.get("response")), call_id=str(raw.get("id") or ""))
    return ChatPart("other", pretty(raw))


def _messages(raw: Any, source: str) -> list[ChatMessage]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [ChatMessage(role=source, parts=[_part(raw)], source=source)]
    out = []
    for m in raw:
        if isinstance(m, dict) and "parts" in m:
            parts = m["parts"] if isinstance(m["parts"], list) else [m["parts"]]
            out.append(ChatMessage(role=str(m.get("role") or source), parts=[_part(p) for p in parts],
                                   source=source, finish_reason=m.get("finish_reason")))
        elif source == "system":  # system instructions are a list of parts
            out.append(ChatMessage(role="system", parts=[_part(m)], source=source))
        else:
            out.append(ChatMessage(role=source, parts=[_part(m)], source=source))
    return out


def _documents(raw: Any) -> list[dict[str, Any]]:
    docs = raw if isinstance(raw, list) else [raw]
    out = []
    for d in docs[:MAX_DOCUMENTS]:
        if isinstance(d, dict):
            score = d.get("score")
            out.append({"id": str(d.get("id") or ""), "score": score if isinstance(score, int | float) else None,
                        "content": clip(d["content"]) if isinstance(d.get("content"), str)
                        else (pretty(d["content"]) if d.get("content") is not None else "")})
        else:
            out.append({"id": "", "score": None, "content": pretty(d)})
    return out


def span_panel(store: TraceReader, tenant: str, trace_id: str, span_id: str) -> SpanPanel:
    row = store.span(tenant, span_id)
    if row is None or row.get("trace_id") != trace_id:
        raise NotFound(f"span {span_id} not found in trace {trace_id}")
    s = decode_row(row)
    content = merge_content(store.content(tenant, trace_id, span_id)).get(span_id, {})
    messages = (_messages(content.pop("system_instructions", None), "system")
                + _messages(content.pop("input_messages", None), "input")
                + _messages(content.pop("output_messages", None), "output"))
    facts = []
    for key, label in FACTS:
        value = s.get(key)
        if value not in (None, "", []):
            facts.append((label, ", ".join(map(str, value)) if isinstance(value, list) else str(value)))
    args = content.pop("tool_arguments", None)
    result = content.pop("tool_result", None)
    docs = content.pop("documents", None)
    return SpanPanel(
        span_id=span_id, trace_id=trace_id, name=s.get("name") or "", status=s.get("status") or "unset",
        error_class=s.get("error_class"), error_type=s.get("error_type"), status_message=s.get("status_message"),
        start_ns=s.get("start_ns"), duration_ns=s.get("duration_ns"), ttft_s=s.get("ttft_s"),
        tpot_s=s.get("tpot_s"), decode_tps=s.get("decode_tps"), cost_usd=s.get("cost_usd"), facts=facts,
        tokens={k: s[k] for k in TOKENS if s.get(k) is not None},
        messages=messages[:MAX_MESSAGES], truncated_messages=max(0, len(messages) - MAX_MESSAGES),
        tool_arguments=pretty(args) if args is not None else None,
        tool_result=pretty(result) if result is not None else None,
        documents=_documents(docs) if docs is not None else [],
        other_content={k: pretty(v) for k, v in content.items()},
        attributes=pretty(s.get("attributes") or {}),
        events=pretty(s["events"]) if s.get("events") else None,
        links=_links(s.get("links")),
    )
