"""Exported Prometheus rules: promtool checks them, and its unit tests prove when the burn-rate alerts fire."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from genlens.errors import ConfigError
from genlens.slo.rules import queries, rules_document
from genlens.slo.spec import parse_documents

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

SLOS = """
service: support-bot
slos:
  - {name: api, sli: {type: availability}, objective: 0.995}
  - {name: ttft-1s, sli: {type: ttft, threshold: 1}, where: {feature: chat, model: gpt-4o}, objective: 0.95}
  - {name: total-5s, sli: {type: latency, threshold: 5}, objective: 0.99}
  - {name: cost-10c, sli: {type: cost, threshold: 0.1}, where: {provider: openai}, objective: 0.99}
  - {name: by-service, sli: {type: availability}, where: {service: checkout}, objective: 0.99}
  - {name: odd-threshold, sli: {type: ttft, threshold: 0.7}, objective: 0.99}
  - {name: predicate, sli: {bad: "status = error", total: "kind = llm"}, objective: 0.99}
"""


def _slos() -> list[Any]:
    return parse_documents([yaml.safe_load(SLOS)], "test")


def _write_rules(tmp_path: Path) -> tuple[Path, dict[str, Any], list[str]]:
    doc, skipped = rules_document(_slos())
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, doc, skipped


def test_promtool_checks_the_rules_and_unexportable_slos_are_named(tmp_path: Path) -> None:
    path, doc, skipped = _write_rules(tmp_path)
    result = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert len(doc["groups"]) == 3 * 4  # four exportable SLOs, three Sloth groups each
    assert len(skipped) == 3
    assert any("by-service" in s and "no label ['service']" in s for s in skipped)
    assert any("odd-threshold" in s and "not a bucket bound" in s for s in skipped)
    assert any("predicate" in s and "computed by genlens" in s for s in skipped)
    records = {r["record"] for g in doc["groups"] for r in g["rules"] if "record" in r}
    assert {f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")} <= records
    assert {"slo:objective:ratio", "slo:error_budget:ratio", "slo:current_burn_rate:ratio",
            "slo:period_error_budget_remaining:ratio", "sloth_slo_info"} <= records
    labels = next(r["labels"] for g in doc["groups"] for r in g["rules"] if r.get("record") == "slo:objective:ratio")
    assert {"sloth_id", "sloth_service", "sloth_slo"} <= set(labels)


def test_typed_queries_read_the_threshold_bucket() -> None:
    slos = {s.name: s for s in _slos()}
    error, total = queries(slos["ttft-1s"])
    assert 'le="1.0"' in error and 'feature="chat"' in error and "llm_ttft_seconds_count" in total
    with pytest.raises(ConfigError):
        queries(slos["predicate"])


def _alert(doc: dict[str, Any], slo_id: str, severity: str) -> dict[str, Any]:
    return next(r for g in doc["groups"] for r in g["rules"]
                if r.get("alert") and r["labels"]["sloth_id"] == slo_id and r["labels"]["sloth_severity"] == severity)


def _expected(rule: dict[str, Any]) -> dict[str, Any]:
    return {"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}


def test_fast_burn_pages_on_ten_percent_errors_and_never_on_a_tenth_of_a_percent(tmp_path: Path) -> None:
    path, doc, _ = _write_rules(tmp_path)
    page, ticket = _alert(doc, "support-bot-api", "page"), _alert(doc, "support-bot-api", "ticket")
    name = page["alert"]
    series = 'llm_requests_total{{provider="openai",model="gpt-4o",feature="chat",status="{}"}}'
    tests = {
        "rule_files": [str(path)],
        "evaluation_interval": "1m",
        "tests": [
            {  # 10 % errors for an hour, then none: burn 20x a 0.5 % budget
                "interval": "1m",
                "input_series": [
                    {"series": series.format("error"), "values": "0+10x60 600+0x180"},
                    {"series": series.format("ok"), "values": "0+90x60 5400+100x180"},
                ],
                "alert_rule_test": [
                    {"eval_time": "0m", "alertname": name, "exp_alerts": []},
                    {"eval_time": "2m", "alertname": name, "exp_alerts": [_expected(page), _expected(ticket)]},
                    {"eval_time": "59m", "alertname": name, "exp_alerts": [_expected(page), _expected(ticket)]},
                    # errors stopped at 60m: once the 30m window clears (the 6x pair) the page resolves; the ticket stays
                    {"eval_time": "70m", "alertname": name, "exp_alerts": [_expected(page), _expected(ticket)]},
                    {"eval_time": "95m", "alertname": name, "exp_alerts": [_expected(ticket)]},
                ],
            },
            {  # 0.1 % errors for three hours: burn 0.2x, nothing fires
                "interval": "1m",
                "input_series": [
                    {"series": series.format("error"), "values": "0+1x180"},
                    {"series": series.format("ok"), "values": "0+999x180"},
                ],
                "alert_rule_test": [{"eval_time": f"{m}m", "alertname": name, "exp_alerts": []}
                                    for m in (1, 5, 30, 60, 120, 180)],
            },
        ],
    }
    test_file = tmp_path / "rules_test.yml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_wrong_expectation_fails_promtool(tmp_path: Path) -> None:
    """The unit test above discriminates: expecting the page on the 0.1 % series fails."""
    path, doc, _ = _write_rules(tmp_path)
    page = _alert(doc, "support-bot-api", "page")
    series = 'llm_requests_total{{provider="openai",model="gpt-4o",feature="chat",status="{}"}}'
    tests = {"rule_files": [str(path)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": series.format("error"), "values": "0+1x60"},
                         {"series": series.format("ok"), "values": "0+999x60"}],
        "alert_rule_test": [{"eval_time": "30m", "alertname": page["alert"], "exp_alerts": [_expected(page)]}],
    }]}
    test_file = tmp_path / "wrong_test.yml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
