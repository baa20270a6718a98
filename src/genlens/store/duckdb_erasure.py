"""DuckDB SQL of erasure: whole traces with everything derived from them, and what an erasure request
selects, counted before, deleted, and counted again — all on the connection of one writer transaction.

What an erasure means is in :mod:`genlens.store.erasure`; :class:`~genlens.store.duckdb.DuckDBStore` opens
the transaction and records the request and its audit entry around these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import orjson

from genlens.errors import NotFound, StoreError
from genlens.store import duckdb_summaries
from genlens.store.erasure import DONE, ROLLUP_TABLES, Selector, receipt, selector_of_request
from genlens.store.queries import ALL_TENANTS
from genlens.store.schema import ERASURE_REQUESTS
from genlens.store.sql_filters import Where
from genlens.store.summaries import scope_key

Con = duckdb.DuckDBPyConnection
IN_TRACES = "trace_id IN (SELECT unnest(?::VARCHAR[]))"
# Tables whose rows belong to one trace of one tenant, deleted whole with it (spans first).
TRACE_TABLES = ("spans", "span_content", "scores", "logs", "content_pending", "content_decisions")
_NOT_LISTED = "list_filter(example_trace_ids, lambda x: NOT list_contains(?::VARCHAR[], x))"


@dataclass
class TraceErasure:
    """What erasing whole traces did: rows deleted per table, rollup rows derived again, and the calls the
    rollups of the touched hours count beyond the spans left (0 unless something is wrong)."""

    deleted: dict[str, int] = field(default_factory=dict)
    rederived: dict[str, int] = field(default_factory=dict)
    stale_calls: dict[str, int] = field(default_factory=dict)


def _count(con: Con, sql: str, params: list[Any]) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _summaries(tenant: str, ids: list[str]) -> Where:
    """The trace summary rows of ``ids`` in a scope (summary keys: summaries.scope_key)."""
    w = Where(ALL_TENANTS).add(IN_TRACES, ids)
    if tenant != ALL_TENANTS:
        w.add("tenant = ?", scope_key(tenant))
    return w


def erase_traces(con: Con, tenant: str, trace_ids: list[str]) -> TraceErasure:
    """Delete whole traces of a scope: spans, content, scores, logs, summaries; rollups of the hours they
    touched are derived again from the spans left."""
    done = TraceErasure()
    if not trace_ids or scope_key(tenant) is None:
        return done
    ids = sorted(set(trace_ids))
    scope = Where(tenant).add(IN_TRACES, ids)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _touched AS {duckdb_summaries.touched_hours_sql(scope.sql)}",
                scope.params)
    for table in TRACE_TABLES:
        done.deleted[table] = _count(con, f"DELETE FROM {table} WHERE {scope.sql}", scope.params)
    summaries = _summaries(tenant, ids)
    done.deleted["trace_summaries"] = _count(con, f"DELETE FROM trace_summaries WHERE {summaries.sql}",
                                             summaries.params)
    for table, sql in duckdb_summaries.rederive_statements("_touched"):
        counted = _count(con, sql, [])
        (done.deleted if sql.startswith("DELETE") else done.rederived)[table] = counted
    for table, sql in duckdb_summaries.stale_calls_sql("_touched"):
        done.stale_calls[table] = _count(con, sql, [])
    con.execute("DROP TABLE IF EXISTS _touched")
    return done


# -- what a selector ties to ----------------------------------------------------------------------------------
def selected_traces(con: Con, sel: Selector) -> list[str]:
    """The traces of the scope holding a span whose selector column is the value."""
    if sel.kind == "trace_id":
        return [sel.value]
    w = Where(sel.tenant).add(f"{sel.kind} = ?", sel.value).add("trace_id IS NOT NULL")
    return sorted(r[0] for r in con.execute(f"SELECT DISTINCT trace_id FROM spans WHERE {w.sql}", w.params).fetchall())


def selected_conversations(con: Con, sel: Selector, ids: list[str]) -> list[str]:
    """The conversations whose findings go: the one selected, or those of a user's traces."""
    if sel.kind == "conversation_id":
        return [sel.value]
    if sel.kind == "trace_id":
        return []
    w = Where(sel.tenant).add(IN_TRACES, ids).add("conversation_id IS NOT NULL")
    rows = con.execute(f"SELECT DISTINCT conversation_id FROM spans WHERE {w.sql}", w.params).fetchall()
    return sorted(r[0] for r in rows)


def _tied(sel: Selector, ids: list[str], conversations: list[str]) -> dict[str, Where]:
    """Per table, the rows tied to the selection: spans of the traces or of the value, everything hanging off
    the traces, findings keyed by the conversations or citing a trace, alert events citing one."""
    ties = {"spans": Where(sel.tenant).add(f"({IN_TRACES} OR {sel.kind} = ?)", ids, sel.value)}
    for table in TRACE_TABLES[1:]:
        ties[table] = Where(sel.tenant).add(IN_TRACES, ids)
    ties["trace_summaries"] = _summaries(sel.tenant, ids)
    ties["findings"] = Where(sel.tenant).add(
        "(list_has_any(example_trace_ids, ?::VARCHAR[]) OR conversation_id IN (SELECT unnest(?::VARCHAR[])))",
        ids, conversations)
    ties["alert_events"] = Where(ALL_TENANTS).add("list_has_any(example_trace_ids, ?::VARCHAR[])", ids)
    return ties


def tied_rows(con: Con, sel: Selector, ids: list[str], conversations: list[str]) -> dict[str, int]:
    """How many rows of each table the selection ties to (erasure.TIED_TABLES)."""
    return {table: _count(con, f"SELECT count(*) FROM {table} WHERE {w.sql}", w.params)
            for table, w in _tied(sel, ids, conversations).items()}


def matches(con: Con, sel: Selector, trace_ids: list[str] | None) -> dict[str, int]:
    """Rows per table an erasure of ``sel`` would remove or edit now (or of ``trace_ids`` with the value's spans)."""
    ids = selected_traces(con, sel) if trace_ids is None else sorted(set(trace_ids))
    return tied_rows(con, sel, ids, selected_conversations(con, sel, ids))


# -- the erasure of one request ---------------------------------------------------------------------------------
def request_row(con: Con, request_id: str) -> dict[str, Any]:
    names = ERASURE_REQUESTS.column_names
    row = con.execute(f"SELECT {', '.join(names)} FROM erasure_requests WHERE id = ?", [request_id]).fetchone()
    if row is None:
        raise NotFound(f"no erasure request {request_id!r}")
    out = dict(zip(names, row, strict=True))
    out["receipt"] = orjson.loads(out["receipt"]) if out["receipt"] else None
    return out


def record(con: Con, request: dict[str, Any]) -> None:
    names = ERASURE_REQUESTS.column_names
    values = [orjson.dumps(request[n]).decode() if n == "receipt" and request[n] is not None else request[n]
              for n in names]
    con.execute(f"INSERT INTO erasure_requests ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                values)


def erase(con: Con, request: dict[str, Any], now_ns: int) -> dict[str, Any]:
    """Delete and edit everything a pending request selects, count it all again, and mark the request done
    (its selected id cleared); raises StoreError, so the transaction rolls back, if a row is left."""
    sel = selector_of_request(request)
    ids = selected_traces(con, sel)
    conversations = selected_conversations(con, sel, ids)
    found = tied_rows(con, sel, ids, conversations)
    spans = _tied(sel, ids, conversations)["spans"]
    with_spans = _count(con, f"SELECT count(DISTINCT trace_id) FROM spans WHERE {spans.sql}", spans.params)
    traces = erase_traces(con, sel.tenant, ids)
    deleted = dict(traces.deleted)
    by_value = Where(sel.tenant).add(f"{sel.kind} = ?", sel.value)  # spans of the value outside any trace
    deleted["spans"] = deleted.get("spans", 0) + _count(con, f"DELETE FROM spans WHERE {by_value.sql}",
                                                        by_value.params)
    keyed = Where(sel.tenant).add("conversation_id IN (SELECT unnest(?::VARCHAR[]))", conversations)
    deleted["findings"] = _count(con, f"DELETE FROM findings WHERE {keyed.sql}", keyed.params)
    updated: dict[str, int] = {}
    for table, scope in (("findings", sel.tenant), ("alert_events", ALL_TENANTS)):
        citing = Where(scope).add("list_has_any(example_trace_ids, ?::VARCHAR[])", ids)
        updated[table] = _count(con, f"UPDATE {table} SET example_trace_ids = {_NOT_LISTED} WHERE {citing.sql}",
                                [ids, *citing.params])
    left = tied_rows(con, sel, ids, conversations)
    tables: dict[str, dict[str, int]] = {}
    for table, count in found.items():
        tables[table] = {"found": count, "deleted": deleted.get(table, 0), "remaining": left[table]}
        if table in updated:
            tables[table]["updated"] = updated[table]
    for table in ROLLUP_TABLES:
        gone = traces.deleted.get(table, 0)
        tables[table] = {"found": gone, "deleted": gone, "rederived": traces.rederived.get(table, 0),
                         "remaining": abs(traces.stale_calls.get(table, 0))}
    done = receipt(request, with_spans, tables, now_ns)
    if done["remaining"]:
        raise StoreError(f"erasure {request['id']} left rows behind, nothing was erased: "
                         + ", ".join(f"{t} {c['remaining']}" for t, c in tables.items() if c["remaining"]))
    con.execute("UPDATE erasure_requests SET status = ?, value = NULL, done_ns = ?, receipt = ? WHERE id = ?",
                [DONE, now_ns, orjson.dumps(done).decode(), request["id"]])
    return done
