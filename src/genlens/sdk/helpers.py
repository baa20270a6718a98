"""Helpers an application calls by hand: validation errors, guardrail rejections, feedback.

Feedback travels as a span named ``feedback`` (``app.llm.span.kind =
"feedback"``) placed in the trace it rates, as a child of the rated span, with
``app.llm.feedback.*`` attributes; any OTLP receiver stores it and the genlens
server links it to the trace by its ids.
"""

from __future__ import annotations

import math
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags

from genlens.privacy.redact import redact
from genlens.sdk import context as app_context
from genlens.sdk import state
from genlens.semconv import attrs

MAX_TEXT = 4096


def _labels() -> dict[str, str] | None:
    m = state.CURRENT.metrics
    if m is None:
        return None
    ctx = app_context.current()
    return m.labels(None, None, ctx)


def record_validation_error(error: BaseException | str | None = None, *, schema: str | None = None) -> None:
    """Mark the current span: the model's output failed its schema. Counted in ``app.llm.validation_errors``."""
    span = trace.get_current_span()
    detail = str(error)[:MAX_TEXT] if error is not None else ""
    event: dict[str, Any] = {attrs.ERROR_TYPE: type(error).__qualname__ if isinstance(error, BaseException)
                             else "validation_error", "message": redact(detail).text}
    if schema:
        event["schema"] = str(schema)[:256]
    span.add_event(attrs.EVENT_VALIDATION_ERROR, event)
    span.set_attributes({attrs.APP_ERROR_CLASS: "validation", attrs.APP_VALIDATION_ERROR: True})
    labels = _labels()
    if labels is not None:
        state.CURRENT.metrics.validation_errors.add(1, labels)  # type: ignore[union-attr]


def record_guardrail_rejection(guardrail: str, reason: str | None = None, *, stage: str = "output") -> None:
    """Mark the current span: a guardrail rejected the input or output. Counted per guardrail."""
    span = trace.get_current_span()
    name = str(guardrail)[:128]
    event = {attrs.APP_GUARDRAIL_NAME: name, "stage": str(stage)[:32]}
    if reason:
        event[attrs.APP_GUARDRAIL_REASON] = redact(str(reason)[:MAX_TEXT]).text
    span.add_event(attrs.EVENT_GUARDRAIL_REJECTION, event)
    span.set_attributes({attrs.APP_ERROR_CLASS: "guardrail", attrs.APP_GUARDRAIL_NAME: name})
    m = state.CURRENT.metrics
    labels = _labels()
    if m is not None and labels is not None:
        labels["guardrail"] = m.limiter.value("guardrail", name)
        m.guardrail_rejections.add(1, labels)


def _hex_id(value: Any, width: int, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and len(value) == width and all(c in "0123456789abcdefABCDEF" for c in value):
        number = int(value, 16)
    else:
        raise ValueError(f"genlens.feedback: {what} must be {width} hex characters or an int, got {value!r}")
    if not 0 < number < 16**width:
        raise ValueError(f"genlens.feedback: {what} out of range")
    return number


def feedback(
    trace_id: str | int | None = None,
    span_id: str | int | None = None,
    *,
    span: Span | None = None,
    thumbs: str | bool | None = None,
    score: float | None = None,
    comment: str | None = None,
    signal: str | None = None,
) -> None:
    """Send user feedback (thumbs, score, comment) or an implicit signal about a trace or span.

    Give ``span`` (a span object), or ``trace_id`` (and optionally ``span_id``)
    as hex strings; with none of them, the current span is rated.  With a trace
    id alone the feedback span still lands in that trace, under the placeholder
    parent id ``0000000000000001`` (no such span): the server links it by
    ``app.llm.feedback.trace_id``.
    """
    if span is not None:
        target = span.get_span_context()
    elif trace_id is not None:
        tid = _hex_id(trace_id, 32, "trace_id")
        sid = _hex_id(span_id, 16, "span_id") if span_id is not None else 0
        target = SpanContext(tid, sid or 1, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    else:
        target = trace.get_current_span().get_span_context()
    if not target.is_valid and not (trace_id is not None and span_id is None):
        raise ValueError("genlens.feedback: no trace to attach feedback to")
    values: dict[str, Any] = {attrs.APP_SPAN_KIND: "feedback",
                              attrs.APP_FEEDBACK_TRACE_ID: format(target.trace_id, "032x"),
                              attrs.APP_FEEDBACK_SOURCE: "implicit" if signal and thumbs is None and score is None
                              and comment is None else "user"}
    if span is not None or span_id is not None or trace_id is None:
        values[attrs.APP_FEEDBACK_SPAN_ID] = format(target.span_id, "016x")
    if thumbs is not None:
        if thumbs in (True, "up", "+1", "👍"):
            values[attrs.APP_FEEDBACK_THUMBS] = "up"
        elif thumbs in (False, "down", "-1", "👎"):
            values[attrs.APP_FEEDBACK_THUMBS] = "down"
        else:
            raise ValueError(f"genlens.feedback: thumbs must be 'up' or 'down', got {thumbs!r}")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise ValueError(f"genlens.feedback: score must be a finite number, got {score!r}")
        values[attrs.APP_FEEDBACK_SCORE] = float(score)
    if comment is not None:
        values[attrs.APP_FEEDBACK_COMMENT] = redact(str(comment), max_chars=MAX_TEXT).text
    if signal is not None:
        values[attrs.APP_FEEDBACK_SIGNAL] = str(signal)[:128]
    values.update(app_context.current())
    parent = trace.set_span_in_context(NonRecordingSpan(target))
    state.CURRENT.tracer.start_span("feedback", context=parent, kind=SpanKind.INTERNAL, attributes=values).end()
