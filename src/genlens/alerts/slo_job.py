"""The SLO alert job: every interval, each SLO's burn-rate pairs become one page and one ticket alert.

One alert per SLO and severity (its fingerprint is the SLO id and severity), so an
incident that keeps burning is one alert however many evaluations see it: a
webhook hears of it when it fires and when it resolves; Alertmanager is told
again on every evaluation while it fires (as Prometheus does) and once with
``endsAt`` when it resolves.  Each alert carries the slice and windows, a link to
the UI's traces filtered to the SLO's slice and failures, example trace ids, and
the runbook for its kind.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from genlens.alerts.book import AlertingJob
from genlens.alerts.notify import Alert, Delivery
from genlens.slo.engine import SloStatus, evaluate
from genlens.slo.spec import SLO
from genlens.store.base import TraceReader
from genlens.store.queries import ALL_TENANTS, TraceQuery

NAME = "SloErrorBudgetBurn"
RUNBOOKS = "docs/runbooks"
# SLI type → the runbook of its kind
RUNBOOK_OF = {"availability": "provider-outage.md", "ttft": "latency-spike.md", "latency": "latency-spike.md",
              "cost": "cost-spike.md", None: "incident.md"}


class SloAlertJob(AlertingJob):
    name = "slo-alerts"

    def __init__(self, reader: Any, slos: Sequence[SLO], delivery: Delivery, interval_s: float,
                 ui_url: str = "http://127.0.0.1:4318") -> None:
        super().__init__(delivery, interval_s)
        self._reader = reader  # AnalyticsReader and TraceReader
        self._slos = [slo for slo in slos if slo.computed_by_genlens]
        self._ui = ui_url.rstrip("/")

    def run_once(self, now_ns: int | None = None) -> list[Alert]:
        """Evaluate every SLO at ``now_ns`` (default: now); returns the alerts firing afterwards."""
        now = time.time_ns() if now_ns is None else now_ns
        firing = []
        for status in evaluate(self._reader, self._slos, now):
            for severity in ("page", "ticket"):
                pairs = [f for f in status.firing if f.startswith(severity)]
                if not pairs:
                    continue
                key = Alert(NAME, severity, _labels(status.slo), "").fingerprint
                firing.append(self.active.get(key) or self._alert(status, severity, pairs, now))
        self.reconcile(firing, now)
        return list(self.active.values())

    def _alert(self, status: SloStatus, severity: str, pairs: list[str], now: int) -> Alert:
        slo = status.slo
        where = dict(slo.where)
        burn = status.burn_rates.get("5m")
        summary = (f"SLO {slo.id} is burning its error budget ({'; '.join(p.split(': ', 1)[1] for p in pairs)})"
                   + (f": {burn:.1f}x over the last 5m" if burn is not None else ""))
        query = {k: v for k, v in where.items() if k in ("feature", "model", "tenant", "service")}
        query.update({"status": "error"} if slo.sli_type == "availability" else {})
        link = f"{self._ui}/traces?{urlencode(query)}" if query else f"{self._ui}/traces"
        annotations = (
            ("slice", ", ".join(f"{k}={v}" for k, v in where.items()) or "all calls"),
            ("windows", "; ".join(pairs)),
            ("objective", f"{slo.objective * 100:g}% over {slo.period_s // 86400}d"),
            ("link", link),
            ("runbook", f"{RUNBOOKS}/{RUNBOOK_OF.get(slo.sli_type, 'incident.md')}"),
        )
        return Alert(NAME, severity, _labels(slo), summary, annotations, now,
                     example_trace_ids=tuple(self._examples(slo, now)))

    def _examples(self, slo: SLO, now: int) -> list[str]:
        reader: TraceReader = self._reader
        where = dict(slo.where)
        query = TraceQuery(where.get("tenant", ALL_TENANTS), start_ns=now - 3600 * 10**9, end_ns=now,
                           feature=where.get("feature"), model=where.get("model"),
                           service=where.get("service"), provider=where.get("provider"),
                           status="error" if slo.sli_type == "availability" else None,
                           sort="duration" if slo.sli_type in ("ttft", "latency") else "time", limit=5)
        try:
            return [row["trace_id"] for row in reader.search_traces(query)][:5]
        except Exception:  # noqa: BLE001 - examples are a courtesy; the alert goes out without them
            return []


def _labels(slo: SLO) -> tuple[tuple[str, str], ...]:
    return (("sloth_id", slo.id), ("sloth_service", slo.service), ("sloth_slo", slo.name), *slo.labels)
