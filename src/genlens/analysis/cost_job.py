"""The scheduled cost-detector job the server runs, and the thresholds it takes from settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from genlens.analysis.cost_detectors import Thresholds, detect
from genlens.analysis.jobs import Job
from genlens.settings import Settings
from genlens.store.base import AnalyticsReader, WriteBatch
from genlens.store.writer import Writer
from genlens.timeparse import parse_duration


def thresholds_from(settings: Settings) -> Thresholds:
    return Thresholds(
        regression_ratio=settings.cost_regression_ratio,
        regression_min_calls=settings.cost_regression_min_calls,
        cache_drop_pct=settings.cost_cache_drop_pct,
        anomaly_bucket=settings.cost_anomaly_bucket,
        anomaly_k=settings.cost_anomaly_k,
        token_budgets=dict(settings.budgets.tokens_per_day),
        runaway_tokens=settings.cost_runaway_tokens,
        runaway_turns=settings.cost_runaway_turns,
    )


def run_detectors(store: AnalyticsReader, start_ns: int, end_ns: int, thresholds: Thresholds, *,
                  writer: Writer | None = None, now_ns: int | None = None) -> list[dict[str, Any]]:
    """Detect over ``[start, end)``; given the ``writer``, the findings are stored through it (merged into
    earlier findings of the same subject) and returned as stored, else returned unsaved."""
    detected_at = time.time_ns() if now_ns is None else now_ns
    records = [f.record(detected_at) for f in detect(store, start_ns, end_ns, thresholds)]
    if writer is None or not records:
        return records
    return writer.submit(WriteBatch(findings=records)).result().findings


class CostDetectorJob(Job):
    """Every ``cost_detect_interval_s``: detect over the last ``cost_detect_lookback`` and store findings."""

    name = "cost-detectors"

    def __init__(self, store: AnalyticsReader, writer: Writer, settings: Settings,
                 clock: Callable[[], int] = time.time_ns) -> None:
        super().__init__(settings.cost_detect_interval_s or 1.0)
        self.store = store
        self.writer = writer
        self.thresholds = thresholds_from(settings)
        self.lookback_ns = parse_duration(settings.cost_detect_lookback)
        self.clock = clock
        self.findings_saved = 0

    def run_once(self) -> list[dict[str, Any]]:
        now = self.clock()
        stored = run_detectors(self.store, now - self.lookback_ns, now, self.thresholds, writer=self.writer,
                               now_ns=now)
        self.findings_saved += len(stored)
        return stored
