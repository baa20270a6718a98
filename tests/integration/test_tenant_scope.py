"""One tenant scope for REST and UI, through a real ``genlens serve`` fed by the real opentelemetry-sdk exporter.

With no API keys, every tenant is the default: a bare list shows every tenant's
traces, each row naming its tenant, and each listed trace opens by id bare and with
``tenant=*``; ``tenant=X`` narrows lists and 404s the other tenants' ids; a hostile
tenant is a 400.  The UI pages (headless Chromium) read the same scope.  The demo
acceptance: right after ``genlens demo`` starts, the REST URL it prints lists
traces that name their tenant and open by id.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.trace import SpanKind

from genlens.semconv import attrs as a
from tests.conftest import LiveServer, free_port, start_server
from tests.demo.helpers import READY, spawn_demo
from tests.otlp_helpers import sdk_tracer
from tests.ui.browser import chromium_path, launch

TENANTS = ("acme", "globex")
HOSTILE = ("t" * 201, "ac\nme", "a\x00b", "\x1b[2J", "evil\r\nSet-Cookie: x=1")


def _llm(tenant: str, conversation: str, tokens: int) -> dict[str, Any]:
    return {a.APP_TENANT_ID: tenant, a.APP_FEATURE: f"{tenant}-chat", a.APP_CONVERSATION_ID: conversation,
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": tokens, "gen_ai.usage.output_tokens": 10}


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    """Two traces per tenant (both tenants use the conversation id ``conv-shared``), and one trace whose root
    names ``acme`` and whose child names ``globex``."""
    server = start_server(tmp_path_factory.mktemp("tenant-scope"), extra_env={"GENLENS_LOG_LEVEL": "warning"})
    ids: dict[str, Any] = {t: [] for t in TENANTS}
    try:
        with sdk_tracer(OTLPSpanExporter(endpoint=f"{server.url}/v1/traces"), service="scope-svc") as tracer:
            for tenant in TENANTS:
                for i, conv in enumerate(("conv-shared", f"conv-{tenant}")):
                    with tracer.start_as_current_span(f"{tenant} turn {i}", attributes={a.APP_TENANT_ID: tenant}) as root:
                        with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT,
                                                          attributes=_llm(tenant, conv, 100 + i)):
                            pass
                    ids[tenant].append(format(root.get_span_context().trace_id, "032x"))
            with tracer.start_as_current_span("mixed root", attributes={a.APP_TENANT_ID: "acme"}) as root:
                time.sleep(0.002)  # the child starts strictly later than its root
                with tracer.start_as_current_span("mixed child", attributes={a.APP_TENANT_ID: "globex"}) as child:
                    pass
            ids["mixed"] = format(root.get_span_context().trace_id, "032x")
            ids["mixed_child"] = format(child.get_span_context().span_id, "016x")
        yield server, ids
    finally:
        server.stop()


def _get(server: LiveServer, path: str, **params: Any) -> httpx.Response:
    return httpx.get(server.url + path, params=params, timeout=30)


def test_bare_list_shows_every_tenant_and_each_row_opens_by_id(sent: tuple[LiveServer, dict[str, Any]]) -> None:
    server, ids = sent
    rows = _get(server, "/api/v1/traces", limit=100).json()["traces"]
    by_id = {r["trace_id"]: r["tenant"] for r in rows}
    assert by_id == {**{t: "acme" for t in ids["acme"]}, **{t: "globex" for t in ids["globex"]}, ids["mixed"]: "acme"}
    assert _get(server, "/api/v1/traces", tenant="*", limit=100).json()["traces"] == rows
    for trace_id, tenant in by_id.items():
        for params in ({}, {"tenant": "*"}, {"tenant": tenant}):
            got = _get(server, f"/api/v1/traces/{trace_id}", **params)
            assert got.status_code == 200, (trace_id, params, got.text)
            assert got.json()["trace_id"] == trace_id and got.json()["tenant"] == tenant


def test_a_named_tenant_narrows_lists_and_hides_the_others(sent: tuple[LiveServer, dict[str, Any]]) -> None:
    server, ids = sent
    for tenant, other in (("acme", "globex"), ("globex", "acme")):
        rows = _get(server, "/api/v1/traces", tenant=tenant, limit=100).json()["traces"]
        assert {r["tenant"] for r in rows} == {tenant}
        assert set(ids[tenant]) <= {r["trace_id"] for r in rows}
        for trace_id in ids[other]:
            assert _get(server, f"/api/v1/traces/{trace_id}", tenant=tenant).status_code == 404
        cost = _get(server, "/api/v1/cost", group_by="tenant", tenant=tenant).json()["rows"]
        assert [r["tenant"] for r in cost] == [tenant]
    assert _get(server, "/api/v1/traces", tenant="nobody").json()["traces"] == []
    every = {r["tenant"] for r in _get(server, "/api/v1/cost", group_by="tenant").json()["rows"]}
    assert every == set(TENANTS)


def test_a_trace_under_two_tenants_answers_deterministically(sent: tuple[LiveServer, dict[str, Any]]) -> None:
    server, ids = sent
    whole = _get(server, f"/api/v1/traces/{ids['mixed']}", format="flat").json()
    assert [s["name"] for s in whole["spans"]] == ["mixed root", "mixed child"]
    assert (whole["tenant"], whole["tenants"]) == ("acme", ["acme", "globex"])  # its earliest span's tenant
    part = _get(server, f"/api/v1/traces/{ids['mixed']}", tenant="globex", format="flat").json()
    assert [s["name"] for s in part["spans"]] == ["mixed child"] and part["tenant"] == "globex"
    span = _get(server, f"/api/v1/spans/{ids['mixed_child']}").json()
    assert span["tenant"] == "globex" and span["trace_id"] == ids["mixed"]
    assert _get(server, f"/api/v1/spans/{ids['mixed_child']}", tenant="acme").status_code == 404


def test_a_conversation_id_of_two_tenants_is_read_in_one(sent: tuple[LiveServer, dict[str, Any]]) -> None:
    server, _ = sent
    ambiguous = _get(server, "/api/v1/cost/conversations/conv-shared")
    assert ambiguous.status_code == 400 and "acme, globex" in ambiguous.json()["detail"]
    for tenant in TENANTS:
        one = _get(server, "/api/v1/cost/conversations/conv-shared", tenant=tenant).json()
        assert one["tenant"] == tenant and [t["input_tokens"] for t in one["turns"]] == [100]
        alone = _get(server, f"/api/v1/cost/conversations/conv-{tenant}").json()
        assert alone["tenant"] == tenant and len(alone["turns"]) == 1
    top = _get(server, "/api/v1/cost/conversations", top=10).json()["conversations"]
    assert sorted((r["tenant"], r["conversation_id"]) for r in top if r["conversation_id"] == "conv-shared") == [
        ("acme", "conv-shared"), ("globex", "conv-shared")]


@pytest.mark.parametrize("path", ["/api/v1/traces", "/api/v1/traces/" + "a" * 32, "/api/v1/spans/" + "b" * 16,
                                  "/api/v1/cost", "/api/v1/cost/month", "/api/v1/findings", "/api/v1/metrics",
                                  "/api/v1/logs", "/traces", "/overview", "/conversations", "/cost"])
def test_hostile_tenant_values_are_400(sent: tuple[LiveServer, dict[str, Any]], path: str) -> None:
    server, _ = sent
    for value in HOSTILE:
        response = _get(server, path, tenant=value, format="json")
        assert response.status_code == 400, (path, value, response.text)
        assert "tenant" in response.text and "Traceback" not in response.text


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is not installed (/usr/bin/chromium): run scripts/setup.sh test, which installs it")
    with launch() as b:
        ctx = b.new_context(viewport={"width": 1280, "height": 900})
        yield ctx.new_page()
        ctx.close()


def test_ui_pages_read_the_same_scope(sent: tuple[LiveServer, dict[str, Any]], browser: Any) -> None:
    server, ids = sent
    page = browser
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/traces?range=1h", wait_until="networkidle")
    shown = page.locator("#trace-results tbody tr [data-tenant]").all_inner_texts()
    assert sorted(shown) == sorted(r["tenant"] for r in _get(server, "/api/v1/traces", limit=100).json()["traces"])
    page.locator(f"#trace-results tr[data-trace='{ids['globex'][0]}'] a.root-name").click()
    page.wait_for_selector(".wf-row")
    assert page.url.endswith(f"/traces/{ids['globex'][0]}") and page.locator(".wf-row").count() == 2
    assert page.locator("[data-trace-tenant]").inner_text() == "globex"

    page.goto(f"{server.url}/traces?range=1h&tenant=acme", wait_until="networkidle")
    assert set(page.locator("#trace-results tbody tr [data-tenant]").all_inner_texts()) == {"acme"}
    assert page.locator("input[name=tenant]").input_value() == "acme"  # the filter bar shows the scope
    page.locator("#trace-results tbody tr a.root-name").first.click()
    page.wait_for_selector(".wf-row")
    assert "tenant=acme" in page.url  # a listed trace opens under the same scope
    response = page.goto(f"{server.url}/traces/{ids['globex'][0]}?tenant=acme", wait_until="networkidle")
    assert response is not None and response.status == 404

    page.goto(f"{server.url}/conversations?range=1h", wait_until="networkidle")
    rows = page.locator("#conversations tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[0].innerText, r.cells[1].innerText])")
    assert sorted(tuple(r) for r in rows if r[0] == "conv-shared") == [("conv-shared", "acme"), ("conv-shared", "globex")]
    page.locator("#conversations a[href*='tenant=globex']", has_text="conv-shared").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#turns tbody tr").count() == 1 and "globex" in page.locator(".totals").inner_text()
    response = page.goto(f"{server.url}/conversations/conv-shared", wait_until="networkidle")
    assert response is not None and response.status == 400 and "acme, globex" in page.inner_text("main")
    response = page.goto(f"{server.url}/overview?range=1h&tenant=" + "x%0Ay", wait_until="networkidle")
    assert response is not None and response.status == 400
    assert errors == []


def test_demo_rest_url_lists_traces_that_name_their_tenant_and_open(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    proc = spawn_demo(data, port, "--duration", "10")
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True)
    reader.start()
    try:
        output: list[str] = []
        deadline = time.monotonic() + 120
        while not any(READY in line for line in output) and time.monotonic() < deadline and proc.poll() is None:
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                pass
        assert any(READY in line for line in output), "".join(output)
        rest = next(line.split()[2] for line in output if line.strip().startswith("REST API"))
        assert rest == f"http://127.0.0.1:{port}/api/v1/traces"
        rows: list[dict[str, Any]] = []
        for _ in range(50):  # bounded: the first traces are stored before READY is printed
            rows = httpx.get(rest, timeout=30).json()["traces"]
            if rows:
                break
            time.sleep(0.2)
        assert rows and all(isinstance(r["tenant"], str) and r["tenant"] for r in rows)
        for row in rows[:20]:
            got = httpx.get(f"{rest}/{row['trace_id']}", timeout=30)
            assert got.status_code == 200 and got.json()["tenant"] == row["tenant"], got.text
            assert httpx.get(f"{rest}/{row['trace_id']}", params={"tenant": "*"}, timeout=30).status_code == 200
    finally:
        proc.wait(timeout=120)
        reader.join(timeout=10)
    assert proc.returncode == 0
