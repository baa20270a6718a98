"""A real Prometheus evaluates the exported SLO rules over a live genlens; both agree on SLIs and burn rates.

The warm-up traffic is stamped ten days ago, so every series exists before
Prometheus' first scrape and none of the windows compared holds it; the traffic
under test is stamped within the last two minutes.  Prometheus then sees exactly
the increase of the traffic under test, and genlens counts exactly its spans.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from genlens.alerts.dashboards import queries
from tests.conftest import LiveServer, start_server
from tests.metrics.prometheus import Prometheus, start_prometheus
from tests.metrics.workload import requests

SLOS = """
service: bot
slos:
  - {name: api, sli: {type: availability}, objective: 0.99}
  - {name: ttft, sli: {type: ttft, threshold: 1}, objective: 0.9}
  - {name: chat-latency, sli: {type: latency, threshold: 5}, where: {feature: chat}, objective: 0.95}
  - {name: cost, sli: {type: cost, threshold: 0.1}, objective: 0.9}
"""
WINDOWS = ("5m", "30m", "1h", "6h", "1d", "3d")
PROTOBUF = {"content-type": "application/x-protobuf"}


def _post_all(url: str, bodies: list[bytes]) -> None:
    with httpx.Client(timeout=60) as client:
        for body in bodies:
            assert client.post(f"{url}/v1/traces", content=body, headers=PROTOBUF).status_code == 200


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Prometheus, dict[str, Any]]]:
    work = Path(tmp_path_factory.mktemp("slo"))
    slo_file = work / "slos.yaml"
    slo_file.write_text(SLOS)
    rules = work / "rules.yml"
    done = subprocess.run([sys.executable, "-m", "genlens", "slo", "rules", str(slo_file), "--out", str(rules)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    server = start_server(work / "data", extra_env={"GENLENS_SLOS_FILE": str(slo_file)})
    prom = None
    try:
        now = time.time_ns()
        warm, warm_exp = requests(2000, seed=1, start_ns=now - 10 * 86400 * 10**9)
        _post_all(server.url, warm)
        prom = start_prometheus(work / "prometheus", f"127.0.0.1:{server.http_port}", [rules])
        assert prom.wait_for("sum(llm_requests_total)", warm_exp.calls) == warm_exp.calls
        time.sleep(3)  # a few scrapes of the warm-up totals before the traffic under test
        live, live_exp = requests(300, seed=2, start_ns=time.time_ns() - 120 * 10**9, step_ns=300_000_000)
        _post_all(server.url, live)
        total = warm_exp.calls + live_exp.calls
        assert prom.wait_for("sum(llm_requests_total)", total) == total
        time.sleep(4)  # the recording rules evaluate every second
        yield server, prom, yaml.safe_load(rules.read_text())
    finally:
        if prom is not None:
            prom.stop()
        server.stop()


def test_engine_and_prometheus_agree_within_one_percent(evaluated: tuple[LiveServer, Prometheus, Any]) -> None:
    server, prom, _ = evaluated
    statuses = {s["id"]: s for s in httpx.get(f"{server.url}/api/v1/slos", timeout=30).json()["slos"]}
    assert set(statuses) == {"bot-api", "bot-ttft", "bot-chat-latency", "bot-cost"}
    for slo_id, status in statuses.items():
        for window in WINDOWS:
            ours = status["error_ratios"][window]
            theirs = prom.scalar(f'slo:sli_error:ratio_rate{window}{{sloth_id="{slo_id}"}}')
            assert ours is not None and theirs is not None, (slo_id, window)
            assert ours > 0, (slo_id, window)  # every SLI has bad events in the traffic under test
            assert abs(ours - theirs) <= 0.01 * ours, (slo_id, window, ours, theirs)
        burn = prom.scalar(f'slo:current_burn_rate:ratio{{sloth_id="{slo_id}"}}')
        assert burn is not None and abs(status["burn_rates"]["5m"] - burn) <= 0.01 * burn, (slo_id, burn)


def test_every_recording_expression_returns_data(evaluated: tuple[LiveServer, Prometheus, Any]) -> None:
    _, prom, rules = evaluated
    recordings = [r for g in rules["groups"] for r in g["rules"] if "record" in r]
    assert len(recordings) == 4 * 15
    for rule in recordings:
        assert prom.query(rule["expr"]), rule["record"]
    for rule in (r for g in rules["groups"] for r in g["rules"] if "alert" in r):
        prom.query(rule["expr"])  # evaluates without error (it answers data only while firing)


def test_the_availability_page_fires_in_prometheus_and_in_genlens(
        evaluated: tuple[LiveServer, Prometheus, Any]) -> None:
    server, prom, _ = evaluated
    status = httpx.get(f"{server.url}/api/v1/slos/bot-api", timeout=30).json()
    assert status["status"] == "page"  # ~8 % errors against a 1 % budget: 8x over every window
    assert "page: 6x over 6h and 30m" in status["firing"]
    deadline = time.monotonic() + 30
    firing: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not firing:
        alerts = httpx.get(f"{prom.url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        firing = [a for a in alerts if a["labels"].get("sloth_id") == "bot-api" and a["state"] == "firing"
                  and a["labels"]["sloth_severity"] == "page"]
        time.sleep(0.5)
    assert firing
    assert httpx.get(f"{server.url}/api/v1/slos/unknown", timeout=10).status_code == 404


def test_every_dashboard_query_returns_data(evaluated: tuple[LiveServer, Prometheus, Any], tmp_path: Path) -> None:
    _, prom, _ = evaluated
    done = subprocess.run([sys.executable, "-m", "genlens", "dashboards", "export", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    boards = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("genlens-*.json")}
    assert set(boards) == {"genlens-executive", "genlens-operator", "genlens-debug"}
    exprs = [q for board in boards.values() for q in queries(board)]
    assert len(exprs) >= 15
    for expr in exprs:
        assert prom.query(expr.replace("$__rate_interval", "1m")), expr


def test_every_threshold_rule_evaluates_in_prometheus(evaluated: tuple[LiveServer, Prometheus, Any]) -> None:
    _, prom, _ = evaluated
    from genlens.alerts.threshold_rules import RULES

    for rule in RULES:
        prom.query(rule.expr)  # Prometheus accepts it (an error fails the query helper)
        base = rule.expr.split(" > ")[0].split("\nand\n")[0].split(" == ")[0]
        assert prom.query(base), rule.name  # and the measured quantity has data
