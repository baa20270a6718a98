"""The OpenAPI page renders in headless Chromium from the server alone: no console error, no request that
leaves the server (the machine may be air-gapped), and the operations of the API are listed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.conftest import LiveServer
from tests.ui.workload import TraceBuilder


def _open(page: Any, url: str) -> list[str]:
    """Load ``url``, refusing (and recording) every request to another host."""
    host = urlsplit(url).netloc
    outside: list[str] = []

    def route(r: Any) -> None:
        if urlsplit(r.request.url).netloc != host:
            outside.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.goto(url, wait_until="networkidle")
    return outside


def test_api_docs_render_without_the_internet(ui_server: tuple[LiveServer, list[TraceBuilder]], page: Any) -> None:
    server, _ = ui_server
    outside = _open(page, server.url + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert outside == [], f"requests left the server: {outside}"
    assert page.js_errors == []
    text = page.inner_text("body")
    assert "/api/v1/traces" in text and "/v1/traces" in text, "the page lists the API's operations"


def test_docs_assets_are_served_and_the_spec_is_openapi_3_1(ui_server: tuple[LiveServer, list[TraceBuilder]]) -> None:
    server, _ = ui_server
    html = httpx.get(server.url + "/docs").text
    assert "cdn." not in html and "/static/docs/swagger-ui-bundle.js" in html
    js = httpx.get(server.url + "/static/docs/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    assert httpx.get(server.url + "/openapi.json").json()["openapi"].startswith("3.1")
    assert httpx.get(server.url + "/static/docs/../../../etc/passwd").status_code == 404
    assert httpx.get(server.url + "/static/docs/nope.js").status_code == 404
    assert httpx.get(server.url + "/redoc").status_code == 404, "no page that would fetch from a CDN"
