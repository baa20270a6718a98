"""Value coercion shared by every convention module.

Attribute values arrive as whatever the producer sent: a token count may be an
``int``, a ``float``, a numeric string, a negative number or a 30-digit
integer.  Each converter returns the usable value or ``None``; ``None`` means
"unusable", and the caller then leaves the attribute in ``attributes`` so that
nothing is thrown away and nothing bad reaches a typed column.

Converters are plain functions on the hot path: type checks by ``type() is``
(``bool`` is an ``int`` subclass and must never count as a number), no regexes.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import orjson

from genlens.semconv.canonical import MAX_TOKENS

# A count above this is nonsense: one bound for every token column, shared with pricing.
MAX_COUNT = MAX_TOKENS
MAX_JSON_CHARS = 4 << 20  # content attributes are already truncated; this is a second fence
_MAX_DEPTH = 32


def as_str(v: Any) -> str | None:
    """A non-empty string, or ``None``."""
    return v if type(v) is str and v else None


def as_count(v: Any) -> int | None:
    """A non-negative integer count within :data:`MAX_COUNT` (ints, integral floats, digit strings)."""
    t = type(v)
    if t is int:
        return v if 0 <= v <= MAX_COUNT else None
    if t is float:
        return int(v) if v.is_integer() and 0 <= v <= MAX_COUNT else None
    if t is str and 0 < len(v) <= 15 and v.isascii() and v.isdigit():  # the length cap bounds int() work
        n = int(v)
        return n if n <= MAX_COUNT else None
    return None


def as_float(v: Any) -> float | None:
    """A finite float (ints accepted, bools and strings of garbage not)."""
    t = type(v)
    if t is float:
        return v if math.isfinite(v) else None
    if t is int:
        return float(v) if -(1 << 53) <= v <= (1 << 53) else None
    if t is str and 0 < len(v) <= 32:
        try:
            f = float(v)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def as_nonneg_float(v: Any) -> float | None:
    """A finite float >= 0 (latencies, rates, costs)."""
    f = as_float(v)
    return f if f is not None and f >= 0.0 else None


def as_bool(v: Any) -> bool | None:
    """A bool; the strings ``true``/``false`` (any case) are accepted."""
    if type(v) is bool:
        return v
    if type(v) is str:
        low = v.lower()
        if low == "true":
            return True
        if low == "false":
            return False
    return None


def as_str_list(v: Any) -> list[str] | None:
    """A list of strings; a single string becomes a one-item list."""
    if type(v) is str:
        return [v] if v else None
    if type(v) in (list, tuple) and v and all(type(x) is str for x in v):
        return list(v)
    return None


def present(v: Any) -> Any:
    """Any value other than ``None`` (content slots convert later, lazily)."""
    return v


def parse_json(v: Any) -> Any:
    """Structured values pass through; a JSON string is parsed.  ``None`` when it is not JSON."""
    if type(v) is not str:
        return v if type(v) in (dict, list) else None
    if not v or len(v) > MAX_JSON_CHARS:
        return None
    try:
        return orjson.loads(v)
    except orjson.JSONDecodeError:
        return None


def json_or_raw(v: Any) -> Any:
    """Parse a JSON string when it is one; otherwise keep the value as it came (tool arguments)."""
    if type(v) is str:
        s = v.lstrip()[:1]
        if s in ("{", "[", '"') or s.isdigit() or s == "-" or v in ("true", "false", "null"):
            parsed = parse_json(v)
            if parsed is not None or v == "null":
                return parsed
        return v
    return jsonable(v)


def jsonable(v: Any, depth: int = 0) -> Any:
    """Make a decoded attribute value JSON-serialisable: bytes become base64 text, tuples lists.

    Depth is bounded: a hostile, deeply nested kvlist is cut at :data:`_MAX_DEPTH`.
    """
    t = type(v)
    if t is str or t is int or t is float or t is bool or v is None:
        if t is int and not -(1 << 63) <= v < (1 << 63):
            return str(v)
        return v
    if depth >= _MAX_DEPTH:
        return None
    if t is bytes or t is bytearray or t is memoryview:
        return base64.b64encode(bytes(v)).decode("ascii")
    if t is dict:
        return {str(k): jsonable(x, depth + 1) for k, x in v.items()}
    if t is list or t is tuple:
        return [jsonable(x, depth + 1) for x in v]
    return str(v)


def needs_jsonable(v: Any) -> bool:
    """Cheap test before :func:`jsonable`: plain strings and numbers need no work."""
    t = type(v)
    if t is str or t is float or t is bool:
        return False
    if t is int:
        return not -(1 << 63) <= v < (1 << 63)
    return True


# Priorities when two conventions fill the same column (lower wins).  genlens's
# own context first, then OTel GenAI current names, then OpenInference, then
# OpenLLMetry, then names every convention has since retired.
P_GENLENS = 0
P_OTEL = 10
P_OPENINFERENCE = 20
P_OPENLLMETRY = 30
P_LEGACY = 40

# Convention tags (the ``convention`` column), as bits so one pass can OR them.
C_GENLENS = 1
C_OTEL = 2
C_OPENINFERENCE = 4
C_OPENLLMETRY = 8
