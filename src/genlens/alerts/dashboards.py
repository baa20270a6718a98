"""Grafana dashboards over the ``/metrics`` series, in three tiers, built with ``grafana-foundation-sdk``.

* **executive** — SLO lights (budget left per SLO), current burn rates, cost per hour and per feature;
* **operator** — p95 latency and TTFT by feature and model, errors in three lines (provider errors,
  validation errors, guardrail rejections), tokens by type, cache-hit ratio, decode rate;
* **debug** — the models and features failing or slowest right now, with links into genlens' trace
  list filtered to them (the traces themselves live in genlens, not in Prometheus).

Every query uses ``$__rate_interval``; :func:`queries` lists them so a test can run each against a real
Prometheus.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.dashboard import Row
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DashboardLinkType

RATE = "$__rate_interval"
ERRORS = '{status="error"}'


def _rate(metric: str, by: str = "", selector: str = "") -> str:
    """``sum [by (…)] (rate(metric{…}[$__rate_interval]))``."""
    return f"sum{f' by ({by})' if by else ''} (rate({metric}{selector}[{RATE}]))"


def _query(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref)


def _series(title: str, unit: str, *queries: tuple[str, str]) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).height(8).span(12)
    for i, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + i)))
    return panel


def _stat(title: str, unit: str, expr: str, legend: str) -> stat.Panel:
    return stat.Panel().title(title).unit(unit).height(6).span(12).with_target(_query(expr, legend))


def _base(uid: str, title: str, genlens_url: str) -> dashboard.Dashboard:
    link = (dashboard.DashboardLink("genlens traces").url(f"{genlens_url}/traces").target_blank(True)
            .type(DashboardLinkType.LINK))
    return (dashboard.Dashboard(title).uid(uid).tags(["genlens", "llm"]).refresh("30s").time("now-6h", "now")
            .link(link))


def executive(genlens_url: str) -> dashboard.Dashboard:
    return (_base("genlens-executive", "genlens / executive", genlens_url)
            .with_row(Row("SLOs"))
            .with_panel(_stat("Error budget left (30 d)", "percentunit",
                              "slo:period_error_budget_remaining:ratio", "{{sloth_service}} {{sloth_slo}}"))
            .with_panel(_stat("Burn rate now (5 m)", "x", "slo:current_burn_rate:ratio",
                              "{{sloth_service}} {{sloth_slo}}"))
            .with_row(Row("Cost"))
            .with_panel(_series("Cost per hour", "currencyUSD",
                                (f"sum(rate(llm_cost_usd_total[{RATE}])) * 3600", "all")))
            .with_panel(_series("Cost per hour by feature", "currencyUSD",
                                (f"sum by (feature) (rate(llm_cost_usd_total[{RATE}])) * 3600", "{{feature}}"))))


def operator(genlens_url: str) -> dashboard.Dashboard:
    p95 = "histogram_quantile(0.95, sum by (le, {by}) (rate({metric}_bucket[{rate}])))"
    return (_base("genlens-operator", "genlens / operator", genlens_url)
            .with_row(Row("Latency"))
            .with_panel(_series("p95 total latency by feature", "s",
                                (p95.format(by="feature", metric="llm_total_latency_seconds", rate=RATE), "{{feature}}")))
            .with_panel(_series("p95 time to first token by model", "s",
                                (p95.format(by="model", metric="llm_ttft_seconds", rate=RATE), "{{model}}")))
            .with_row(Row("Errors"))
            .with_panel(_series("Errors per second", "reqps",
                                (_rate("llm_api_errors_total", "provider"), "provider {{provider}}"),
                                (_rate("llm_validation_errors_total"), "validation"),
                                (_rate("llm_guardrail_rejections_total"), "guardrail")))
            .with_panel(_series("Error ratio by provider", "percentunit",
                                (_rate("llm_requests_total", "provider", ERRORS) + " / "
                                 + _rate("llm_requests_total", "provider"), "{{provider}}")))
            .with_row(Row("Tokens and cache"))
            .with_panel(_series("Tokens per second by type", "short",
                                *((_rate(f"llm_{kind}_tokens_total"), kind.replace("_", " "))
                                  for kind in ("input", "output", "cache_read", "cache_write"))))
            .with_panel(_series("Cache-hit ratio by feature", "percentunit",
                                (f'{_rate("llm_cache_read_tokens_total", "feature")} / '
                                 f'{_rate("llm_input_tokens_total", "feature")}', "{{feature}}")))
            .with_panel(_series("Median decode rate by model", "short",
                                ("histogram_quantile(0.5, sum by (le, model) "
                                 f"(rate(llm_decode_tokens_per_second_bucket[{RATE}])))", "{{model}}"))))


def debug(genlens_url: str) -> dashboard.Dashboard:
    failing = timeseries.Panel().title("Failing now: errors per second by model and feature (open in genlens)") \
        .unit("reqps").height(8).span(24) \
        .with_target(_query(f'topk(10, sum by (model, feature) (rate(llm_requests_total{{status="error"}}[{RATE}])))',
                            "{{model}} {{feature}}"))
    slow = timeseries.Panel().title("Slowest now: p99 total latency by model and feature").unit("s").height(8) \
        .span(24).with_target(_query("topk(10, histogram_quantile(0.99, sum by (le, model, feature) "
                                     f"(rate(llm_total_latency_seconds_bucket[{RATE}]))))", "{{model}} {{feature}}"))
    return (_base("genlens-debug", "genlens / debug", genlens_url)
            .link(dashboard.DashboardLink("failed traces in genlens").type(DashboardLinkType.LINK)
                  .url(f"{genlens_url}/traces?status=error").target_blank(True))
            .link(dashboard.DashboardLink("slowest traces in genlens").type(DashboardLinkType.LINK)
                  .url(f"{genlens_url}/traces?sort=duration").target_blank(True))
            .with_panel(failing).with_panel(slow))


TIERS = {"executive": executive, "operator": operator, "debug": debug}


def export(genlens_url: str) -> dict[str, dict[str, Any]]:
    """Each tier's dashboard as Grafana JSON (a dict), by tier name."""
    encoder = JSONEncoder(sort_keys=True, indent=2)
    return {tier: json.loads(encoder.encode(build(genlens_url.rstrip("/")).build()))
            for tier, build in TIERS.items()}


def queries(board: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard's panels."""
    return [target["expr"] for panel in board.get("panels", []) for target in panel.get("targets", [])
            if "expr" in target]
