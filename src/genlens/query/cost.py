"""Cost aggregations, backend-neutral: parameters, their validation, and the shape of answers.

A store turns a :class:`~genlens.store.queries.CostQuery` into rows of sums (see ``store/duckdb_cost.py``);
this module decides what may be asked and how the answer looks, so every
backend answers the same way:

* Only ``llm`` and ``embedding`` spans are calls: token columns are filled only
  there (see :mod:`genlens.semconv.canonical`), so nothing is counted twice.
* A call whose cost is unknown is counted in ``unknown_cost_calls`` and left
  out of ``cost_usd``; a group with no priced call has ``cost_usd = None``,
  never ``0``.
* Time ranges are half-open ``[start, end)`` in epoch nanoseconds, at most
  :data:`MAX_RANGE_NS` long, so a typo cannot ask for a century of buckets.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime
from typing import Any

from genlens.errors import BadRequest
from genlens.store.queries import TIME_KEYS, TOKEN_FIELDS, CostQuery, SpanFilter
from genlens.timeparse import NS_PER_DAY, NS_PER_HOUR, NS_PER_SECOND

MAX_RANGE_NS = 400 * NS_PER_DAY
DEFAULT_RANGE_NS = 7 * NS_PER_DAY
MAX_GROUP_KEYS = 4
MAX_ROWS = 10_000


def parse_keys(text: str | None, allowed: tuple[str, ...], what: str = "group_by") -> tuple[str, ...]:
    """``"feature,prompt_sha"`` → ``("feature", "prompt_sha")``; unknown, repeated or too many keys are a 400."""
    if text is None or not text.strip():
        return ()
    keys = tuple(part.strip().lower() for part in text.split(","))
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise BadRequest(f"{what}: unknown key {bad[0][:60]!r}; allowed: {', '.join(allowed)}")
    if len(set(keys)) != len(keys):
        raise BadRequest(f"{what}: a key is repeated in {text[:200]!r}")
    if len(keys) > MAX_GROUP_KEYS:
        raise BadRequest(f"{what}: at most {MAX_GROUP_KEYS} keys")
    if "hour" in keys and "day" in keys:
        raise BadRequest(f"{what}: choose hour or day, not both")
    return keys


def check_range(start_ns: int | None, end_ns: int | None, now_ns: int,
                default_ns: int = DEFAULT_RANGE_NS) -> tuple[int, int]:
    """Fill defaults (the last 7 days) and refuse empty, reversed or oversized ranges."""
    end = now_ns if end_ns is None else end_ns
    start = end - default_ns if start_ns is None else start_ns
    if end <= start:
        raise BadRequest("end must be after start")
    if end - start > MAX_RANGE_NS:
        raise BadRequest(f"time range longer than {MAX_RANGE_NS // NS_PER_DAY} days")
    return start, end


def iso(ns: int) -> str:
    """Epoch ns → ``2026-11-20T13:00:00Z`` (bucket labels)."""
    moment = datetime.fromtimestamp(ns // NS_PER_SECOND, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def shape_row(row: dict[str, Any]) -> dict[str, Any]:
    """A store row → the API row: integer token sums, ``None`` cost when nothing was priced, ISO buckets."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in TIME_KEYS and value is not None:
            out[key] = iso(int(value))
        else:
            out[key] = value
    calls = int(out.get("calls") or 0)
    unknown = int(out.get("unknown_cost_calls") or 0)
    out["calls"] = calls
    out["unknown_cost_calls"] = unknown
    for name in TOKEN_FIELDS:
        if name in out:
            out[name] = int(out[name] or 0)
    if calls - unknown <= 0:
        out["cost_usd"] = None
    elif out.get("cost_usd") is not None:
        out["cost_usd"] = float(out["cost_usd"])
    return out


def rollup(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Re-group store rows onto fewer keys in Python (exact for counts; costs summed with ``fsum``).

    Lets one scan answer several tables: rows grouped by (tenant, feature,
    prompt_sha) also give per-feature, per-tenant and total rows.  Ordered like
    the store orders groups: most expensive first, unknown cost last.
    """
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    costs: dict[tuple[Any, ...], list[float]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        slot = sums.get(key)
        if slot is None:
            slot = sums[key] = {k: row[k] for k in keys}
            slot.update(dict.fromkeys(("calls", "unknown_cost_calls", *TOKEN_FIELDS), 0))
            costs[key] = []
        slot["calls"] += int(row["calls"] or 0)
        slot["unknown_cost_calls"] += int(row["unknown_cost_calls"] or 0)
        for name in TOKEN_FIELDS:
            slot[name] += int(row[name] or 0)
        if row["cost_usd"] is not None:
            costs[key].append(float(row["cost_usd"]))
    for key, slot in sums.items():
        slot["cost_usd"] = math.fsum(costs[key]) if costs[key] else None
    out = list(sums.values())
    if not keys and not out:
        out = [{"calls": 0, "unknown_cost_calls": 0, "cost_usd": None, **dict.fromkeys(TOKEN_FIELDS, 0)}]
    out.sort(key=lambda r: (r["cost_usd"] is None, -(r["cost_usd"] or 0.0), -r["calls"],
                            *((r[k] is None, r[k] or "") for k in keys if k not in TIME_KEYS)))
    return out


def cache_row(row: dict[str, Any], saved_usd: float | None) -> dict[str, Any]:
    """Cache economics of one group: hit rate = cache-read / input tokens (input includes cache)."""
    out = shape_row(row)
    inp = out.get("input_tokens", 0)
    out["cache_hit_rate"] = out.get("cache_read_tokens", 0) / inp if inp > 0 else None
    out["cache_saved_usd"] = saved_usd
    return out


def month_bounds(at_ns: int) -> tuple[int, int]:
    """[first instant of the UTC month containing ``at_ns``, first instant of the next month)."""
    moment = datetime.fromtimestamp(at_ns // NS_PER_SECOND, tz=UTC)
    start = int(datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp()) * NS_PER_SECOND
    days = calendar.monthrange(moment.year, moment.month)[1]
    return start, start + days * NS_PER_DAY


def month_projection(spent_usd: float | None, at_ns: int) -> dict[str, Any]:
    """Month-to-date spend and a straight-line projection to the month's end: the one month-end projection.

    The projection assumes the rest of the month spends at the month-to-date
    rate (spent × month length ÷ time elapsed, all in UTC); it is ``None`` in the
    first hour, where one burst would dominate, and when the spend itself is
    unknown.  The overview and the cost page both show this number.
    """
    start, end = month_bounds(at_ns)
    elapsed = at_ns - start
    projected = spent_usd * (end - start) / elapsed if elapsed >= NS_PER_HOUR and spent_usd is not None else None
    return {"month_start": iso(start), "month_end": iso(end), "as_of": iso(at_ns),
            "month_to_date_usd": spent_usd, "projected_month_usd": projected,
            "elapsed_fraction": elapsed / (end - start)}


def from_filter(f: SpanFilter, start_ns: int, end_ns: int, group_by: tuple[str, ...] = (),
                limit: int = MAX_ROWS) -> CostQuery:
    """The cost query over a span filter's tenant and equality filters (the UI's filter bar) and a range."""
    given = (("service", f.service), ("environment", f.environment), ("feature", f.feature))
    return CostQuery(f.tenant, start_ns, end_ns, group_by, tuple((k, v) for k, v in given if v is not None),
                     f.model, limit)
