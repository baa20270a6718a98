"""Tail sampling through a real server: OTLP in, decisions made by the server's sampling job, content kept for
every error, slow and expensive trace and dropped for the rest, skeleton totals untouched, and a server killed
with SIGKILL while decisions are pending loses none of them: the next server decides them all."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

from tests.conftest import start_server
from tests.otlp_helpers import span_request

T0 = time.time_ns() - 60 * 10**9
NO_BASELINE = ('[{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}, '
               '{name: slow, type: latency, latency: {threshold_ms: 5000}}, '
               '{name: expensive, type: cost, cost: {threshold_usd: 0.10}}]')


def _trace(i: int, *, error: bool = False, slow: bool = False, cost: float = 0.001) -> list[dict[str, Any]]:
    tid = (0xC0 + i).to_bytes(16, "big")
    root, child = (i * 4 + 1).to_bytes(8, "big"), (i * 4 + 2).to_bytes(8, "big")
    start = T0 + i * 10**6
    end = start + (6 * 10**9 if slow else 10**8)
    llm = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
           "app.llm.cost_usd": cost, "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5,
           "gen_ai.input.messages": json.dumps(
               [{"role": "user", "parts": [{"type": "text", "content": f"marker-{i}"}]}])}
    return [{"trace_id": tid, "span_id": child, "parent": root, "name": "chat", "start": start, "end": end,
             "attributes": llm, "status": 2 if error else 0},
            {"trace_id": tid, "span_id": root, "name": "turn", "start": start, "end": end}]


SHAPES: list[dict[str, Any]] = [{"error": True}, {"slow": True}, {"cost": 0.5}, {}, {}, {}]


def _send(url: str) -> None:
    for i, shape in enumerate(SHAPES):
        body = span_request(_trace(i, **shape)).SerializeToString()
        r = httpx.post(f"{url}/v1/traces", content=body, headers={"Content-Type": "application/x-protobuf"},
                       timeout=10)
        assert r.status_code == 200, r.text


def _sampling(url: str, want_seen: int, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s  # bounded
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = httpx.get(f"{url}/api/v1/sampling", timeout=10).json()
        if view["seen_traces"] >= want_seen:
            return view
        time.sleep(0.2)
    raise AssertionError(f"decisions did not come: {view}")


def _direct(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _env(**extra: str) -> dict[str, str]:
    return {"GENLENS_SAMPLING_ENABLED": "true", "GENLENS_SAMPLING_POLICIES": NO_BASELINE,
            "GENLENS_SAMPLING_INTERVAL": "200ms", "GENLENS_COST_DETECT_INTERVAL_S": "0", **extra}


def test_the_server_keeps_content_of_traces_worth_debugging(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", extra_env=_env(GENLENS_SAMPLING_COMPLETION_GRACE="0s"))
    try:
        _send(server.url)
        view = _sampling(server.url, len(SHAPES))
        assert view["kept_traces"] == 3 and view["seen_traces"] == 6
        assert {r["reason"]: r["traces"] for r in view["decisions"] if r["keep"]} == \
            {"errors": 1, "slow": 1, "expensive": 1}
        for i in range(len(SHAPES)):
            got = httpx.get(f"{server.url}/api/v1/traces/{0xC0 + i:032x}", params={"format": "flat"}, timeout=10)
            assert got.status_code == 200, got.text
            assert (f"marker-{i}" in got.text) == (i < 3), i
        metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
        assert 'genlens_content_traces_total{decision="dropped",reason="not_sampled"} 3.0' in metrics
    finally:
        server.stop()
    path = tmp_path / "data" / "genlens.duckdb"
    # the skeleton is whole: every span with its cost, whatever happened to the content
    assert _direct(path, "SELECT count(*), round(sum(cost_usd), 6) FROM spans") == [(12, round(0.5 + 5 * 0.001, 6))]


def test_pending_decisions_survive_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data, extra_env=_env(GENLENS_SAMPLING_COMPLETION_GRACE="1h",
                                              GENLENS_SAMPLING_DECISION_WAIT="1h"))
    try:
        _send(first.url)
        assert httpx.get(f"{first.url}/api/v1/sampling", timeout=10).json()["seen_traces"] == 0
    finally:
        first.process.kill()  # SIGKILL: the decisions are still pending
        first.process.wait(timeout=10)
    path = data / "genlens.duckdb"
    assert _direct(path, "SELECT count(DISTINCT trace_id) FROM content_pending") == [(len(SHAPES),)]
    second = start_server(data, extra_env=_env(GENLENS_SAMPLING_COMPLETION_GRACE="0s"))
    try:
        view = _sampling(second.url, len(SHAPES))
        assert view["seen_traces"] == len(SHAPES) and view["kept_traces"] == 3
    finally:
        second.stop()
    assert _direct(path, "SELECT count(*) FROM content_pending") == [(0,)]
    assert _direct(path, "SELECT count(DISTINCT trace_id) FROM span_content") == [(3,)]


def test_the_sampling_endpoint_refuses_hostile_parameters(live_server: Any) -> None:
    for params in ({"since": "yesterday-ish"}, {"since": "9" * 90}, {"since": "x" * 500},
                   {"tenant": "a\nb"}, {"tenant": "t" * 500}):
        r = httpx.get(f"{live_server.url}/api/v1/sampling", params=params, timeout=10)
        assert r.status_code == 400, (params, r.status_code, r.text)
        assert r.json()["error"] == "BadRequest"
    ok = httpx.get(f"{live_server.url}/api/v1/sampling", params={"since": "1h", "tenant": "nobody"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["enabled"] is False and ok.json()["seen_traces"] == 0
