"""API keys and roles through a real ``genlens serve``: the tenant × endpoint matrix, content at read, the audit
of raw reads, UI sessions and CSRF, fuzzed credentials, live revocation, OTLP over HTTP and gRPC.

Keys are made with the real ``genlens keys create`` before the server starts; the server redacts nothing at
ingest (``GENLENS_PRIVACY_ENABLED=false``), so each tenant's planted secret is stored raw and only the read
path can hide it.  Every route is enumerated from the app itself, so a route added later is in the matrix.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.trace import SpanKind

from genlens.semconv import attrs as a
from genlens.server.auth import CLASSES, ROUTE_CLASSES, _Classifier, flat_routes
from tests.conftest import LiveServer, cli, start_server
from tests.otlp_helpers import log_request, new_span_id, new_trace_id, sdk_tracer, span_request

TENANTS = ("acme", "globex")
ROLES_BY_KEY = {"admin": "admin", "viewer_acme": "viewer", "viewer_globex": "viewer",
                "investigator_acme": "investigator", "ingest_acme": "ingest", "ingest_globex": "ingest",
                "viewer_both": "viewer"}
TENANTS_BY_KEY = {"viewer_acme": ["acme"], "viewer_globex": ["globex"], "investigator_acme": ["acme"],
                  "ingest_acme": ["acme"], "ingest_globex": ["globex"], "viewer_both": ["acme", "globex"]}
PROTOBUF = {"content-type": "application/x-protobuf"}
UNSCOPED = {"/api/v1/retention", "/", "/sessions", "/sessions/{conversation_id}"}  # no tenant data: settings, redirects


def secret(tenant: str) -> str:
    return f"{tenant}.private.person@example.org"


@dataclass
class World:
    server: LiveServer
    tokens: dict[str, str]
    ids: dict[str, dict[str, str]]  # tenant → trace_id, span_id, conversation_id

    def auth(self, name: str | None) -> dict[str, str]:
        return {} if name is None else {"Authorization": f"Bearer {self.tokens[name]}"}

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth(key), **kwargs.pop("headers", {})}
        return httpx.get(f"{self.server.url}{path}", headers=headers, timeout=30, follow_redirects=False, **kwargs)


def _create_keys(data: Path) -> dict[str, str]:
    tokens = {}
    for name, role in ROLES_BY_KEY.items():
        args = ["keys", "create", "--name", name, "--role", role, "--data", str(data), "--format", "json"]
        for tenant in TENANTS_BY_KEY.get(name, []):
            args += ["--tenant", tenant]
        done = cli(*args)
        assert done.returncode == 0, done.stderr
        tokens[name] = json.loads(done.stdout)["token"]
    return tokens


def _llm_attributes(tenant: str, conversation: str) -> dict[str, Any]:
    messages = [{"role": "user", "parts": [{"type": "text", "content": f"Mail me at {secret(tenant)} please"}]}]
    return {a.APP_FEATURE: "support", a.APP_CONVERSATION_ID: conversation, a.USER_ID: f"user-{tenant}",
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 10,
            "gen_ai.input.messages": json.dumps(messages)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("access")
    tokens = _create_keys(data)
    server = start_server(data, extra_env={"GENLENS_PRIVACY_ENABLED": "false", "GENLENS_INGEST_WORKERS": "1",
                                           "GENLENS_LOG_LEVEL": "warning"})
    ids: dict[str, dict[str, str]] = {}
    try:
        for tenant in TENANTS:  # through the real OTLP exporter, the key in its standard headers; no tenant named
            exporter = OTLPSpanExporter(endpoint=f"{server.url}/v1/traces",
                                        headers={"authorization": f"Bearer {tokens['ingest_' + tenant]}"})
            with sdk_tracer(exporter, service=f"{tenant}-svc") as tracer:
                with tracer.start_as_current_span(f"{tenant} turn") as root:
                    with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT,
                                                      attributes=_llm_attributes(tenant, f"conv-{tenant}")) as llm:
                        pass
            ids[tenant] = {"trace_id": format(root.get_span_context().trace_id, "032x"),
                           "span_id": format(llm.get_span_context().span_id, "016x"),
                           "conversation_id": f"conv-{tenant}"}
            logs = log_request([{"body": f"log line for {secret(tenant)}", "time": time.time_ns(),
                                 "trace_id": bytes.fromhex(ids[tenant]["trace_id"]),
                                 "span_id": bytes.fromhex(ids[tenant]["span_id"])}])
            answer = httpx.post(f"{server.url}/v1/logs", content=logs.SerializeToString(),
                                headers={**PROTOBUF, "authorization": f"Bearer {tokens['ingest_' + tenant]}"}, timeout=30)
            assert answer.status_code == 200, answer.text
        world = World(server, tokens, ids)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
                not world.get(f"/api/v1/traces?tenant={t}", "admin").json()["traces"] for t in TENANTS):
            time.sleep(0.2)
        yield world
    finally:
        server.stop()


def test_exports_need_a_key_that_may_ingest_and_stay_in_its_tenants(world: World) -> None:
    trace_id, span_id = new_trace_id(), new_span_id()
    now = time.time_ns()
    body = span_request([
        {"trace_id": trace_id, "span_id": span_id, "name": "own tenant", "start": now, "end": now + 1000},
        {"trace_id": trace_id, "span_id": new_span_id(), "parent": span_id, "name": "foreign", "start": now,
         "end": now + 1000, "attributes": {a.APP_TENANT_ID: "globex"}},
    ]).SerializeToString()
    url = f"{world.server.url}/v1/traces"
    nobody = httpx.post(url, content=body, headers=PROTOBUF, timeout=30)
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"].startswith("Bearer")
    for reader in ("viewer_acme", "investigator_acme"):
        assert httpx.post(url, content=body, headers={**PROTOBUF, **world.auth(reader)}, timeout=30).status_code == 403
    answer = httpx.post(url, content=body, headers={**PROTOBUF, **world.auth("ingest_acme")}, timeout=30)
    assert answer.status_code == 200
    partial = ExportTraceServiceResponse.FromString(answer.content).partial_success
    assert partial.rejected_spans == 1 and "not one of this key's tenants" in partial.error_message
    tid = trace_id.hex()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and world.get(f"/api/v1/traces/{tid}?tenant=acme", "admin").status_code != 200:
        time.sleep(0.2)
    spans = world.get(f"/api/v1/traces/{tid}?tenant=acme&format=flat", "admin").json()["spans"]
    assert [s["name"] for s in spans] == ["own tenant"]
    assert world.get(f"/api/v1/traces/{tid}?tenant=globex", "admin").status_code == 404
    metrics = world.get("/metrics", "admin").text
    assert re.search(r'genlens_items_rejected_total\{[^}]*reason="tenant"[^}]*\} 1\.0', metrics), metrics[-2000:]
    # the exporter's spans named no tenant: they landed in their key's tenant
    for tenant in TENANTS:
        listed = world.get(f"/api/v1/traces?tenant={tenant}", "admin").json()["traces"]
        assert world.ids[tenant]["trace_id"] in {t["trace_id"] for t in listed}
        assert {t["tenant"] for t in listed} == {tenant}


def test_otlp_grpc_checks_the_key_in_its_metadata(world: World) -> None:
    now = time.time_ns()
    body = span_request([{"trace_id": new_trace_id(), "span_id": new_span_id(), "name": "grpc", "start": now,
                          "end": now + 10}]).SerializeToString()
    channel = grpc.insecure_channel(f"127.0.0.1:{world.server.grpc_port}")
    export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                                 request_serializer=None, response_deserializer=ExportTraceServiceResponse.FromString)
    try:
        for metadata, code in ((None, grpc.StatusCode.UNAUTHENTICATED),
                               ((("authorization", "Bearer glk_00000000_" + "a" * 43),), grpc.StatusCode.UNAUTHENTICATED),
                               ((("authorization", f"Bearer {world.tokens['viewer_acme']}"),),
                                grpc.StatusCode.PERMISSION_DENIED)):
            with pytest.raises(grpc.RpcError) as failed:
                export(body, metadata=metadata, timeout=10)
            assert failed.value.code() == code
        reply = export(body, metadata=(("authorization", f"Bearer {world.tokens['ingest_acme']}"),), timeout=10)
        assert reply.partial_success.rejected_spans == 0
    finally:
        channel.close()


def _routes(tmp_path: Path) -> tuple[list[tuple[str, str]], _Classifier]:
    """Every (method, path template) of the app, and their access classes, from an app built like the server's."""
    from genlens.server.app import create_app
    from genlens.server.runtime import build
    from genlens.settings import resolve

    settings = resolve({"data": str(tmp_path), "ingest_workers": 0, "grpc_port": 0}, environ={})
    parts = build(settings)
    try:
        app = create_app(settings, parts.store, parts.writer, parts.ingestor, parts.book, keys=parts.keys)
        routes = [(m, r.path) for r in flat_routes(app.router.routes) if getattr(r, "methods", None)
                  for m in sorted(r.methods) if m != "HEAD"]
        return routes, _Classifier(app.router.routes, metrics_public=False)
    finally:
        parts.close()


def _fill(path: str, ids: dict[str, str]) -> str:
    values = {"trace_id": ids["trace_id"], "span_id": ids["span_id"], "conversation_id": ids["conversation_id"],
              "conv_id": ids["conversation_id"], "slo_id": "none", "family": "all", "request_id": "0" * 32}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)


def _call(world: World, method: str, path: str, key: str | None, extra: str = "") -> httpx.Response:
    sep = "&" if "?" in path else "?"
    url = f"{world.server.url}{path}{sep}format=json{extra}"
    headers = {**world.auth(key), "accept": "application/json"}
    if method == "POST":
        return httpx.post(url, headers=headers, content=b"{}", timeout=30)
    return httpx.request(method, url, headers=headers, timeout=30)


def test_every_route_is_classified_and_answers_each_role_as_its_class_says(world: World, tmp_path: Path) -> None:
    routes, classify = _routes(tmp_path)
    assert classify.unclassified == []
    assert len(routes) >= 40 and set(ROUTE_CLASSES.values()) <= set(CLASSES)
    allowed = {"admin": {"ingest", "read", "admin", "metrics", "any"}, "viewer": {"read", "any"},
               "investigator": {"read", "any"}, "ingest": {"ingest", "any"}}
    seen_classes = set()
    for method, template in routes:
        need = classify(method, template if "{" not in template else _fill(template, world.ids["acme"]))
        seen_classes.add(need)
        path = _fill(template, world.ids["acme"])
        anonymous = _call(world, method, path, None)
        assert anonymous.status_code < 500, (method, path, anonymous.text[:300])
        if need == "public":  # no key asked for (a sign-in with no key in its form is the page's own 401)
            assert "www-authenticate" not in anonymous.headers and anonymous.status_code != 403, (method, path)
            continue
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        for key in ("admin", "viewer_acme", "investigator_acme", "ingest_acme"):
            answer = _call(world, method, path, key)
            assert answer.status_code < 500, (method, path, key, answer.text[:300])
            if need in allowed[ROLES_BY_KEY[key]]:
                assert answer.status_code not in (401, 403), (method, path, key, answer.text[:300])
            else:
                assert answer.status_code == 403, (method, path, key, answer.status_code)
    assert seen_classes == set(CLASSES)


def _read_routes(world: World, tmp_path: Path) -> list[str]:
    routes, classify = _routes(tmp_path)
    return [template for method, template in routes if method == "GET" and classify(method, template) == "read"]


def test_a_key_of_one_tenant_reads_nothing_of_another(world: World, tmp_path: Path) -> None:
    mine, theirs = world.ids["acme"], world.ids["globex"]
    data_marks = (secret("globex"), "user-globex", "globex-svc", "globex turn")  # what only globex's data holds
    id_marks = (theirs["trace_id"], theirs["span_id"], theirs["conversation_id"])
    checked = 0
    for template in _read_routes(world, tmp_path):
        for ids in (mine, theirs):  # its own ids, and the other tenant's ids in the same routes (an error may
            marks = data_marks + (id_marks if ids is mine else ())  # repeat an id asked for, never its data)
            for extra in ("", "&tenant=globex", "&tenant=*", "&start=30d"):
                answer = _call(world, "GET", _fill(template, ids), "viewer_acme", extra)
                assert answer.status_code < 500, (template, extra, answer.text[:300])
                if extra == "&tenant=globex" and template not in UNSCOPED:
                    assert answer.status_code == 404, (template, answer.status_code)
                if extra == "&tenant=*" and template not in UNSCOPED:
                    assert answer.status_code == 403, (template, answer.status_code)
                for mark in marks:
                    assert mark not in answer.text, (template, ids is theirs, extra, mark)
                checked += 1
    assert checked > 100
    # a key of both tenants reads either, one at a time, and must name it
    both = world.get("/api/v1/traces", "viewer_both")
    assert both.status_code == 400 and "name one" in both.json()["detail"]
    for tenant in TENANTS:
        listed = world.get(f"/api/v1/traces?tenant={tenant}", "viewer_both").json()["traces"]
        assert {t["tenant"] for t in listed} == {tenant}


def test_viewers_see_content_redacted_and_raw_content_needs_a_purpose_and_is_audited(world: World,
                                                                                 tmp_path: Path) -> None:
    ids = world.ids["acme"]
    raw = secret("acme")
    for template in _read_routes(world, tmp_path):
        path = _fill(template, ids)
        for key in ("viewer_acme", "investigator_acme"):
            answer = _call(world, "GET", path, key)
            assert raw not in answer.text, (template, key)
        viewer_asks = _call(world, "GET", path, "viewer_acme", "&purpose=curious")
        assert raw not in viewer_asks.text, template  # a purpose does not lift a viewer's redaction
    span = world.get(f"/api/v1/spans/{ids['span_id']}", "viewer_acme").json()
    assert "[EMAIL]" in json.dumps(span) and raw not in json.dumps(span)

    def audited() -> list[dict[str, Any]]:
        return world.get("/api/v1/audit?action=content.read&limit=1000", "admin").json()["entries"]

    before = len(audited())
    reads = [("investigator_acme", f"/api/v1/spans/{ids['span_id']}", "ticket INC-1"),
             ("investigator_acme", f"/api/v1/traces/{ids['trace_id']}", "ticket INC-2"),
             ("investigator_acme", f"/api/v1/logs?trace_id={ids['trace_id']}", "ticket INC-3"),
             ("admin", f"/api/v1/spans/{ids['span_id']}?tenant=acme", "legal hold 7")]
    for key, path, purpose in reads:
        sep = "&" if "?" in path else "?"
        answer = world.get(f"{path}{sep}purpose={purpose}", key)
        assert answer.status_code == 200 and raw in answer.text, (path, answer.text[:300])
    header = world.get(f"/api/v1/spans/{ids['span_id']}", "investigator_acme",
                       headers={"X-Genlens-Purpose": "ticket INC-4"})
    assert raw in header.text
    ui = world.get(f"/traces/{ids['trace_id']}?span={ids['span_id']}&purpose=ticket+INC-5&format=json",
                   "investigator_acme")
    assert ui.status_code == 200 and raw in ui.text
    entries = audited()
    assert len(entries) - before == len(reads) + 2
    newest = {e["purpose"]: e for e in entries[: len(reads) + 2]}
    assert set(newest) == {"ticket INC-1", "ticket INC-2", "ticket INC-3", "legal hold 7", "ticket INC-4",
                           "ticket INC-5"}
    first = newest["ticket INC-1"]
    key_id = world.tokens["investigator_acme"].split("_")[1]
    assert first["actor"].startswith(f"key:{key_id}") and first["tenant"] == "acme"
    assert ids["trace_id"] in first["target"] and first["details"]["kind"] == "content"
    assert world.tokens["investigator_acme"] not in json.dumps(entries)
    for hostile in ("x" * 501, "a\x00b", "line\nbreak"):
        answer = world.get(f"/api/v1/spans/{ids['span_id']}", "investigator_acme", params={"purpose": hostile})
        assert answer.status_code == 400 and raw not in answer.text
    assert len(audited()) == len(entries)  # refused reads leave no entry


def test_fuzzed_credentials_never_get_past_401_or_cause_a_500(world: World) -> None:
    rnd = random.Random(20261205)
    valid = world.tokens["viewer_acme"]
    alphabet = [chr(c) for c in range(0x20, 0x7f)] + [chr(c) for c in range(0xa0, 0x100)]

    def junk(n: int) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(n))

    values = ["", " ", "Bearer", "Bearer ", "Bearer  ", "bearer " + valid[:-1], "Basic " + valid, valid,
              "Bearer " + valid.replace("glk_", "glk-"), "Bearer " + "x" * 8000, "Bearer glk_" + "0" * 8 + "_" + "a" * 43,
              "Bearer " + valid + " extra", "Token " + valid, "Bearer\t" + valid[:-3]]
    values += [junk(rnd.randint(1, 300)) for _ in range(150)]
    values += ["Bearer " + junk(rnd.randint(1, 120)) for _ in range(100)]
    paths = [("GET", "/api/v1/traces"), ("POST", "/v1/traces"), ("GET", "/metrics"), ("GET", "/api/v1/audit"),
             ("GET", "/traces")]
    with httpx.Client(base_url=world.server.url, timeout=30) as client:
        for i, value in enumerate(values):
            method, path = paths[i % len(paths)]
            headers = [(b"authorization", value.strip(" \t").encode("latin-1"))]  # h11 sends no outer blanks
            if i % 3 == 0:
                headers.append((b"cookie", f"genlens_session={junk(rnd.randint(0, 250))}".encode("latin-1")))
            answer = client.request(method, path, headers=headers, content=b"" if method == "POST" else None)
            assert answer.status_code == 401, (value[:80], path, answer.status_code)
        assert client.get("/api/v1/whoami", headers=world.auth("viewer_acme")).status_code == 200


def _sign_in(world: World, key: str, origin: str | None = None) -> httpx.Response:
    headers = {"content-type": "application/x-www-form-urlencoded", "origin": origin or world.server.url}
    return httpx.post(f"{world.server.url}/login", headers=headers, timeout=30,
                      content=f"key={world.tokens[key]}&next=/traces")


def test_ui_sign_in_makes_a_strict_http_only_session_and_changes_need_its_csrf_token(world: World) -> None:
    assert world.get("/traces", headers={"accept": "text/html"}).headers["location"] == "/login?next=%2Ftraces"
    assert _sign_in(world, "ingest_acme").status_code == 403
    assert _sign_in(world, "viewer_acme", origin="https://evil.example").status_code == 403
    bad = httpx.post(f"{world.server.url}/login", content="key=glk_nope&next=//evil.example", timeout=30,
                     headers={"content-type": "application/x-www-form-urlencoded", "origin": world.server.url})
    assert bad.status_code == 401 and "not valid" in bad.text
    signed = _sign_in(world, "admin")
    assert signed.status_code == 303 and signed.headers["location"] == "/traces"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Path=/" in cookie
    jar = {"genlens_session": signed.cookies["genlens_session"]}
    with httpx.Client(base_url=world.server.url, cookies=jar, timeout=30) as browser:
        page = browser.get("/traces")
        assert page.status_code == 200 and 'data-who=' in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        body = {"trace_id": "f" * 32}
        assert browser.post("/api/v1/erasure", json=body).status_code == 403
        assert browser.post("/api/v1/erasure", json=body, headers={"x-csrf-token": "nope"}).status_code == 403
        erased = browser.post("/api/v1/erasure", json=body, headers={"x-csrf-token": csrf.group(1)})
        assert erased.status_code == 200 and erased.json()["traces"] == 0
        assert browser.post("/logout", data={"csrf": "wrong"}).status_code == 403
        out = browser.post("/logout", data={"csrf": csrf.group(1)})
        assert out.status_code == 303 and 'genlens_session=""' in out.headers["set-cookie"]
    tampered = {"genlens_session": jar["genlens_session"][:-2] + "xx"}
    assert httpx.get(f"{world.server.url}/api/v1/traces", cookies=tampered, timeout=30).status_code == 401
    audit = world.get("/api/v1/audit?action=erasure.requested", "admin").json()["entries"]
    assert audit and audit[0]["actor"].startswith("rest key:")


def test_metrics_need_an_admin_key(world: World) -> None:
    assert world.get("/metrics").status_code == 401
    assert world.get("/metrics", "viewer_acme").status_code == 403
    assert world.get("/metrics", "admin").status_code == 200
    assert world.get("/healthz").status_code == 200 and world.get("/docs").status_code == 200


def test_a_revoked_key_and_its_sessions_stop_while_the_server_runs(world: World) -> None:
    made = cli("keys", "create", "--name", "temp", "--role", "viewer", "--tenant", "acme",
               "--data", str(world.server.data), "--format", "json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    world.tokens["temp"] = key["token"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and world.get("/api/v1/whoami", "temp").status_code != 200:
        time.sleep(0.1)
    assert world.get("/api/v1/whoami", "temp").json()["key"]["name"] == "temp"
    session = _sign_in(world, "temp").cookies["genlens_session"]
    revoked = cli("keys", "revoke", key["id"], "--data", str(world.server.data))
    assert revoked.returncode == 0, revoked.stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and world.get("/api/v1/whoami", "temp").status_code != 401:
        time.sleep(0.1)
    assert world.get("/api/v1/whoami", "temp").status_code == 401
    assert httpx.get(f"{world.server.url}/api/v1/traces", cookies={"genlens_session": session},
                     timeout=30).status_code == 401
    listed = cli("keys", "list", "--all", "--format", "json", "--data", str(world.server.data))
    assert any(k["id"] == key["id"] and k["revoked_ns"] for k in json.loads(listed.stdout))
