"""Micro-benchmark of the cost function: cached fast path vs the genai-prices call it replaces.

Run: ``.venv/bin/python bench/pricing.py [--spans N]``.  Prints one line per
measurement (µs per span, spans per second on one core).
"""

from __future__ import annotations

import argparse
import random
import time
import warnings
from datetime import UTC, datetime

import genai_prices

from genlens.pricing import PriceBook, Usage, apply_costs
from genlens.semconv.canonical import empty_row

MODELS = [("openai", "gpt-4o"), ("openai", "gpt-4o-2024-08-06"), ("anthropic", "claude-3-5-sonnet-20241022"),
          ("openai", "o3"), ("google", "gemini-2.5-pro"), ("deepseek", "deepseek-chat"),
          ("openai", "unknown-finetune")]
DAY0 = int(datetime(2025, 6, 1, tzinfo=UTC).timestamp()) * 10**9


def _rows(n: int, rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for _ in range(n):
        provider, model = rng.choice(MODELS)
        inp = rng.randint(0, 300_000)
        row = empty_row()
        row.update(kind="llm", provider=provider, request_model=model, start_ns=DAY0 + rng.randint(0, 30 * 86400) * 10**9,
                   input_tokens=inp, output_tokens=rng.randint(0, 4000), cache_read_tokens=rng.randint(0, inp // 2))
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(7)

    started = time.perf_counter()
    book = PriceBook.load()
    book.cost("openai", "gpt-4o", Usage(1, 1), DAY0)
    print(f"load + first resolution: {(time.perf_counter() - started) * 1e3:.0f} ms")

    usage = Usage(1200, 300, cache_read_tokens=800)
    n = args.spans
    started = time.perf_counter()
    for _ in range(n):
        book.cost("openai", "gpt-4o", usage, DAY0)
    hot = (time.perf_counter() - started) / n
    print(f"PriceBook.cost, cache hit, one model: {hot * 1e6:.2f} µs/span ({1 / hot:,.0f} spans/s/core)")

    rows = _rows(n, rng)
    started = time.perf_counter()
    apply_costs(rows, book)
    mixed = (time.perf_counter() - started) / n
    print(f"apply_costs, {len(MODELS)} models incl. tiered/dated/unknown, 30 days: {mixed * 1e6:.2f} µs/span "
          f"({1 / mixed:,.0f} spans/s/core)")

    m = 2000
    lib_usage = genai_prices.Usage(input_tokens=1200, output_tokens=300, cache_read_tokens=800)
    when = datetime(2025, 6, 1, tzinfo=UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        for _ in range(m):
            genai_prices.calc_price(lib_usage, "gpt-4o", provider_id="openai", genai_request_timestamp=when)
    lib = (time.perf_counter() - started) / m
    print(f"genai_prices.calc_price per call: {lib * 1e6:.0f} µs (speed-up of the cache: {lib / hot:.0f}x)")

    fresh = PriceBook.load()
    started = time.perf_counter()
    for i in range(m):
        fresh.cost("openai", f"unknown-model-{i}", usage, DAY0)
    miss = (time.perf_counter() - started) / m
    print(f"unknown model, cold (worst case, every name new): {miss * 1e6:.0f} µs/span")


if __name__ == "__main__":
    main()
