"""End-to-end: real headless Chromium against a live ``genlens serve`` filled over OTLP."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from genlens.semconv import attrs as a
from tests.conftest import LiveServer
from tests.otlp_helpers import span_request
from tests.ui.workload import TraceBuilder, pick_pages

pytestmark = pytest.mark.timeout(240)
LAB = {a.APP_TENANT_ID: "lab"}  # traces these tests add live in their own tenant, out of the shared numbers


def _url(ui_server: tuple[LiveServer, list[TraceBuilder]]) -> str:
    return ui_server[0].url


def _deep_trace(url: str) -> str:
    rows = httpx.get(f"{url}/traces", params={"format": "json", "range": "7d", "error_class": "api"}).json()["rows"]
    return rows[0]["trace_id"]


def test_every_page_opens_without_script_errors(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    for name, path, _ in pick_pages(url):
        response = page.goto(url + path, wait_until="networkidle")
        assert response is not None and response.status == 200, (name, path)
        assert page.locator("header.top nav").is_visible()
        assert "Traceback" not in page.content()
    assert page.js_errors == []


def test_overview_draws_every_chart_and_debug_tables(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    page.goto(f"{url}/overview?range=7d", wait_until="networkidle")
    charts = page.locator("[data-chart]")
    assert charts.count() == 8
    assert page.locator("[data-chart][data-drawn='1'] .main-svg").count() >= 8  # Plotly drew into each one
    assert page.locator("#failures tbody tr").count() == 3  # one api, one validation, one guardrail error
    assert page.locator("#prompt-changes li").first.inner_text().find("v2") >= 0
    assert page.js_errors == []


def test_filter_changes_results_and_url_keeps_state(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    page.goto(f"{url}/traces?range=7d&limit=200", wait_until="networkidle")
    everything = page.locator("#trace-results tbody tr").count()
    page.fill("input[name=feature]", "search")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "feature=search" in page.url and "service=" not in page.url  # empty fields stay out of the link
    features = page.locator("#trace-results tbody tr td:nth-child(5)").all_inner_texts()
    assert features and set(features) == {"search"}
    assert len(features) < everything
    page.goto(page.url, wait_until="networkidle")  # the shared link reproduces the view
    assert page.locator("input[name=feature]").input_value() == "search"


def test_sorting_by_duration_orders_rows(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    page.goto(f"{url}/traces?range=7d", wait_until="networkidle")
    page.click("a[data-sort=duration]")
    page.wait_for_load_state("networkidle")
    texts = page.locator("#trace-results tbody tr td:nth-child(6)").all_inner_texts()
    seconds = [float(t.split()[0]) * (1 if t.endswith(" s") else 1e-3) for t in texts]
    assert seconds == sorted(seconds, reverse=True) and len(seconds) > 3


def test_depth_four_trace_expand_collapse_and_keyboard(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    page.goto(f"{url}/traces/{_deep_trace(url)}", wait_until="networkidle")
    rows = page.locator(".wf-row")
    assert rows.count() == 9
    depths = [int(d) for d in rows.evaluate_all("els => els.map(e => e.dataset.depth)")]
    assert max(depths) == 4
    tool = page.locator(".wf-row", has_text="execute_tool search_kb")
    tool.locator("[data-toggle]").click()
    assert rows.count() == 7  # the sub-agent and its LLM call are folded away
    assert page.locator(".wf-row", has_text="chat research").count() == 0
    assert tool.get_attribute("aria-expanded") == "false"
    tool.locator("[data-toggle]").click()
    assert rows.count() == 9
    # keyboard: select the root, fold it with ←, unfold with →, walk down with ↓
    page.locator(".wf-row").first.click()
    page.keyboard.press("ArrowLeft")
    assert rows.count() == 1
    page.keyboard.press("ArrowRight")
    assert rows.count() == 9
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator(".wf-row.sel").inner_text().find("chat plan") >= 0
    # folding away the selected span moves the selection to its visible ancestor
    page.locator(".wf-row", has_text="chat research").click()
    page.click("#collapse-all")
    assert rows.count() == 2
    assert "invoke_agent planner" in page.locator(".wf-row.sel").inner_text()
    page.locator("#waterfall").focus()
    page.keyboard.press("ArrowRight")
    assert rows.count() == 7  # root, planner and its five children; the search tool stays folded
    page.click("#expand-all")
    # the critical path and the slowest call are marked
    assert page.locator(".wf-bar.crit").count() >= 3
    assert page.locator(".wf-bar.slow").count() == 1


def test_open_span_reads_messages_tools_and_documents(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    trace_id = _deep_trace(url)
    page.goto(f"{url}/traces/{trace_id}", wait_until="networkidle")
    page.locator(".wf-row", has_text="chat answer").click()
    panel = page.locator("#span-panel .sp")
    panel.wait_for()
    roles = panel.locator(".msg .who").all_inner_texts()
    assert [r.split()[0].lower() for r in roles] == ["system", "user", "tool", "assistant"]
    assert "has shipped and arrives in 2 days" in panel.locator(".msg.role-assistant").inner_text()
    assert "RateLimitError" in panel.locator(".sp-error").inner_text()
    assert re.search(r"[?&]span=[0-9a-f]{16}", page.url)
    page.locator(".wf-row", has_text="execute_tool lookup_order").click()
    page.wait_for_selector("#tool-result")
    assert '"carrier": "DHL"' in page.locator("#tool-result").inner_text()  # pretty JSON
    page.locator(".wf-row", has_text="retrieval kb").click()
    page.wait_for_selector("table.docs")
    assert "0.913" in page.locator("table.docs").inner_text()


def test_copy_link_to_a_span_opens_that_span(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    page.goto(f"{url}/traces/{_deep_trace(url)}", wait_until="networkidle")
    page.locator(".wf-row", has_text="chat plan").click()
    page.wait_for_selector("#span-panel .sp h2:text-is('chat plan')")
    page.locator(".copy-link").click()
    link = page.locator(".copy-link").get_attribute("data-copied")
    assert link and "?span=" in link
    page.goto(link, wait_until="networkidle")
    assert page.locator("#span-panel .sp h2").inner_text() == "chat plan"  # rendered by the server
    assert page.locator(".wf-row.sel").inner_text().find("chat plan") >= 0


def test_conversation_turns_in_order_with_running_totals(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    page.goto(f"{url}/conversations?range=7d", wait_until="networkidle")
    page.locator("#conversations a", has_text="conv-002").click()
    page.wait_for_load_state("networkidle")
    cells = page.locator("#turns tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))")
    built = [t for t in ui_server[1] if t.ctx["conv"] == "conv-002"]
    assert len(cells) == len(built) == 4
    expected = [sum(s["attributes"].get("gen_ai.usage.input_tokens", 0) + s["attributes"].get("gen_ai.usage.output_tokens", 0)
                    for s in t.spans) for t in sorted(built, key=lambda t: t.start)]
    running = 0
    for row, tokens in zip(cells, expected, strict=True):
        running += tokens
        assert row[5].replace(",", "") == str(tokens) or row[5].endswith("k")
        assert row[6].replace(",", "") == str(running) or row[6].endswith("k")
    assert cells[0][2].startswith(("Where", "Can", "How", "Do", "My"))  # the user's words, not a span name
    page.locator("#turns tbody tr").first.locator("a").click()
    page.wait_for_selector(".wf-row")
    assert "/traces/" in page.url


def test_errors_render_as_readable_pages(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    for path, status in (("/traces/not-a-trace-id", 400), ("/traces/" + "0" * 32, 404), ("/overview?range=forever", 400)):
        response = page.goto(url + path)
        assert response is not None and response.status == status
        text = page.locator("main").inner_text()
        assert str(status) in text and "Traceback" not in text and "Back to the overview" in text


def test_cost_drilldown_leads_to_the_right_traces(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    page.goto(f"{url}/cost?range=7d", wait_until="networkidle")
    assert page.locator("[data-chart][data-drawn='1']").count() == 4
    row = page.locator("#cost-by-feature tbody tr", has_text="search")
    row.locator("a.drill").click()
    page.wait_for_load_state("networkidle")
    assert "/traces?" in page.url and "feature=search" in page.url and "sort=cost" in page.url
    features = page.locator("#trace-results tbody tr td:nth-child(5)").all_inner_texts()
    assert features and set(features) == {"search"}
    # the traces behind the row add up to the row's cost
    report = httpx.get(f"{url}/cost", params={"format": "json", "range": "7d"}).json()["report"]
    row_cost = next(r["cost_usd"] for r in report["by_feature"] if r["feature"] == "search")
    shown = httpx.get(page.url + "&format=json&limit=200").json()["rows"]
    assert abs(sum(t["cost_usd"] or 0 for t in shown) - row_cost) < 1e-9
    costs = [t["cost_usd"] for t in shown]
    assert costs == sorted(costs, reverse=True)


def test_hostile_names_never_run_as_script(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    evil = "<img src=x onerror=\"window.__pwned=1\">"
    trace_id, root = bytes(range(100, 116)), bytes(range(100, 108))
    now = time.time_ns()
    body = span_request([{"trace_id": trace_id, "span_id": root, "name": evil, "start": now - 10**9, "end": now,
                          "attributes": LAB}]).SerializeToString()
    httpx.post(url + "/v1/traces", content=body, headers={"content-type": "application/x-protobuf"}).raise_for_status()
    page.goto(f"{url}/traces/{trace_id.hex()}?tenant=lab", wait_until="networkidle")
    page.locator(".wf-row").first.click()
    page.wait_for_selector("#span-panel .sp")
    page.goto(f"{url}/traces?range=1h&tenant=lab", wait_until="networkidle")
    assert page.evaluate("window.__pwned") is None
    assert evil in page.locator("#trace-results").inner_text()


def test_twenty_thousand_span_trace_is_virtualized(ui_server: Any, page: Any) -> None:
    url = _url(ui_server)
    trace_id = bytes(range(50, 66))
    now = time.time_ns()
    spans = [{"trace_id": trace_id, "span_id": (1).to_bytes(8, "big"), "name": "invoke_workflow batch",
              "start": now - 60 * 10**9, "end": now, "attributes": LAB}]
    for i in range(2, 20_001):
        parent = 1 if i % 10 == 2 else i - 1  # chains of ten under the root: depth up to 10
        spans.append({"trace_id": trace_id, "span_id": i.to_bytes(8, "big"), "parent": parent.to_bytes(8, "big"),
                      "name": f"step {i}", "start": now - 60 * 10**9 + i * 2_000_000, "end": now - 10**9,
                      "attributes": LAB})
    for chunk in range(0, len(spans), 5000):
        body = span_request(spans[chunk:chunk + 5000]).SerializeToString()
        httpx.post(url + "/v1/traces", content=body, headers={"content-type": "application/x-protobuf"},
                   timeout=60).raise_for_status()
    page.goto(f"{url}/traces/{trace_id.hex()}?tenant=lab", wait_until="networkidle")
    assert page.evaluate("window.__waterfall.rows") == 20_000
    in_dom = page.locator(".wf-row").count()
    assert 0 < in_dom < 120  # only what is on screen (plus a margin) is drawn
    page.locator("#wf-scroll").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_function("document.querySelector('.wf-row[data-span=\"0000000000004e20\"]') !== null")
    assert page.locator(".wf-row").count() < 120
