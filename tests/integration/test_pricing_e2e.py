"""Spans are priced during ingest: a user price file wins, reported costs are kept, unknown is never $0."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.conftest import start_server
from tests.otlp_helpers import new_span_id, new_trace_id, span_request

PRICES = """
prices:
  - model: my-llama-70b
    provider: self-hosted
    input: 0.20
    output: 0.60
    cache_read: 0.02
    cache_write: 0.25
"""


def test_ingest_prices_with_override_file(tmp_path: Path) -> None:
    price_file = tmp_path / "prices.yaml"
    price_file.write_text(PRICES)
    server = start_server(tmp_path / "data", args=["--prices", str(price_file)])
    try:
        trace_id = new_trace_id()
        now = time.time_ns()
        base = {"gen_ai.operation.name": "chat", "gen_ai.usage.output_tokens": 300}
        spans = {
            "override": {**base, "gen_ai.provider.name": "self-hosted", "gen_ai.request.model": "my-llama-70b",
                         "gen_ai.usage.input_tokens": 10_000, "gen_ai.usage.cache_read.input_tokens": 4_000,
                         "gen_ai.usage.cache_creation.input_tokens": 1_000},
            "unknown": {**base, "gen_ai.provider.name": "self-hosted", "gen_ai.request.model": "no-such-model-xyz",
                        "gen_ai.usage.input_tokens": 10},
            "reported": {**base, "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
                         "gen_ai.usage.input_tokens": 10, "app.llm.cost_usd": 0.125},
        }
        request = span_request([{"trace_id": trace_id, "span_id": new_span_id(), "name": name, "start": now,
                                 "end": now + 10, "attributes": attrs} for name, attrs in spans.items()])
        response = httpx.post(f"{server.url}/v1/traces", content=request.SerializeToString(),
                              headers={"Content-Type": "application/x-protobuf"}, timeout=10)
        assert response.status_code == 200
        got = {s["name"]: s for s in httpx.get(f"{server.url}/api/v1/traces/{trace_id.hex()}",
                                                params={"format": "flat"}, timeout=10).json()["spans"]}
        expected = (5_000 * 0.20 + 4_000 * 0.02 + 1_000 * 0.25 + 300 * 0.60) / 1_000_000
        assert abs(got["override"]["cost_usd"] - expected) <= 1e-12
        assert got["override"]["cost_source"] == "computed"
        assert "override" in got["override"]["price_source"]
        assert got["unknown"]["cost_usd"] is None and got["unknown"]["cost_source"] == "unknown"
        assert got["reported"]["cost_usd"] == 0.125 and got["reported"]["cost_source"] == "reported"
    finally:
        server.stop()


def test_bad_price_file_stops_serve_with_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    price_file = tmp_path / "bad.yaml"
    price_file.write_text("prices:\n  - model: x\n    input: -1\n    output: 1\n")
    done = subprocess.run([sys.executable, "-m", "genlens", "serve", "--port", "0", "--grpc-port", "0",
                           "--data", str(tmp_path), "--prices", str(price_file)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "bad.yaml" in done.stderr and "input" in done.stderr
