"""Incident fire drills: what each scenario plants, when, and the ground truth it leaves behind.

A scenario is data: a window (placed inside the backfilled week when there is
one, otherwise shortly after the live run starts), the simulator faults that
hold inside the window, what the application does differently inside it, and
extra requests it adds (the runaway conversation).  The driver asks
:meth:`Planted.effects_at` / :meth:`Planted.faults_at` for every request's time,
so the incident's start and end are exact to the request, and writes
:meth:`Planted.ground_truth` to ``<data>/scenario-<name>.json`` for detectors and
alerts to be checked against.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from genlens.demo import corpus as C
from genlens.errors import ConfigError

NS = 1_000_000_000
_DRAFT_A, _DRAFT_B = C.VARIANTS["a"][1], C.VARIANTS["b"][1]
ANTHROPIC_MODELS = (C.MODELS["summarizer"], C.MODELS["research_planner"])


@dataclass(frozen=True)
class Effects:
    """What a planted incident changes in the application at one moment ."""

    support_template: str = "v1"  # v1 | v2 (prompt-regression)
    cache_busting: bool = False  # a per-request preamble before the cached prefix (cache-drop)
    drifted_inputs: bool = False  # questions from a topic the knowledge base does not cover (input-drift)


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str
    summary: str
    detector: str
    feature: str | None = None
    models: tuple[str, ...] = ()
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)  # model → simulator fault spec
    effects: Effects = Effects()
    runaway_turns: int = 0


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("provider-outage", "provider_outage", "every Anthropic call answers 503 (with retry-after)",
             "SLO burn alert SloErrorBudgetBurn of the demo SLO support-bot-api-success-anthropic "
             "(page and ticket); traces with error_class=api",
             feature=None, models=ANTHROPIC_MODELS,
             faults={m: {"error_rates": {"503": 1.0}, "retry_after_s": 0.2} for m in ANTHROPIC_MODELS}),
    Scenario("latency-spike", "latency_spike", f"{_DRAFT_A} answers 8x slower (TTFT and TPOT)",
             "latency anomaly on p95 duration / TTFT of the model; latency SLO burn",
             feature="support-chat", models=(_DRAFT_A,), faults={_DRAFT_A: {"latency_multiplier": 8.0}}),
    Scenario("prompt-regression", "prompt_cost_regression",
             "the support system prompt ships as a new version about 3x longer (new template sha)",
             "cost regression of a prompt version against earlier versions of the same prompt "
             "(feature, prompt id, sha): genlens detect cost, kind cost_regression",
             feature="support-chat", effects=Effects(support_template="v2")),
    Scenario("cache-drop", "cache_hit_drop",
             "a per-request preamble is put before the long cached system prompt, so prefixes stop matching",
             "cache-hit-rate drop per feature: genlens detect cost, kind cache_drop",
             feature="support-chat", effects=Effects(cache_busting=True)),
    Scenario("input-drift", "input_drift",
             f"support-chat questions switch to a topic the knowledge base does not cover: {C.DRIFT_TOPIC}",
             "input drift on the feature (embedding / length / language distribution); retrieval scores fall",
             feature="support-chat", effects=Effects(drifted_inputs=True)),
    Scenario("refusal-spike", "refusal_spike", f"half of {_DRAFT_B} answers are refusals",
             "SLO burn alert SloErrorBudgetBurn of the demo SLO support-bot-few-refusals (page and ticket)",
             feature=None, models=(_DRAFT_B,), faults={_DRAFT_B: {"refusal_rate": 0.5}}),
    Scenario("runaway-conversation", "runaway_conversation",
             "one support conversation keeps going, each turn pasting a long log, so input tokens climb every turn",
             "runaway conversation: genlens detect cost, kind runaway_conversation (cumulative tokens)",
             feature="support-chat", runaway_turns=36),
)}


def get(name: str) -> Scenario:
    if name not in SCENARIOS:
        raise ConfigError(f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


@dataclass
class Planted:
    """A scenario placed at a concrete [start_ns, end_ns) window."""

    scenario: Scenario
    start_ns: int
    end_ns: int
    mode: str  # "backfill" | "live"
    conversation_id: str | None = None
    tenant: str = "acme"
    shas: dict[str, str] = field(default_factory=dict)

    def active(self, t_ns: int) -> bool:
        return self.start_ns <= t_ns < self.end_ns

    def effects_at(self, t_ns: int) -> Effects:
        return self.scenario.effects if self.active(t_ns) else Effects()

    def faults_at(self, t_ns: int) -> dict[str, dict[str, Any]]:
        return self.scenario.faults if self.active(t_ns) else {}

    def runaway_times(self) -> list[int]:
        """Times of the runaway conversation's turns, spread evenly over the window."""
        n = self.scenario.runaway_turns
        if n <= 0:
            return []
        step = (self.end_ns - self.start_ns) // (n + 1)
        return [self.start_ns + step * (i + 1) for i in range(n)]

    def ground_truth(self) -> dict[str, Any]:
        s = self.scenario
        affected: dict[str, Any] = {"feature": s.feature, "models": list(s.models)}
        if s.effects.support_template != "v1":
            affected.update(prompt_id="support-system", old_sha=self.shas.get("v1"), new_sha=self.shas.get("v2"))
        if self.conversation_id:
            affected.update(conversation_id=self.conversation_id, tenant=self.tenant, turns=s.runaway_turns)
        if s.effects.drifted_inputs:
            affected["topic"] = C.DRIFT_TOPIC
        return {
            "scenario": s.name, "kind": s.kind, "mode": self.mode, "summary": s.summary,
            "start": _iso(self.start_ns), "end": _iso(self.end_ns), "start_ns": self.start_ns,
            "end_ns": self.end_ns, "affected": affected,
            "planted_by": "simulator faults" if s.faults else "the demo application",
            "simulator_faults": s.faults, "expected_detection": s.detector,
        }


def plant(scenario: Scenario, *, backfill_start_ns: int | None, backfill_end_ns: int | None,
          live_start_ns: int, live_duration_s: float | None) -> Planted:
    """Place the incident: a quarter of the way back from the end of the backfilled history, else live."""
    if backfill_start_ns is not None and backfill_end_ns is not None:
        span = backfill_end_ns - backfill_start_ns
        start = backfill_end_ns - span // 4
        length = min(6 * 3600 * NS, span // 6)
        if scenario.kind == "prompt_cost_regression":  # a shipped prompt stays until someone reverts it
            length = backfill_end_ns - start
        planted = Planted(scenario, start, start + length, "backfill")
    else:
        total = live_duration_s if live_duration_s is not None else 600.0
        start = live_start_ns + int(min(60.0, total / 4) * NS)
        planted = Planted(scenario, start, start + int(min(180.0, total / 2) * NS), "live")
    if scenario.runaway_turns:
        planted.conversation_id = f"conv-runaway-{secrets.token_hex(4)}"
    return planted


def _iso(t_ns: int) -> str:
    return dt.datetime.fromtimestamp(t_ns / NS, tz=dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
