"""What every alerting job shares: its firing alerts by fingerprint, their history, and the transitions.

A job decides which alerts should be firing now (:meth:`AlertingJob.reconcile`
with the set it computed); the book publishes a new alert once, repeats it to
notifiers that want repeats, and resolves an alert that is no longer in the set.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from genlens.alerts.notify import Alert, Delivery
from genlens.analysis.jobs import Job
from genlens.errors import Overloaded
from genlens.store.base import WriteBatch
from genlens.store.writer import Writer
from genlens.timeparse import iso

log = logging.getLogger("genlens.alerts")

HISTORY = 1000  # resolved alerts kept in memory, newest last


def event_row(alert: Alert, at_ns: int) -> dict[str, Any]:
    """The alert_events row of an alert firing or resolving at ``at_ns``."""
    return {"at_ns": at_ns, "status": "resolved" if alert.resolved else "firing", "fingerprint": alert.fingerprint,
            "name": alert.name, "severity": alert.severity, "labels": alert.all_labels(),
            "summary": alert.summary, "annotations": dict(alert.annotations),
            "example_trace_ids": list(alert.example_trace_ids), "starts_ns": alert.starts_at_ns,
            "ends_ns": alert.ends_at_ns}


def event_view(row: dict[str, Any]) -> dict[str, Any]:
    """A stored alert event in the shape of :meth:`Alert.as_dict` (what pages and REST show)."""
    return {"fingerprint": row["fingerprint"], "name": row["name"], "severity": row["severity"],
            "status": row["status"], "labels": row["labels"], "summary": row["summary"],
            "annotations": row["annotations"], "example_trace_ids": list(row["example_trace_ids"] or []),
            "at": iso(row["at_ns"]), "starts_at": iso(row["starts_ns"] or 0),
            "ends_at": iso(row["ends_ns"]) if row["ends_ns"] is not None else None}


class AlertHistory:
    """Records each alert as it fires and resolves through the one writer (the history outlives restarts)."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer

    def __call__(self, alert: Alert) -> None:
        try:
            self.writer.submit(WriteBatch(alert_events=[event_row(alert, time.time_ns())]))
        except Overloaded:
            log.warning("alert %s not recorded in the history: the write queue is full", alert.name)


def silenced(jobs: Sequence[AlertingJob], alert: Alert) -> bool:
    """Whether a silence of the alerts settings holds ``alert`` back now (it is tracked, not sent)."""
    return any(job.delivery.silenced(alert) for job in jobs[:1])  # every job shares one delivery


def firing_views(jobs: Sequence[AlertingJob], firing: Iterable[Alert]) -> list[dict[str, Any]]:
    """Firing alerts as REST and pages show them: :meth:`Alert.as_dict` and whether a silence holds them."""
    return [{**alert.as_dict(), "silenced": silenced(jobs, alert)} for alert in firing]


def current_alerts(jobs: Sequence[AlertingJob], resolved_limit: int = 200) -> tuple[list[Alert], list[Alert]]:
    """(firing alerts, newest first; the most recently resolved, newest first) of every job."""
    firing = sorted((a for job in jobs for a in job.active.values()), key=lambda a: -a.starts_at_ns)
    resolved = sorted((a for job in jobs for a in job.history), key=lambda a: -(a.ends_at_ns or 0))
    return firing, resolved[:resolved_limit]


class AlertingJob(Job):
    def __init__(self, delivery: Delivery, interval_s: float) -> None:
        super().__init__(interval_s)
        self.delivery = delivery
        self.active: dict[str, Alert] = {}  # fingerprint → firing alert
        self.history: list[Alert] = []  # resolved alerts, oldest first (bounded)

    def reconcile(self, firing: Iterable[Alert], now_ns: int, *, scope: set[str] | None = None) -> None:
        """Make ``firing`` the firing set (of the fingerprints in ``scope``, default: all this job owns)."""
        wanted = {alert.fingerprint: alert for alert in firing}
        owned = set(self.active) if scope is None else scope & set(self.active)
        for key, alert in wanted.items():
            if key in self.active:
                self.delivery.publish(self.active[key], repeat=True)
            else:
                self.active[key] = alert
                self.delivery.publish(alert)
        for key in owned - set(wanted):
            resolved = dataclasses.replace(self.active.pop(key), ends_at_ns=now_ns)
            self.history = [*self.history[-(HISTORY - 1):], resolved]
            self.delivery.publish(resolved)
