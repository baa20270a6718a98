"""``genlens alerts rules``: promtool checks them, and its unit tests show each firing when it should."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def _rules(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "thresholds.yml"
    done = subprocess.run([sys.executable, "-m", "genlens", "alerts", "rules", "--out", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return path, yaml.safe_load(path.read_text())


def _promtool_test(tmp_path: Path, rules: Path, tests: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / "test.yml"
    test_file.write_text(yaml.safe_dump({"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": tests},
                                        sort_keys=False))
    return subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True, timeout=120)


def _alert(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in doc["groups"][0]["rules"] if r["alert"] == name)


def test_promtool_checks_them(tmp_path: Path) -> None:
    path, doc = _rules(tmp_path)
    done = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "SUCCESS: 6 rules found" in done.stdout, done.stdout + done.stderr
    assert {r["labels"]["severity"] for r in doc["groups"][0]["rules"]} == {"page", "ticket"}


def test_error_rate_pages_after_its_for_duration_and_not_on_one_percent(tmp_path: Path) -> None:
    path, doc = _rules(tmp_path)
    rule = _alert(doc, "LLMProviderErrorRateHigh")
    series = 'llm_requests_total{{provider="anthropic",model="claude-haiku-4-5",feature="chat",status="{}"}}'
    labels = {"provider": "anthropic", "model": "claude-haiku-4-5", "severity": "page", "source": "genlens"}
    noisy = {"interval": "1m", "input_series": [{"series": series.format("error"), "values": "0+10x30"},
                                                {"series": series.format("ok"), "values": "0+90x30"}],
             "alert_rule_test": [
                 {"eval_time": "2m", "alertname": rule["alert"], "exp_alerts": []},  # pending: for 2m
                 {"eval_time": "5m", "alertname": rule["alert"], "exp_alerts": [{
                     "exp_labels": labels,
                     "exp_annotations": {"summary": "anthropic claude-haiku-4-5: 10% of calls fail",
                                         "runbook": "docs/runbooks/provider-outage.md"}}]}]}
    calm = {"interval": "1m", "input_series": [{"series": series.format("error"), "values": "0+1x30"},
                                               {"series": series.format("ok"), "values": "0+99x30"}],
            "alert_rule_test": [{"eval_time": "20m", "alertname": rule["alert"], "exp_alerts": []}]}
    done = _promtool_test(tmp_path, path, [noisy, calm])
    assert done.returncode == 0, done.stdout + done.stderr


def test_spend_over_fifty_dollars_an_hour_tickets(tmp_path: Path) -> None:
    path, doc = _rules(tmp_path)
    rule = _alert(doc, "LLMSpendHigh")
    series = 'llm_cost_usd_total{provider="openai",model="gpt-4o",feature="chat",tenant="acme"}'
    test = {"interval": "1m", "input_series": [{"series": series, "values": "0+1x30"}],  # $60 per hour
            "alert_rule_test": [
                {"eval_time": "3m", "alertname": rule["alert"], "exp_alerts": []},
                {"eval_time": "15m", "alertname": rule["alert"], "exp_alerts": [{
                    "exp_labels": {"severity": "ticket", "source": "genlens"},
                    "exp_annotations": {"summary": "LLM spend is running at $60 per hour",
                                        "runbook": "docs/runbooks/cost-spike.md"}}]}]}
    cheap = {"interval": "1m", "input_series": [{"series": series, "values": "0+0.5x30"}],  # $30 per hour
             "alert_rule_test": [{"eval_time": "15m", "alertname": rule["alert"], "exp_alerts": []}]}
    done = _promtool_test(tmp_path, path, [test, cheap])
    assert done.returncode == 0, done.stdout + done.stderr
