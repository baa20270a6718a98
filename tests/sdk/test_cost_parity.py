"""The SDK's ``app.cost_usd`` is the server's cost: one price engine, checked against literal prices.

Rates are genai-prices' bundled data written out here (per 1M tokens), so every
expectation is worked out independently of the code under test; the server side
is the pricing stage of the ingest pipeline (``apply_costs``) on the row it
would store.
"""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from genlens.pricing import PriceBook, apply_costs
from genlens.sdk.cost import Usage, price_usd
from genlens.semconv import attrs
from tests.sdk.test_openai import client

M = 1_000_000
AT = int(datetime(2025, 9, 1, 12, tzinfo=UTC).timestamp()) * 10**9


def _gemini_25_pro(inp: int, out: int) -> float:
    # $1.25 in / $10 out while input is at most 200k tokens; above it the whole call is $2.50 / $15.
    return (inp * 2.5 + out * 15.0) / M if inp > 200_000 else (inp * 1.25 + out * 10.0) / M


CASES: list[tuple[str, str | None, str | None, Usage, float | None]] = [
    # the tier boundary: exactly 200k input is the base tier, one more token is the upper one
    ("google", "gemini-2.5-pro", "gemini-2.5-pro", Usage(200_000, 1000), _gemini_25_pro(200_000, 1000)),
    ("google", "gemini-2.5-pro", None, Usage(200_001, 1000), _gemini_25_pro(200_001, 1000)),
    # provider aliases as OTel instrumentations spell them
    ("gcp.vertex_ai", None, "gemini-2.5-pro", Usage(250_000, 10), _gemini_25_pro(250_000, 10)),
    ("gcp.gemini", "gemini-2.5-pro", None, Usage(1000, 10), _gemini_25_pro(1000, 10)),
    # gpt-4o: $2.50 in, $10 out, $1.25 cached input; a dated version under Azure's provider name
    ("azure.ai.openai", "gpt-4o-2024-08-06", "gpt-4o", Usage(1000, 100, cache_read_tokens=600),
     (400 * 2.5 + 600 * 1.25 + 100 * 10.0) / M),
    # claude-3-5-sonnet: $3 in, $15 out, $3.75 cache write; a dated alias
    ("anthropic", "claude-3-5-sonnet-20241022", None, Usage(1000, 100, cache_write_tokens=400),
     (600 * 3.0 + 400 * 3.75 + 100 * 15.0) / M),
    # reasoning is part of output, billed once
    ("openai", "gpt-4o", None, Usage(1000, 500, reasoning_tokens=300), (1000 * 2.5 + 500 * 10.0) / M),
    # an unknown response model falls back to the request model, as the server does
    ("openai", "my-private-fine-tune", "gpt-4o", Usage(1000, 100), (1000 * 2.5 + 100 * 10.0) / M),
    # unknown everywhere stays unknown, never $0
    ("self-hosted", "llama3", "llama3", Usage(1000, 100), None),
]


def _server_cost(provider: str, response_model: str | None, request_model: str | None, usage: Usage,
                 at_ns: int) -> float | None:
    row: dict[str, Any] = {
        "kind": "llm", "provider": provider, "response_model": response_model, "request_model": request_model,
        "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens, "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens, "start_ns": at_ns,
    }
    apply_costs([row], PriceBook.load(), keep_reported=False)
    return row["cost_usd"]


@pytest.mark.parametrize(("provider", "response_model", "request_model", "usage", "want"), CASES)
def test_sdk_cost_is_the_server_cost(provider: str, response_model: str | None, request_model: str | None,
                                     usage: Usage, want: float | None) -> None:
    sdk = price_usd(provider, (response_model, request_model), usage, AT)
    server = _server_cost(provider, response_model, request_model, usage, AT)
    assert sdk == server
    if want is None:
        assert sdk is None
    else:
        assert sdk is not None and math.isclose(sdk, want, rel_tol=1e-9)


def test_no_model_name_is_unpriced() -> None:
    assert price_usd("openai", (None, ""), Usage(10, 10), AT) is None


def test_instrumented_call_carries_the_cost_the_server_computes(sim: Any, tel: Any) -> None:
    resp = client(sim).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    span = tel.span("chat gpt-4o")
    a = dict(span.attributes)
    usage = Usage(a[attrs.GEN_AI_USAGE_INPUT_TOKENS], a[attrs.GEN_AI_USAGE_OUTPUT_TOKENS],
                  a.get(attrs.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, 0))
    server = _server_cost(a[attrs.GEN_AI_PROVIDER_NAME], a[attrs.GEN_AI_RESPONSE_MODEL],
                          a[attrs.GEN_AI_REQUEST_MODEL], usage, span.end_time)
    assert a[attrs.APP_COST_USD] == server
    uncached = resp.usage.prompt_tokens - usage.cache_read_tokens
    want = (uncached * 2.5 + usage.cache_read_tokens * 1.25 + resp.usage.completion_tokens * 10.0) / M
    assert math.isclose(a[attrs.APP_COST_USD], want, rel_tol=1e-9)


def test_importing_the_sdk_does_not_load_the_price_library() -> None:
    code = ("import sys, genlens, genlens.sdk; "
            "print(sorted(m for m in sys.modules if m.startswith(('genlens.pricing', 'genai_prices', 'yaml'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
