"""The embedded DuckDB store (the default backend).

One connection object owns the database file; the single writer thread uses it
directly, readers get their own cursors.  Batches are inserted column-wise from
Arrow tables inside one transaction; DuckDB's write-ahead log makes a COMMIT
durable, so an export is acknowledged only after :meth:`write` returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson

from genlens.errors import StoreError
from genlens.privacy.cipher import Keyring
from genlens.privacy.sampling import SamplingPolicy
from genlens.store import (
    columnar,
    duckdb_cost,
    duckdb_erasure,
    duckdb_retention,
    duckdb_rotation,
    duckdb_sampling,
    duckdb_search,
    duckdb_series,
    duckdb_sli,
    duckdb_summaries,
    duckdb_ui,
)
from genlens.store.base import Committed, WriteBatch
from genlens.store.content_rotation import ResealChunk
from genlens.store.erasure import DONE, PENDING, Selector, requested_entry
from genlens.store.erasure import done_entry as erasure_entry
from genlens.store.migrations import MIGRATIONS
from genlens.store.queries import ALL_TENANTS, CostQuery, SeriesQuery, SliQuery, SpanFilter, TraceQuery
from genlens.store.retention import PURGES_BY_TABLE
from genlens.store.schema import ALERT_EVENTS, AUDIT_LOG, ERASURE_REQUESTS, TABLES
from genlens.store.sql_filters import Where
from genlens.store.summaries import scope_key, usd

CHECKPOINT_THRESHOLD = "64MB"


class DuckDBStore:
    """Store protocol implementation on one DuckDB file.

    ``keyring`` opens sealed content as it is read (:meth:`content`,
    :meth:`first_inputs`); without one, sealed content reads as a placeholder
    saying no key is configured, never as ciphertext.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False, keyring: Keyring | None = None) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.keyring = keyring if keyring is not None else Keyring()
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
        self._writable()
        with self._transaction(f"write to {self.path}") as con:
            _insert(con, tables)
            if batch.findings:
                committed.findings = _merge_findings(con, batch.findings)
        return committed

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError("the store is open read-only")

    def rebuild_summaries(self) -> None:
        """Refill the derived tables from spans (writer thread only): repairs them, and proves the merge is exact."""
        self._writable()
        with self._transaction(f"rebuild of the summaries of {self.path}") as con:
            for sql in duckdb_summaries.rebuild_statements():
                con.execute(sql)

    def compact_summaries(self, since_ns: int | None = None) -> dict[str, int]:
        """Fold each key's partial rows into one (writer thread only; see duckdb_summaries.compact_statements)."""
        self._writable()
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
        self._writable()
        if not trace_ids:
            return {}
        with self._transaction(f"erasure of {len(set(trace_ids))} traces in {self.path}") as con:
            return duckdb_erasure.erase_traces(con, tenant, trace_ids).deleted

    def record_erasure(self, request: dict[str, Any]) -> None:
        """Store a pending erasure request and its audit entry (writer thread only; see genlens.store.erasure)."""
        self._writable()
        if request["status"] != PENDING:
            raise StoreError(f"a new erasure request is pending, not {request['status']!r}")
        with self._transaction(f"erasure request {request['id']} in {self.path}") as con:
            duckdb_erasure.record(con, request)
            _insert(con, columnar.tables_of(WriteBatch(audit_log=[requested_entry(request)])))

    def erase(self, request_id: str) -> dict[str, Any]:
        """Carry out a recorded erasure request in one transaction (writer thread only); returns its receipt."""
        self._writable()
        with self._transaction(f"erasure {request_id} in {self.path}") as con:
            request = duckdb_erasure.request_row(con, request_id)
            if request["status"] == DONE:
                stored: dict[str, Any] = request["receipt"]
                return stored
            receipt = duckdb_erasure.erase(con, request, time.time_ns())
            _insert(con, columnar.tables_of(WriteBatch(audit_log=[erasure_entry(request, receipt)])))
        return receipt

    def pending_erasures(self) -> list[dict[str, Any]]:
        return self._query("SELECT id, requested_ns FROM erasure_requests WHERE status = ? "
                           "ORDER BY requested_ns, id", [PENDING])

    def erasure_matches(self, selector: Selector, trace_ids: list[str] | None = None) -> dict[str, int]:
        cursor = self._db.cursor()
        try:
            return duckdb_erasure.matches(cursor, selector, trace_ids)
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {exc}") from exc
        finally:
            cursor.close()

    def purge(self, table: str, cutoff_ns: int, record: Callable[[dict[str, int]], dict[str, Any]]) -> dict[str, int]:
        """Delete a retention tier table's rows older than ``cutoff_ns`` with their audit entry (writer thread
        only; see genlens.store.retention)."""
        self._writable()
        if table not in PURGES_BY_TABLE:
            raise StoreError(f"{table!r} is not a table retention purges")
        with self._transaction(f"retention purge of {table} in {self.path}") as con:
            counts = duckdb_retention.purge(con, table, int(cutoff_ns))
            _insert(con, columnar.tables_of(WriteBatch(audit_log=[record(counts)])))
        return counts

    def sample_content(self, policy: SamplingPolicy, now_ns: int, wait_ns: int, grace_ns: int) -> dict[str, Any]:
        """Decide the traces whose content is due and apply every decision, in one transaction (writer thread
        only; see genlens.store.duckdb_sampling)."""
        self._writable()
        with self._transaction(f"content sampling in {self.path}") as con:
            return duckdb_sampling.sample(con, policy, int(now_ns), int(wait_ns), int(grace_ns))

    def reseal_content(self, keyring: Keyring, after: int, limit: int) -> ResealChunk:
        """One chunk of a content key rotation, in one transaction (writer thread only; see
        genlens.store.content_rotation)."""
        self._writable()
        with self._transaction(f"content key rotation in {self.path}") as con:
            return duckdb_rotation.reseal(con, keyring, int(after), int(limit))

    @contextmanager
    def _transaction(self, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN … COMMIT on the write connection, under the lock; any failure rolls back (a DuckDB error is
        raised as StoreError, any other as it is)."""
        con = self._db
        with self._lock:
            try:
                con.execute("BEGIN")
                yield con
                con.execute("COMMIT")
            except BaseException as exc:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                if isinstance(exc, duckdb.Error):
                    raise StoreError(f"{what} failed: {exc}") from exc
                raise

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
        rows = self._query(f"SELECT tenant, trace_id, span_id, kind, source, data, time_ns FROM span_content "
                           f"WHERE {w.sql} ORDER BY time_ns, kind", w.params)
        return _without(self.keyring.open_rows(rows), ("tenant", "trace_id"))

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

    def audit_entries(self, since_ns: int, action: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        columns = ", ".join(f'"{c}"' for c in AUDIT_LOG.column_names)
        w = Where(ALL_TENANTS).add("at_ns >= ?", since_ns).equals((("action", action),))
        rows = self._query(f"SELECT {columns} FROM audit_log WHERE {w.sql} ORDER BY at_ns DESC, target LIMIT ?",
                           w.params + [limit])
        for row in rows:
            row["details"] = orjson.loads(row["details"]) if row["details"] else {}
        return rows

    def content_decisions(self, tenant: str, since_ns: int) -> list[dict[str, Any]]:
        return self._query(*duckdb_sampling.decisions_sql(tenant, since_ns))

    def erasure_request(self, request_id: str) -> dict[str, Any] | None:
        columns = ", ".join(f'"{c}"' for c in ERASURE_REQUESTS.column_names if c != "value")
        rows = self._query(f"SELECT {columns} FROM erasure_requests WHERE id = ?", [request_id])
        if not rows:
            return None
        row = rows[0]
        row["receipt"] = orjson.loads(row["receipt"]) if row["receipt"] else None
        return row

    def call_series(self, query: SeriesQuery) -> list[dict[str, Any]]:
        return self._query(*duckdb_series.series_sql(query))

    def span_tenant(self, trace_id: str, span_id: str) -> str | None:
        return duckdb_ui.span_tenant(self._query, trace_id, span_id)

    def trace_skeleton(self, tenant: str, trace_id: str) -> list[dict[str, Any]]:
        return self._trace_rows(duckdb_ui.SKELETON_COLUMNS, tenant, trace_id)

    def active_conversations(self, f: SpanFilter, limit: int, offset: int) -> list[dict[str, Any]]:
        return duckdb_ui.conversations(self._query, f, limit, offset)

    def first_inputs(self, tenant: str, trace_ids: list[str]) -> list[dict[str, Any]]:
        rows = self.keyring.open_rows(duckdb_ui.turn_inputs(self._query, tenant, trace_ids))
        return _without(rows, ("tenant", "span_id", "kind", "source"))


def _without(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows less the columns read only to open their content (the row's AAD)."""
    for row in rows:
        for name in names:
            del row[name]
    return rows


_FINDING_SUBJECT = ("tenant", "kind", "feature", "prompt_sha", "conversation_id")


def _insert(con: duckdb.DuckDBPyConnection, tables: list[tuple[Any, Any]]) -> None:
    """Insert Arrow tables (``columnar.tables_of``) inside the caller's transaction."""
    for table, arrow in tables:
        view = f"_incoming_{table.name}"
        con.register(view, arrow)
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        con.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {view}")
        con.unregister(view)


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
