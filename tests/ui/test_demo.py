"""End-to-end in Chromium against a server filled by ``genlens demo`` (its backfilled history).

Runs whenever the build has the ``demo`` command; the deterministic OTLP workload
(tests/ui/workload.py) backs the tests that need exact ground truth.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, free_port, start_server

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data: Path = tmp_path_factory.mktemp("genlens-demo")
    run = subprocess.run([sys.executable, "-m", "genlens", "demo", "--duration", "0", "--backfill", "6h", "--seed", "7",
                          "--data", str(data), "--port", str(free_port())], capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    server = start_server(data, extra_env={"GENLENS_LOG_LEVEL": "warning"})
    yield server
    server.stop()


def _traces(url: str, **params: Any) -> list[dict[str, Any]]:
    return httpx.get(f"{url}/traces", params={"format": "json", "range": "7d", "limit": 200, **params}).json()["rows"]


def test_demo_pages_open_and_a_filter_changes_results(demo_server: LiveServer, page: Any) -> None:
    url = demo_server.url
    for path in ("/overview?range=7d", "/traces?range=7d", "/conversations?range=7d", "/cost?range=7d"):
        response = page.goto(url + path, wait_until="networkidle")
        assert response is not None and response.status == 200, path
    page.goto(f"{url}/conversations?range=7d", wait_until="networkidle")
    page.locator("#conversations tbody tr a").first.click()
    page.wait_for_load_state("networkidle")
    assert "/conversations/" in page.url and page.locator("#turns tbody tr").count() >= 1
    page.goto(f"{url}/overview?range=7d", wait_until="networkidle")
    assert page.locator("[data-chart][data-drawn='1']").count() == 8
    before = page.locator("[data-kpi=cost]").inner_text()
    feature = httpx.get(f"{url}/overview", params={"format": "json", "range": "7d"}).json()["facets"]["feature"][-1]
    page.fill("input[name=feature]", feature)
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert f"feature={feature}" in page.url and page.locator("[data-kpi=cost]").inner_text() != before
    page.goto(f"{url}/traces?range=7d&feature={feature}", wait_until="networkidle")
    shown = page.locator("#trace-results tbody tr td:nth-child(5)").all_inner_texts()
    assert shown and set(shown) == {feature}
    assert page.js_errors == []


def test_demo_deepest_trace_fold_and_read_messages(demo_server: LiveServer, page: Any) -> None:
    url = demo_server.url
    rows = _traces(url)
    deepest = max(rows[:60], key=lambda r: httpx.get(f"{url}/traces/{r['trace_id']}",
                                                   params={"format": "json"}).json()["summary"]["max_depth"])
    page.goto(f"{url}/traces/{deepest['trace_id']}", wait_until="networkidle")
    depths = [int(d) for d in page.locator(".wf-row").evaluate_all("els => els.map(e => e.dataset.depth)")]
    assert max(depths) >= 3  # four levels or more
    total = len(depths)
    parent = page.locator(".wf-row[aria-expanded=true]").nth(1)
    parent.locator("[data-toggle]").click()
    assert page.locator(".wf-row").count() < total
    page.locator(".wf-row[aria-expanded=false] [data-toggle]").first.click()
    assert page.locator(".wf-row").count() == total
    page.locator(".wf-row", has=page.locator(".wf-kind.k-llm")).first.click()
    page.wait_for_selector("#span-panel .sp")
    assert page.locator("#span-panel .msg").count() >= 1  # the demo samples content into the chat view
    assert page.locator("#span-panel .msg .text").first.inner_text().strip()


def test_demo_cost_drilldown(demo_server: LiveServer, page: Any) -> None:
    url = demo_server.url
    page.goto(f"{url}/cost?range=7d", wait_until="networkidle")
    link = page.locator("#cost-by-feature tbody tr a.drill").first
    feature = link.inner_text()
    link.click()
    page.wait_for_load_state("networkidle")
    shown = page.locator("#trace-results tbody tr td:nth-child(5)").all_inner_texts()
    assert shown and all(feature in cell for cell in shown)
