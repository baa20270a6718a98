"""DuckDB SQL of tail sampling of content (what it means: :mod:`genlens.privacy.sampling`), run on the
connection of one writer transaction.

One run folds the pending rows per trace; a trace already decided (content that came late) follows its
decision; a trace that is due — root arrived and ``grace`` passed since its last rows, or ``wait`` passed
since its first — is decided from its folded summary, its feedback and its pending facts.  Decisions are
inserted, the content of every dropped trace is deleted and its spans' ``content_sampled`` cleared, and the
pending rows of every settled trace deleted: all in the caller's transaction, so a crash leaves either the
pending rows or the decision, never neither.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb
import pyarrow as pa

from genlens.privacy.sampling import Decision, SamplingPolicy, TraceFacts
from genlens.store.duckdb_summaries import fold_sql
from genlens.store.sql_filters import Where
from genlens.store.summaries import ATTO
from genlens.timeparse import NS_PER_DAY

Con = duckdb.DuckDBPyConnection
_SAME = "x.tenant = {t}.tenant AND x.trace_id = {t}.trace_id"
LATE_WINDOW_NS = NS_PER_DAY  # decisions older than this are not looked up: content that late is decided anew


def _count(con: Con, sql: str, params: list[Any] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _fold_pending(con: Con, now_ns: int) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _pend AS SELECT tenant, trace_id, min(received_ns) AS first_ns, "
        "max(received_ns) AS last_ns, sum(content_rows) AS content_rows, bool_or(root) AS root, "
        "list_sort(list_distinct(flatten(list(error_classes) FILTER (WHERE error_classes IS NOT NULL)))) "
        "AS error_classes, bool_or(over_budget) AS over_budget "
        "FROM content_pending WHERE tenant IS NOT NULL AND trace_id IS NOT NULL GROUP BY tenant, trace_id")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _late AS SELECT d.tenant, d.trace_id, arg_max(d.keep, d.decided_ns) AS keep "
        "FROM content_decisions d WHERE d.decided_ns >= ? AND EXISTS (SELECT 1 FROM _pend x WHERE "
        f"{_SAME.format(t='d')}) GROUP BY d.tenant, d.trace_id", [now_ns - LATE_WINDOW_NS])


def _due(con: Con, now_ns: int, wait_ns: int, grace_ns: int) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _due AS SELECT p.* FROM _pend p "
        f"WHERE NOT EXISTS (SELECT 1 FROM _late x WHERE {_SAME.format(t='p')}) "
        "AND ((p.root AND p.last_ns <= ?) OR p.first_ns <= ?)", [now_ns - grace_ns, now_ns - wait_ns])


def _facts(con: Con) -> list[TraceFacts]:
    fold = fold_sql(f"EXISTS (SELECT 1 FROM _due x WHERE {_SAME.format(t='trace_summaries')})")
    rows = con.execute(
        "SELECT p.tenant, p.trace_id, coalesce(s.duration_ns, 0), coalesce(s.cost_atto, 0), "
        "coalesce(s.total_tokens, 0), coalesce(s.errors, 0), p.error_classes, p.over_budget, "
        "EXISTS (SELECT 1 FROM scores x WHERE x.thumbs = 'down' AND "
        f"{_SAME.format(t='p')}), coalesce(s.features, []) "
        f"FROM _due p LEFT JOIN ({fold}) s ON s.tenant = p.tenant AND s.trace_id = p.trace_id "
        "WHERE p.content_rows > 0 ORDER BY p.first_ns, p.tenant, p.trace_id").fetchall()
    return [TraceFacts(tenant=r[0], trace_id=r[1], duration_ns=int(r[2]), cost_usd=int(r[3]) / ATTO,
                       total_tokens=int(r[4]), errors=int(r[5]), error_classes=frozenset(r[6] or ()),
                       over_budget=bool(r[7]), negative_feedback=bool(r[8]), features=tuple(r[9] or ()))
            for r in rows]


def _volume(con: Con, now_ns: int) -> dict[str, int]:
    rows = con.execute("SELECT f, count(*) FROM (SELECT unnest(features) AS f FROM content_decisions "
                       "WHERE decided_ns >= ?) GROUP BY f", [now_ns - NS_PER_DAY]).fetchall()
    return {str(f): int(n) for f, n in rows}


def _insert_decisions(con: Con, decisions: list[Decision], facts: list[TraceFacts], now_ns: int) -> None:
    """Insert the decisions (kept as ``_decided`` for the rest of the run)."""
    table = pa.table({
        "tenant": [d.tenant for d in decisions], "trace_id": [d.trace_id for d in decisions],
        "decided_ns": pa.array([now_ns] * len(decisions), pa.int64()), "keep": pa.array([d.keep for d in decisions],
                                                                                       pa.bool_()),
        "reason": pa.array([d.reason for d in decisions], pa.string()),
        "features": pa.array([list(f.features) for f in facts], pa.list_(pa.string())),
    })
    con.register("_decisions_in", table)
    con.execute("CREATE OR REPLACE TEMP TABLE _decided AS SELECT i.tenant, i.trace_id, i.decided_ns, i.keep, "
                "i.reason, p.content_rows, i.features FROM _decisions_in i JOIN _due p "
                "ON p.tenant = i.tenant AND p.trace_id = i.trace_id")
    con.unregister("_decisions_in")
    con.execute("INSERT INTO content_decisions SELECT tenant, trace_id, decided_ns, keep, reason, content_rows, "
                "features FROM _decided")


def _apply(con: Con) -> dict[str, int]:
    """Delete the content of every dropped trace (new decisions and late content alike), clear its spans'
    ``content_sampled``, and delete the pending rows of every settled trace."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _drop AS "
        "SELECT tenant, trace_id FROM _late WHERE NOT keep UNION SELECT tenant, trace_id FROM _decided WHERE NOT keep")
    same_content = _SAME.format(t="span_content")
    deleted = _count(con, f"DELETE FROM span_content WHERE EXISTS (SELECT 1 FROM _drop x WHERE {same_content})")
    cleared = _count(con, "UPDATE spans SET content_sampled = false WHERE content_sampled AND EXISTS "
                          f"(SELECT 1 FROM _drop x WHERE {_SAME.format(t='spans')})")
    settled = _count(con, "DELETE FROM content_pending WHERE EXISTS (SELECT 1 FROM (SELECT tenant, trace_id FROM "
                          f"_late UNION ALL SELECT tenant, trace_id FROM _due) x WHERE "
                          f"{_SAME.format(t='content_pending')})")
    late_dropped = _count(con, "SELECT count(*) FROM _late WHERE NOT keep")
    return {"content_deleted": deleted, "spans_unsampled": cleared, "pending_settled": settled,
            "late_dropped": late_dropped}


def sample(con: Con, policy: SamplingPolicy, now_ns: int, wait_ns: int, grace_ns: int) -> dict[str, Any]:
    """Decide every due trace and apply every decision; what the run did (see Maintenance.sample_content)."""
    _fold_pending(con, now_ns)
    _due(con, now_ns, wait_ns, grace_ns)
    facts = _facts(con)
    decisions = policy.decide_all(facts, _volume(con, now_ns) if policy.volume_features else None)
    _insert_decisions(con, decisions, facts, now_ns)
    done = _apply(con)
    late = _count(con, "SELECT count(*) FROM _late")
    waiting = _count(con, "SELECT count(*) FROM _pend") - late - _count(con, "SELECT count(*) FROM _due")
    for name in ("_pend", "_late", "_due", "_decided", "_drop"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    kept = Counter(d.reason for d in decisions if d.keep)
    return {"kept": dict(kept), "dropped": sum(1 for d in decisions if not d.keep),
            "late": late, "waiting": waiting, **done}


def decisions_sql(tenant: str, since_ns: int) -> tuple[str, list[Any]]:
    """Decisions since ``since_ns`` per (keep, reason), in a tenant scope (``*``: every tenant)."""
    w = Where(tenant).add("decided_ns >= ?", since_ns)
    return (f"SELECT keep, reason, count(*) AS traces, coalesce(sum(content_rows), 0) AS content_rows "
            f"FROM content_decisions WHERE {w.sql} GROUP BY keep, reason ORDER BY keep DESC, traces DESC, reason",
            w.params)
