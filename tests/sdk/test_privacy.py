"""Redaction at the source: what is replaced, what is left alone, and hostile input."""

from __future__ import annotations

import re

import pytest

from genlens.privacy import redact, redact_value


@pytest.mark.parametrize(("text", "expected"), [
    ("write to john.doe+x@mail.example.co.uk today", "write to [EMAIL] today"),
    ("call +1 (415) 555-0100 or 415-555-0100", "call [PHONE] or [PHONE]"),
    ("ssn 123-45-6789", "ssn [SSN]"),
    ("visa 4111-1111-1111-1111 amex 378282246310005", "visa [CARD] amex [CARD]"),
    ("openai sk-proj-AbCdEfGhIjKlMnOpQrSt12", "openai [API_KEY]"),
    ("anthropic sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "anthropic [API_KEY]"),
    ("aws AKIAIOSFODNN7EXAMPLE", "aws [API_KEY]"),
    ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "gh [API_KEY]"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz.123", "Authorization: Bearer [API_KEY]"),
])
def test_redacts(text, expected):
    result = redact(text)
    assert result.text == expected
    assert result.count == len(re.findall(r"\[[A-Z_]+\]", expected))


@pytest.mark.parametrize("text", [
    "order 12345 shipped on 2024-01-15, total 99.50",
    "version 1.2.3 build 20240115",
    "ssn-like but invalid 000-12-3456 and 666-12-3456",
    "the year 1999 and 42 apples",
])
def test_leaves_ordinary_text_alone(text):
    assert redact(text).text == text


def test_card_needs_a_valid_luhn_checksum():
    assert redact("4111111111111112").text == "4111111111111112"
    assert redact("4111111111111111").text == "[CARD]"


def test_luhn_against_independent_computation():
    from genlens.privacy.validators import luhn_ok

    def reference(number: str) -> bool:
        digits = [int(d) for d in number][::-1]
        checksum = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
        return checksum % 10 == 0

    for n in range(10**6, 10**6 + 3000, 7):
        s = str(n) * 2
        assert luhn_ok(s) == reference(s)


def test_hostile_and_oversized_input_is_bounded():
    huge = "a@" * 200_000 + "1" * 100_000
    result = redact(huge, max_chars=10_000)
    assert result.truncated
    assert len(result.text) < 10_100
    for hostile in ("1-" * 5000, "+" * 10000, "." * 20000 + "@", "sk-" * 3000, "(" * 5000 + "1" * 30):
        redact(hostile)  # finishes (pytest-timeout guards against catastrophic backtracking)


def test_nested_values_and_depth_limit():
    value = {"a": ["mail x@y.io", {"b": "ok", "n": 5}], "c": None}
    out, count = redact_value(value)
    assert out == {"a": ["mail [EMAIL]", {"b": "ok", "n": 5}], "c": None}
    assert count == 1
    deep: list = []
    cur = deep
    for _ in range(100):
        nxt: list = []
        cur.append(nxt)
        cur = nxt
    cur.append("a@b.cd")
    out, count = redact_value(deep)
    assert count == 0 and "a@b.cd" not in repr(out)  # the part below the depth limit is replaced wholesale


def test_non_string_input():
    assert redact(12345).text == "12345"  # type: ignore[arg-type]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.text(alphabet=st.characters(blacklist_characters="@", blacklist_categories=("Cs",)), max_size=40)
_EMAILS = st.from_regex(r"[a-z]{1,10}(\.[a-z]{1,10})?@[a-z]{1,10}\.(com|org|io|co\.uk)", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_WORDS, _EMAILS), min_size=1, max_size=5))
def test_every_inserted_email_is_removed(pieces):
    text = " ".join(f"{words} {email} " for words, email in pieces)
    result = redact(text)
    for _, email in pieces:
        assert email not in result.text
    assert result.count >= 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_redact_never_raises_and_is_idempotent(text):
    once = redact(text)
    assert redact(once.text).text == once.text
