"""The embedded DuckDB store (the default backend).

One connection object owns the database file; the single writer thread uses it
directly, readers get their own cursors.  Batches are inserted column-wise from
Arrow tables inside one transaction; DuckDB's write-ahead log makes a COMMIT
durable, so an export is acknowledged only after :meth:`write` returns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson

from genlens.errors import StoreError
from genlens.store import (
    columnar,
    duckdb_cost,
    duckdb_search,
    duckdb_series,
    duckdb_sli,
    duckdb_summaries,
    duckdb_ui,
)
from genlens.store.base import Committed, WriteBatch
from genlens.store.migrations import MIGRATIONS
from genlens.store.queries import ALL_TENANTS, CostQuery, SeriesQuery, SliQuery, SpanFilter, TraceQuery
from genlens.store.schema import ALERT_EVENTS, TABLES
from genlens.store.sql_filters import Where
from genlens.store.summaries import scope_key, usd

CHECKPOINT_THRESHOLD = "64MB"


class DuckDBStore:
    """Store protocol implementation on one DuckDB file."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        try:
            if read_only:
                if not self.path.exists():
                    raise StoreError(f"no genlens data at {str(self.path)!r}")
                self._db = duckdb.connect(str(self.path), read_only=True)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = duckdb.connect(str(self.path))
                # Checkpoint in larger steps: small, frequent checkpoints rewrite partly filled row
                # groups again and again (measured: a third less write CPU per span at 64MB).
                self._db.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        except (OSError, duckdb.Error) as exc:
            raise StoreError(f"cannot open DuckDB file {str(self.path)!r}: {exc}") from exc
        self._lock = threading.Lock()
        if not read_only:
            self._migrate()

    # -- schema -------------------------------------------------------------
    def _migrate(self) -> None:
        con = self._db
        con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
        done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, statements in MIGRATIONS:
            if version in done:
                continue
            with self._transaction(f"migration {version} of {self.path}") as tx:
                for sql in statements:
                    tx.execute(sql)
                tx.execute("INSERT INTO schema_migrations VALUES (?, now())", [version])

    @property
    def schema_version(self) -> int:
        row = self._db.execute("SELECT max(version) FROM schema_migrations").fetchone()
        assert row is not None  # an aggregate without GROUP BY always returns one row
        return int(row[0])

    # -- writes (writer thread only) -----------------------------------------
    def write(self, batch: WriteBatch) -> Committed:
        tables = columnar.tables_of(batch)
        committed = Committed()
        if not tables and not batch.findings:
            return committed
        if self.read_only:
            raise StoreError("the store is open read-only")
        with self._transaction(f"write to {self.path}") as con:
            for table, arrow in tables:
                view = f"_incoming_{table.name}"
                con.register(view, arrow)
                cols = ", ".join(f'"{c}"' for c in table.column_names)
                con.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {view}")
                con.unregister(view)
            if batch.findings:
                committed.findings = _merge_findings(con, batch.findings)
        return committed

    def rebuild_summaries(self) -> None:
        """Refill the derived tables from spans (writer thread only): repairs them, and proves the merge is exact."""
        if self.read_only:
            raise StoreError("the store is open read-only")
        with self._transaction(f"rebuild of the summaries of {self.path}") as con:
            for sql in duckdb_summaries.rebuild_statements():
                con.execute(sql)

    def compact_summaries(self, since_ns: int | None = None) -> dict[str, int]:
        """Fold each key's partial rows into one (writer thread only; see duckdb_summaries.compact_statements)."""
        if self.read_only:
            raise StoreError("the store is open read-only")
        removed: dict[str, int] = {}
        with self._transaction(f"compaction of the summaries of {self.path}") as con:
            for table, sql in duckdb_summaries.compact_statements(since_ns):
                result = con.execute(sql)
                if sql.startswith("DELETE"):
                    row = result.fetchone()
                    removed[table] = int(row[0]) if row else 0
                elif sql.startswith("INSERT"):
                    row = result.fetchone()
                    removed[table] -= int(row[0]) if row else 0
            con.execute("DROP TABLE IF EXISTS _dup")
            con.execute("DROP TABLE IF EXISTS _fold")
        return removed

    def delete_traces(self, tenant: str, trace_ids: list[str]) -> dict[str, int]:
        """Erase whole traces (writer thread only): their spans, content, scores and logs, their summary rows,
        and their share of the hourly rollups, which are derived again from the spans left in the hours they
        touched.  One transaction; returns the rows deleted per table."""
        if self.read_only:
            raise StoreError("the store is open read-only")
        removed: dict[str, int] = {}
        if not trace_ids:
            return removed
        key = scope_key(tenant)
        if key is None:
            return removed
        ids = sorted(set(trace_ids))
        scope = Where(tenant).add("trace_id IN (SELECT unnest(?::VARCHAR[]))", ids)
        with self._transaction(f"erasure of {len(ids)} traces in {self.path}") as con:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _touched AS {duckdb_summaries.touched_hours_sql(scope.sql)}",
                        scope.params)
            for table in ("spans", "span_content", "scores", "logs"):
                row = con.execute(f"DELETE FROM {table} WHERE {scope.sql}", scope.params).fetchone()
                removed[table] = int(row[0]) if row else 0
            summaries = Where(ALL_TENANTS).add("trace_id IN (SELECT unnest(?::VARCHAR[]))", ids)
            if tenant != ALL_TENANTS:
                summaries.add("tenant = ?", key)
            row = con.execute(f"DELETE FROM trace_summaries WHERE {summaries.sql}", summaries.params).fetchone()
            removed["trace_summaries"] = int(row[0]) if row else 0
            for table, sql in duckdb_summaries.rederive_statements("_touched"):
                result = con.execute(sql).fetchone()
                if sql.startswith("DELETE"):
                    removed[table] = int(result[0]) if result else 0
            con.execute("DROP TABLE IF EXISTS _touched")
        return removed

    @contextmanager
    def _transaction(self, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN … COMMIT on the write connection, under the lock; any failure rolls back as StoreError."""
        con = self._db
        with self._lock:
            try:
                con.execute("BEGIN")
                yield con
                con.execute("COMMIT")
            except duckdb.Error as exc:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise StoreError(f"{what} failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            try:
                if not self.read_only:
                    self._db.execute("CHECKPOINT")
            except duckdb.Error:
                pass
            self._db.close()

    # -- reads --------------------------------------------------------------
    def _query(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        cursor = self._db.cursor()
        try:
            result = cursor.execute(sql, params)
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {exc}") from exc
        finally:
            cursor.close()

    def _trace_rows(self, columns: tuple[str, ...] | None, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        """A trace's spans in start order, read only in the time range its summary gives.

        Spans arrive in about time order, so the range lets DuckDB skip nearly
        every row group; one statement reads the range from the summary and the
        spans inside it.  The summary's span count proves nothing was missed
        (else, e.g. for a span without a start time, the whole table is read).
        """
        w = Where(tenant).add("trace_id = ?", trace_id)
        key = scope_key(tenant)
        if key is not None:
            s = Where(ALL_TENANTS).add("trace_id = ?", trace_id)
            if tenant != ALL_TENANTS:
                s.add("tenant = ?", key)
            spans = "spans.*" if columns is None else ", ".join(f"spans.{c}" for c in columns)
            rows = self._query(
                f"WITH b AS (SELECT min(start_ns) AS lo, max(last_start_ns) AS hi, sum(span_count) AS n "
                f"FROM trace_summaries WHERE {s.sql}) "
                f"SELECT {spans}, b.n AS _expected FROM spans, b WHERE {w.sql} AND spans.start_ns BETWEEN b.lo AND b.hi "
                "ORDER BY spans.start_ns, spans.span_id", s.params + w.params)
            if rows and all(r.pop("_expected") == len(rows) for r in rows):
                return rows
        every = "*" if columns is None else ", ".join(columns)
        return self._query(f"SELECT {every} FROM spans WHERE {w.sql} ORDER BY start_ns, span_id", w.params)

    def trace_spans(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        return self._trace_rows(None, tenant, trace_id)

    def span(self, tenant: str, span_id: str) -> dict[str, Any] | None:
        w = Where(tenant).add("span_id = ?", span_id)
        rows = self._query(f"SELECT * FROM spans WHERE {w.sql} LIMIT 1", w.params)
        return rows[0] if rows else None

    def content(self, tenant: str, trace_id: str, span_id: str | None = None) -> list[dict[str, Any]]:
        w = Where(tenant).add("trace_id = ?", trace_id).equals((("span_id", span_id),))
        return self._query(f"SELECT span_id, kind, source, data, time_ns FROM span_content WHERE {w.sql} "
                           "ORDER BY time_ns, kind", w.params)

    def scores(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        w = Where(tenant).add("trace_id = ?", trace_id)
        return self._query(f"SELECT * FROM scores WHERE {w.sql} ORDER BY time_ns, span_id", w.params)

    def metric_points(self, tenant: str, name: str | None, limit: int) -> list[dict[str, Any]]:
        w = Where(tenant).equals((("name", name),))
        return self._query(f"SELECT * FROM metric_points WHERE {w.sql} ORDER BY time_ns DESC LIMIT ?",
                           w.params + [limit])

    def logs(self, tenant: str, trace_id: str | None, limit: int) -> list[dict[str, Any]]:
        w = Where(tenant).equals((("trace_id", trace_id),))
        return self._query(f"SELECT * FROM logs WHERE {w.sql} ORDER BY time_ns DESC LIMIT ?", w.params + [limit])

    def counts(self) -> dict[str, int]:
        return {t.name: int(self._query(f"SELECT count(*) AS n FROM {t.name}", [])[0]["n"]) for t in TABLES}

    def search_traces(self, query: TraceQuery) -> list[dict[str, Any]]:
        return duckdb_search.search(self._query, query)

    # -- cost aggregations and findings (SQL in duckdb_cost.py) ----------------
    def cost_groups(self, query: CostQuery) -> list[dict[str, Any]]:
        rows = self._query(*duckdb_cost.groups_sql(query))
        for row in rows:
            cost = row.pop("cost_atto")
            row["cost_usd"] = None if cost is None else usd(int(cost))
        return rows

    def cache_savings_basis(self, query: CostQuery) -> list[dict[str, Any]]:
        return self._query(*duckdb_cost.savings_basis_sql(query))

    def top_users(self, query: CostQuery, limit: int) -> list[dict[str, Any]]:
        return self._query(*duckdb_cost.users_sql(query, limit))

    def top_conversations(self, query: CostQuery, limit: int, order_by: str = "cost",
                          min_tokens: int | None = None, min_calls: int | None = None) -> list[dict[str, Any]]:
        return self._query(*duckdb_cost.conversations_sql(query, limit, order_by, min_tokens, min_calls))

    def conversation_turns(self, tenant: str, conversation_ids: list[str], start_ns: int, end_ns: int,
                           last: int) -> list[dict[str, Any]]:
        if not conversation_ids:
            return []
        return self._query(*duckdb_cost.turns_sql(tenant, conversation_ids, start_ns, end_ns, last))

    def example_traces(self, query: CostQuery, n: int, by: str = "cost") -> list[str]:
        return [r["trace_id"] for r in self._query(*duckdb_cost.examples_sql(query, n, by))]

    def findings(self, tenant: str, kind: str | None = None, feature: str | None = None,
                 since_ns: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return self._query(*duckdb_cost.findings_sql(tenant, kind, feature, since_ns, limit))

    def overview_aggregates(self, f: SpanFilter, bucket_ns: int, day0_ns: int) -> dict[str, list[dict[str, Any]]]:
        return duckdb_ui.overview(self._query, f, bucket_ns, day0_ns)

    def facet_values(self, tenant: str, since_ns: int) -> dict[str, list[str]]:
        return duckdb_ui.facets(self._query, tenant, since_ns)

    def sli_counts(self, query: SliQuery) -> list[tuple[int, int]]:
        row = self._query(*duckdb_sli.sli_sql(query))[0]
        return [(int(row[f"total_{i}"]), int(row[f"bad_{i}"])) for i in range(len(query.window_starts))]

    def alert_events(self, since_ns: int, limit: int = 1000) -> list[dict[str, Any]]:
        columns = ", ".join(f'"{c}"' for c in ALERT_EVENTS.column_names)
        rows = self._query(f"SELECT {columns} FROM alert_events WHERE at_ns >= ? ORDER BY at_ns DESC, status, "
                           "fingerprint LIMIT ?", [since_ns, limit])
        for row in rows:
            for name in ("labels", "annotations"):
                row[name] = orjson.loads(row[name]) if row[name] else {}
        return rows

    def call_series(self, query: SeriesQuery) -> list[dict[str, Any]]:
        return self._query(*duckdb_series.series_sql(query))

    def span_tenant(self, trace_id: str, span_id: str) -> str | None:
        return duckdb_ui.span_tenant(self._query, trace_id, span_id)

    def trace_skeleton(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        return self._trace_rows(duckdb_ui.SKELETON_COLUMNS, tenant, trace_id)

    def active_conversations(self, f: SpanFilter, limit: int, offset: int) -> list[dict[str, Any]]:
        return duckdb_ui.conversations(self._query, f, limit, offset)

    def first_inputs(self, tenant: str, trace_ids: list[str]) -> list[dict[str, Any]]:
        return duckdb_ui.turn_inputs(self._query, tenant, trace_ids)


_FINDING_SUBJECT = ("tenant", "kind", "feature", "prompt_sha", "conversation_id")


def _merge_findings(con: duckdb.DuckDBPyConnection, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store findings, merging each into an earlier one of the same subject whose window it touches.

    The subject is (tenant, kind, feature, prompt_sha, conversation_id); a merged
    finding keeps its id and first detection time, widens its window and takes
    the newest observation.  Runs inside the writer's transaction; returns the
    findings as stored.
    """
    stored: list[dict[str, Any]] = []
    cond = " AND ".join(f"{c} IS NOT DISTINCT FROM ?" for c in _FINDING_SUBJECT)
    for finding in findings:
        found = con.execute(
            f"SELECT id, first_detected_ns, window_start_ns, window_end_ns FROM findings WHERE {cond} "
            "AND window_end_ns >= ? AND window_start_ns <= ? ORDER BY window_start_ns LIMIT 1",
            [finding[c] for c in _FINDING_SUBJECT] + [finding["window_start_ns"], finding["window_end_ns"]],
        ).fetchone()
        row = dict(finding)
        if found is not None:
            row["id"], row["first_detected_ns"] = found[0], found[1]
            row["window_start_ns"] = min(found[2], row["window_start_ns"])
            row["window_end_ns"] = max(found[3], row["window_end_ns"])
            con.execute("DELETE FROM findings WHERE id = ?", [row["id"]])
        values = [columnar.json_text(row[c]) if c == "details" else row[c] for c in duckdb_cost.FINDING_COLUMNS]
        marks = ", ".join("?" for _ in values)
        con.execute(f"INSERT INTO findings ({', '.join(duckdb_cost.FINDING_COLUMNS)}) VALUES ({marks})", values)
        stored.append(row)
    return stored
