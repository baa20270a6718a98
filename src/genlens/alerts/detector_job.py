"""The detector alert job: every interval, the built-in detectors and written rules at the latest step.

It replays the rules with :class:`~genlens.alerts.evaluation.Evaluator` over the
recent past that decides the current state (twice the longest window + trailing
baseline + ``for``: long enough to see when a bad run began, so its baseline is
held from before the incident, exactly as ``genlens detect`` holds it) and makes
the episodes still firing at the latest step boundary ``alerts.delay`` ago (spans
arrive after their calls end) the job's firing set; the
book publishes each new one once and resolves the others.  One alert per rule and
slice (its fingerprint is the rule name, severity and slice labels).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from urllib.parse import urlencode

from genlens.alerts.book import AlertingJob
from genlens.alerts.detectors import Rule, shown
from genlens.alerts.evaluation import Episode, Evaluator
from genlens.alerts.notify import Alert, Delivery
from genlens.alerts.slo_job import RUNBOOKS
from genlens.store.base import AnalyticsReader

_LINK_KEYS = ("feature", "model", "provider", "tenant", "service")


def episode_alert(episode: Episode, ui_url: str) -> Alert:
    """The alert an episode raises: summary, slice, window, baseline, link, runbook, example traces."""
    rule = episode.rule
    data = episode.as_dict()
    where = ", ".join(f"{k}={v}" for k, v in episode.labels) or "all calls"
    what = rule.aggregate.replace("_ttft", " TTFT").replace("_", " ")
    summary = f"{what} of {where} is {shown(episode.value, rule.unit)}"
    if episode.baseline is not None:
        kind = "the same hour on earlier days" if episode.baseline_from == "same_hour" \
            else f"the {data['trailing']} before"
        ratio = f", {episode.value / episode.baseline:.1f}x" if episode.baseline > 0 else ""
        summary += f" (baseline {shown(episode.baseline, rule.unit)}, {kind}{ratio})"
    query = {k: v for k, v in episode.labels if k in _LINK_KEYS}
    if rule.aggregate == "error_rate":
        query["status"] = "error"
    link = f"{ui_url.rstrip('/')}/traces" + (f"?{urlencode(query)}" if query else "")
    annotations = (("slice", where), ("window", data["window"]), ("condition", data["condition"]),
                   ("link", link), ("runbook", f"{RUNBOOKS}/{rule.runbook}"))
    return Alert(rule.name, rule.severity, (*episode.labels, *rule.labels, ("source", "genlens-detector")),
                 summary, annotations, episode.fired_ns, example_trace_ids=episode.example_trace_ids)


class DetectorAlertJob(AlertingJob):
    name = "detector-alerts"

    def __init__(self, reader: AnalyticsReader, rules: Sequence[Rule], delivery: Delivery, interval_s: float,
                 step_ns: int, ui_url: str = "http://127.0.0.1:4318", *, delay_ns: int = 0) -> None:
        super().__init__(delivery, interval_s)
        self.evaluator = Evaluator(reader, rules, step_ns)
        self._ui = ui_url
        self.delay_ns = delay_ns
        # how far back each evaluation replays: far enough to see when a bad run began, so an anomaly's
        # baseline is held at its value from before the incident (as the replay of `genlens detect` holds it)
        self.lookback_ns = 2 * max((r.window_ns + r.trailing_ns + r.for_ns for r in rules), default=0)

    def run_once(self, now_ns: int | None = None) -> list[Alert]:
        now = time.time_ns() if now_ns is None else now_ns
        at = now - self.delay_ns  # spans of calls still running, or in an export batch, have not arrived yet
        firing = []
        for episode in self.evaluator.evaluate(at - self.lookback_ns, at):
            if episode.firing:
                alert = episode_alert(episode, self._ui)
                firing.append(self.active.get(alert.fingerprint) or alert)
        self.reconcile(firing, now)
        return list(self.active.values())
