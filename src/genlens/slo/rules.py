"""Prometheus recording and alerting rules for SLOs, over the series of ``/metrics``, in Sloth's names.

Rule names, labels and group names are Sloth's (``slo:sli_error:ratio_rate5m`` …
``ratio_rate3d``, ``slo:objective:ratio``, ``slo:error_budget:ratio``,
``slo:current_burn_rate:ratio``, ``slo:period_error_budget_remaining:ratio`` with
``sloth_id``/``sloth_service``/``sloth_slo``/``sloth_window``), so dashboards and
Alertmanager routes built for Sloth work unchanged.  The alerts are the SRE
workbook's pairs (:data:`~genlens.slo.windows.PAIRS`), one page and one ticket
alert per SLO told apart by ``sloth_severity``.

A typed SLI becomes PromQL over the metric catalog: availability over
``llm_requests_total``, TTFT and latency over the histogram bucket whose bound is
the threshold (so a threshold must be a bucket bound), cost over
``llm_cost_per_call_usd``.  A slice must be a label of that metric.  A Sloth file's
PromQL passes through unchanged.  An SLO given as span predicates has no metric
equivalent: genlens computes it, and the export says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from genlens.errors import ConfigError
from genlens.metrics.catalog import FAMILIES_BY_NAME
from genlens.metrics.series import le_labels
from genlens.slo.spec import SLO
from genlens.slo.windows import PAIRS, WINDOWS

_TYPED = {"availability": "llm_requests_total", "ttft": "llm_ttft_seconds", "latency": "llm_total_latency_seconds",
          "cost": "llm_cost_per_call_usd"}


def _selector(pairs: Sequence[tuple[str, str]]) -> str:
    return ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def queries(slo: SLO) -> tuple[str, str]:
    """(error_query, total_query) with ``{{.window}}``, or ConfigError saying why there are none."""
    if slo.error_query is not None and slo.total_query is not None:
        return slo.error_query, slo.total_query
    if slo.sli_type is None:
        raise ConfigError(f"SLO {slo.id}: given as span predicates, it is computed by genlens; write it as a "
                          "typed SLI (availability, ttft, latency, cost) to export it to Prometheus")
    family = FAMILIES_BY_NAME[_TYPED[slo.sli_type]]
    labels = dict(slo.where)
    if set(labels) - set(family.labels):
        raise ConfigError(f"SLO {slo.id}: {family.name} has no label {sorted(set(labels) - set(family.labels))}; "
                          f"slice by {', '.join(family.labels)} to export it")
    sel = _selector(sorted(labels.items()))
    if slo.sli_type == "availability":
        error_sel = _selector(sorted({**labels, "status": "error"}.items()))
        return (f"sum(rate({family.name}{{{error_sel}}}[{{{{.window}}}}]))",
                f"sum(rate({family.name}{{{sel}}}[{{{{.window}}}}]))")
    assert slo.threshold is not None
    le = next((text for bound, text in zip(family.buckets, le_labels(family.buckets), strict=False)
               if abs(bound - slo.threshold) <= 1e-12 * max(1.0, bound)), None)
    if le is None:
        raise ConfigError(f"SLO {slo.id}: threshold {slo.threshold} is not a bucket bound of {family.name} "
                          f"({', '.join(str(b) for b in family.buckets)})")
    bucket_sel = _selector(sorted({**labels, "le": le}.items()))
    total = f"sum(rate({family.name}_count{{{sel}}}[{{{{.window}}}}]))"
    good = f"sum(rate({family.name}_bucket{{{bucket_sel}}}[{{{{.window}}}}]))"
    return f"({total} - {good})", total


def _labels(slo: SLO, **extra: str) -> dict[str, str]:
    return {**dict(slo.labels), "sloth_id": slo.id, "sloth_service": slo.service, "sloth_slo": slo.name, **extra}


def rule_groups(slo: SLO) -> list[dict[str, Any]]:
    """The three Sloth rule groups of one SLO."""
    error_q, total_q = queries(slo)
    budget = 1.0 - slo.objective
    days = slo.period_s / 86400
    period = f"{slo.period_s // 86400}d" if slo.period_s % 86400 == 0 else f"{slo.period_s // 3600}h"
    match = f'{{sloth_id="{_escape(slo.id)}", sloth_service="{_escape(slo.service)}", sloth_slo="{_escape(slo.name)}"}}'
    on = "on(sloth_id, sloth_slo, sloth_service) group_left"
    sli = [{"record": f"slo:sli_error:ratio_rate{w}",
            "expr": f"({error_q.replace('{{.window}}', w)})\n/\n({total_q.replace('{{.window}}', w)})",
            "labels": _labels(slo, sloth_window=w)} for w in WINDOWS]
    sli.append({"record": f"slo:sli_error:ratio_rate{period}",
                "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{match}[{period}])\n/ ignoring (sloth_window)\n"
                        f"count_over_time(slo:sli_error:ratio_rate5m{match}[{period}])",
                "labels": _labels(slo, sloth_window=period)})
    meta = [
        {"record": "slo:objective:ratio", "expr": f"vector({slo.objective!r})", "labels": _labels(slo)},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1-{slo.objective!r})", "labels": _labels(slo)},
        {"record": "slo:time_period:days", "expr": f"vector({days:g})", "labels": _labels(slo)},
        {"record": "slo:current_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate5m{match}\n/ {on}\nslo:error_budget:ratio{match}", "labels": _labels(slo)},
        {"record": "slo:period_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate{period}{match}\n/ {on}\nslo:error_budget:ratio{match}",
         "labels": _labels(slo)},
        {"record": "slo:period_error_budget_remaining:ratio", "expr": f"1 - slo:period_burn_rate:ratio{match}",
         "labels": _labels(slo, sloth_window=period)},
        {"record": "sloth_slo_info", "expr": "vector(1)",
         "labels": _labels(slo, sloth_objective=f"{slo.objective * 100:g}", sloth_mode="cli-gen-prom",
                           sloth_spec="prometheus/v1", sloth_version="genlens")},
    ]
    alerts = []
    for severity in ("page", "ticket"):
        terms = [f"(max(slo:sli_error:ratio_rate{p.short}{match} > ({p.factor:g} * {budget!r})) without (sloth_window)\n"
                 f"and\nmax(slo:sli_error:ratio_rate{p.long}{match} > ({p.factor:g} * {budget!r})) without "
                 "(sloth_window))" for p in PAIRS if p.severity == severity]
        windows = ", ".join(f"{p.factor:g}x over {p.long} and {p.short}" for p in PAIRS if p.severity == severity)
        alerts.append({
            "alert": f"{_camel(slo.service)}{_camel(slo.name)}ErrorBudgetBurn",
            "expr": "\nor\n".join(terms),
            "labels": {**dict(slo.labels), "sloth_severity": severity, "severity": severity,
                       "sloth_id": slo.id, "sloth_service": slo.service, "sloth_slo": slo.name},
            "annotations": {"summary": f"{slo.service} {slo.name}: error budget burning ({windows})",
                            "title": f"({severity}) {slo.service} {slo.name} SLO error budget burn rate is too fast."},
        })
    return [
        {"name": f"sloth-slo-sli-recordings-{slo.id}", "rules": sli},
        {"name": f"sloth-slo-meta-recordings-{slo.id}", "rules": meta},
        {"name": f"sloth-slo-alerts-{slo.id}", "rules": alerts},
    ]


def _camel(text: str) -> str:
    parts = [p for p in text.replace("-", "_").replace(".", "_").split("_") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or "Slo"


def rules_document(slos: Sequence[SLO]) -> tuple[dict[str, Any], list[str]]:
    """(the ``groups:`` document of every exportable SLO, one line per SLO left out and why)."""
    groups: list[dict[str, Any]] = []
    skipped: list[str] = []
    for slo in slos:
        try:
            groups.extend(rule_groups(slo))
        except ConfigError as exc:
            skipped.append(str(exc))
    return {"groups": groups}, skipped
