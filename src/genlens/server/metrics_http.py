"""``GET /metrics``: the span-derived metrics and the server's own ``genlens_*`` metrics.

The self-metrics are read from the live objects at scrape time (the ingestor's
outcome counters, the writer's queue and commit latency, the jobs' runs), so
they cost nothing between scrapes.  Exports refused whole (malformed, too
large, overloaded) are counted per export in ``genlens_exports_total{outcome}``:
their spans were never decoded, so they cannot be counted as spans.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from genlens.alerts.book import AlertingJob
from genlens.analysis.jobs import Job
from genlens.metrics.exposition import render
from genlens.metrics.series import le_labels
from genlens.metrics.spans import SpanMetrics
from genlens.pipeline.ingest import Ingestor
from genlens.pipeline.redaction import NOTE_PREFIX as REDACTION_NOTE
from genlens.server.sampling import SamplingJob
from genlens.store.writer import COMMIT_BUCKETS, Writer


class ServerStats:
    """A ``prometheus_client`` collector over the server's moving parts."""

    def __init__(self, ingestor: Ingestor, writer: Writer, jobs: Sequence[Job], spans: SpanMetrics | None,
                 alerts: Sequence[AlertingJob] = ()) -> None:
        self._alerts = alerts
        self._ingestor = ingestor
        self._writer = writer
        self._jobs = jobs
        self._spans = spans

    def collect(self) -> Iterator[Metric]:
        ing, w = self._ingestor, self._writer
        exports = CounterMetricFamily("genlens_exports_total", "OTLP exports answered, by signal and outcome.",
                                      labels=["signal", "outcome"])
        for (signal, outcome), count in sorted(ing.exports.items()):
            exports.add_metric([signal, outcome], count)
        yield exports
        yield CounterMetricFamily("genlens_spans_accepted_total", "Spans accepted for storage.",
                                  value=ing.spans_accepted)
        yield CounterMetricFamily("genlens_spans_received_total",
                                  "Spans decoded from accepted exports (accepted plus refused one by one).",
                                  value=ing.spans_accepted + sum(n for (signal, _), n in ing.items_rejected.items()
                                                               if signal == "traces"))
        yield CounterMetricFamily("genlens_content_seen_spans_total",
                                  "Accepted spans that arrived with content (prompts, outputs, tool arguments); "
                                  "compare genlens_content_kept_spans_total.", value=ing.content_seen)
        sampled = CounterMetricFamily("genlens_content_traces_total",
                                      "Traces whose content tail sampling decided, by decision (kept, dropped) "
                                      "and the policy that kept it (not_sampled: none did).",
                                      labels=["decision", "reason"])
        for job in self._jobs:
            if isinstance(job, SamplingJob):
                for decision, reason, n in job.counts():
                    sampled.add_metric([decision, reason], n)
        yield sampled
        redactions = CounterMetricFamily("genlens_redactions_total",
                                         "Sensitive values found by ingest redaction, by tier and type (the values "
                                         "themselves are never stored).", labels=["tier", "type"])
        for key, count in sorted(ing.notes.items()):
            if key.startswith(REDACTION_NOTE):
                tier, _, kind = key[len(REDACTION_NOTE):].partition(":")
                redactions.add_metric([tier, kind], count)
        yield redactions
        refused = CounterMetricFamily("genlens_items_rejected_total",
                                      "Items refused one by one inside accepted exports, by signal and reason "
                                      "(invalid_id, invalid_time, no_data, not_normalized, tenant: outside the API key's tenants).",
                                      labels=["signal", "reason"])
        for (signal, reason), count in sorted(ing.items_rejected.items()):
            refused.add_metric([signal, reason], count)
        yield refused
        yield CounterMetricFamily("genlens_stage_errors_total", "Exports refused because a stage raised.",
                                  value=ing.stage_errors)
        yield CounterMetricFamily("genlens_ingest_worker_restarts_total", "Ingest worker processes replaced.",
                                  value=ing.worker_restarts)
        yield GaugeMetricFamily("genlens_write_queue_items", "Items waiting for the writer.", value=w.queued_items)
        yield CounterMetricFamily("genlens_write_refused_total", "Exports refused because the write queue was full.",
                                  value=w.refused_batches)
        yield CounterMetricFamily("genlens_write_failures_total", "Exports whose commit failed.",
                                  value=w.failed_batches)
        yield CounterMetricFamily("genlens_committed_items_total", "Items committed by the writer.",
                                  value=w.committed_items)
        commit = HistogramMetricFamily("genlens_commit_seconds", "Duration of the writer's commits.")
        running = 0
        buckets = []
        for bound, count in zip(le_labels(COMMIT_BUCKETS), w.commit_buckets, strict=True):
            running += count
            buckets.append((bound, running))
        commit.add_metric([], buckets, sum_value=w.commit_seconds_total)
        yield commit
        yield CounterMetricFamily("genlens_observer_errors_total", "Observer calls that raised.",
                                  value=w.observer_errors)
        yield CounterMetricFamily("genlens_observed_batches_total", "Committed batches handed to the observers.",
                                  value=w.observed_batches)
        yield from self._job_metrics()
        if self._alerts:
            yield from self._alert_metrics(self._alerts)
        if self._spans is not None:
            yield from self._span_metric_stats(self._spans)

    def _job_metrics(self) -> Iterator[Metric]:
        runs = CounterMetricFamily("genlens_job_runs_total", "Background job runs that finished.", labels=["job"])
        failed = CounterMetricFamily("genlens_job_failures_total", "Background job runs that failed.",
                                     labels=["job"])
        seconds = CounterMetricFamily("genlens_job_seconds_total", "Time spent in background job runs.",
                                      labels=["job"])
        last = GaugeMetricFamily("genlens_job_last_duration_seconds", "Duration of each job's last run.",
                                 labels=["job"])
        for job in self._jobs:
            runs.add_metric([job.name], job.runs)
            failed.add_metric([job.name], job.failures)
            seconds.add_metric([job.name], job.seconds_total)
            last.add_metric([job.name], job.last_duration_s)
        yield from (runs, failed, seconds, last)

    @staticmethod
    def _alert_metrics(jobs: Sequence[AlertingJob]) -> Iterator[Metric]:
        firing = GaugeMetricFamily("genlens_alerts_firing", "Alerts firing now, by severity.", labels=["severity"])
        for severity in ("page", "ticket", "info"):
            firing.add_metric([severity], sum(1 for job in jobs for a in job.active.values() if a.severity == severity))
        yield firing
        deliveries = CounterMetricFamily("genlens_alert_deliveries_total",
                                         "Alert deliveries by notifier and outcome (delivered, retried, failed, "
                                         "dropped).", labels=["notifier", "outcome"])
        job = jobs[0]  # every alerting job hands its alerts to the one delivery
        stats = job.delivery.stats
        for outcome, counts in (("delivered", stats.delivered), ("retried", stats.retried),
                                ("failed", stats.failed), ("dropped", stats.dropped)):
            for notifier in job.delivery.notifiers:
                deliveries.add_metric([notifier.name, outcome], counts[notifier.name])
        yield deliveries

    @staticmethod
    def _span_metric_stats(spans: SpanMetrics) -> Iterator[Metric]:
        yield CounterMetricFamily("genlens_content_kept_spans_total",
                                  "Committed spans whose content was stored (before tail sampling decides on it).",
                                  value=spans.content_kept_spans)
        series = GaugeMetricFamily("genlens_metric_series", "Label combinations held per span-derived metric.",
                                   labels=["metric"])
        folded = CounterMetricFamily("genlens_metric_folded_total",
                                     "Observations folded into a metric's 'other' series by the series cap.",
                                     labels=["metric"])
        for name, count, folded_count in spans.stats():
            series.add_metric([name], count)
            folded.add_metric([name], folded_count)
        yield from (series, folded)


def metrics_route(spans: SpanMetrics | None, stats: ServerStats) -> Route:
    async def metrics(request: Request) -> Response:
        # off the event loop: the first scrape of many series encodes all of them
        body, content_type = await run_in_threadpool(render, request.headers.get("accept"), spans, [stats])
        return Response(body, media_type=None, headers={"Content-Type": content_type})

    return Route("/metrics", metrics, methods=["GET"])
