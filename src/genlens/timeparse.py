"""Parse the time expressions users type: ISO-8601, durations, epoch nanoseconds.

``parse_duration("7d")`` → nanoseconds; ``parse_time("2026-11-01T00:00:00Z")``,
``parse_time("7d")`` (meaning seven days ago) or ``parse_time("1764000000000000000")``
→ epoch nanoseconds.  Errors are ``BadRequest`` naming the value.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from genlens.errors import BadRequest

# The one definition of each time unit in nanoseconds (epoch-ns arithmetic everywhere).
NS_PER_MS = 10**6
NS_PER_SECOND = 10**9
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR
NS_PER_WEEK = 7 * NS_PER_DAY

_UNITS_NS = {"ms": NS_PER_MS, "s": NS_PER_SECOND, "m": NS_PER_MINUTE, "h": NS_PER_HOUR, "d": NS_PER_DAY,
             "w": NS_PER_WEEK}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_MAX_NS = 4102444800 * 10**9  # 2100-01-01


def iso(ns: int | None) -> str:
    """Epoch ns → ISO-8601 UTC text (``2026-11-20T13:00:00.250000Z``): the one way times are written out."""
    return datetime.fromtimestamp((ns or 0) / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")


def parse_duration(text: str) -> int:
    match = _DURATION.match(text)
    if not match:
        raise BadRequest(f"not a duration (like 30m, 24h, 7d): {text!r}")
    value = float(match.group(1)) * _UNITS_NS[match.group(2)]
    if value > _MAX_NS:
        raise BadRequest(f"duration too long: {text!r}")
    return int(value)


def parse_time(text: str, now_ns: int | None = None) -> int:
    """Epoch nanoseconds for an ISO-8601 time, a duration ago, or an integer of epoch nanoseconds."""
    text = text.strip()
    now_ns = time.time_ns() if now_ns is None else now_ns
    if not text:
        raise BadRequest("empty time value")
    if text.isdigit():
        value = int(text)
        if value > _MAX_NS:
            raise BadRequest(f"time out of range (epoch nanoseconds expected): {text!r}")
        return value
    if _DURATION.match(text):
        return now_ns - parse_duration(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"not an ISO-8601 time, duration or epoch-ns integer: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.year < 2100:
        raise BadRequest(f"time out of range: {text!r}")
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000
