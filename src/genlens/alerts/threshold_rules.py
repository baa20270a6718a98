"""Threshold alert rules over the ``/metrics`` series, with the field guides' default thresholds.

These complement the SLO burn-rate rules (``genlens slo rules``): they need no SLO
and catch the common incidents of an LLM service — a provider failing, nothing
succeeding, slow first tokens, slow calls, refusals, spend.  Written as Prometheus
alerting rules (``genlens alerts rules``) so they run where the team's other
alerts run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ThresholdRule:
    name: str
    expr: str
    for_: str
    severity: str  # page | ticket | info
    summary: str
    runbook: str


def _ratio(numerator: str, denominator: str, by: str, window: str) -> str:
    return (f"sum by ({by}) (rate({numerator}[{window}]))\n/\n"
            f"sum by ({by}) (rate({denominator}[{window}]))")


RULES: tuple[ThresholdRule, ...] = (
    ThresholdRule("LLMProviderErrorRateHigh",
                  _ratio('llm_requests_total{status="error"}', "llm_requests_total", "provider, model", "5m")
                  + " > 0.05", "2m", "page",
                  "{{ $labels.provider }} {{ $labels.model }}: {{ $value | humanizePercentage }} of calls fail",
                  "provider-outage.md"),
    ThresholdRule("LLMProviderDown",
                  'sum by (provider) (rate(llm_requests_total{status="ok"}[2m])) == 0\n'
                  "and\nsum by (provider) (rate(llm_requests_total[2m])) > 0", "2m", "page",
                  "{{ $labels.provider }}: no call has succeeded for 2 minutes", "provider-outage.md"),
    ThresholdRule("LLMTimeToFirstTokenHigh",
                  "histogram_quantile(0.95, sum by (le, model) (rate(llm_ttft_seconds_bucket[5m]))) > 3", "3m",
                  "page", "{{ $labels.model }}: p95 time to first token is {{ $value | humanizeDuration }}",
                  "latency-spike.md"),
    ThresholdRule("LLMLatencyHigh",
                  "histogram_quantile(0.95, sum by (le, model, feature) "
                  "(rate(llm_total_latency_seconds_bucket[10m]))) > 8", "10m", "ticket",
                  "{{ $labels.feature }} on {{ $labels.model }}: p95 latency is {{ $value | humanizeDuration }}",
                  "latency-spike.md"),
    ThresholdRule("LLMRefusalRateHigh",
                  _ratio("llm_refusals_total", "llm_requests_total", "feature, model", "10m") + " > 0.05", "10m",
                  "ticket", "{{ $labels.feature }} on {{ $labels.model }}: {{ $value | humanizePercentage }} refused",
                  "refusal-spike.md"),
    ThresholdRule("LLMSpendHigh", "sum(rate(llm_cost_usd_total[5m])) * 3600 > 50", "5m", "ticket",
                  "LLM spend is running at ${{ $value | humanize }} per hour", "cost-spike.md"),
)


def rules_document(runbooks: str = "docs/runbooks") -> dict[str, Any]:
    """The ``groups:`` document of the threshold rules."""
    return {"groups": [{"name": "genlens-thresholds", "rules": [
        {"alert": r.name, "expr": r.expr, "for": r.for_,
         "labels": {"severity": r.severity, "source": "genlens"},
         "annotations": {"summary": r.summary, "runbook": f"{runbooks.rstrip('/')}/{r.runbook}"}}
        for r in RULES]}]}
