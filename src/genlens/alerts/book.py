"""What every alerting job shares: its firing alerts by fingerprint, their history, and the transitions.

A job decides which alerts should be firing now (:meth:`AlertingJob.reconcile`
with the set it computed); the book publishes a new alert once, repeats it to
notifiers that want repeats, and resolves an alert that is no longer in the set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from genlens.alerts.notify import Alert, Delivery
from genlens.analysis.jobs import Job

HISTORY = 1000  # resolved alerts kept in memory, newest last


def silenced(jobs: Sequence[AlertingJob], alert: Alert) -> bool:
    """Whether a silence of the alerts settings holds ``alert`` back now (it is tracked, not sent)."""
    return any(job.delivery.silenced(alert) for job in jobs[:1])  # every job shares one delivery


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
