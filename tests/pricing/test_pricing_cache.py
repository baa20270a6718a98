"""The cached fast path must give the library's own answer, for any usage, time and model.

The reference is ``genai_prices.calc_price`` itself (Decimal arithmetic, no
caching), called with the same provider, model, usage and timestamp.
"""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime, timedelta

import genai_prices
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genlens.pricing import PriceBook, Usage

# Flat, dated history, tiered, tiered-then-flat, time-of-day windows, per-request fee,
# separate reasoning price, cache write without a cache price, embeddings.
MODELS = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("openai", "o3"),
    ("openai", "gpt-5.6-sol"),
    ("openai", "text-embedding-3-small"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("anthropic", "claude-sonnet-4-6"),
    ("anthropic", "claude-opus-4-6"),
    ("google", "gemini-2.5-pro"),
    ("google", "gemini-2.5-flash"),
    ("google", "gemini-4-argon"),
    ("deepseek", "deepseek-chat"),
    ("deepseek", "deepseek-v4-flash"),
    ("perplexity", "sonar"),
    ("perplexity", "sonar-deep-research"),
    ("mistral", "mistral-large-latest"),
    (None, "gpt-4o-2024-11-20"),
]
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_S = int(timedelta(days=4 * 365).total_seconds())

BOOK = PriceBook.load()  # shared on purpose: its caches fill up as the examples run


def reference(provider: str | None, model: str, usage: tuple[int, int, int, int, int], at_ns: int) -> float:
    inp, out, read, write, reasoning = usage
    kwargs = {"input_tokens": inp, "output_tokens": out}
    if read:
        kwargs["cache_read_tokens"] = read
    if write:
        kwargs["cache_write_tokens"] = write
    if reasoning:
        kwargs["output_reasoning_tokens"] = reasoning
    when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_ns // 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(genai_prices.calc_price(genai_prices.Usage(**kwargs), model, provider_id=provider,
                                             genai_request_timestamp=when).total_price)


@st.composite
def usages(draw: st.DrawFn) -> tuple[int, int, int, int, int]:
    # Inputs cluster around the 200k / 272k tier thresholds as well as spreading wide.
    inp = draw(st.one_of(st.integers(0, 2_000_000), st.integers(199_990, 200_010), st.integers(271_990, 272_010)))
    read = draw(st.integers(0, inp))
    write = draw(st.integers(0, inp - read))
    out = draw(st.integers(0, 200_000))
    reasoning = draw(st.integers(0, out))
    return inp, out, read, write, reasoning


timestamps = st.one_of(
    st.integers(0, SPAN_S * 10**9).map(lambda offset: int(START.timestamp()) * 10**9 + offset),
    # Near the UTC day boundaries where dated prices change, and the off-peak window edges.
    st.sampled_from([datetime(2025, 6, 9), datetime(2025, 6, 10), datetime(2026, 3, 12), datetime(2026, 3, 13),
                     datetime(2026, 8, 17), datetime(2026, 9, 10)]).flatmap(
        lambda day: st.integers(-3600 * 10**9, 17 * 3600 * 10**9).map(
            lambda offset, day=day: int(day.replace(tzinfo=UTC).timestamp()) * 10**9 + offset)),
)


@settings(max_examples=600, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=st.sampled_from(MODELS), usage=usages(), at_ns=timestamps)
def test_cached_cost_equals_the_library(model: tuple[str | None, str], usage: tuple[int, int, int, int, int],
                                        at_ns: int) -> None:
    provider, name = model
    cost = BOOK.cost(provider, name, Usage(usage[0], usage[1], usage[2], usage[3], usage[4]), at_ns)
    expected = reference(provider, name, usage, at_ns)
    assert cost.source == "computed"
    assert cost.usd is not None and math.isclose(cost.usd, expected, rel_tol=1e-9, abs_tol=1e-12), (cost, expected)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(calls=st.lists(st.tuples(st.sampled_from(MODELS), usages(), timestamps), min_size=1, max_size=30))
def test_answer_does_not_depend_on_what_was_cached_before(
        calls: list[tuple[tuple[str | None, str], tuple[int, int, int, int, int], int]]) -> None:
    warm = PriceBook.load()
    first = [warm.cost(p, m, Usage(*u), t) for (p, m), u, t in calls]
    again = [warm.cost(p, m, Usage(*u), t) for (p, m), u, t in reversed(calls)]
    cold = [PriceBook.load().cost(p, m, Usage(*u), t) for (p, m), u, t in calls]
    assert first == list(reversed(again)) == cold


def test_small_caches_still_answer_correctly(monkeypatch: pytest.MonkeyPatch) -> None:
    from genlens.pricing import book as book_module

    monkeypatch.setattr(book_module, "MAX_RATES", 3)
    book = PriceBook.load()
    day = int(datetime(2025, 6, 9, tzinfo=UTC).timestamp()) * 10**9
    for hour in range(48):
        at = day + hour * 3600 * 10**9
        for provider, model in (("openai", "o3"), ("deepseek", "deepseek-chat"), ("google", "gemini-2.5-pro")):
            for usage in ((1000, 100, 10, 0, 0), (250_000, 100, 0, 0, 0)):
                cost = book.cost(provider, model, Usage(*usage), at)
                assert cost.usd is not None
                assert math.isclose(cost.usd, reference(provider, model, usage, at), rel_tol=1e-9, abs_tol=1e-12)
    assert book.stats["rates_cache_clears"] > 0


def test_threads_sharing_one_book_get_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from genlens.pricing import book as book_module

    monkeypatch.setattr(book_module, "MAX_RATES", 4)
    monkeypatch.setattr(book_module, "MAX_RESOLVED", 3)
    calls = [(MODELS[i % len(MODELS)], (1000 + i * 5000, 50 + i, i, 0, 0),
              int(START.timestamp()) * 10**9 + i * 7 * 3600 * 10**9) for i in range(60)]
    expected = [PriceBook.load().cost(p, m, Usage(*u), t) for (p, m), u, t in calls]
    shared = PriceBook.load()
    results: list[list[object]] = [[] for _ in range(4)]

    def work(slot: int) -> None:
        for _ in range(5):
            results[slot].append([shared.cost(p, m, Usage(*u), t) for (p, m), u, t in calls])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(not thread.is_alive() for thread in threads)
    assert all(run == expected for slot in results for run in slot)
    assert sum(len(slot) for slot in results) == 20


def test_library_fallback_when_rates_cannot_be_derived(monkeypatch: pytest.MonkeyPatch) -> None:
    from genlens.pricing import library

    def refuse(self: object, at_ns: int, input_tokens: int) -> None:
        raise ValueError("cannot flatten this price")

    monkeypatch.setattr(library.LibraryModel, "rates", refuse)
    book = PriceBook.load()
    at = int(datetime(2025, 6, 10, 3, tzinfo=UTC).timestamp()) * 10**9
    for provider, model in (("openai", "o3"), ("google", "gemini-2.5-pro"), ("openai", "gpt-4o")):
        for usage in ((1000, 100, 10, 0, 0), (250_000, 100, 0, 0, 0)):
            cost = book.cost(provider, model, Usage(*usage), at)
            assert cost.source == "computed" and cost.usd is not None
            assert math.isclose(cost.usd, reference(provider, model, usage, at), rel_tol=1e-9, abs_tol=1e-12)
    assert book.stats["library_fallbacks"] == 6

    def broken(self: object, at_ns: int, usage: object) -> float:
        raise ValueError("Invalid usage data")

    monkeypatch.setattr(library.LibraryModel, "reference_cost", broken)
    cost = PriceBook.load().cost("openai", "o3", Usage(10, 10), at)
    assert cost.usd is None and cost.source == "unknown" and cost.reason == "price library error: Invalid usage data"
