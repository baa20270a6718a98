"""The cost function against the library's data, with every expected number worked out here.

Prices below were read from genai-prices' bundled data (``genai_prices/data.py``)
and are written out as literals so each expectation is an independent
computation, not a second call into the code under test.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from genlens.pricing import LIBRARY_LABEL, MAX_TOKENS_PER_SPAN, Cost, PriceBook, Usage

M = 1_000_000
# claude-3-5-sonnet (anthropic): $3 in, $15 out, $0.30 cache read, $3.75 cache write per 1M tokens.
SONNET = {"input": 3.0, "output": 15.0, "cache_read": 0.30, "cache_write": 3.75}
# gpt-4o (openai): $2.50 in, $10 out, $1.25 cached input per 1M tokens.
GPT4O = {"input": 2.5, "output": 10.0, "cache_read": 1.25}


def ns(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 1_000_000_000


AT = ns(2025, 9, 1, 12)


def expected(p: dict[str, float], uncached: int, out: int, read: int = 0, write: int = 0) -> float:
    return (uncached * p["input"] + read * p["cache_read"] + write * p.get("cache_write", p["input"])
            + out * p["output"]) / M


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.load()


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def test_anthropic_and_openai_style_usage_give_the_same_canonical_cost(book: PriceBook) -> None:
    # Anthropic reports 200 fresh input tokens beside 800 cache reads and 300 cache writes.
    anthropic_style = Usage.anthropic(200, 400, cache_read=800, cache_creation=300)
    canonical = Usage(input_tokens=1300, output_tokens=400, cache_read_tokens=800, cache_write_tokens=300)
    assert anthropic_style == canonical
    cost = book.cost("anthropic", "claude-3-5-sonnet-20241022", anthropic_style, AT)
    assert cost.source == "computed"
    assert close(cost.usd, expected(SONNET, 200, 400, 800, 300))
    assert cost.price_source == f"{LIBRARY_LABEL}: anthropic/claude-3-5-sonnet"
    # OpenAI counts cached tokens inside prompt tokens.
    openai_style = Usage.openai(prompt_tokens=1000, completion_tokens=400, cached_tokens=800)
    same = Usage.anthropic(200, 400, cache_read=800, cache_creation=0)
    for model, provider in (("gpt-4o", "openai"), ("claude-3-5-sonnet-20241022", "anthropic")):
        a = book.cost(provider, model, openai_style, AT)
        b = book.cost(provider, model, same, AT)
        assert a == b
    assert close(book.cost("openai", "gpt-4o", openai_style, AT).usd, expected(GPT4O, 200, 400, 800))


def test_real_sdk_usage_objects_convert_to_the_same_cost(book: PriceBook) -> None:
    anthropic_types = pytest.importorskip("anthropic.types")
    openai_types = pytest.importorskip("openai.types")
    a = anthropic_types.Usage(input_tokens=200, output_tokens=50, cache_read_input_tokens=800,
                              cache_creation_input_tokens=0)
    o = openai_types.CompletionUsage(prompt_tokens=1000, completion_tokens=50, total_tokens=1050,
                                     prompt_tokens_details={"cached_tokens": 800},
                                     completion_tokens_details={"reasoning_tokens": 20})
    from_anthropic = Usage.anthropic(a.input_tokens, a.output_tokens, a.cache_read_input_tokens,
                                     a.cache_creation_input_tokens)
    from_openai = Usage.openai(o.prompt_tokens, o.completion_tokens, o.prompt_tokens_details.cached_tokens,
                               o.completion_tokens_details.reasoning_tokens)
    ca = book.cost("anthropic", "claude-3-5-sonnet", from_anthropic, AT)
    co = book.cost("anthropic", "claude-3-5-sonnet", from_openai, AT)
    assert close(ca.usd, expected(SONNET, 200, 50, 800))
    assert ca.usd == co.usd  # reasoning is inside completion tokens: not billed twice


def test_reasoning_is_billed_as_output_once(book: PriceBook) -> None:
    # o3 after 2025-06-10: $2 in / $8 out; 1000 output tokens of which 700 reasoning.
    with_breakdown = book.cost("openai", "o3", Usage(100, 1000, reasoning_tokens=700), AT)
    without = book.cost("openai", "o3", Usage(100, 1000), AT)
    assert close(with_breakdown.usd, (100 * 2 + 1000 * 8) / M)
    assert with_breakdown.usd == without.usd


def test_missing_and_zero_usage(book: PriceBook) -> None:
    assert book.cost("openai", "gpt-4o", Usage(), AT) == Cost(None, "unknown", None, "no usage")
    assert book.cost("openai", "gpt-4o", Usage(cache_read_tokens=5), AT).reason == "no usage"
    zero = book.cost("openai", "gpt-4o", Usage(0, 0), AT)
    assert zero.usd == 0.0 and zero.source == "computed"
    # Embeddings report only input tokens: output counts as zero.
    emb = book.cost("openai", "text-embedding-3-small", Usage(input_tokens=10_000), AT)
    assert close(emb.usd, 10_000 * 0.02 / M)  # $0.02 per 1M tokens


@pytest.mark.parametrize(
    ("usage", "fragment"),
    [
        (Usage(-1, 10), "negative input"),
        (Usage(10, -5), "negative output"),
        (Usage(10, 10, cache_read_tokens=-1), "negative cache_read"),
        (Usage(MAX_TOKENS_PER_SPAN + 1, 0), "exceed"),
        (Usage(10, 10**15), "exceed"),
        (Usage(100, 1, cache_read_tokens=80, cache_write_tokens=30), "cache tokens"),
        (Usage(100, 10, reasoning_tokens=11), "reasoning tokens"),
        (Usage(1.5, 1), "not a token count"),  # type: ignore[arg-type]
        (Usage(float("nan"), 1), "not a token count"),  # type: ignore[arg-type]
        (Usage(True, 1), "not a token count"),  # type: ignore[arg-type]
        (Usage("12", 1), "not a token count"),  # type: ignore[arg-type]
        (Usage.anthropic(10, 5, cache_read=-20, cache_creation=0), "negative"),
        (Usage.anthropic("x", 5, cache_read=1), "not a token count"),  # type: ignore[arg-type]
    ],
)
def test_invalid_usage_is_unknown_never_an_exception(book: PriceBook, usage: Usage, fragment: str) -> None:
    cost = book.cost("openai", "gpt-4o", usage, AT)
    assert cost.usd is None and cost.source == "unknown"
    assert cost.reason is not None and cost.reason.startswith("invalid usage") and fragment in cost.reason


def test_integral_float_counts_are_accepted(book: PriceBook) -> None:
    assert book.cost("openai", "gpt-4o", Usage(1000.0, 10.0), AT).usd == book.cost(  # type: ignore[arg-type]
        "openai", "gpt-4o", Usage(1000, 10), AT).usd


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "gpt-4o"), ("openai", "gpt-4o-2024-08-06"), ("openai", "GPT-4o-2024-11-20"),
        (None, "gpt-4o"), ("azure.ai.openai", "gpt-4o"), ("az.ai.openai", "gpt-4o-2024-08-06"),
        (None, "openai/gpt-4o"), ("litellm", "openai/gpt-4o-2024-08-06"), ("litellm", "gpt-4o"),
    ],
)
def test_alias_and_dated_names_resolve_to_one_price(book: PriceBook, provider: str | None, model: str) -> None:
    cost = book.cost(provider, model, Usage(1000, 100), AT)
    assert close(cost.usd, expected(GPT4O, 1000, 100)), (provider, model, cost)


@pytest.mark.parametrize("model", ["claude-3-5-sonnet", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest",
                                   "claude-3.5-sonnet"])
def test_anthropic_dated_versions(book: PriceBook, model: str) -> None:
    cost = book.cost("anthropic", model, Usage(1000, 100, cache_write_tokens=400), AT)
    assert close(cost.usd, expected(SONNET, 600, 100, 0, 400))


@pytest.mark.parametrize(
    ("provider", "model"),
    [("anthropic", "claude-3-5-sonnet"), (None, "claude-3-5-sonnet-20241022"), ("gcp.vertex_ai",
     "claude-3-5-sonnet-v2@20241022"), (None, "anthropic/claude-3-5-sonnet-20241022")],
)
def test_otel_provider_names_and_vendor_model_spellings(book: PriceBook, provider: str | None, model: str) -> None:
    assert close(book.cost(provider, model, Usage(1000, 100), AT).usd, expected(SONNET, 1000, 100))


def test_self_hosted_provider_is_not_priced_from_another_vendor(book: PriceBook) -> None:
    for provider in ("ollama", "ibm.watsonx.ai", "self-hosted"):
        cost = book.cost(provider, "llama3", Usage(1000, 100), AT)
        assert cost.usd is None and cost.reason == "unknown provider"


def test_price_change_in_the_middle_of_a_window(book: PriceBook) -> None:
    # o3: $10 in / $40 out until 2025-06-09 (UTC), $2 / $8 from 2025-06-10; cached input $0.50 throughout.
    usage = Usage(2000, 500, cache_read_tokens=1000)
    before = book.cost("openai", "o3", usage, ns(2025, 6, 9, 23, 59, 59) + 999_999_999)
    after = book.cost("openai", "o3", usage, ns(2025, 6, 10))
    assert close(before.usd, (1000 * 10 + 1000 * 0.5 + 500 * 40) / M)
    assert close(after.usd, (1000 * 2 + 1000 * 0.5 + 500 * 8) / M)
    # And back again: the cache must answer by timestamp, not by what it saw last.
    assert book.cost("openai", "o3", usage, ns(2025, 1, 1)).usd == before.usd


def test_tiered_price_by_context_length(book: PriceBook) -> None:
    # gemini-2.5-pro: $1.25 in / $10 out up to 200k input tokens, $2.50 / $15 above (whole call).
    at = book.cost("google", "gemini-2.5-pro", Usage(200_000, 1000), AT)
    above = book.cost("gcp.vertex_ai", "gemini-2.5-pro", Usage(200_001, 1000), AT)
    assert close(at.usd, (200_000 * 1.25 + 1000 * 10) / M)
    assert close(above.usd, (200_001 * 2.5 + 1000 * 15) / M)
    assert close(book.cost("gcp.gemini", "gemini-2.5-pro", Usage(1000, 10), AT).usd, (1000 * 1.25 + 100) / M)


def test_time_of_day_price_window(book: PriceBook) -> None:
    # deepseek-chat: $0.27 in / $1.10 out 00:30–16:30 UTC, $0.135 / $0.55 otherwise.
    usage = Usage(1000, 1000)
    assert close(book.cost("deepseek", "deepseek-chat", usage, ns(2025, 3, 1, 0, 29)).usd, (135 + 550) / M)
    assert close(book.cost("deepseek", "deepseek-chat", usage, ns(2025, 3, 1, 0, 30)).usd, (270 + 1100) / M)
    assert close(book.cost("deepseek", "deepseek-chat", usage, ns(2025, 3, 1, 16, 29)).usd, (270 + 1100) / M)
    assert close(book.cost("deepseek", "deepseek-chat", usage, ns(2025, 3, 1, 16, 30)).usd, (135 + 550) / M)


def test_per_request_fee(book: PriceBook) -> None:
    # perplexity sonar: $1 in / $1 out per 1M tokens plus $12 per 1,000 requests.
    assert close(book.cost("perplexity", "sonar", Usage(1000, 500), AT).usd, (1000 + 500) / M + 0.012)


def test_unknown_model_is_counted_and_never_free() -> None:
    book = PriceBook.load()
    for _ in range(3):
        cost = book.cost("openai", "my-finetune-xyz", Usage(1000, 10), AT)
        assert cost == Cost(None, "unknown", None, "unknown model")
    assert book.cost("acme-llm", "gpt-4o", Usage(1, 1), AT).reason == "unknown provider"
    assert book.cost("openai", None, Usage(1, 1), AT).reason == "no model"
    assert book.cost(None, "", Usage(1, 1), AT).reason == "no model"
    assert book.unknown_models == {("openai", "my-finetune-xyz"): 3, ("acme-llm", "gpt-4o"): 1,
                                   ("openai", None): 1, (None, None): 1}


@pytest.mark.parametrize("at_ns", [-1, 2**70, float("nan"), 1e30, True, "2025-01-01", [1]])
def test_bad_timestamps_are_unknown(book: PriceBook, at_ns: object) -> None:
    cost = book.cost("openai", "gpt-4o", Usage(1, 1), at_ns)  # type: ignore[arg-type]
    assert cost.usd is None and cost.reason == "invalid timestamp"


def test_hostile_names_are_bounded(book: PriceBook) -> None:
    book = PriceBook.load()
    huge = "gpt-4o" + "x" * 1_000_000
    cost = book.cost("openai", huge, Usage(1, 1), AT)
    assert cost.usd is None and cost.reason == "unknown model"
    (key,) = book.unknown_models
    assert len(key[1]) <= 256
    assert book.cost(12345, 678, Usage(1, 1), AT).reason == "no model"  # type: ignore[arg-type]
    # Surrounding whitespace is not part of a name; control characters do not break the lookup.
    assert close(book.cost(" OpenAI ", "gpt-4o\n", Usage(1000, 0), AT).usd, 1000 * 2.5 / M)
    assert book.cost("\x00", "\x00gpt\uffff" * 10, Usage(1, 1), AT).source == "unknown"


def test_unknown_model_counter_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from genlens.pricing import book as book_module

    monkeypatch.setattr(book_module, "MAX_UNKNOWN_KEYS", 5)
    monkeypatch.setattr(book_module, "MAX_RESOLVED", 7)
    book = PriceBook.load()
    for i in range(40):
        assert book.cost("openai", f"no-such-model-{i}", Usage(1, 1), AT).usd is None
        # Known models keep pricing correctly while the caches are cleared under them.
        assert close(book.cost("openai", "gpt-4o", Usage(1000, 0), AT).usd, 1000 * 2.5 / M)
    assert len(book.unknown_models) == 6
    assert sum(book.unknown_models.values()) == 40
    assert book.unknown_models[("*", "*other*")] == 35 == book.stats["unknown_models_overflow"]
    assert book.stats["resolved_cache_clears"] > 0


def test_default_timestamp_is_now(book: PriceBook) -> None:
    assert close(book.cost("openai", "gpt-4o", Usage(1000, 100)).usd, expected(GPT4O, 1000, 100))


def test_numpy_integers_from_columnar_batches(book: PriceBook) -> None:
    np = pytest.importorskip("numpy")
    cost = book.cost("openai", "gpt-4o", Usage(np.int64(1000), np.int32(100), np.int64(800)),  # type: ignore[arg-type]
                     np.int64(AT))
    assert cost == book.cost("openai", "gpt-4o", Usage(1000, 100, 800), AT)
    assert book.cost("openai", "gpt-4o", Usage(np.float64(0.5), 1), AT).source == "unknown"  # type: ignore[arg-type]
