"""Feedback spans become score rows: user ratings linked to the span and trace they rate.

The SDK sends ``genlens.feedback(...)`` as a span named ``feedback`` with
``app.llm.span.kind = "feedback"`` and ``app.llm.feedback.*`` attributes, placed
in the rated trace under the rated span.  The span itself is stored like any
other (so it shows in the tree); this stage adds one row to the ``scores`` table
so feedback can be read, joined and aggregated without digging through JSON.
Values a client got wrong (a bad id, a non-finite score, an unknown thumbs
word) are dropped field by field, never the whole row.
"""

from __future__ import annotations

import math
from typing import Any

from genlens.semconv import attrs as A
from genlens.semconv.model import RawSpan

_HEX = frozenset("0123456789abcdef")
MAX_COMMENT = 4096
MAX_SIGNAL = 128
PLACEHOLDER_PARENT = "0000000000000001"  # the SDK's parent when only a trace was rated


def _hex(value: Any, width: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if len(text) != width or not set(text) <= _HEX or set(text) == {"0"}:
        return None
    return text


def is_feedback(raw: RawSpan) -> bool:
    return raw.attributes.get(A.APP_SPAN_KIND) == "feedback"


def feedback_row(raw: RawSpan, tenant: str) -> dict[str, Any]:
    """One ``scores`` row for a feedback span (call only when :func:`is_feedback`)."""
    a = raw.attributes
    trace_id = _hex(a.get(A.APP_FEEDBACK_TRACE_ID), 32) or raw.trace_id
    span_id = _hex(a.get(A.APP_FEEDBACK_SPAN_ID), 16)
    if span_id is None and trace_id == raw.trace_id and raw.parent_span_id not in (None, PLACEHOLDER_PARENT):
        span_id = raw.parent_span_id
    thumbs = a.get(A.APP_FEEDBACK_THUMBS)
    thumbs = thumbs if thumbs in ("up", "down") else None
    score = a.get(A.APP_FEEDBACK_SCORE)
    value: float | None = None
    if isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score):
        value = float(score)
    elif thumbs is not None:
        value = 1.0 if thumbs == "up" else 0.0
    comment = a.get(A.APP_FEEDBACK_COMMENT)
    signal = a.get(A.APP_FEEDBACK_SIGNAL)
    source = a.get(A.APP_FEEDBACK_SOURCE)
    return {
        "tenant": tenant, "trace_id": trace_id, "span_id": span_id, "time_ns": raw.start_ns,
        "name": "feedback", "source": source if source in ("user", "implicit") else "user",
        "thumbs": thumbs, "value": value,
        "comment": comment[:MAX_COMMENT] if isinstance(comment, str) else None,
        "signal": signal[:MAX_SIGNAL] if isinstance(signal, str) else None,
        "attributes": {k: v for k, v in a.items() if not k.startswith("app.llm.feedback.")},
    }
