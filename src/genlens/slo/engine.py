"""The server's own SLO arithmetic: SLI, error budget left and burn rates, from the stored spans.

Spans are placed in time by their start, so a late or backfilled span counts in the
window it belongs to (the exported Prometheus rules count it when it arrives).  The
numbers follow Sloth's definitions so the two agree on the same data:

* error ratio of a window = bad / total spans in it (no data when total is 0);
* burn rate = error ratio / (1 - objective);
* budget left over the period = 1 - period burn rate, also in calls
  (``(1 - objective) × total - bad``) and in minutes of the period
  (budget left × (1 - objective) × period minutes: a 99.5 % objective over 30 days
  allows 216 minutes).

The alert of a pair fires when both its windows burn faster than its factor
(:data:`~genlens.slo.windows.PAIRS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from genlens.slo.spec import SLO
from genlens.slo.windows import PAIRS, WINDOWS
from genlens.store.base import AnalyticsReader
from genlens.store.queries import ALL_TENANTS, SliQuery


@dataclass(frozen=True)
class SloStatus:
    slo: SLO
    computed: bool  # False for a PromQL-only SLO: Prometheus computes it from the exported rules
    total: int = 0  # spans over the period
    bad: int = 0
    error_ratios: dict[str, float | None] = field(default_factory=dict)  # window → bad / total
    burn_rates: dict[str, float | None] = field(default_factory=dict)
    firing: tuple[str, ...] = ()  # "page: 14.4x over 1h and 5m", …

    @property
    def sli(self) -> float | None:
        """The share of good events over the period."""
        return None if self.total == 0 else 1.0 - self.bad / self.total

    @property
    def budget_remaining(self) -> float | None:
        """Share of the period's error budget left (negative once overspent)."""
        ratio = self.error_ratios.get("period")
        return None if ratio is None else 1.0 - ratio / (1.0 - self.slo.objective)

    @property
    def status(self) -> str:
        if not self.computed:
            return "prometheus"
        if self.total == 0:
            return "no data"
        if any(f.startswith("page") for f in self.firing):
            return "page"
        if self.firing:
            return "ticket"
        remaining = self.budget_remaining
        return "warning" if remaining is not None and remaining < 0.25 else "ok"

    def as_dict(self) -> dict[str, Any]:
        slo = self.slo
        budget = 1.0 - slo.objective
        remaining = self.budget_remaining
        out: dict[str, Any] = {
            "id": slo.id, "service": slo.service, "name": slo.name, "description": slo.description,
            "objective": slo.objective, "period_days": slo.period_s / 86400, "sli_type": slo.sli_type,
            "threshold": slo.threshold, "where": dict(slo.where), "computed_by": "genlens" if self.computed
            else "prometheus", "status": self.status, "total": self.total, "bad": self.bad, "sli": self.sli,
            "error_budget": budget, "budget_remaining": remaining,
            "budget_remaining_calls": budget * self.total - self.bad if self.computed else None,
            "budget_remaining_minutes": (remaining * budget * slo.period_s / 60) if remaining is not None else None,
            "error_ratios": self.error_ratios, "burn_rates": self.burn_rates, "firing": list(self.firing),
        }
        return out


def evaluate(reader: AnalyticsReader, slos: Sequence[SLO], now_ns: int, tenant: str = ALL_TENANTS) -> list[SloStatus]:
    """Every SLO's status at ``now_ns``: one store query per SLO over all its windows."""
    return [evaluate_one(reader, slo, now_ns, tenant) for slo in slos]


def evaluate_one(reader: AnalyticsReader, slo: SLO, now_ns: int, tenant: str = ALL_TENANTS) -> SloStatus:
    if slo.total is None or slo.bad is None:
        return SloStatus(slo, computed=False)
    names = [*WINDOWS, "period"]
    seconds = [*WINDOWS.values(), slo.period_s]
    counts = reader.sli_counts(SliQuery(tenant, now_ns, tuple(now_ns - s * 10**9 for s in seconds),
                                        slo.total, slo.bad))
    budget = 1.0 - slo.objective
    ratios: dict[str, float | None] = {}
    burns: dict[str, float | None] = {}
    for name, (total, bad) in zip(names, counts, strict=True):
        ratio = None if total == 0 else bad / total
        ratios[name] = ratio
        burns[name] = None if ratio is None else ratio / budget
    firing = tuple(f"{p.severity}: {p.factor:g}x over {p.long} and {p.short}" for p in PAIRS
                   if _over(burns[p.long], p.factor) and _over(burns[p.short], p.factor))
    total, bad = counts[-1]
    return SloStatus(slo, True, total, bad, ratios, burns, firing)


def _over(burn: float | None, factor: float) -> bool:
    return burn is not None and burn > factor
