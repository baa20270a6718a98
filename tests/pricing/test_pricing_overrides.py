"""User price files: format, precedence over the library, price history, strict validation."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genlens.errors import ConfigError
from genlens.pricing import LIBRARY_LABEL, PriceBook, Usage

M = 1_000_000
PRICE_FILE = """\
prices:
  - model: my-llama-70b
    provider: self-hosted
    aliases: [llama-prod]
    input: 0.20
    output: 0.60
    cache_read: 0.02
    cache_write: 0.25
  - model: my-llama-70b
    provider: self-hosted
    input: 0.10
    output: 0.30
    valid_from: 2026-01-01
  - model: gpt-4o
    provider: openai
    input: 2.00
    output: 8.00
  - model: house-embedder
    input: 0.05
    output: 0
  - model: claude-3-5-sonnet
    provider: anthropic
    input: 2.0
    output: 10.0
    cache_read: 0.1
    valid_from: 2025-07-01
"""


def ns(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 1_000_000_000


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICE_FILE)
    return path


@pytest.fixture
def book(price_file: Path) -> PriceBook:
    return PriceBook.load(price_file)


def test_self_hosted_model_history_and_aliases(book: PriceBook, price_file: Path) -> None:
    usage = Usage(10_000, 2_000, cache_read_tokens=4_000, cache_write_tokens=1_000)
    old = book.cost("self-hosted", "my-llama-70b", usage, ns(2025, 12, 31, 23, 59))
    assert close(old.usd, (5_000 * 0.20 + 4_000 * 0.02 + 1_000 * 0.25 + 2_000 * 0.60) / M)
    assert old.source == "computed"
    assert old.price_source == f"override:{price_file}: self-hosted/my-llama-70b"
    new = book.cost("Self-Hosted", "MY-LLAMA-70B", usage, ns(2026, 1, 1))
    # No cache prices in the 2026 entry: cached tokens are billed as input.
    assert close(new.usd, (10_000 * 0.10 + 2_000 * 0.30) / M)
    assert new.price_source == f"override:{price_file}: self-hosted/my-llama-70b from 2026-01-01"
    assert book.cost("self-hosted", "llama-prod", usage, ns(2025, 6, 1)).usd == old.usd
    assert book.cost("self-hosted", "my-llama-70b-2025-06-01", usage, ns(2025, 6, 1)).usd == old.usd
    assert book.cost("self-hosted", "my-llama-70b@20250601", usage, ns(2025, 6, 1)).usd == old.usd
    # A provider-specific entry does not price the same name elsewhere.
    assert book.cost("other-host", "my-llama-70b", usage, ns(2025, 6, 1)).usd is None
    assert book.unknown_models == {("other-host", "my-llama-70b"): 1}


def test_override_wins_over_the_library_including_library_aliases(book: PriceBook) -> None:
    usage = Usage(1_000, 100, cache_read_tokens=400)
    for model in ("gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20"):
        cost = book.cost("openai", model, usage, ns(2025, 9, 1))
        # Negotiated $2 / $8, no cache price given: cached tokens at the input rate.
        assert close(cost.usd, (1_000 * 2.0 + 100 * 8.0) / M), model
        assert cost.price_source is not None and cost.price_source.startswith("override:")
    # Other providers serving gpt-4o keep library prices ($2.50 / $10 / $1.25 cached).
    azure = book.cost("azure", "gpt-4o", usage, ns(2025, 9, 1))
    assert close(azure.usd, (600 * 2.5 + 400 * 1.25 + 100 * 10) / M)


def test_before_valid_from_the_library_applies(book: PriceBook) -> None:
    usage = Usage(1_000, 100, cache_read_tokens=500)
    before = book.cost("anthropic", "claude-3-5-sonnet-20241022", usage, ns(2025, 6, 30, 23))
    assert close(before.usd, (500 * 3 + 500 * 0.3 + 100 * 15) / M)  # library: $3 / $15 / $0.30
    assert before.price_source == f"{LIBRARY_LABEL}: anthropic/claude-3-5-sonnet"
    after = book.cost("anthropic", "claude-3-5-sonnet-20241022", usage, ns(2025, 7, 1))
    assert close(after.usd, (500 * 2 + 500 * 0.1 + 100 * 10) / M)


def test_provider_less_entry_matches_any_provider(book: PriceBook) -> None:
    for provider in (None, "openai", "self-hosted"):
        assert close(book.cost(provider, "house-embedder", Usage(input_tokens=20_000), ns(2025, 1, 1)).usd,
                     20_000 * 0.05 / M)


def test_json_file_with_the_same_shape(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"prices": [{"model": "m1", "input": 1, "output": 2, "valid_from": "2025-02-01"}]}))
    book = PriceBook.load(str(path))
    assert close(book.cost(None, "m1", Usage(1_000, 1_000), ns(2025, 2, 1)).usd, 3_000 / M)
    assert book.cost(None, "m1", Usage(1_000, 1_000), ns(2025, 1, 31)).reason == "unknown model"


def test_settings_section_and_bare_list() -> None:
    book = PriceBook.from_data([{"model": "m2", "input": 4, "output": 4}], source="settings file")
    cost = book.cost("x", "m2", Usage(10, 10), ns(2025, 1, 1))
    assert close(cost.usd, 80 / M) and cost.price_source == "override:settings file: m2"
    assert PriceBook.from_data(None).cost("x", "m2", Usage(1, 1), 0).usd is None


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("prices:\n  - model: a\n    input: 1\n    output: 1\n    inptu: 2\n", ["entry 0", "'inptu'"]),
        ("prices:\n  - model: a\n    input: -1\n    output: 1\n", ["entry 0", "model 'a'", "'input'", "-1"]),
        ("prices:\n  - {model: a, input: 1, output: 1}\n  - {model: b, input: 1, output: .nan}\n",
         ["entry 1", "model 'b'", "'output'"]),
        ("prices:\n  - {model: a, input: '1', output: 1}\n", ["'input'", "'1'"]),
        ("prices:\n  - {model: a, input: true, output: 1}\n", ["'input'", "True"]),
        ("prices:\n  - {model: a, input: 1.0e+9, output: 1}\n", ["'input'", "above"]),
        ("prices:\n  - {model: a, input: 1, output: 1, valid_from: 2025-13-01}\n", ["'valid_from'", "2025-13-01"]),
        ("prices:\n  - {model: a, input: 1, output: 1, valid_from: 'soon'}\n", ["'valid_from'", "soon"]),
        ("prices:\n  - {model: a, input: 1, output: 1, valid_from: 2025-01-01 10:00:00}\n", ["'valid_from'"]),
        ("prices:\n  - {input: 1, output: 1}\n", ["entry 0", "missing", "'model'"]),
        ("prices:\n  - {model: a, output: 1}\n", ["missing", "'input'"]),
        ("prices:\n  - {model: '', input: 1, output: 1}\n", ["'model'"]),
        ("prices:\n  - {model: [a], input: 1, output: 1}\n", ["'model'"]),
        ("prices:\n  - {model: a, provider: 7, input: 1, output: 1}\n", ["'provider'", "7"]),
        ("prices:\n  - {model: a, aliases: b, input: 1, output: 1}\n", ["'aliases'"]),
        ("prices:\n  - just-a-string\n", ["entry 0", "mapping"]),
        ("prices: {model: a}\n", ["list"]),
        ("price:\n  - {model: a, input: 1, output: 1}\n", ["unknown top-level", "'price'"]),
        ("prices:\n  - {model: a, input: 1, output: 1}\n  - {model: A, input: 2, output: 2}\n",
         ["entry 1", "duplicates"]),
        ("prices: [\n", ["not valid YAML"]),
        ("prices: " + "[" * 5000 + "]" * 5000 + "\n", ["not valid YAML"]),
        ("42\n", ["list"]),
    ],
)
def test_bad_files_raise_config_error_naming_the_problem(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        PriceBook.load(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_unreadable_oversized_and_binary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        PriceBook.load(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="cannot be read"):
        PriceBook.load(str(tmp_path))  # a directory, given as a string (as settings may hold it)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        PriceBook.load(binary)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{'prices': []}")
    with pytest.raises(ConfigError, match="not valid JSON"):
        PriceBook.load(bad_json)
    bad_json.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="not valid JSON"):
        PriceBook.load(bad_json)
    from genlens.pricing import overrides

    monkeypatch.setattr(overrides, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.yaml"
    big.write_text("prices:\n" + "  - {model: a, input: 1, output: 1}\n" * 10)
    with pytest.raises(ConfigError, match="byte limit"):
        PriceBook.load(big)
    monkeypatch.setattr(overrides, "MAX_FILE_BYTES", 10**6)
    monkeypatch.setattr(overrides, "MAX_ENTRIES", 3)
    with pytest.raises(ConfigError, match="above the limit of 3"):
        PriceBook.load(big)


def test_yaml_bombs_are_refused_by_the_safe_loader(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("prices: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        PriceBook.load(path)


def test_empty_file_means_no_overrides(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert close(PriceBook.load(path).cost("openai", "gpt-4o", Usage(1000, 0), ns(2025, 1, 1)).usd, 2500 / M)


prices_st = st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 4))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(inp=prices_st, out=prices_st, read=prices_st, write=prices_st,
       tokens=st.tuples(st.integers(0, 10**8), st.integers(0, 10**8), st.integers(0, 10**8), st.integers(0, 10**8),
                        st.integers(0, 10**8)))
def test_override_cost_matches_exact_arithmetic(inp: float, out: float, read: float, write: float,
                                                tokens: tuple[int, int, int, int, int]) -> None:
    total_in, total_out, cached, written, reasoning = tokens
    cached = min(cached, total_in)
    written = min(written, total_in - cached)
    reasoning = min(reasoning, total_out)
    book = PriceBook.from_data([{"model": "m", "input": inp, "output": out, "cache_read": read,
                                 "cache_write": write}])
    cost = book.cost(None, "m", Usage(total_in, total_out, cached, written, reasoning), 0)
    exact = (Fraction(total_in - cached - written) * Fraction(inp) + Fraction(cached) * Fraction(read)
             + Fraction(written) * Fraction(write) + Fraction(total_out) * Fraction(out)) / M
    assert cost.usd is not None and cost.usd >= 0.0
    assert math.isclose(cost.usd, float(exact), rel_tol=1e-9, abs_tol=1e-12)
