"""End to end: OTLP into a live ``genlens serve --prices``, cost out of REST and the CLI."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import LiveServer, cli, run_main, start_server
from tests.cost.workload import DAY, END, PRICE_CHANGE, PRICE_FILE, T0, WEEK2, Plants, expected_cost, generate
from tests.otlp_helpers import span_request

EDGE_AT = T0 + 3 * DAY


def _attrs(row: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"app.llm.feature": row["feature"], "app.llm.tenant.id": row["tenant"],
                             "app.llm.conversation.id": row["conversation_id"], "user.id": row["user_id"],
                             "app.llm.prompt.template.sha": row["prompt_sha"]}
    if row["kind"] == "workflow":
        return {**attrs, "gen_ai.operation.name": "invoke_workflow"}
    attrs.update({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": row["provider"],
        "gen_ai.request.model": row["request_model"], "app.llm.experiment.variant": row["experiment_variant"],
        "gen_ai.usage.input_tokens": row["input_tokens"], "gen_ai.usage.output_tokens": row["output_tokens"],
        "gen_ai.usage.cache_read.input_tokens": row["cache_read_tokens"],
        "gen_ai.usage.cache_creation.input_tokens": row["cache_write_tokens"],
        "gen_ai.usage.reasoning.output_tokens": row["reasoning_tokens"],
    })
    if row["response_model"]:
        attrs["gen_ai.response.model"] = row["response_model"]
    if row.get("cost_source") == "reported":
        attrs["app.llm.cost_usd"] = row["cost_usd"]
    return attrs


def _span(row: dict[str, Any], attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"trace_id": bytes.fromhex(row["trace_id"]), "span_id": bytes.fromhex(row["span_id"]),
            "name": row.get("name", "chat"), "start": row["start_ns"], "end": row["end_ns"],
            "attributes": attrs if attrs is not None else _attrs(row)}


def _edge(i: int, feature: str, at: int = EDGE_AT, **usage: Any) -> dict[str, Any]:
    attrs = {"gen_ai.operation.name": "chat", "app.llm.feature": feature, "app.llm.tenant.id": "edge", **usage}
    return {"trace_id": (10**6 + i).to_bytes(16, "big"), "span_id": (10**6 + i).to_bytes(8, "big"),
            "name": "chat", "start": at, "end": at + 10**9, "attributes": attrs}


LLAMA = {"gen_ai.provider.name": "self-hosted", "gen_ai.request.model": "llama-prod"}
MINI = {"gen_ai.provider.name": "openai"}
EDGES = [
    _edge(1, "openai-style", **LLAMA, **{"gen_ai.usage.input_tokens": 1000,
                                         "gen_ai.usage.cache_read.input_tokens": 800, "gen_ai.usage.output_tokens": 50}),
    _edge(2, "anthropic-style", **LLAMA, **{"gen_ai.usage.input_tokens": 200,
                                            "gen_ai.usage.cache_read.input_tokens": 800, "gen_ai.usage.output_tokens": 50}),
    _edge(3, "alias", **MINI, **{"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 5000,
                                 "gen_ai.usage.output_tokens": 70}),
    _edge(4, "dated", **MINI, **{"gen_ai.request.model": "gpt-4o-mini-2024-07-18", "gen_ai.usage.input_tokens": 5000,
                                 "gen_ai.usage.output_tokens": 70}),
    _edge(5, "no-usage", **LLAMA),
    _edge(6, "zero", **LLAMA, **{"gen_ai.usage.input_tokens": 0, "gen_ai.usage.output_tokens": 0}),
    _edge(7, "negative", **LLAMA, **{"gen_ai.usage.input_tokens": -5, "gen_ai.usage.output_tokens": 10}),
    _edge(8, "absurd", **LLAMA, **{"gen_ai.usage.input_tokens": 10**12, "gen_ai.usage.output_tokens": 10}),
    _edge(9, "unknown-model", **{"gen_ai.provider.name": "self-hosted", "gen_ai.request.model": "nobody-knows-me",
                                 "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10}),
    _edge(10, "price-change", PRICE_CHANGE - 10**9, **{"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
                                                       "gen_ai.usage.input_tokens": 1_000_000,
                                                       "gen_ai.usage.output_tokens": 0}),
    _edge(11, "price-change", PRICE_CHANGE, **{"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
                                               "gen_ai.usage.input_tokens": 1_000_000, "gen_ai.usage.output_tokens": 0}),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, list[dict[str, Any]]]]:
    base = tmp_path_factory.mktemp("cost-server")
    prices = base / "prices.yaml"
    prices.write_text(PRICE_FILE)
    server = start_server(base / "data", args=["--prices", str(prices)])
    try:
        rows = generate(seed=3, plants=Plants(), per_day=150)
        by_version: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_version[row.get("service_version") or "1.4.2"].append(_span(row))
        for version, spans in by_version.items():
            for i in range(0, len(spans), 400):
                body = span_request(spans[i:i + 400], {"service.name": "support-bot", "service.version": version})
                response = httpx.post(f"{server.url}/v1/traces", content=body.SerializeToString(),
                                      headers={"Content-Type": "application/x-protobuf"}, timeout=30)
                assert response.status_code == 200, response.text
        response = httpx.post(f"{server.url}/v1/traces", content=span_request(EDGES).SerializeToString(),
                              headers={"Content-Type": "application/x-protobuf"}, timeout=30)
        assert response.status_code == 200
        yield server, rows
    finally:
        server.stop()


def get(server: LiveServer, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", params=params, timeout=30)


def test_cost_by_feature_and_prompt_over_rest(served: tuple[LiveServer, list[dict[str, Any]]]) -> None:
    server, rows = served
    body = get(server, "/api/v1/cost", group_by="tenant,feature,prompt_sha", start=str(WEEK2), end=str(END),
               tenant="*").json()
    llm = [r for r in rows if r["kind"] == "llm" and WEEK2 <= r["start_ns"] < END]
    want: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in llm:
        want[(r["tenant"], r["feature"], r["prompt_sha"])].append(r)
    got = {(r["tenant"], r["feature"], r["prompt_sha"]): r for r in body["rows"] if r["tenant"] != "edge"}
    assert set(got) == set(want)
    for key, members in want.items():
        costs = [expected_cost(r) for r in members]
        known = [c for c in costs if c is not None]
        assert got[key]["calls"] == len(members)
        assert got[key]["unknown_cost_calls"] == len(members) - len(known)
        assert math.isclose(got[key]["cost_usd"], math.fsum(known), rel_tol=1e-9)
        for t in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"):
            assert got[key][t] == sum(r[t] for r in members), (key, t)
    assert body["total"]["calls"] == len(llm) + 2  # the two edge-case spans around the price change
    versions = get(server, "/api/v1/cost", group_by="service_version", start=str(WEEK2), end=str(END),
                   tenant="*").json()["rows"]
    assert {v["service_version"] for v in versions} == {"1.4.2", "1.5.0", None}  # None: the edge-case spans


def test_edge_cases_through_the_real_pipeline(served: tuple[LiveServer, list[dict[str, Any]]]) -> None:
    server, _ = served
    body = get(server, "/api/v1/cost", group_by="feature", tenant="edge", start=str(T0), end=str(END)).json()
    rows = {r["feature"]: r for r in body["rows"]}
    llama = (200 * 0.20 + 800 * 0.02 + 50 * 0.60) / 1e6
    assert math.isclose(rows["openai-style"]["cost_usd"], llama, rel_tol=1e-9)
    assert math.isclose(rows["anthropic-style"]["cost_usd"], llama, rel_tol=1e-9)
    assert rows["openai-style"]["input_tokens"] == rows["anthropic-style"]["input_tokens"] == 1000
    assert math.isclose(rows["alias"]["cost_usd"], (5000 * 0.15 + 70 * 0.60) / 1e6, rel_tol=1e-9)
    assert rows["dated"]["cost_usd"] == rows["alias"]["cost_usd"]
    for unknown in ("no-usage", "negative", "absurd", "unknown-model"):
        assert rows[unknown]["cost_usd"] is None and rows[unknown]["unknown_cost_calls"] == 1, unknown
    # A negative or absurd count is refused: never summed, and the span is not priced on what is left.
    for refused in ("negative", "absurd"):
        assert rows[refused]["input_tokens"] == 0 and rows[refused]["output_tokens"] == 10, refused
    assert rows["zero"]["cost_usd"] == 0.0 and rows["zero"]["unknown_cost_calls"] == 0
    assert math.isclose(rows["price-change"]["cost_usd"], 2.50 + 2.00, rel_tol=1e-9)
    assert body["total"]["unknown_cost_calls"] == 4
    known = [llama, llama, (5000 * 0.15 + 70 * 0.60) / 1e6, (5000 * 0.15 + 70 * 0.60) / 1e6, 0.0, 2.50, 2.00]
    assert math.isclose(body["total"]["cost_usd"], math.fsum(known), rel_tol=1e-9)
    # Valid counts only, from the EDGES table: cache beside input added in, refused counts left out.
    assert body["total"]["input_tokens"] == 1000 + 1000 + 5000 + 5000 + 0 + 100 + 2 * 1_000_000
    assert body["total"]["output_tokens"] == 50 + 50 + 70 + 70 + 0 + 10 + 10 + 10


@pytest.mark.parametrize(("edge", "sent"), [(7, -5), (8, 10**12)])
def test_refused_count_is_kept_on_the_span(served: tuple[LiveServer, list[dict[str, Any]]], edge: int,
                                           sent: int) -> None:
    server, _ = served
    span = get(server, f"/api/v1/spans/{(10**6 + edge).to_bytes(8, 'big').hex()}", tenant="edge").json()
    assert span["attributes"]["gen_ai.usage.input_tokens"] == sent  # nothing the client sent is lost
    assert (span["input_tokens"], span["output_tokens"], span["total_tokens"]) == (None, 10, 10)
    assert (span["cost_usd"], span["cost_source"], span["price_source"]) == (None, "unknown", None)
    assert "_invalid_usage" not in span


def test_cache_users_conversations_month(served: tuple[LiveServer, list[dict[str, Any]]]) -> None:
    server, rows = served
    scope = {"start": str(WEEK2), "end": str(END), "tenant": "acme"}
    cache = get(server, "/api/v1/cost/cache", by="feature", **scope).json()
    for row in cache["rows"]:
        members = [r for r in rows if r["kind"] == "llm" and r["tenant"] == "acme" and WEEK2 <= r["start_ns"] < END
                   and r["feature"] == row["feature"]]
        want = sum(r["cache_read_tokens"] for r in members) / sum(r["input_tokens"] for r in members)
        assert math.isclose(row["cache_hit_rate"], want, rel_tol=1e-9)
    top = get(server, "/api/v1/cost/conversations", top=1, **scope).json()["conversations"]
    assert top[0]["conversation_id"] == "conv-runaway"
    turns = get(server, "/api/v1/cost/conversations/conv-runaway", **scope).json()
    assert len(turns["turns"]) == 100 and turns["cumulative_tokens"] == top[0]["total_tokens"]
    # every tenant by default: the one tenant that has this conversation id answers
    bare = get(server, "/api/v1/cost/conversations/conv-runaway", start=str(WEEK2), end=str(END)).json()
    assert bare == {**turns, "tenant": "acme"} and turns["tenant"] == "acme"
    users = get(server, "/api/v1/cost/users", top=3, **scope).json()["users"]
    assert users[0]["user_id"] == "user-7" and len(users) == 3
    month = get(server, "/api/v1/cost/month", at=str(END), tenant="acme").json()
    assert month["month_start"] == "2026-10-01T00:00:00Z" and month["projected_month_usd"] > month["month_to_date_usd"]


def test_report_and_detect_cli_against_the_server(served: tuple[LiveServer, list[dict[str, Any]]],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    server, _ = served
    window = ["--since", "2026-10-12T00:00:00Z", "--until", "2026-10-19T00:00:00Z"]
    done = cli("report", "cost", *window, "--server", server.url, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    api = get(server, "/api/v1/cost/report", start=str(WEEK2), end=str(END), tenant="*").json()
    assert report == api
    markdown = run_main(capsys, "report", "cost", *window, "--server", server.url)
    assert markdown.returncode == 0 and markdown.stdout.count("\n## ") == 5

    detect = run_main(capsys, "detect", "cost", *window, "--server", server.url, "--format", "json")
    assert detect.returncode == 0, detect.stderr
    found = orjson.loads(detect.stdout)["findings"]
    assert any(f["kind"] == "runaway_conversation" and f["conversation_id"] == "conv-runaway" for f in found)
    listed = get(server, "/api/v1/findings", tenant="acme", kind="runaway_conversation").json()["findings"]
    assert [f["conversation_id"] for f in listed] == ["conv-runaway"]
    assert get(server, "/api/v1/findings", tenant="acme", kind="runaway_conversation", since=str(END)).json() == {
        "findings": []}

    locked = run_main(capsys, "report", "cost", *window, "--data", str(server.data))
    assert locked.returncode == 2 and "--server" in locked.stderr and "Traceback" not in locked.stderr


@pytest.mark.parametrize("path,params,needle", [
    ("/api/v1/cost", {"group_by": "feature,color"}, "group_by"),
    ("/api/v1/cost", {"group_by": "feature,feature"}, "repeated"),
    ("/api/v1/cost", {"group_by": "hour,day"}, "hour or day"),
    ("/api/v1/cost", {"start": "yesterday-ish"}, "ISO-8601"),
    ("/api/v1/cost", {"start": "2026-10-10", "end": "2026-10-01"}, "after start"),
    ("/api/v1/cost", {"start": "2020-01-01", "end": "2026-01-01"}, "longer than"),
    ("/api/v1/cost", {"start": "99999999999999999999999"}, "out of range"),
    ("/api/v1/cost", {"limit": "0"}, "limit"),
    ("/api/v1/cost", {"feature": "x" * 600}, "feature"),
    ("/api/v1/cost/cache", {"by": "prompt_sha"}, "by"),
    ("/api/v1/cost/users", {"top": "100000"}, "top"),
    ("/api/v1/cost", {"tenant": "ac\nme"}, "tenant"),
    ("/api/v1/findings", {"tenant": "a" * 201}, "tenant"),
    ("/api/v1/cost/conversations/" + "c" * 301, {}, "conversation id"),
    ("/api/v1/cost/month", {"at": "not a time"}, "ISO-8601"),
    ("/api/v1/findings", {"kind": "bogus"}, "kind"),
    ("/api/v1/findings", {"since": "-3d"}, "ISO-8601"),
])
def test_bad_parameters_are_400(served: tuple[LiveServer, list[dict[str, Any]]], path: str,
                                params: dict[str, str], needle: str) -> None:
    server, _ = served
    response = get(server, path, **params)
    assert response.status_code == 400, response.text
    assert needle in response.text


def test_report_from_the_data_directory_after_shutdown(served: tuple[LiveServer, list[dict[str, Any]]],
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, _ = served
    window = ["--since", "2026-10-12T00:00:00Z", "--until", "2026-10-19T00:00:00Z"]
    api = get(server, "/api/v1/cost/report", start=str(WEEK2), end=str(END), tenant="*").json()
    server.stop()
    prices = server.data.parent / "prices.yaml"
    done = cli("report", "cost", *window, "--data", str(server.data), "--prices", str(prices), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout) == api
    csv_out = run_main(capsys, "report", "cost", *window, "--data", str(server.data), "--format", "csv")
    assert csv_out.returncode == 0 and csv_out.stdout.startswith("table,feature,prompt_sha,tenant,cost_usd")
    text = run_main(capsys, "detect", "cost", *window, "--data", str(server.data))
    assert text.returncode == 0 and "runaway_conversation" in text.stdout
    for bad in (["--since", "nope"], ["--since", "1d", "--until", "3d"], ["--format", "xml"]):
        failed = run_main(capsys, "report", "cost", *bad, "--data", str(server.data))
        assert failed.returncode == 2 and "Traceback" not in failed.stderr, bad
    missing = run_main(capsys, "report", "cost", "--data", str(tmp_path / "nothing-here"))
    assert missing.returncode == 2 and "no genlens data" in missing.stderr
