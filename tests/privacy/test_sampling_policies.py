"""Tail-sampling policies: parsing errors name the policy, each type keeps what it says, the baseline share
converges on the configured percentage (checked against the count of an independent hash computation)."""

from __future__ import annotations

import hashlib
import random

import pytest

from genlens.privacy.sampling import DEFAULT_POLICIES, NO_POLICY, SamplingPolicy, TraceFacts, parse_policies


def facts(**given: object) -> TraceFacts:
    return TraceFacts(**{"tenant": "acme", "trace_id": "ab" * 16, **given})  # type: ignore[arg-type]


DEFAULT = SamplingPolicy.of(DEFAULT_POLICIES, "salt")


@pytest.mark.parametrize(("given", "reason"), [
    ({"errors": 1}, "errors"),
    ({"error_classes": frozenset({"guardrail"})}, "rejected"),
    ({"error_classes": frozenset({"validation"})}, "rejected"),
    ({"duration_ns": 5 * 10**9}, "slow"),
    ({"cost_usd": 0.10}, "expensive"),
    ({"over_budget": True}, "over-budget"),
    ({"negative_feedback": True}, "negative-feedback"),
])
def test_the_default_policies_keep_every_trace_worth_debugging(given: dict[str, object], reason: str) -> None:
    decision = DEFAULT.decide(facts(trace_id="ff" * 16, **given))
    assert decision.keep and decision.reason == reason


def test_below_every_threshold_only_the_baseline_keeps() -> None:
    policy = SamplingPolicy.of([p for p in DEFAULT_POLICIES if p["type"] != "probabilistic"])
    d = policy.decide(facts(duration_ns=4_999_999_999, cost_usd=0.0999, error_classes=frozenset({"api"})))
    assert not d.keep and d.reason == NO_POLICY


def test_the_baseline_share_is_the_configured_rate_within_half_a_point() -> None:
    gen = random.Random(7)
    ids = [f"{gen.getrandbits(128):032x}" for _ in range(20_000)]
    policy = SamplingPolicy.of([{"name": "b", "type": "probabilistic", "probabilistic": {"sampling_percentage": 10}}],
                               "s")
    kept = sum(policy.decide(facts(trace_id=t)).keep for t in ids)
    independent = sum(int.from_bytes(hashlib.sha256(f"s\x00{t}".encode()).digest()[:8], "big") < 2**64 // 10
                      for t in ids)
    assert kept == independent
    assert abs(kept / len(ids) - 0.10) <= 0.005


def test_cohorts_and_min_volume() -> None:
    policy = SamplingPolicy.of([
        {"name": "debug", "type": "string_attribute", "string_attribute": {"key": "tenant", "values": ["beta"]}},
        {"name": "rare", "type": "min_volume", "min_volume": {"min_daily_traces": 3}},
    ])
    assert policy.decide(facts(tenant="beta")).reason == "debug"
    burst = [facts(trace_id=f"{i:032x}", features=("rare",)) for i in range(5)]
    assert [d.keep for d in policy.decide_all(burst, {"rare": 1})] == [True, True, False, False, False]


@pytest.mark.parametrize(("entries", "message"), [
    ([{"name": "x", "type": "nope"}], "unknown type"),
    ([{"type": "latency", "latency": {"threshold_ms": 1}}], "needs a name"),
    ([{"name": "x", "type": "latency", "latency": {"threshold_ms": -1}}], "at least 0"),
    ([{"name": "x", "type": "latency", "latency": {"threshold_ms": "5s"}}], "must be a number"),
    ([{"name": "x", "type": "latency", "threshold_ms": 5}], "unknown key"),
    ([{"name": "x", "type": "probabilistic", "probabilistic": {"sampling_percentage": 101}}], "between 0 and 100"),
    ([{"name": "x", "type": "budget", "budget": {"a": 1}}], "takes no options"),
    ([{"name": "x", "type": "string_attribute", "string_attribute": {"key": "user", "values": ["a"]}}], "key must"),
    ([{"name": "x", "type": "always_sample"}, {"name": "x", "type": "always_sample"}], "unique"),
    (["text"], "expected a mapping"),
])
def test_bad_policies_are_refused_naming_the_problem(entries: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policies(entries)
