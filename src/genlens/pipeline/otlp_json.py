"""OTLP/JSON → protobuf messages.

OTLP/JSON is the proto3 JSON mapping with two deviations the spec spells out:
trace and span ids are hex strings (not base64), and enum values are integers.
We fix the ids up front and let protobuf's own JSON parser do the rest, so
both encodings end in the same message type and share one decode path.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

import orjson
from google.protobuf import json_format
from google.protobuf.message import Message

from genlens.errors import BadRequest

M = TypeVar("M", bound=Message)

_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})
_MAX_DEPTH = 64


def _fix_ids(node: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise BadRequest("OTLP/JSON body nested too deeply")
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                node[key] = _hex_to_b64(key, value)
            elif isinstance(value, dict | list):
                _fix_ids(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                _fix_ids(item, depth + 1)
    return node


def _hex_to_b64(key: str, value: str) -> str:
    if value == "":
        return ""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        # Not hex: some exporters send base64 (proto3 JSON default). Keep it if it decodes.
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(f"OTLP/JSON {key} is neither hex nor base64: {value[:40]!r}") from exc
        return value
    return base64.b64encode(raw).decode("ascii")


def parse_json(body: bytes, message_type: type[M]) -> M:
    """Parse an OTLP/JSON body into ``message_type``; raises :class:`BadRequest` with a reason."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequest("OTLP/JSON body must be a JSON object")
    _fix_ids(document)
    message = message_type()
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=True, max_recursion_depth=_MAX_DEPTH)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadRequest(f"body is not a valid OTLP/JSON {message_type.__name__}: {str(exc)[:300]}") from exc
    return message
