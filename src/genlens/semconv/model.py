"""The data that flows through the ingest pipeline.

``RawSpan`` is what the decoder reads off the wire (one per OTLP span, with
attribute values already turned into Python values); the normalizers turn a
``RawSpan`` into one canonical row (a ``dict`` keyed by :data:`COLUMNS`) plus
zero or more ``ContentRecord``\\ s for the separate content tier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SpanKind = Literal["llm", "embedding", "tool", "retrieval", "agent", "workflow", "other"]
SPAN_KINDS: tuple[str, ...] = ("llm", "embedding", "tool", "retrieval", "agent", "workflow", "other")
ErrorClass = Literal["none", "api", "validation", "guardrail", "timeout", "cancelled"]
ERROR_CLASSES: tuple[str, ...] = ("none", "api", "validation", "guardrail", "timeout", "cancelled")
CostSource = Literal["reported", "computed", "unknown"]

# Kinds of content record (column ``content.kind``).
CONTENT_KINDS: tuple[str, ...] = (
    "input_messages",  # JSON list of OTel ChatMessage {role, parts[]}
    "output_messages",  # JSON list of OTel OutputMessage {role, parts[], finish_reason}
    "system_instructions",  # JSON list of parts
    "tool_definitions",  # JSON list
    "tool_arguments",  # JSON value (object when the wire form was a JSON string)
    "tool_result",  # JSON value
    "documents",  # JSON list of {id, score, content?, metadata?}
    "input_value",  # JSON string/object: raw input (OpenInference input.value, traceloop entity input)
    "output_value",  # raw output
)


@dataclass(slots=True)
class RawEvent:
    name: str
    time_ns: int
    attributes: dict[str, Any]


@dataclass(slots=True)
class RawLink:
    """One span link whose ids are valid (the decoder drops the others and counts them)."""

    trace_id: str  # 32 lowercase hex chars
    span_id: str  # 16 lowercase hex chars
    trace_state: str
    attributes: dict[str, Any]


@dataclass(slots=True)
class RawSpan:
    """One decoded OTLP span. ``resource`` and ``scope_name`` are shared by all spans of a batch part."""

    trace_id: str  # 32 lowercase hex chars
    span_id: str  # 16 lowercase hex chars
    parent_span_id: str | None
    name: str
    otel_kind: int  # OTLP SpanKind enum value
    start_ns: int
    end_ns: int
    status_code: int  # 0 unset, 1 ok, 2 error
    status_message: str
    attributes: dict[str, Any]
    events: list[RawEvent] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)
    scope_name: str = ""
    links: list[RawLink] = field(default_factory=list)
    dropped_links: int = 0  # the sender's dropped_links_count plus links refused or over the decoder's cap


@dataclass(slots=True)
class RawLog:
    """One decoded OTLP log record; GenAI content events are attached to their span."""

    time_ns: int
    trace_id: str | None
    span_id: str | None
    event_name: str
    body: Any
    attributes: dict[str, Any]
    resource: dict[str, Any]
    severity_text: str = ""


@dataclass(slots=True)
class ContentRecord:
    """One piece of content (messages, tool arguments, documents …) for the content table."""

    trace_id: str
    span_id: str
    kind: str  # one of CONTENT_KINDS
    data: Any  # JSON-serialisable value
    source: str = ""  # convention it came from, e.g. "otel.attributes", "otel.logs", "openinference"
