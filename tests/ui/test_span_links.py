"""Span links through a real server: stored from OTLP, listed in the span panel (JSON and HTML), and in
headless Chromium a link opens the linked span in its own trace."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from tests.conftest import LiveServer
from tests.otlp_helpers import span_request
from tests.ui.workload import TraceBuilder


def _send_linked_pair(url: str) -> tuple[str, str, str, str]:
    """A batch job trace whose span links to the request trace that queued it; returns both (trace, span) ids."""
    request_trace, request_span = os.urandom(16), os.urandom(8)
    job_trace, job_span = os.urandom(16), os.urandom(8)
    now = time.time_ns()
    body = span_request([
        {"trace_id": request_trace, "span_id": request_span, "name": "POST /summaries", "start": now - 9 * 10**9,
         "end": now - 8 * 10**9},
        {"trace_id": job_trace, "span_id": job_span, "name": "summarize batch", "start": now - 5 * 10**9,
         "end": now - 4 * 10**9, "links": [
             {"trace_id": request_trace, "span_id": request_span, "attributes": {"link.reason": "queued by"}},
             {"trace_id": job_trace, "span_id": job_span},  # a link inside its own trace
         ]},
    ]).SerializeToString()
    answer = httpx.post(f"{url}/v1/traces", content=body, headers={"Content-Type": "application/x-protobuf"})
    assert answer.status_code == 200, answer.text
    return request_trace.hex(), request_span.hex(), job_trace.hex(), job_span.hex()


def test_a_span_link_opens_the_linked_span_in_its_trace(ui_server: tuple[LiveServer, list[TraceBuilder]],
                                                         page: Any) -> None:
    server, _ = ui_server
    request_trace, request_span, job_trace, job_span = _send_linked_pair(server.url)

    panel = httpx.get(f"{server.url}/traces/{job_trace}/spans/{job_span}", headers={"Accept": "application/json"})
    assert panel.status_code == 200
    links = panel.json()["links"]
    assert [(x["trace_id"], x["span_id"]) for x in links] == [(request_trace, request_span), (job_trace, job_span)]
    assert links[0]["href"] == f"/traces/{request_trace}?span={request_span}"
    assert "queued by" in links[0]["attributes"]

    page.goto(f"{server.url}/traces/{job_trace}?span={job_span}", wait_until="networkidle")
    table = page.locator("#span-links")
    assert table.locator("tr").count() == 3  # header and two links
    assert "(this trace)" in table.locator("tr").nth(2).inner_text()
    page.locator("#span-links a.span-link", has_text=request_trace).click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/traces/{request_trace}?span={request_span}")
    assert page.locator("#span-panel .sp h2").inner_text() == "POST /summaries"
    assert page.js_errors == []
