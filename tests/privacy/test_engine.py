"""The redaction engine: merging tiers, the three actions, per-type policies, the LLM hook, bounds."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from genlens.privacy.engine import Counts, Found, HookTier, Policy, Redactor, merge
from genlens.privacy.patterns import PatternTier


def test_overlaps_resolve_by_precedence_then_length() -> None:
    found = [Found("PHONE", 0, 10), Found("CARD", 0, 19), Found("PERSON", 25, 35, "ner"),
             Found("LOCATION", 30, 40, "ner"), Found("EMAIL", 50, 60)]
    kept = merge(found)
    assert [(f.type, f.start) for f in kept] == [("CARD", 0), ("PERSON", 25), ("EMAIL", 50)]


def test_actions_drop_hash_keep_and_counts_by_tier_and_type() -> None:
    salt = b"s3cret"
    text = "mail ann@example.org or ann@example.org, card 4111 1111 1111 1111"
    counts = Counts()
    out = Redactor(salt=salt).text(text, Policy(action="hash", actions=(("CARD", "keep"),)), counts)
    digest = hmac.new(salt, b"ann@example.org", hashlib.sha256).hexdigest()[:10]
    assert out == f"mail [EMAIL:{digest}] or [EMAIL:{digest}], card 4111 1111 1111 1111"
    assert counts.found == {("pattern", "EMAIL"): 2, ("pattern", "CARD"): 1}
    assert Redactor().text(text, Policy()) == "mail [EMAIL] or [EMAIL], card [CARD]"


def test_hash_depends_on_the_salt() -> None:
    policy = Policy(action="hash")
    a = Redactor(salt=b"a").text("x@y.io", policy)
    b = Redactor(salt=b"b").text("x@y.io", policy)
    assert a != b and a.startswith("[EMAIL:") and "x@y.io" not in a + b


def test_llm_hook_tier_merges_and_ignores_bad_spans() -> None:
    def hook(text: str) -> list[tuple[str, int, int]]:
        i = text.index("Project Falcon")
        return [("codename", i, i + len("Project Falcon")), ("bad", -1, 3), ("bad", 5, 10**6)]

    redactor = Redactor({"pattern": PatternTier(), "llm": HookTier(hook)})
    counts = Counts()
    out = redactor.text("Project Falcon ships; mail a@b.co", Policy(("pattern", "llm")), counts)
    assert out == "[CODENAME] ships; mail [EMAIL]"
    assert counts.found == {("llm", "CODENAME"): 1, ("pattern", "EMAIL"): 1}


def test_policy_naming_a_missing_tier_is_refused() -> None:
    with pytest.raises(ValueError, match="'ner' is not available"):
        Redactor().check(Policy(("pattern", "ner")))


def test_values_walk_dicts_and_lists_and_keep_keys() -> None:
    value = {"messages": [{"role": "user", "content": "I am at 10.20.30.40"}], "n": 3, "ok": True}
    out = Redactor().value(value, Policy())
    assert out == {"messages": [{"role": "user", "content": "I am at [IP]"}], "n": 3, "ok": True}


@pytest.mark.parametrize("text", [
    "a" * 100_000, "1" * 100_000, "1-" * 40_000, "+" * 50_000 + "1", "." * 50_000, "@" * 50_000,
    "-----BEGIN PRIVATE KEY-----" * 2000, "Bearer " * 10_000, "born " * 10_000 + "1987", ":" * 60_000,
    "\x00\ud800" * 1000, "Calle " * 10_000 + "5", "1 " * 40_000,
])
def test_hostile_text_is_bounded(text: str) -> None:
    out = Redactor(max_chars=20_000).text(text, Policy())
    assert len(out) <= 20_000 + 40  # cut first, marked, then scanned: pytest-timeout guards the time
