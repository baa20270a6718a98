"""Row dicts → Arrow tables, the columnar form every backend inserts.

The conversion runs in the ingest stage (``to_columnar``), on the request's
worker thread, so the single writer only concatenates tables and inserts them —
work a database does with the GIL released.  JSON columns are serialised here,
once.  A value that does not fit its column (an out-of-range integer, a wrong type)
becomes NULL instead of sinking the whole batch.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from genlens.store import partials
from genlens.store.base import WriteBatch
from genlens.store.schema import (
    BATCH_TABLES,
    COST_HOURLY,
    DERIVED_TABLES,
    LATENCY_HOURLY,
    SPANS,
    TRACE_SUMMARIES,
    Table,
)

ARROW_TYPES = {
    "str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
    "str_list": pa.list_(pa.string()), "int_list": pa.list_(pa.int64()),
    "float_list": pa.list_(pa.float64()), "json": pa.string(), "int128": pa.decimal128(38, 0),
}

_SCHEMAS = {t.name: pa.schema([(n, ARROW_TYPES[k]) for n, k in t.columns]) for t in BATCH_TABLES + DERIVED_TABLES}
_INT64 = (-(2**63), 2**63 - 1)
_LIST_KINDS = frozenset({"str_list", "int_list", "float_list"})


def json_text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _coerce(kind: str, value: Any) -> Any:
    """A value that fits the column type, or None: the slow path for rows a fast conversion refused."""
    if value is None:
        return None
    if kind == "int":
        return value if type(value) is int and _INT64[0] <= value <= _INT64[1] else None
    if kind == "float":
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "str":
        return value if isinstance(value, str) else str(value)
    if kind == "str_list":
        return [str(v) for v in value] if isinstance(value, list | tuple) else None
    if kind in ("int_list", "float_list"):
        wanted = int if kind == "int_list" else float
        ok = isinstance(value, list | tuple) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        return [wanted(v) for v in value] if ok else None
    return value


def to_arrow(table: Table, rows: list[dict[str, Any]]) -> pa.Table:
    """Arrow table of ``rows``, built column by column (about twice as fast as row-wise conversion).

    A column whose values do not all fit its type is converted again value by
    value, misfits becoming NULL, so one bad value never sinks the batch.
    """
    arrays = []
    for name, kind in table.columns:
        values = [row.get(name) for row in rows]
        if kind == "json":
            values = [None if v is None else json_text(v) for v in values]
        elif kind in _LIST_KINDS and not all(v is None or isinstance(v, list | tuple) for v in values):
            values = [_coerce(kind, v) for v in values]  # Arrow would split a lone string into characters
        try:
            arrays.append(pa.array(values, type=ARROW_TYPES[kind]))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
            arrays.append(pa.array([_coerce(kind, v) for v in values], type=ARROW_TYPES[kind]))
    return pa.Table.from_arrays(arrays, schema=_SCHEMAS[table.name])


def derived_of(spans: pa.Table) -> list[tuple[Table, pa.Table]]:
    """The partial rows of the derived tables for these stored spans (:mod:`genlens.store.partials`).

    They are computed from the Arrow spans, so they see each value exactly as the
    store will hold it (a misfit already NULL).
    """
    columns = spans.select(list(partials.SOURCE_COLUMNS)).to_pydict()
    rows = [dict(zip(partials.SOURCE_COLUMNS, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    cost, latency = partials.rollup_partials(rows)
    derived = ((TRACE_SUMMARIES, partials.trace_partials(rows)), (COST_HOURLY, cost), (LATENCY_HOURLY, latency))
    return [(table, to_arrow(table, found)) for table, found in derived if found]


def _convert(table: Table, rows: list[dict[str, Any]], into: dict[str, list[Any]]) -> None:
    arrow = to_arrow(table, rows)
    into.setdefault(table.name, []).append(arrow)
    if table is SPANS:
        for derived, part in derived_of(arrow):
            into.setdefault(derived.name, []).append(part)


def to_columnar(batch: WriteBatch) -> WriteBatch:
    """Move every row list of ``batch`` into Arrow tables (``batch.arrow``), spans with their derived
    partial rows; returns the batch."""
    for table in BATCH_TABLES:
        assert table.batch_field is not None
        rows = getattr(batch, table.batch_field)
        if rows:
            _convert(table, rows, batch.arrow)
            setattr(batch, table.batch_field, [])
    return batch


def tables_of(batch: WriteBatch) -> list[tuple[Table, pa.Table]]:
    """One Arrow table per target table, in insert order: converted parts concatenated, rows still
    pending converted now (spans with their derived partials)."""
    converted = {name: list(parts) for name, parts in batch.arrow.items()}
    for table in BATCH_TABLES:
        assert table.batch_field is not None
        rows = getattr(batch, table.batch_field)
        if rows:
            _convert(table, rows, converted)
    out: list[tuple[Table, pa.Table]] = []
    for table in BATCH_TABLES + DERIVED_TABLES:
        parts = converted.get(table.name)
        if parts:
            out.append((table, parts[0] if len(parts) == 1 else pa.concat_tables(parts)))
    return out
