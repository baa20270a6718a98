"""GenAI content carried by events: span events (OTel <= v1.27) and log records (v1.28–v1.36, details event).

Default-configured official instrumentations (openai-v2 without the
latest-experimental opt-in) put message content on OTLP *log records*, one per
message, joined to their span by trace and span id.  This module gathers them
into the same OTel parts messages the span attributes produce.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv import attrs as a
from genlens.semconv._convert import jsonable, parse_json
from genlens.semconv._messages import finish_reason, instructions, legacy_prompt, messages, openai_message
from genlens.semconv.model import ContentRecord, RawEvent, RawLog

# Per-message events → the role their message takes when the body names none.
MESSAGE_EVENTS: dict[str, str] = {
    a.EV_SYSTEM_MESSAGE: "system",
    a.EV_USER_MESSAGE: "user",
    a.EV_ASSISTANT_MESSAGE: "assistant",
    a.EV_TOOL_MESSAGE: "tool",
}
CONTENT_EVENTS: frozenset[str] = frozenset(
    {*MESSAGE_EVENTS, a.EV_CHOICE, a.EV_INFERENCE_DETAILS, a.EV_CONTENT_PROMPT, a.EV_CONTENT_COMPLETION}
)


class _Gather:
    """Messages of one span, in arrival order (choices sorted by index at the end)."""

    __slots__ = ("inputs", "choices", "outputs", "system")

    def __init__(self) -> None:
        self.inputs: list[dict[str, Any]] = []
        self.choices: list[tuple[int, int, dict[str, Any]]] = []
        self.outputs: list[dict[str, Any]] = []
        self.system: list[dict[str, Any]] | None = None

    def add(self, name: str, body: Any, attributes: dict[str, Any]) -> None:
        if type(body) is str:
            body = parse_json(body) if body[:1] == "{" else {"content": body}
        elif body is not None:
            body = jsonable(body)  # kvlist bodies may hold bytes
        if body is None:
            body = {}
        role = MESSAGE_EVENTS.get(name)
        if role is not None:
            if type(body) is dict:
                self.inputs.append(openai_message(body, role))
        elif name == a.EV_CHOICE:
            if type(body) is dict:
                self._choice(body)
        elif name == a.EV_INFERENCE_DETAILS:
            src = body if type(body) is dict and body else attributes
            self._details(src)
        elif name == a.EV_CONTENT_PROMPT:
            self._legacy(attributes.get(a.GEN_AI_PROMPT), self.inputs, "user")
        elif name == a.EV_CONTENT_COMPLETION:
            self._legacy(attributes.get(a.GEN_AI_COMPLETION), self.outputs, "assistant")

    def _choice(self, body: dict[str, Any]) -> None:
        m = body.get("message")
        msg = openai_message(m if type(m) is dict else {}, "assistant")
        fr = finish_reason(body.get("finish_reason"))
        if fr:
            msg["finish_reason"] = fr
        idx = body.get("index")
        idx = idx if type(idx) is int else 1 << 30
        self.choices.append((idx, len(self.choices), msg))

    def _details(self, src: dict[str, Any]) -> None:
        got = messages(_safe(src.get(a.GEN_AI_INPUT_MESSAGES)), "user")
        if got:
            self.inputs.extend(got)
        got = messages(_safe(src.get(a.GEN_AI_OUTPUT_MESSAGES)), "assistant")
        if got:
            self.outputs.extend(got)
        sysi = src.get(a.GEN_AI_SYSTEM_INSTRUCTIONS)
        if sysi is not None:
            self.system = instructions(_safe(sysi))

    @staticmethod
    def _legacy(value: Any, into: list[dict[str, Any]], role: str) -> None:
        got = messages(legacy_prompt(_safe(value)), role) if value is not None else None
        if got:
            into.extend(got)

    def records(self, trace_id: str, span_id: str, source: str) -> list[ContentRecord]:
        out: list[ContentRecord] = []
        if self.system:
            out.append(ContentRecord(trace_id, span_id, "system_instructions", self.system, source))
        if _has_parts(self.inputs):
            out.append(ContentRecord(trace_id, span_id, "input_messages", self.inputs, source))
        outputs = self.outputs + [m for _, _, m in sorted(self.choices, key=lambda c: (c[0], c[1]))]
        if _has_parts(outputs) or any("finish_reason" in m for m in outputs):
            out.append(ContentRecord(trace_id, span_id, "output_messages", outputs, source))
        return out


def _safe(v: Any) -> Any:
    return v if type(v) is str or v is None else jsonable(v)


def _has_parts(msgs: list[dict[str, Any]]) -> bool:
    """Content capture off still emits the events, without content: that is "not captured", not "empty"."""
    return any(m.get("parts") for m in msgs)


def logs_to_content(logs: list[RawLog]) -> list[ContentRecord]:
    """GenAI content log records → content records, grouped per (trace_id, span_id); others ignored."""
    groups: dict[tuple[str, str], _Gather] = {}
    for log in logs:
        name: Any = log.event_name
        if not name and type(log.attributes) is dict:
            name = log.attributes.get(a.EVENT_NAME)
        if type(name) is not str or name not in CONTENT_EVENTS or not log.span_id or not log.trace_id:
            continue
        key = (log.trace_id, log.span_id)
        g = groups.get(key)
        if g is None:
            g = groups[key] = _Gather()
        g.add(name, log.body, log.attributes if type(log.attributes) is dict else {})
    out: list[ContentRecord] = []
    for (tid, sid), g in groups.items():
        out.extend(g.records(tid, sid, "otel.logs"))
    return out


def split_span_events(
    events: list[RawEvent], trace_id: str, span_id: str
) -> tuple[list[ContentRecord], list[dict[str, Any]] | None, RawEvent | None]:
    """Span events → (content records, the other events as JSON, the first ``exception`` event)."""
    gather: _Gather | None = None
    other: list[dict[str, Any]] | None = None
    exc: RawEvent | None = None
    for ev in events:
        if ev.name in CONTENT_EVENTS:
            if gather is None:
                gather = _Gather()
            # On a span event the message fields are the event's attributes (there is no body).
            ev_attrs = ev.attributes if type(ev.attributes) is dict else {}
            body = ev_attrs if ev.name in MESSAGE_EVENTS or ev.name == a.EV_CHOICE else None
            gather.add(ev.name, jsonable(body) if body else None, ev_attrs)
            continue
        if exc is None and ev.name == a.EV_EXCEPTION:
            exc = ev
        if other is None:
            other = []
        other.append({"name": ev.name, "time_ns": ev.time_ns, "attributes": jsonable(ev.attributes)})
    records = gather.records(trace_id, span_id, "otel.events") if gather is not None else []
    return records, other, exc
