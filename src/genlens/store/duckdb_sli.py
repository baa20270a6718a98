"""SLI counts: total and bad spans of a predicate pair in several windows, in one scan of the widest.

Predicates are :class:`~genlens.store.queries.Condition` conjunctions; their
fields map to fixed SQL expressions (``PREDICATE_FIELDS``) and every value is a
bound parameter.
"""

from __future__ import annotations

from typing import Any

from genlens.store.queries import PREDICATE_FIELDS, Condition, SliQuery
from genlens.store.sql_filters import Where


def predicate_sql(conditions: tuple[Condition, ...]) -> tuple[str, list[Any]]:
    """One SQL boolean (TRUE for no conditions) and its parameters; NULL fields fail all but != / not in."""
    parts: list[str] = []
    params: list[Any] = []
    for c in conditions:
        expr, kind = PREDICATE_FIELDS[c.field]
        values = list(c.value) if c.op in ("in", "not in") else [c.value]
        if kind == "list":
            test = f"list_has_any(coalesce({expr}, []), [{', '.join('?' for _ in values)}]::VARCHAR[])"
            parts.append(f"NOT {test}" if c.op in ("!=", "not in") else test)
            params.extend(str(v) for v in values)
            continue
        cast = "DOUBLE" if kind == "num" else "VARCHAR"
        if c.op in ("in", "not in"):
            marks = ", ".join(f"?::{cast}" for _ in values)
            parts.append(f"coalesce({expr} IN ({marks}), FALSE)" if c.op == "in"
                         else f"coalesce({expr} NOT IN ({marks}), TRUE)")
        elif c.op == "!=":
            parts.append(f"coalesce({expr} <> ?::{cast}, TRUE)")
        else:
            parts.append(f"coalesce({expr} {c.op} ?::{cast}, FALSE)")
        params.extend(values)
    return (" AND ".join(f"({p})" for p in parts) or "TRUE"), params


def sli_sql(query: SliQuery) -> tuple[str, list[Any]]:
    total, total_params = predicate_sql(query.total)
    bad, bad_params = predicate_sql(query.bad)
    where = Where(query.tenant).window(min(query.window_starts), query.end_ns).add(total, *total_params)
    columns: list[str] = []
    params: list[Any] = []
    for i, start in enumerate(query.window_starts):
        columns.append(f"count(*) FILTER (WHERE start_ns >= ?) AS total_{i}")
        columns.append(f"count(*) FILTER (WHERE start_ns >= ? AND ({bad})) AS bad_{i}")
        params.extend([start, start, *bad_params])
    return f"SELECT {', '.join(columns)} FROM spans WHERE {where.sql}", [*params, *where.params]
