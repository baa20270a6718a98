"""Plotly figure specs (plain dicts) for the overview page, built server-side.

The browser only calls ``Plotly.newPlot`` on each spec (static/charts.js), so
every number a chart shows is in the page's JSON twin too.  Prompt-version
changes become vertical markers on every time-axis chart.
"""

from __future__ import annotations

from typing import Any

from genlens.query.overview import Overview
from genlens.server.ui.render import fmt_time as iso  # the time axis reads as the tables do (UTC)

PALETTE = ["#4f6bed", "#e8793a", "#2fa37a", "#c2417f", "#8a63d2", "#d4a72c", "#3a9fc2", "#7a8a99", "#b85450"]


def _layout(title: str, y: str = "", **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 14}, "x": 0.01, "xanchor": "left"},
        "margin": {"l": 56, "r": 16, "t": 36, "b": 36}, "height": 260,
        "legend": {"orientation": "h", "y": -0.18, "font": {"size": 11}},
        "yaxis": {"title": {"text": y, "font": {"size": 11}}, "rangemode": "tozero", "gridcolor": "#eceef2"},
        "xaxis": {"gridcolor": "#f3f4f7"},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 11, "color": "#2b2f36"},
        "colorway": PALETTE, "hovermode": "x unified",
    }
    layout.update(extra)
    return layout


def _markers(ov: Overview) -> dict[str, Any]:
    shapes, notes = [], []
    for change in ov.prompt_changes:
        x = iso(change["first_ns"])
        shapes.append({"type": "line", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1,
                       "line": {"color": "#c2417f", "width": 1, "dash": "dot"}})
        notes.append({"x": x, "yref": "paper", "y": 1, "showarrow": False, "yanchor": "bottom",
                      "text": f"{change['prompt_id']} v{change['version']}", "font": {"size": 9, "color": "#c2417f"}})
    return {"shapes": shapes, "annotations": notes}


def _bucket_times(ov: Overview) -> list[str]:
    return [iso(b["t"]) for b in ov.buckets]


def overview_charts(ov: Overview) -> dict[str, dict[str, Any]]:
    charts: dict[str, dict[str, Any]] = {}
    days = [iso(d["day_ns"])[:10] for d in ov.daily]
    costs = [round(d["cost_usd"], 6) for d in ov.daily]
    full = costs[:-1]
    trend = ov.kpis["trend_usd_per_day"]
    mean = sum(full) / len(full) if full else 0.0
    mid = (len(full) - 1) / 2
    charts["daily_cost"] = {
        "data": [
            {"type": "bar", "name": "cost / day", "x": days, "y": costs, "marker": {"color": PALETTE[0]}},
            {"type": "scatter", "mode": "lines", "name": "7-day trend", "x": days[:-1],
             "y": [round(max(0.0, mean + trend * (i - mid)), 6) for i in range(len(full))],
             "line": {"dash": "dash", "color": PALETTE[1]}},
        ],
        "layout": _layout("Cost per day (last 7 days + today)", "USD", hovermode="closest"),
    }
    charts["cost_by_feature"] = {
        "data": [{"type": "bar", "name": name, "x": days,
                  "y": [round(d["by_feature"].get(name, 0.0), 6) for d in ov.daily]} for name in ov.features],
        "layout": _layout("Cost per feature per day", "USD", barmode="stack"),
    }
    features = [f["feature"] for f in ov.by_feature]
    charts["latency_by_feature"] = {
        "data": [{"type": "bar", "name": f"{label} latency", "x": features,
                  "y": [f["latency_s"][i] for f in ov.by_feature]} for i, label in enumerate(("p50", "p95", "p99"))]
        + [{"type": "scatter", "mode": "markers", "name": f"{label} TTFT", "x": features,
            "y": [f["ttft_s"][i] for f in ov.by_feature], "marker": {"symbol": "diamond", "size": 8}}
           for i, label in enumerate(("p50", "p95", "p99"))],
        "layout": _layout("LLM latency and TTFT by feature", "seconds", barmode="group", hovermode="closest"),
    }
    charts["cache_hit"] = {
        "data": [{"type": "bar", "name": "cache-hit rate", "x": features,
                  "y": [f["cache_hit_rate"] for f in ov.by_feature], "marker": {"color": PALETTE[2]}}],
        "layout": _layout("Cache-hit rate by feature (cache-read / input tokens)", "",
                          yaxis={"tickformat": ".0%", "rangemode": "tozero", "gridcolor": "#eceef2"},
                          hovermode="closest"),
    }
    times = _bucket_times(ov)
    markers = _markers(ov)
    charts["errors"] = {
        "data": [{"type": "scatter", "mode": "lines", "name": label, "x": times,
                  "y": [b[key] for b in ov.buckets], "line": {"color": color}}
                 for key, label, color in (("api_errors", "API errors", PALETTE[8]),
                                           ("validation_errors", "validation errors", PALETTE[5]),
                                           ("guardrail_rejections", "guardrail rejections", PALETTE[4]))],
        "layout": _layout(f"Errors per {ov.bucket_s // 60} min", "count", **markers),
    }
    charts["tokens"] = {
        "data": [{"type": "scatter", "mode": "lines", "stackgroup": "tokens", "name": label, "x": times,
                  "y": [b[key] or 0 for b in ov.buckets]}
                 for key, label in (("input_uncached", "input (uncached)"), ("output_tokens", "output"),
                                    ("cache_read", "cache read"), ("cache_write", "cache write"))],
        "layout": _layout(f"Tokens by type per {ov.bucket_s // 60} min", "tokens", **markers),
    }
    charts["decode"] = {
        "data": [{"type": "scatter", "mode": "lines", "name": model, "x": [iso(t) for t, _ in points],
                  "y": [round(v, 2) for _, v in points]} for model, points in ov.decode.items()],
        "layout": _layout("Decode tokens/s by model", "tokens/s", **markers),
    }
    per_min = 60 / ov.bucket_s
    charts["throughput"] = {
        "data": [
            {"type": "scatter", "mode": "lines", "name": "requests/min", "x": times,
             "y": [round(b["requests"] * per_min, 3) for b in ov.buckets]},
            {"type": "scatter", "mode": "lines", "name": "tokens/min", "x": times, "yaxis": "y2",
             "y": [round(((b["input_uncached"] or 0) + (b["output_tokens"] or 0) + (b["cache_read"] or 0)
                          + (b["cache_write"] or 0)) * per_min, 1) for b in ov.buckets]},
        ],
        "layout": _layout("Requests and tokens per minute", "requests/min", margin={"l": 56, "r": 64, "t": 36, "b": 36},
                          yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
                                  "title": {"text": "tokens/min", "font": {"size": 11}}},
                          **markers),
    }
    return charts
