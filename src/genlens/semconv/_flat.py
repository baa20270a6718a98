"""Flattened, indexed attribute families (``prefix.N.field...``) back into lists.

OpenInference and OpenLLMetry both flatten lists into one attribute per leaf
(``llm.input_messages.0.message.role``).  Producers may send indices out of
order, with gaps, or with garbage where the index should be; the index is
parsed strictly (ASCII digits, bounded length), rows come back sorted by
index, gaps simply vanish, and every key that does not fit is handed back so
the caller can keep it in ``attributes``.
"""

from __future__ import annotations

from typing import Any

_MAX_INDEX_DIGITS = 6  # index <= 999999: more entries than any real span holds

Fields = dict[str, Any]
Leftover = list[tuple[str, Any]]


def group_indexed(items: list[tuple[str, str, Any]], leftover: Leftover) -> list[Fields]:
    """``[(full_key, "N.rest", value)]`` → one ``{rest: value}`` dict per index, in index order.

    Keys whose index is not a small non-negative integer, or that have no field
    after the index, go to ``leftover`` as ``(full_key, value)``.
    """
    groups: dict[int, Fields] = {}
    for full, suffix, value in items:
        idx, sep, rest = suffix.partition(".")
        if not sep or not rest or len(idx) > _MAX_INDEX_DIGITS or not (idx.isascii() and idx.isdigit()):
            leftover.append((full, value))
            continue
        g = groups.get(int(idx))
        if g is None:
            g = groups[int(idx)] = {}
        g[rest] = (full, value)
    return [groups[i] for i in sorted(groups)]


def sub_items(fields: Fields, prefix: str) -> list[tuple[str, str, Any]]:
    """The entries of one group under ``prefix`` (e.g. ``message.tool_calls.``), re-shaped for :func:`group_indexed`."""
    n = len(prefix)
    return [(full, k[n:], v) for k, (full, v) in fields.items() if k.startswith(prefix)]


def take(fields: Fields, name: str) -> Any:
    """Pop one field's value (``None`` when absent); what is left in ``fields`` is unused."""
    got = fields.pop(name, None)
    return None if got is None else got[1]


def drop_prefix(fields: Fields, prefix: str) -> None:
    """Forget the fields under ``prefix`` once a sub-parser has consumed them."""
    for k in [k for k in fields if k.startswith(prefix)]:
        del fields[k]


def unused(fields: Fields, leftover: Leftover) -> None:
    """Whatever no parser took goes back to ``attributes``."""
    leftover.extend(fields.values())
