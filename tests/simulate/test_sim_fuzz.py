"""Random request bodies never crash the simulator: every answer is a 2xx or a provider-shaped 4xx."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genlens.simulate import Simulator

_scalars = st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False) | st.text(max_size=20)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.sampled_from(["type", "text", "role", "content", "name", "function",
                                                          "parameters", "schema", "json_schema", "properties",
                                                          "cache_control", "input_schema", "include_usage"]),
                                         inner, max_size=4), max_leaves=12)
_keys = st.sampled_from(["messages", "input", "tools", "tool_choice", "response_format", "max_tokens",
                         "max_completion_tokens", "max_output_tokens", "stream", "stream_options", "system",
                         "text", "instructions", "dimensions", "encoding_format", "prompt", "n", "best_of"])
_models = st.sampled_from(["gpt-4o-mini", "claude-opus-4-5", "text-embedding-3-small", "gpt-3.5-turbo-instruct", "x"])
_paths = st.sampled_from(["/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/embeddings",
                          "/v1/completions"])


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=_paths, model=_models, fields=st.dictionaries(_keys, _values, max_size=6))
def test_random_bodies_never_500(sim: Simulator, path: str, model: str, fields: dict) -> None:
    body = {"model": model, **fields}
    with httpx.Client(base_url=sim.url, timeout=20) as client:
        r = client.post(path, content=json.dumps(body))
    assert r.status_code < 500, (r.status_code, r.text)
    if r.status_code >= 400:
        assert "error" in r.json()
    assert sim.stats()["counters"].get("internal_errors", 0) == 0
