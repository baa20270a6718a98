"""Token semantics of the canonical span (see canonical.py), checked against an independent computation."""

from __future__ import annotations

import pytest

from .helpers import norm


def expected(inp, out, cr, cw, rs):
    """Independent statement of the contract: cache inside input, reasoning inside output."""
    cache = (cr or 0) + (cw or 0)
    if inp is not None and cache > inp:
        inp = inp + cache
    if rs is not None and out is not None and rs > out:
        out = out + rs
    total = inp + out if inp is not None and out is not None else (inp if out is None else out)
    return inp, out, total


@pytest.mark.parametrize(("inp", "out", "cr", "cw", "rs"), [
    (1200, 85, 1024, None, None),  # OpenAI: cached tokens are part of prompt_tokens
    (200, 30, 800, 100, None),  # Anthropic raw: input_tokens excludes the cache
    (1100, 30, 800, 100, None),  # Anthropic already summed (OTel MUST): nothing added
    (900, 30, 800, 100, None),  # equal: cache could be inside, so nothing added
    (0, 5, 0, 0, None),
    (500, 300, None, None, 256),  # reasoning inside output (OpenAI)
    (500, 44, None, None, 256),  # reasoning beside output (Gemini-style thoughts): added once
    (None, 10, 5, None, None),  # unknown input stays unknown
    (10, None, None, None, None),
])
def test_cache_and_reasoning_semantics(inp, out, cr, cw, rs):
    attrs = {"gen_ai.operation.name": "chat"}
    for key, v in (("gen_ai.usage.input_tokens", inp), ("gen_ai.usage.output_tokens", out),
                   ("gen_ai.usage.cache_read.input_tokens", cr), ("gen_ai.usage.cache_creation.input_tokens", cw),
                   ("gen_ai.usage.reasoning.output_tokens", rs)):
        if v is not None:
            attrs[key] = v
    row, _ = norm(attrs)
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"]) == expected(inp, out, cr, cw, rs)
    assert (row["cache_read_tokens"], row["cache_write_tokens"], row["reasoning_tokens"]) == (cr, cw, rs)


@pytest.mark.parametrize("cache_read_key", [
    "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read"])
@pytest.mark.parametrize("cache_write_key", [
    "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens", "llm.token_count.prompt_details.cache_write"])
def test_every_cache_spelling(cache_read_key, cache_write_key):
    row, _ = norm({"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 5,
                   cache_read_key: 70, cache_write_key: 30})
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"], row["total_tokens"]) == (
        150, 70, 30, 155)


@pytest.mark.parametrize("reasoning_key", [
    "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens", "llm.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning"])
def test_every_reasoning_spelling(reasoning_key):
    row, _ = norm({"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 10,
                   "gen_ai.usage.output_tokens": 300, reasoning_key: 200})
    assert (row["output_tokens"], row["reasoning_tokens"], row["total_tokens"]) == (300, 200, 310)


def test_total_reported_only():
    row, _ = norm({"gen_ai.operation.name": "chat", "gen_ai.usage.total_tokens": 42})
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (None, None, 42)


def test_tokens_only_on_llm_and_embedding_spans():
    usage = {"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5}
    for op, kind in (("execute_tool", "tool"), ("retrieval", "retrieval"), ("invoke_workflow", "workflow")):
        row, _ = norm({"gen_ai.operation.name": op, **usage})
        assert row["kind"] == kind and row["usage_aggregated"] is True
        assert row["input_tokens"] is None and row["attributes"] == usage
