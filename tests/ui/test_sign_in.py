"""Signing in to the UI in a real Chromium against a server with API keys: the sign-in form, content shown
redacted to a viewer, raw content only after an investigator states a purpose (and that read in the audit
log), a viewer's privacy page without the audit log, and signing out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, cli, start_server
from tests.integration.test_access_server import _llm_attributes, secret
from tests.otlp_helpers import sdk_tracer

KEYS = {"admin": ("admin", []), "viewer": ("viewer", ["acme"]), "investigator": ("investigator", ["acme"]),
        "ingest": ("ingest", ["acme"])}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str], dict[str, str]]]:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.trace import SpanKind

    data = tmp_path_factory.mktemp("sign-in")
    tokens = {}
    for name, (role, tenants) in KEYS.items():
        made = cli("keys", "create", "--name", name, "--role", role, "--data", str(data), "--format", "json",
                   *[arg for t in tenants for arg in ("--tenant", t)])
        assert made.returncode == 0, made.stderr
        tokens[name] = json.loads(made.stdout)["token"]
    server = start_server(data, extra_env={"GENLENS_PRIVACY_ENABLED": "false", "GENLENS_INGEST_WORKERS": "0"})
    try:
        exporter = OTLPSpanExporter(endpoint=f"{server.url}/v1/traces",
                                    headers={"authorization": f"Bearer {tokens['ingest']}"})
        with sdk_tracer(exporter, service="acme-svc") as tracer:
            with tracer.start_as_current_span("acme turn") as root:
                with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT,
                                                  attributes=_llm_attributes("acme", "conv-acme")) as llm:
                    pass
        ids = {"trace_id": format(root.get_span_context().trace_id, "032x"),
               "span_id": format(llm.get_span_context().span_id, "016x")}
        yield server, tokens, ids
    finally:
        server.stop()


def _sign_in(page: Any, base: str, token: str, target: str) -> None:
    page.goto(f"{base}{target}", wait_until="networkidle")
    assert page.url.startswith(f"{base}/login?next=")
    page.fill("input[name=key]", token)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_viewers_see_redacted_content_and_investigators_reveal_it_with_a_purpose(
        keyed: tuple[LiveServer, dict[str, str], dict[str, str]], browser: Any) -> None:
    server, tokens, ids = keyed
    trace = f"/traces/{ids['trace_id']}?span={ids['span_id']}"
    raw = secret("acme")

    viewer = browser.new_context(viewport={"width": 1280, "height": 900})
    page = viewer.new_page()
    _sign_in(page, server.url, "glk_wrong_key", trace)
    assert "not valid" in page.inner_text("[data-login-error]")
    page.fill("input[name=key]", tokens["viewer"])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{server.url}{trace}"
    panel = page.inner_text(".sp")
    assert raw not in panel and "[EMAIL]" in panel and page.locator("[data-redacted]").count() == 1
    assert page.locator("[data-reveal]").count() == 0  # a viewer is not offered raw content
    cookie = next(c for c in page.context.cookies() if c["name"] == "genlens_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.goto(f"{server.url}/privacy", wait_until="networkidle")
    assert page.locator("#audit-admin-only").count() == 1 and page.locator("#audit").count() == 0
    page.click("button.link")  # sign out
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(f"{server.url}/login")
    page.goto(f"{server.url}{trace}", wait_until="networkidle")
    assert page.url.startswith(f"{server.url}/login?next=")  # the session is gone
    viewer.close()

    investigator = browser.new_context(viewport={"width": 1280, "height": 900})
    page = investigator.new_page()
    _sign_in(page, server.url, tokens["investigator"], trace)
    assert raw not in page.inner_text(".sp")
    page.fill("[data-reveal] input[name=purpose]", "ticket INC-77: wrong address")
    page.click("[data-reveal] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert raw in page.inner_text(".sp") and page.locator("[data-revealed]").count() == 1
    investigator.close()

    audit = httpx.get(f"{server.url}/api/v1/audit", params={"action": "content.read"}, timeout=10,
                      headers={"Authorization": f"Bearer {tokens['admin']}"}).json()["entries"]
    assert [e["purpose"] for e in audit] == ["ticket INC-77: wrong address"]
    assert audit[0]["actor"].endswith("(investigator)") and ids["trace_id"] in audit[0]["target"]
