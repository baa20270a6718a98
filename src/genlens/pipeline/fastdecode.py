"""Decode serialized OTLP trace requests straight from bytes, without the upb object walk.

Parsing with protobuf's C parser is cheap; walking the parsed message through the
upb Python wrappers costs about a microsecond per attribute and is the ingest
ceiling.  ``_fastotlp`` (an optional C extension) reads the wire format itself and
builds the very ``RawSpan`` objects (events and links included) that
:func:`decode.decode_spans` builds.  When the extension is missing (no compiler at
install time), or for the rare bodies whose meaning depends on protobuf's message
merging, the upb path gives the answer, so callers always get the same result
either way.
"""

from __future__ import annotations

import dataclasses
import sys
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from genlens.errors import BadRequest
from genlens.pipeline.decode import (
    FUTURE_SLACK_NS,
    MAX_DURATION_NS,
    MAX_LINKS,
    MIN_TIME_NS,
    PROTOBUF,
    Rejections,
    ValueDecoder,
    check_time,
    decode_spans,
    parse_request,
)
from genlens.semconv.model import RawEvent, RawLink, RawSpan

try:
    from genlens.pipeline import _fastotlp
except ImportError:  # built without a compiler: the upb path below still works
    _fastotlp = None  # type: ignore[assignment]

AVAILABLE: bool = _fastotlp is not None

# What _fastotlp reports for a refused span: (problem, name, start_ns, end_ns).
_ID_REASONS = {
    1: "invalid trace_id (must be 16 non-zero bytes)",
    2: "invalid span_id (must be 8 non-zero bytes)",
    3: "invalid parent_span_id (must be 8 bytes)",
}


def decode_trace_bytes(body: bytes, max_chars: int) -> tuple[list[RawSpan], Rejections]:
    """Same result as ``decode_spans(ExportTraceServiceRequest.FromString(body), ValueDecoder(max_chars))``.

    Raises BadRequest (with a reason) exactly where protobuf's parser would raise DecodeError.
    """
    now_ns = time.time_ns()
    if _fastotlp is not None and max_chars >= 0:
        try:
            # No str is longer than sys.maxsize, so clamping keeps the meaning of a larger limit.
            limit = min(max_chars, sys.maxsize)
            result = _fastotlp.decode(body, limit, MIN_TIME_NS, now_ns + FUTURE_SLACK_NS, MAX_DURATION_NS,
                                      MAX_LINKS, RawSpan, _SPAN_SLOTS, RawEvent, _EVENT_SLOTS, RawLink,
                                      _LINK_SLOTS)
        except _fastotlp.DecodeError as exc:
            raise BadRequest(f"body is not a valid protobuf ExportTraceServiceRequest: {exc}") from exc
        if result is not None:
            spans, refused = result
            return spans, _rejections(refused, now_ns)
    return decode_upb(body, max_chars)


def decode_upb(body: bytes, max_chars: int) -> tuple[list[RawSpan], Rejections]:
    """The reference path: protobuf's parser, then the Python walk of decode_spans."""
    request = parse_request(body, PROTOBUF, ExportTraceServiceRequest)
    return decode_spans(request, ValueDecoder(max_chars))


def slot_fields(cls: type) -> tuple[str, ...] | None:
    """Field names when ``cls(*args)`` only stores its arguments in slots, else None.

    The native decoder then stores them itself, which skips the generated Python
    ``__init__`` (a tenth of the decode time); anything more (``__post_init__``,
    fields left out of ``__init__``, a custom ``__new__``) makes it call the class.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.init or "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__"):
        return None
    fields = dataclasses.fields(cls)
    new: object = cls.__new__  # typeshed types type.__new__ and object.__new__ as unrelated callables
    if new is not object.__new__ or not all(f.init for f in fields):
        return None
    return tuple(f.name for f in fields)


_SPAN_SLOTS = slot_fields(RawSpan)
_EVENT_SLOTS = slot_fields(RawEvent)
_LINK_SLOTS = slot_fields(RawLink)


def _rejections(refused: list[tuple[int, str, int, int]], now_ns: int) -> Rejections:
    rejected = Rejections()
    for problem, name, start, end in refused:
        id_reason = _ID_REASONS.get(problem)
        reason = id_reason or check_time(start, end, now_ns)
        rejected.add(f"span {name[:60]!r}: {reason}", "invalid_id" if id_reason else "invalid_time")
    return rejected
