"""DuckDB SQL of a retention purge of one table (what it means: :mod:`genlens.store.retention`), run on the
connection of one writer transaction."""

from __future__ import annotations

import duckdb

from genlens.store import duckdb_summaries
from genlens.store.duckdb_summaries import key
from genlens.store.retention import PURGES_BY_TABLE
from genlens.timeparse import NS_PER_HOUR

Con = duckdb.DuckDBPyConnection
_SAME_SPAN = "k.tenant = {t} AND k.trace_id = {s}.trace_id AND k.span_id = {s}.span_id"


def _count(con: Con, sql: str, params: list[int]) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _content(con: Con, cutoff_ns: int) -> dict[str, int]:
    """Delete old content; spans left with none get ``content_sampled`` false."""
    con.execute("CREATE OR REPLACE TEMP TABLE _unsampled AS SELECT DISTINCT "
                f"{key('tenant')} AS tenant, trace_id, span_id FROM span_content WHERE time_ns < ?", [cutoff_ns])
    deleted = _count(con, "DELETE FROM span_content WHERE time_ns < ?", [cutoff_ns])
    still = _SAME_SPAN.format(t=key("c.tenant"), s="c")
    con.execute(f"DELETE FROM _unsampled k WHERE EXISTS (SELECT 1 FROM span_content c WHERE {still})")
    spans = _SAME_SPAN.format(t=key("spans.tenant"), s="spans")
    cleared = _count(con, "UPDATE spans SET content_sampled = false WHERE content_sampled "
                          f"AND EXISTS (SELECT 1 FROM _unsampled k WHERE {spans})", [])
    con.execute("DROP TABLE IF EXISTS _unsampled")
    return {"span_content": deleted, "unsampled_spans": cleared}


def _spans(con: Con, cutoff_ns: int) -> dict[str, int]:
    """Delete old spans and the summaries of their traces; a trace that keeps spans is summarised again."""
    con.execute("CREATE OR REPLACE TEMP TABLE _cut AS SELECT DISTINCT "
                f"{key('tenant')} AS tenant, trace_id FROM spans WHERE start_ns < ? AND trace_id IS NOT NULL",
                [cutoff_ns])
    deleted = _count(con, "DELETE FROM spans WHERE start_ns < ?", [cutoff_ns])
    delete_summaries, summarise = duckdb_summaries.resummarise_statements("_cut")
    summaries = _count(con, delete_summaries, [])
    kept = _count(con, summarise, [])
    con.execute("DROP TABLE IF EXISTS _cut")
    return {"spans": deleted, "trace_summaries": summaries - kept}


def purge(con: Con, table: str, cutoff_ns: int) -> dict[str, int]:
    """Delete ``table``'s rows older than ``cutoff_ns`` (rollups: whole hours ended by then); counts per table."""
    if table == "span_content":
        return _content(con, cutoff_ns)
    if table == "spans":
        return _spans(con, cutoff_ns)
    column = PURGES_BY_TABLE[table].column
    if column == "hour_ns":
        return {table: _count(con, f"DELETE FROM {table} WHERE hour_ns + {NS_PER_HOUR} <= ?", [cutoff_ns])}
    return {table: _count(con, f"DELETE FROM {table} WHERE {column} < ?", [cutoff_ns])}
