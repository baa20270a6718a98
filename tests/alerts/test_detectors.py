"""The detectors and rules over a real DuckDB store equal a plain-Python evaluation of the raw rows."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from genlens.alerts.detectors import BUILTIN_BY_NAME, Rule, load_rules
from genlens.alerts.evaluation import Evaluator, grid
from genlens.errors import ConfigError
from genlens.store.base import WriteBatch
from genlens.store.duckdb import DuckDBStore
from tests.alerts.detector_data import END, INCIDENTS, MIN, T0, reference, workload

STEP = MIN


def _short(name: str, **change: object) -> Rule:
    """A built-in detector with windows short enough for 200 minutes of data (and no keep_firing_for, which the
    reference does not model)."""
    return dataclasses.replace(BUILTIN_BY_NAME[name], **{"keep_firing_ns": 0, **change})  # type: ignore[arg-type]


RULES = (
    _short("LLMErrorBurst", min_calls=5),
    _short("LLMTTFTSpike", baseline="trailing", trailing_ns=30 * MIN, min_calls=5),
    _short("LLMRefusalSpike", window_ns=5 * MIN, for_ns=2 * MIN, baseline="trailing", trailing_ns=30 * MIN,
           min_calls=5),
    _short("LLMSpendSpike", window_ns=5 * MIN, baseline="trailing", trailing_ns=30 * MIN, min_calls=5),
    Rule("ChatSlowP99", "p99_latency", ("feature",), where=(("feature", "chat"),), window_ns=10 * MIN,
         for_ns=3 * MIN, above=3.0, min_calls=5),
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    rows = workload()
    db = DuckDBStore(Path(tmp_path_factory.mktemp("detectors")) / "s.duckdb")
    db.write(WriteBatch(spans=[dict(r) for r in rows]))
    db.rows = rows  # type: ignore[attr-defined]
    yield db
    db.close()


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_episodes_equal_the_reference(store: DuckDBStore, rule: Rule) -> None:
    since, until = T0 + 20 * MIN, END
    got = Evaluator(store, [rule], STEP).evaluate(since, until)
    points = [int(p) for p in grid(since - rule.for_ns - STEP, until, STEP)]
    want = [e for e in reference(rule, store.rows, points, STEP)  # type: ignore[attr-defined]
            if e.resolved_ns is None or e.resolved_ns > since]
    assert [(e.rule.name, e.labels, e.fired_ns, e.resolved_ns) for e in got] == \
           [(e.rule, e.labels, e.fired_ns, e.resolved_ns) for e in want]
    for mine, theirs in zip(got, want, strict=True):
        assert mine.value == pytest.approx(theirs.value, rel=1e-9)
    assert got, "every rule here has a planted incident"


@pytest.mark.parametrize(("rule", "incident", "labels"), [
    (RULES[0], "errors", (("provider", "anthropic"), ("model", "claude-haiku-4-5"))),
    (RULES[1], "ttft", (("model", "gpt-4o-mini"),)),
    (RULES[2], "refusals", (("feature", "summarize"),)),
    (RULES[3], "spend", (("feature", "batch"),)),
], ids=["errors", "ttft", "refusals", "spend"])
def test_each_incident_fires_once_on_its_slice_and_resolves(store: DuckDBStore, rule: Rule, incident: str,
                                                            labels: tuple[tuple[str, str], ...]) -> None:
    episodes = Evaluator(store, [rule], STEP).evaluate(T0 + 20 * MIN, END)
    assert [e.labels for e in episodes] == [labels]
    (episode,) = episodes
    start, end = (T0 + x for x in INCIDENTS[incident])
    # fires after being bad for `for`, within a window of the start; resolves within a window of the end
    assert start + rule.for_ns <= episode.fired_ns <= start + rule.for_ns + rule.window_ns
    assert episode.resolved_ns is not None and end <= episode.resolved_ns <= end + rule.window_ns + STEP
    assert episode.example_trace_ids and episode.calls >= rule.min_calls
    if rule.ratio is not None:
        assert episode.baseline is not None and episode.peak > rule.ratio * episode.baseline
        assert episode.baseline_from == "trailing"


def test_live_state_at_one_time_matches_the_replay(store: DuckDBStore) -> None:
    rule = RULES[0]
    replay = Evaluator(store, [rule], STEP).evaluate(T0 + 20 * MIN, END)[0]
    inside = replay.fired_ns + 3 * MIN
    live = Evaluator(store, [rule], STEP).evaluate(inside, inside)
    assert [(e.labels, e.firing) for e in live] == [(replay.labels, True)]
    after = Evaluator(store, [rule], STEP).evaluate(replay.resolved_ns + MIN, replay.resolved_ns + MIN)
    assert after == []


def test_same_hour_baseline_uses_earlier_days(tmp_path: Path) -> None:
    rows = workload(history_days=3)
    db = DuckDBStore(tmp_path / "s.duckdb")
    try:
        db.write(WriteBatch(spans=[dict(r) for r in rows]))
        rule = _short("LLMTTFTSpike", min_calls=5, baseline_days=3)
        since = T0 + 121 * MIN
        got = Evaluator(db, [rule], STEP).evaluate(since, since + 10 * MIN)
        points = [int(p) for p in grid(since - rule.for_ns - STEP, since + 10 * MIN, STEP)]
        want = reference(rule, rows, points, STEP)
        assert [(e.labels, e.fired_ns) for e in got] == [(w.labels, w.fired_ns) for w in want]
        assert got and got[0].baseline_from == "same_hour" and got[0].baseline is not None
        assert got[0].baseline < 1.0  # the calm TTFT of the earlier days, not the spike
    finally:
        db.close()


def test_a_calm_store_raises_nothing(tmp_path: Path) -> None:
    calm = [r for r in workload() if not (T0 + 80 * MIN <= r["start_ns"] < T0 + 200 * MIN)]
    db = DuckDBStore(tmp_path / "s.duckdb")
    try:
        db.write(WriteBatch(spans=[dict(r) for r in calm]))
        rules = [dataclasses.replace(r, min_calls=5) for r in load_rules()]
        assert Evaluator(db, rules, STEP).evaluate(T0 + 20 * MIN, T0 + 80 * MIN) == []
    finally:
        db.close()


def test_builtins_tuned_disabled_and_rules_added() -> None:
    rules = load_rules({"LLMSpendHigh": False, "LLMErrorBurst": {"window": "10m", "above": 0.02, "for": "5m"}},
                       [{"name": "CacheHitLow", "aggregate": "cache_hit_rate", "by": ["feature"], "below": 0.5,
                         "window": "1h", "severity": "info", "labels": {"team": "ml"}}])
    names = [r.name for r in rules]
    assert "LLMSpendHigh" not in names and names[-1] == "CacheHitLow"
    burst = next(r for r in rules if r.name == "LLMErrorBurst")
    assert (burst.window_ns, burst.above, burst.for_ns) == (10 * MIN, 0.02, 5 * MIN)
    assert rules[-1].falling and rules[-1].labels == (("team", "ml"),) and rules[-1].family == "rules"


@pytest.mark.parametrize(("detectors", "rules", "message"), [
    ({"NoSuch": {}}, [], "unknown detector 'NoSuch'"),
    ({"LLMErrorBurst": {"window": "soon"}}, [], "window"),
    ({"LLMErrorBurst": {"above": "x"}}, [], "above"),
    ({"LLMErrorBurst": {"name": "Other"}}, [], "keeps its name"),
    ({"LLMErrorBurst": 3}, [], "mapping"),
    ({}, [{"aggregate": "error_rate", "above": 0.1}], "needs a name"),
    ({}, [{"name": "X", "aggregate": "p100_ttft", "above": 1}], "unknown aggregate"),
    ({}, [{"name": "X", "aggregate": "error_rate"}], "threshold"),
    ({}, [{"name": "X", "aggregate": "error_rate", "ratio": 2}], "needs a baseline"),
    ({}, [{"name": "X", "aggregate": "error_rate", "above": 1, "by": ["user_id"]}], "cannot slice by 'user_id'"),
    ({}, [{"name": "X", "aggregate": "error_rate", "above": 1, "severity": "urgent"}], "severity"),
    ({}, [{"name": "LLMErrorBurst", "aggregate": "error_rate", "above": 1}], "taken"),
    ({}, [{"name": "bad name!", "aggregate": "error_rate", "above": 1}], "name"),
    ({}, [{"name": "X", "aggregate": "error_rate", "above": 1, "colour": "red"}], "unknown key 'colour'"),
    ({}, ["not a mapping"], "expected a mapping"),
])
def test_bad_rules_are_config_errors(detectors: dict[str, object], rules: list[object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_rules(detectors, rules)  # type: ignore[arg-type]


def test_grid_is_bounded() -> None:
    with pytest.raises(ValueError, match="at most"):
        grid(0, 10**18, 1)
    assert list(grid(5, 4, 1)) == [] and math.isclose(len(grid(0, 10 * MIN, MIN)), 11)


@pytest.mark.parametrize(("bad", "for_steps", "keep", "want"), [
    ("0111000", 1, 0, [(1, 2, 4, 4)]),
    ("0111000", 3, 0, []),  # bad for 3 evaluations is not bad for 3 steps
    ("0110110", 0, 0, [(1, 1, 3, 3), (4, 4, 6, 6)]),  # flapping without keep_firing_for: two episodes
    ("0110110", 0, 2, [(1, 1, 6, 8)]),  # with it: one, resolved two steps after the last bad evaluation
    ("0110001", 0, 2, [(1, 1, 3, 5), (6, 6, 7, 9)]),
    ("1111", 2, 0, [(0, 2, 4, 4)]),  # still firing at the end: resolved index past the points
])
def test_for_and_keep_firing_for(bad: str, for_steps: int, keep: int, want: list[tuple[int, int, int, int]]) -> None:
    from genlens.alerts.evaluation import _firing

    assert _firing(np.array([c == "1" for c in bad]), for_steps, keep) == want


def test_keep_firing_for_merges_a_flapping_incident(store: DuckDBStore) -> None:
    flappy = Rule("Flappy", "error_rate", ("provider",), window_ns=2 * MIN, above=0.34, min_calls=2)
    plain = Evaluator(store, [flappy], STEP).evaluate(T0 + 20 * MIN, END)
    kept = Evaluator(store, [dataclasses.replace(flappy, keep_firing_ns=30 * MIN)], STEP).evaluate(T0 + 20 * MIN, END)
    assert len(plain) > len(kept) == 1
    assert kept[0].fired_ns == plain[0].fired_ns and kept[0].resolved_ns == plain[-1].resolved_ns + 30 * MIN  # type: ignore[operator]


def test_the_live_job_holds_the_baseline_of_a_long_incident(store: DuckDBStore) -> None:
    from genlens.alerts.detector_job import DetectorAlertJob
    from genlens.alerts.notify import Delivery

    rule = RULES[1]  # TTFT spike against the trailing 30 minutes; the spike lasts 20
    late = T0 + INCIDENTS["ttft"][1] - 2 * MIN  # by now the trailing window is mostly the spike itself
    assert not [e for e in Evaluator(store, [rule], STEP).evaluate(late, late) if e.firing]  # no memory: lost
    delivery = Delivery([])
    try:
        job = DetectorAlertJob(store, [rule], delivery, 1.0, STEP)
        firing = job.run_once(now_ns=late)
        assert [(a.name, a.labels[0]) for a in firing] == [("LLMTTFTSpike", ("model", "gpt-4o-mini"))]
    finally:
        delivery.close()
