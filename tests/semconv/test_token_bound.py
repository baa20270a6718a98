"""One plausibility bound on token counts: what the columns hold, what is kept in attributes, what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from genlens.semconv._convert import as_count
from genlens.semconv.canonical import INVALID_USAGE, MAX_TOKENS

from .helpers import norm

BOUND = 100_000_000  # stated independently of the code

USAGE_KEYS = {
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "cache_read_tokens": "gen_ai.usage.cache_read.input_tokens",
    "cache_write_tokens": "gen_ai.usage.cache_creation.input_tokens",
    "reasoning_tokens": "gen_ai.usage.reasoning.output_tokens",
}
FORMS = [pytest.param(int, id="int"), pytest.param(float, id="float"), pytest.param(str, id="digits")]


def test_the_bound_is_one_hundred_million() -> None:
    assert MAX_TOKENS == BOUND


@pytest.mark.parametrize("form", FORMS)
def test_as_count_at_the_bound(form: Any) -> None:
    assert as_count(form(BOUND)) == BOUND
    assert type(as_count(form(BOUND))) is int
    assert as_count(form(BOUND + 1)) is None
    assert as_count(form(0)) == 0


@pytest.mark.parametrize("value", ["0000100000000", "000000000000007"])
def test_digit_strings_are_bounded_by_value_not_length(value: str) -> None:
    assert as_count(value) == int(value)
    assert as_count("0" + "1" * 14) is None  # 15 digits, far above the bound
    assert as_count("1" * 16) is None


@pytest.mark.parametrize("value", [-1, -1.0, "-1", 10**12, 1e12, "999999999999999", 2**40, 1.5, float("nan"),
                                   float("inf"), True, "", " 5", "٣"])
def test_as_count_refuses(value: Any) -> None:
    assert as_count(value) is None


def usage(**counts: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}
    attrs.update({USAGE_KEYS[col]: v for col, v in counts.items()})
    return attrs


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("col", list(USAGE_KEYS))
def test_a_count_at_the_bound_is_stored(form: Any, col: str) -> None:
    counts = {"input_tokens": BOUND, "output_tokens": BOUND, col: form(BOUND)}
    row, _ = norm(usage(**counts))
    assert row[col] == BOUND and type(row[col]) is int
    assert INVALID_USAGE not in row
    assert row["attributes"] is None


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("col", list(USAGE_KEYS))
def test_a_count_above_the_bound_is_kept_in_attributes_and_refused(form: Any, col: str) -> None:
    sent = form(BOUND + 1)
    others = {"input_tokens": 10, "output_tokens": 10}
    others.pop(col, None)
    row, _ = norm(usage(**others, **{col: sent}))
    assert row[col] is None
    assert row["attributes"] == {USAGE_KEYS[col]: sent}
    assert row[INVALID_USAGE] == {col: sent}
    for other, value in others.items():  # the valid counts are stored as sent
        assert row[other] == value


@pytest.mark.parametrize("sent", [-5, -5.0, 10**12, 1e12, "12345678901", 2.5, "ten", True, [1, 2]])
def test_every_kind_of_unusable_count_is_refused(sent: Any) -> None:
    row, _ = norm(usage(input_tokens=sent, output_tokens=10))
    assert row["input_tokens"] is None and row["output_tokens"] == 10
    assert row["attributes"] == {"gen_ai.usage.input_tokens": sent}
    assert row[INVALID_USAGE] == {"input_tokens": sent}


def test_several_refused_counts_are_all_named() -> None:
    row, _ = norm(usage(input_tokens=-1, output_tokens=10**15, reasoning_tokens="x"))
    assert row[INVALID_USAGE] == {"input_tokens": -1, "output_tokens": 10**15, "reasoning_tokens": "x"}
    assert (row["input_tokens"], row["output_tokens"], row["reasoning_tokens"], row["total_tokens"]) == (
        None, None, None, None)


def test_a_valid_count_from_another_convention_wins_over_a_refused_one() -> None:
    attrs = usage(input_tokens=-1, output_tokens=10)
    attrs["llm.token_count.prompt"] = 70
    row, _ = norm(attrs)
    assert row["input_tokens"] == 70 and INVALID_USAGE not in row
    assert row["attributes"] == {"gen_ai.usage.input_tokens": -1}
    attrs["llm.token_count.prompt"] = 10**12  # both refused: the first in priority order is named
    row, _ = norm(attrs)
    assert row["input_tokens"] is None and row[INVALID_USAGE] == {"input_tokens": -1}
    assert row["attributes"] == {"gen_ai.usage.input_tokens": -1, "llm.token_count.prompt": 10**12}


@pytest.mark.parametrize(("inp", "cache_read", "folded"), [
    (10_000_000, 90_000_000, 100_000_000),  # cache beside input, the sum exactly at the bound
    (10_000_001, 90_000_000, 100_000_001),
])
def test_cache_folded_into_input_obeys_the_bound(inp: int, cache_read: int, folded: int) -> None:
    row, _ = norm(usage(input_tokens=inp, output_tokens=5, cache_read_tokens=cache_read))
    assert row["cache_read_tokens"] == cache_read
    if folded <= BOUND:
        assert row["input_tokens"] == folded and row["total_tokens"] == folded + 5 and INVALID_USAGE not in row
    else:
        assert row["input_tokens"] is None and row[INVALID_USAGE] == {"input_tokens": folded}
        assert row["attributes"] == {"gen_ai.usage.input_tokens": inp}


def test_reasoning_folded_into_output_obeys_the_bound() -> None:
    row, _ = norm(usage(input_tokens=5, output_tokens=BOUND - 1, reasoning_tokens=BOUND))  # reasoning beside output
    assert row["output_tokens"] is None and row[INVALID_USAGE] == {"output_tokens": 2 * BOUND - 1}
    assert row["reasoning_tokens"] == BOUND
    assert row["attributes"] == {"gen_ai.usage.output_tokens": BOUND - 1}


def test_total_and_max_tokens_are_bounded_but_not_usage() -> None:
    attrs = usage(input_tokens=10, output_tokens=5)
    attrs.update({"gen_ai.usage.total_tokens": BOUND + 1, "gen_ai.request.max_tokens": BOUND + 1})
    row, _ = norm(attrs)
    assert (row["total_tokens"], row["max_tokens"]) == (15, None)
    assert row["attributes"] == {"gen_ai.usage.total_tokens": BOUND + 1, "gen_ai.request.max_tokens": BOUND + 1}
    assert INVALID_USAGE not in row  # pricing does not read either


def test_unpriced_spans_carry_no_refusal() -> None:
    row, _ = norm({"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": -5,
                   "gen_ai.usage.output_tokens": 10})
    assert row["kind"] == "agent" and INVALID_USAGE not in row
    assert row["attributes"] == {"gen_ai.usage.input_tokens": -5, "gen_ai.usage.output_tokens": 10}
