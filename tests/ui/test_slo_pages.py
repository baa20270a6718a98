"""The SLO and alert pages in headless Chromium, on a live server with SLOs and a burst of failures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, start_server
from tests.metrics.workload import requests

SLOS = """
service: bot
slos:
  - {name: api, sli: {type: availability}, objective: 0.999}
  - {name: ttft, sli: {type: ttft, threshold: 30}, objective: 0.5}
"""


@pytest.fixture(scope="module")
def slo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    work = Path(tmp_path_factory.mktemp("slo-ui"))
    (work / "slos.yaml").write_text(SLOS)
    server = start_server(work / "data", extra_env={"GENLENS_SLOS_FILE": str(work / "slos.yaml"),
                                                    "GENLENS_ALERTS_INTERVAL_S": "0.5",
                                                    "GENLENS_LOG_LEVEL": "warning"})
    try:
        bodies, _ = requests(150, seed=4, start_ns=time.time_ns() - 100 * 10**9, step_ns=500_000_000)
        with httpx.Client(timeout=30) as client:
            for body in bodies:
                client.post(f"{server.url}/v1/traces", content=body, headers={"content-type": "application/x-protobuf"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not httpx.get(f"{server.url}/api/v1/alerts").json()["firing"]:
            time.sleep(0.3)
        yield server
    finally:
        server.stop()


def test_slo_page_shows_lights_budget_and_burn_rates(slo_server: LiveServer, page: Any) -> None:
    page.goto(slo_server.url + "/slos", wait_until="networkidle")
    assert page.js_errors == []
    api = page.locator('tr[data-slo="bot-api"]')
    assert api.locator(".light.err").count() == 1  # 8 % errors against a 0.1 % budget: paging
    assert "page: 14.4x over 1h and 5m" in api.inner_text()
    ttft = page.locator('tr[data-slo="bot-ttft"]')
    assert ttft.locator(".light.ok").count() == 1
    twin = httpx.get(slo_server.url + "/slos?format=json", timeout=10).json()
    assert {s["id"]: s["status"] for s in twin["slos"]} == {"bot-api": "page", "bot-ttft": "ok"}


def test_alerts_page_lists_firing_alerts_and_weekly_volume(slo_server: LiveServer, page: Any) -> None:
    page.goto(slo_server.url + "/alerts", wait_until="networkidle")
    assert page.js_errors == []
    firing = page.locator("#firing tbody tr")
    assert firing.count() == 2 and "bot-api" in page.inner_text("#firing")
    assert page.locator("#per-week tbody tr").count() == 1
    assert page.locator("#firing a.mono").count() >= 1  # example traces link to their trace pages
    twin = httpx.get(slo_server.url + "/alerts?format=json", timeout=10).json()
    assert twin["evaluating"] and sorted(a["severity"] for a in twin["firing"]) == ["page", "ticket"]


def test_overview_executive_tier_shows_the_slo_lights(slo_server: LiveServer, page: Any) -> None:
    page.goto(slo_server.url + "/overview", wait_until="networkidle")
    assert page.js_errors == []
    lights = page.locator("#slo-lights .slo-light")
    assert lights.count() == 2
    assert page.locator('#slo-lights [data-slo="bot-api"] .light.err').count() == 1
