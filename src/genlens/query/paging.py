"""Ids and keyset paging for every list that pages by cursor (REST and UI alike).

A cursor is the sort value and the trace id of the last row shown, as
URL-safe base64 of a JSON pair: opaque to clients, stable across inserts, and
checked when it comes back (anything this server did not issue is a 400).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from genlens.errors import BadRequest

HEX = frozenset("0123456789abcdef")
# The column a cursor resumes from, per sort of a trace search.
SORT_COLUMNS = {"time": "start_ns", "duration": "duration_ns", "cost": "cost_key"}


def check_hex_id(value: str, length: int, what: str) -> str:
    """A trace (32) or span (16) id in lower-case hex; anything else is a 400 naming it."""
    value = value.strip().lower()
    if len(value) != length or not set(value) <= HEX:
        raise BadRequest(f"{what} must be {length} hex characters, got {value[:80]!r}")
    return value


def encode_cursor(sort_value: Any, trace_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort_value, trace_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, trace_id = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise BadRequest("cursor is not one this server issued") from exc
    if not isinstance(value, int | float) or isinstance(value, bool) or not isinstance(trace_id, str):
        raise BadRequest("cursor is not one this server issued")
    return value, check_hex_id(trace_id, 32, "cursor trace id")


def cut_page(rows: list[dict[str, Any]], limit: int, sort: str) -> tuple[list[dict[str, Any]], str | None]:
    """A store's ``limit + 1`` rows → the page and the cursor of the next one (None on the last page).

    The sort key column the store adds for paging (``cost_key``) is dropped from the rows.
    """
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][SORT_COLUMNS[sort]], rows[-1]["trace_id"])
    for row in rows:
        row.pop("cost_key", None)
    return rows, next_cursor
