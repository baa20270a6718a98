"""Run-time state shared by the HTTP handlers and the admin API: faults, dice, counters.

Fault specs can be replaced from any thread (``Simulator.set_faults`` runs in
the test's thread, the admin endpoint in the event loop), so every read and
write goes through one lock.  The dice are one seeded ``random.Random``: with
a fixed seed and requests sent one after another, the injected faults are the
same on every run.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from genlens.simulate.config import FaultSpec, SimulatorConfig, build_faults

WILDCARD = "*"


@dataclass(frozen=True)
class Decision:
    """What the dice decided for one request."""

    status: int | None = None  # an error status to answer instead of a completion
    retry_after_s: float = 0.0
    latency_multiplier: float = 1.0
    stall: bool = False
    stall_s: float = 0.0
    content_filter: bool = False
    refusal: bool = False
    invalid_json: bool = False
    jitter_ttft: float = 1.0
    jitter_tpot: float = 1.0


class SimulatorState:
    """Faults per model, the seeded dice, and request counters."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.latency_scale = config.latency_scale
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._ids = random.Random(config.seed + 1)
        now = time.monotonic()
        self._faults: dict[str, tuple[FaultSpec, float]] = {
            self._key(name): (spec, now) for name, spec in config.faults.items()
        }
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._counters: Counter[str] = Counter()

    def _key(self, model: str) -> str:
        """Faults set on an alias also hit its dated name, and the other way round."""
        if model == WILDCARD:
            return model
        profile = self.config.models.get(model)
        return profile.response_model if profile else model

    # -- faults ---------------------------------------------------------------------------
    def set_faults(self, model: str, spec: FaultSpec | dict[str, Any]) -> FaultSpec:
        """Replace the faults of ``model`` ("*" = every model without its own entry)."""
        if not isinstance(spec, FaultSpec):
            spec = build_faults(spec)
        with self._lock:
            self._faults[self._key(model)] = (spec, time.monotonic())
        return spec

    def clear_faults(self, model: str | None = None) -> None:
        with self._lock:
            if model is None:
                self._faults.clear()
            else:
                self._faults.pop(self._key(model), None)

    def faults(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: spec.to_json() for name, (spec, _) in self._faults.items()}

    def decide(self, model: str) -> Decision:
        """Roll the dice for one request to ``model`` (request or dated name)."""
        with self._lock:
            entry = self._faults.get(self._key(model)) or self._faults.get(WILDCARD)
            rng = self._rng
            jitter = self.config.jitter
            jt = 1.0 + rng.uniform(-jitter, jitter) if jitter else 1.0
            jp = 1.0 + rng.uniform(-jitter, jitter) if jitter else 1.0
            if entry is None:
                return Decision(jitter_ttft=jt, jitter_tpot=jp)
            spec, anchor = entry
            elapsed = time.monotonic() - anchor
            for outage in spec.outages:
                if outage.start_s <= elapsed < outage.end_s:
                    return Decision(status=outage.status, retry_after_s=max(outage.end_s - elapsed, 0.0))
            if spec.error_rates:
                roll = rng.random()
                edge = 0.0
                for status in sorted(spec.error_rates):
                    edge += spec.error_rates[status]
                    if roll < edge:
                        return Decision(status=status, retry_after_s=spec.retry_after_s)
            return Decision(
                latency_multiplier=spec.latency_multiplier,
                stall=bool(spec.stall_rate) and rng.random() < spec.stall_rate,
                stall_s=spec.stall_s,
                content_filter=bool(spec.content_filter_rate) and rng.random() < spec.content_filter_rate,
                refusal=bool(spec.refusal_rate) and rng.random() < spec.refusal_rate,
                invalid_json=bool(spec.invalid_json_rate) and rng.random() < spec.invalid_json_rate,
                jitter_ttft=jt,
                jitter_tpot=jp,
            )

    # -- ids ------------------------------------------------------------------------------
    def random_id(self, alphabet: str, length: int) -> str:
        with self._lock:
            raw = self._ids.randbytes(length)
        size = len(alphabet)
        return "".join([alphabet[b % size] for b in raw])

    # -- counters -------------------------------------------------------------------------
    def record(self, model: str, status: int | str) -> None:
        with self._lock:
            self._counts[model][str(status)] += 1

    def count(self, counter: str, amount: int = 1) -> None:
        with self._lock:
            self._counters[counter] += amount

    def stats(self) -> dict[str, Any]:
        """Request counts by model and status, plus named counters (drops, stalls …)."""
        with self._lock:
            by_model = {model: dict(sorted(c.items())) for model, c in sorted(self._counts.items())}
            total = sum(sum(c.values()) for c in self._counts.values())
            return {"total": total, "requests": by_model, "counters": dict(sorted(self._counters.items()))}

    def reset_stats(self) -> None:
        with self._lock:
            self._counts.clear()
            self._counters.clear()
