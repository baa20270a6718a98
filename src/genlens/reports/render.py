"""Render the cost report and findings as Markdown, JSON, CSV or text: the same numbers in every format."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import orjson

# (title, report key, key columns)
TABLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Total", "total", ()),
    ("Cost per feature", "by_feature", ("feature",)),
    ("Cost per feature and prompt version", "by_feature_prompt", ("feature", "prompt_sha")),
    ("Cost per tenant", "by_tenant", ("tenant",)),
    ("Cache-hit rate per feature", "cache_by_feature", ("feature",)),
)
COST_COLUMNS = ("cost_usd", "calls", "unknown_cost_calls", "input_tokens", "output_tokens", "cache_read_tokens",
                "cache_write_tokens", "reasoning_tokens")
CACHE_COLUMNS = ("cache_hit_rate", "cache_saved_usd", "input_tokens", "cache_read_tokens",
                 "cache_read_tokens_unpriced", "calls")
CSV_COLUMNS = ("table", "feature", "prompt_sha", "tenant", *COST_COLUMNS, "cache_hit_rate", "cache_saved_usd",
               "cache_read_tokens_unpriced")


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _rows(report: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = report[key]
    return [value] if isinstance(value, dict) else list(value)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "unknown" if column in ("cost_usd", "cache_saved_usd") else "—" if column == "cache_hit_rate" else "(none)"
    if column in ("cost_usd", "cache_saved_usd"):
        return f"${value:,.6f}"
    if column == "cache_hit_rate":
        return f"{value * 100:.2f} %"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Cost report {_when(report['start_ns'])} → {_when(report['end_ns'])} (tenant {report['tenant']})", ""]
    for title, key, keys in TABLES:
        columns = (*keys, *(CACHE_COLUMNS if key == "cache_by_feature" else COST_COLUMNS))
        lines += [f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in _rows(report, key):
            lines.append("| " + " | ".join(_cell(c, row.get(c)) for c in columns) + " |")
        lines.append("")
    unknown = report["total"].get("unknown_cost_calls", 0)
    if unknown:
        lines.append(f"{unknown:,} calls have no known price and are not in any cost above (never counted as $0).")
    return "\n".join(lines) + "\n"


def as_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for _title, key, _keys in TABLES:
        for row in _rows(report, key):
            writer.writerow({"table": key, **{k: ("" if v is None else repr(v) if isinstance(v, float) else v)
                                              for k, v in row.items()}})
    return out.getvalue()


def as_json(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str).decode() + "\n"


def findings_text(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return "no findings\n"
    lines = []
    for f in findings:
        subject = ", ".join(f"{k}={f[k]}" for k in ("tenant", "feature", "prompt_sha", "conversation_id") if f.get(k))
        ratio = f"  ratio {f['ratio']:.2f}" if f.get("ratio") is not None else ""
        baseline = "n/a" if f.get("baseline") is None else f"{f['baseline']:.6g}"
        lines.append(f"[{f['severity']}] {f['kind']}: {subject}")
        lines.append(f"    window {_when(f['window_start_ns'])} → {_when(f['window_end_ns'])}; "
                     f"observed {f['observed']:.6g} {f['unit']} vs baseline {baseline}{ratio}")
        if f.get("example_trace_ids"):
            lines.append(f"    examples: {', '.join(f['example_trace_ids'])}")
    return "\n".join(lines) + "\n"


def episodes_markdown(episodes: list[dict[str, Any]], start_ns: int, end_ns: int, title: str = "Alerts") -> str:
    """What would have fired over a range: one row per alert episode, oldest first."""
    from genlens.alerts.detectors import shown

    lines = [f"# {title} {_when(start_ns)} → {_when(end_ns)}", ""]
    if not episodes:
        return "\n".join([*lines, "Nothing would have fired.", ""])
    columns = ("alert", "severity", "slice", "fired", "resolved", "value", "peak", "baseline", "calls", "examples")
    lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for e in episodes:
        unit = e["unit"]
        baseline = shown(e["baseline"], unit) + (f" ({e['baseline_from']})" if e["baseline"] is not None else "")
        cells = (e["alert"], e["severity"], ", ".join(f"{k}={v}" for k, v in e["slice"].items()) or "all calls",
                 e["fired_at"], e["resolved_at"] or "still firing", shown(e["value"], unit), shown(e["peak"], unit),
                 baseline, f"{e['calls']:,}", ", ".join(e["example_trace_ids"][:3]))
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    lines += ["", "Conditions:", *sorted({f"- {e['alert']}: {e['condition']}, for {e['for']}" for e in episodes}), ""]
    return "\n".join(lines)
