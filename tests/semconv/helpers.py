"""Builders for decoded spans/logs as the OTLP decoder hands them to the normalizer."""

from __future__ import annotations

from typing import Any

from genlens.semconv.canonical import COLUMN_NAMES, INVALID_USAGE, MAX_TOKENS, USAGE_COLUMNS
from genlens.semconv.model import ContentRecord, RawEvent, RawLog, RawSpan
from genlens.semconv.normalize import normalize_span

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"
PARENT = "00f067aa0ba902b7"
RESOURCE = {"service.name": "weather-bot", "service.version": "2.1.0", "deployment.environment.name": "prod",
            "telemetry.sdk.language": "python"}


def raw_span(attrs: dict[str, Any], *, events: list[RawEvent] | None = None, status: int = 0,
             status_message: str = "", resource: dict[str, Any] | None = None, name: str = "chat gpt-4o",
             scope: str = "test.scope", start: int = 1_700_000_000_000_000_000,
             end: int = 1_700_000_001_250_000_000) -> RawSpan:
    return RawSpan(TRACE, SPAN, PARENT, name, 3, start, end, status, status_message, attrs, events or [],
                   RESOURCE if resource is None else resource, scope)


def norm(attrs: dict[str, Any], **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Normalize; return the row and ``{content kind: data}`` (checking the invariants every row obeys)."""
    row, records = normalize_span(raw_span(attrs, **kw))
    check_row(row)
    kinds = [r.kind for r in records if not r.source.endswith(".malformed")]
    assert len(kinds) == len(set(kinds)), kinds  # one record per content kind
    assert all(r.trace_id == TRACE and r.span_id == SPAN for r in records)
    return row, {r.kind: r.data for r in records}


def records_of(attrs: dict[str, Any], **kw: Any) -> list[ContentRecord]:
    return normalize_span(raw_span(attrs, **kw))[1]


def check_row(row: dict[str, Any]) -> None:
    """Invariants of every canonical row, whatever came in."""
    refused = row.get(INVALID_USAGE)
    assert tuple(k for k in row if k != INVALID_USAGE) == COLUMN_NAMES
    if refused is not None:  # only on priced rows, only for usage columns left empty
        assert row["kind"] in ("llm", "embedding") and refused and set(refused) <= set(USAGE_COLUMNS)
        assert all(row[col] is None for col in refused)
    assert row["kind"] in ("llm", "embedding", "tool", "retrieval", "agent", "workflow", "other")
    assert row["status"] in ("unset", "ok", "error")
    assert row["error_class"] in ("none", "api", "validation", "guardrail", "timeout", "cancelled")
    assert row["convention"] in ("genlens", "otel", "openinference", "openllmetry", "none")
    assert isinstance(row["tenant"], str) and row["tenant"]
    for col in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
                "total_tokens", "max_tokens"):
        v = row[col]
        assert v is None or (type(v) is int and 0 <= v <= (2 * MAX_TOKENS if col == "total_tokens" else MAX_TOKENS)), (
            col, v)
    if row["kind"] not in ("llm", "embedding"):
        assert all(row[c] is None for c in ("input_tokens", "output_tokens", "total_tokens"))
    if row["input_tokens"] is not None and row["output_tokens"] is not None:
        assert row["total_tokens"] == row["input_tokens"] + row["output_tokens"]
    if row["cost_usd"] is not None:
        assert row["cost_source"] == "reported" and row["cost_usd"] >= 0
    for col in ("temperature", "top_p", "ttft_s", "tpot_s", "decode_tps"):
        assert row[col] is None or type(row[col]) is float
    assert row["finish_reasons"] is None or all(type(r) is str and r == r.lower() for r in row["finish_reasons"])
    for col in ("attributes", "request_params"):
        assert row[col] is None or type(row[col]) is dict
    assert row["events"] is None or type(row["events"]) is list


def log(event: str, body: Any, *, span_id: str | None = SPAN, trace_id: str | None = TRACE,
        attributes: dict[str, Any] | None = None, event_attr: bool = False) -> RawLog:
    attrs = dict(attributes or {})
    if event_attr:  # older SDKs: the name travels in the deprecated event.name attribute
        attrs["event.name"] = event
        event = ""
    return RawLog(1_700_000_000_500_000_000, trace_id, span_id, event, body, attrs, RESOURCE)


def text(role: str, content: str, **extra: Any) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": content}], **extra}
