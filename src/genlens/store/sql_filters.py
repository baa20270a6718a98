"""Span predicates shared by every SQL backend module: tenant scope, time window, equality filters.

Trace search, cost aggregations and the UI's pages all narrow spans the same
way; building the clauses here keeps their meaning identical (the half-open time
range on ``start_ns``, ``*`` for every tenant, a model matching the request or
the response model).  Values are always bound parameters; only column names from
the callers' fixed tables are spliced into the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from genlens.store.queries import ALL_TENANTS

if TYPE_CHECKING:
    from genlens.store.queries import SpanFilter


class Where:
    """AND-ed predicates and their parameters, in order."""

    def __init__(self, tenant: str) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []
        if tenant != ALL_TENANTS:
            self.add("tenant = ?", tenant)

    def add(self, clause: str, *params: Any) -> Where:
        self.clauses.append(clause)
        self.params.extend(params)
        return self

    def window(self, start_ns: int | None, end_ns: int | None) -> Where:
        if start_ns is not None:
            self.add("start_ns >= ?", start_ns)
        if end_ns is not None:
            self.add("start_ns < ?", end_ns)
        return self

    def equals(self, pairs: Iterable[tuple[str, Any]]) -> Where:
        """``column = value`` for each pair whose value is not None."""
        for column, value in pairs:
            if value is not None:
                self.add(f"{column} = ?", value)
        return self

    def model(self, model: str | None) -> Where:
        if model is not None:
            self.add("(request_model = ? OR response_model = ?)", model, model)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "TRUE"


def span_filter(f: SpanFilter, *, window: bool = True) -> Where:
    """The predicate of a :class:`~genlens.store.base.SpanFilter` (``window=False`` drops the time bounds)."""
    w = Where(f.tenant)
    if window:
        w.window(f.start_ns, f.end_ns)
    return w.equals((("service_name", f.service), ("environment", f.environment), ("feature", f.feature))) \
        .model(f.model)
