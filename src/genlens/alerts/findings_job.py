"""The detectors' findings become alerts: one incident, one alert, naming every tenant it touched.

The cost detectors store one finding per tenant (a prompt version shipped to ten
tenants is ten findings); an alert groups them by what happened — kind, feature,
prompt sha, conversation — and lists the tenants.  A group fires while any of its
findings was detected within ``fresh_s`` and resolves after.  Critical findings
are tickets, the others info: findings are about money and trends, not outages.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from genlens.alerts.book import AlertingJob
from genlens.alerts.notify import Alert, Delivery
from genlens.alerts.slo_job import RUNBOOKS
from genlens.store.base import FindingsReader
from genlens.store.queries import ALL_TENANTS

NAME = "GenlensFinding"
SUBJECT = ("kind", "feature", "prompt_sha", "conversation_id")
RUNBOOK_OF = {"runaway_conversation": "runaway-conversation.md"}  # every other kind is about cost


class FindingsAlertJob(AlertingJob):
    name = "finding-alerts"

    def __init__(self, reader: FindingsReader, delivery: Delivery, interval_s: float, fresh_s: float,
                 ui_url: str = "http://127.0.0.1:4318") -> None:
        super().__init__(delivery, interval_s)
        self._reader = reader
        self._fresh_ns = int(fresh_s * 1e9)
        self._ui = ui_url.rstrip("/")

    def run_once(self, now_ns: int | None = None) -> list[Alert]:
        now = time.time_ns() if now_ns is None else now_ns
        rows = self._reader.findings(ALL_TENANTS, since_ns=now - self._fresh_ns, limit=10_000)
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            if int(row.get("detected_at_ns") or 0) >= now - self._fresh_ns:
                groups[tuple(row.get(k) for k in SUBJECT)].append(row)
        firing = []
        for subject, found in groups.items():
            alert = self._alert(subject, found, now)
            firing.append(self.active.get(alert.fingerprint) or alert)
        self.reconcile(firing, now)
        return list(self.active.values())

    def _alert(self, subject: tuple[Any, ...], found: list[dict[str, Any]], now: int) -> Alert:
        kind, feature, sha, conversation = subject
        labels = tuple((k, str(v)) for k, v in zip(SUBJECT, subject, strict=True) if v is not None)
        tenants = sorted({str(f["tenant"]) for f in found})
        worst = max(found, key=lambda f: float(f.get("ratio") or 0.0))
        severity = "ticket" if any(f.get("severity") == "critical" for f in found) else "info"
        what = kind.replace("_", " ")
        where = ", ".join(p for p in (f"feature {feature}" if feature else "", f"prompt {sha}" if sha else "",
                                      f"conversation {conversation}" if conversation else "") if p)
        ratio = worst.get("ratio")
        summary = (f"{what}{f' ({where})' if where else ''} in {len(tenants)} tenant(s)"
                   + (f": {float(ratio):.2f}x the baseline" if ratio else ""))
        link = f"{self._ui}/traces" + (f"?feature={feature}" if feature else "")
        annotations = (("tenants", ", ".join(tenants)), ("link", link),
                       ("runbook", f"{RUNBOOKS}/{RUNBOOK_OF.get(kind, 'cost-spike.md')}"),
                       ("findings", ", ".join(sorted(str(f["id"]) for f in found))))
        examples = tuple(dict.fromkeys(t for f in found for t in (f.get("example_trace_ids") or [])))[:5]
        starts = min(int(f.get("first_detected_ns") or now) for f in found)
        return Alert(NAME, severity, labels, summary, annotations, starts, example_trace_ids=examples)
