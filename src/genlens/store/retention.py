"""Retention: how long each tier of stored data is kept, and the purge that deletes what is older.

Tiers (the ``retention`` settings, in days): ``content`` (span content), ``skeleton`` (spans with their
trace summaries, logs, metric points), ``rollups`` (hourly cost and latency rollups), ``scores`` (scores and
findings), ``alerts`` (alert events) and ``audit`` (the audit log).  A purge deletes, table by table, the
rows older than the tier's cutoff; each table's delete and its audit entry (action ``retention.purge``,
target the table, the counts in ``details``) are one transaction through the writer.  Deletes by age are
idempotent, so a purge a crash interrupted is finished by the next run, and the entries of the newest run
are the "last purge" (:func:`last_purge`).

What a backend's purge of a table also does: purged content clears ``content_sampled`` on the spans left
without content (the UI then promises none); purged spans take their trace summaries along, and a trace
with spans on both sides of the cutoff gets its summary derived again from the spans it keeps; rollups are
purged by whole hours older than the cutoff, on their own tier.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genlens.store.base import AuditReader, Maintenance
from genlens.store.writer import Writer
from genlens.timeparse import NS_PER_DAY, iso

PURGED = "retention.purge"  # audit action
ACTOR = "retention"


@dataclass(frozen=True, slots=True)
class Purge:
    """One table of a tier and the column holding each row's time."""

    tier: str
    table: str
    column: str


# In the order a run purges them: content before the spans it clears content_sampled on.
PURGES: tuple[Purge, ...] = (
    Purge("content", "span_content", "time_ns"),
    Purge("content", "content_pending", "received_ns"),
    Purge("content", "content_decisions", "decided_ns"),
    Purge("skeleton", "spans", "start_ns"),
    Purge("skeleton", "logs", "time_ns"),
    Purge("skeleton", "metric_points", "time_ns"),
    Purge("rollups", "cost_hourly", "hour_ns"),
    Purge("rollups", "latency_hourly", "hour_ns"),
    Purge("scores", "scores", "time_ns"),
    Purge("scores", "findings", "window_end_ns"),
    Purge("alerts", "alert_events", "at_ns"),
    Purge("audit", "audit_log", "at_ns"),
)
PURGES_BY_TABLE: dict[str, Purge] = {p.table: p for p in PURGES}
TIERS: tuple[str, ...] = tuple(dict.fromkeys(p.tier for p in PURGES))


def purge_entry(run_ns: int, purge: Purge, days: int, cutoff_ns: int, counts: Mapping[str, int]) -> dict[str, Any]:
    """The audit entry of one table's purge in the run started at ``run_ns``."""
    return {"at_ns": time.time_ns(), "actor": ACTOR, "action": PURGED, "tenant": None, "target": purge.table,
            "purpose": f"retention of {purge.tier} for {days} days",
            "details": {"run_ns": run_ns, "tier": purge.tier, "days": days, "cutoff_ns": cutoff_ns,
                        "deleted": dict(counts)}}


def run_purge(writer: Writer, days: Mapping[str, int], now_ns: int) -> dict[str, dict[str, int]]:
    """Purge every table of every tier in ``days`` (tier → days kept) as of ``now_ns``, one transaction per
    table through the writer; the counts per table."""
    done: dict[str, dict[str, int]] = {}
    for purge in PURGES:
        if purge.tier not in days:
            continue
        kept = days[purge.tier]
        cutoff = now_ns - kept * NS_PER_DAY

        def one(store: Maintenance, p: Purge = purge, kept: int = kept, cutoff: int = cutoff) -> dict[str, int]:
            return store.purge(p.table, cutoff, lambda counts: purge_entry(now_ns, p, kept, cutoff, counts))

        done[purge.table] = writer.run(one, f"retention purge of {purge.table}").result()
    return done


def last_purge(reader: AuditReader) -> dict[str, Any] | None:
    """The newest purge run from the audit log: when it ran, and per table its cutoff and what it deleted."""
    entries = reader.audit_entries(0, PURGED, limit=len(PURGES))
    if not entries:
        return None
    run_ns = entries[0]["details"]["run_ns"]
    run = [e for e in entries if e["details"].get("run_ns") == run_ns]
    return {
        "run_ns": run_ns, "run_at": iso(run_ns), "finished_at": iso(max(e["at_ns"] for e in run)),
        "tables": {e["target"]: {"tier": e["details"]["tier"], "cutoff_at": iso(e["details"]["cutoff_ns"]),
                                 "deleted": e["details"]["deleted"]} for e in reversed(run)},
    }
