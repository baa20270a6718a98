"""The structured finding every detector produces, ready for the alerting side to deliver.

A finding names its subject (tenant, feature, prompt sha, conversation), the
window it covers, what was observed against what baseline, and example trace
ids.  Its id is derived from the subject and the window start, so the same
finding found twice has the same id; the store also merges a finding into an
earlier one of the same subject whose window it touches.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

PROMPT_REGRESSION = "prompt_cost_regression"
CACHE_DROP = "cache_hit_drop"
SPEND_ANOMALY = "spend_anomaly"
TOKEN_BUDGET = "token_budget_breach"
RUNAWAY_CONVERSATION = "runaway_conversation"
KINDS: tuple[str, ...] = (PROMPT_REGRESSION, CACHE_DROP, SPEND_ANOMALY, TOKEN_BUDGET, RUNAWAY_CONVERSATION)
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")


@dataclass(slots=True)
class Finding:
    kind: str
    severity: str
    tenant: str
    window_start_ns: int
    window_end_ns: int
    observed: float
    baseline: float | None
    unit: str
    feature: str | None = None
    prompt_sha: str | None = None
    conversation_id: str | None = None
    example_trace_ids: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.observed / self.baseline if self.baseline else None

    @property
    def id(self) -> str:
        key = "\x1f".join(str(v) for v in (self.kind, self.tenant, self.feature, self.prompt_sha,
                                           self.conversation_id, self.window_start_ns))
        return hashlib.sha256(key.encode()).hexdigest()[:20]

    def record(self, detected_at_ns: int) -> dict[str, Any]:
        """The stored/served form (flat, JSON-ready)."""
        row = asdict(self)
        row.update(id=self.id, ratio=self.ratio, detected_at_ns=detected_at_ns, first_detected_ns=detected_at_ns)
        return row


def severity_for(ratio: float, threshold: float) -> str:
    """``critical`` at twice the threshold's excess or more, ``warning`` otherwise."""
    return "critical" if ratio >= 1 + 2 * (threshold - 1) else "warning"
