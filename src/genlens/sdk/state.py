"""The SDK's live state: which tracer, meter instruments, content policy and budgets are in force.

Before ``genlens.init()`` the state uses OTel's proxy tracer (a no-op until some
TracerProvider is configured, then that provider) and records no metrics, so
the whole public API is safe to call at any time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanContext, Tracer

from genlens import __version__
from genlens.privacy.redact import redact_value, truncate
from genlens.sdk.budgets import BudgetTracker
from genlens.sdk.config import SdkConfig
from genlens.sdk.lightspan import LightSpanFactory
from genlens.sdk.metrics import Metrics

SCOPE = "genlens"
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class ContentPolicy:
    """Whether message content is captured, for which share of traces, and how it is cleaned."""

    capture: bool = False
    sample_rate: float = 1.0
    redact: bool = True
    max_chars: int = 16384

    def sampled(self, span_context: SpanContext | None) -> bool:
        """Head sampling on the trace id, so all spans of one trace agree."""
        if not self.capture:
            return False
        if self.sample_rate >= 1.0:
            return True
        if span_context is None or not span_context.is_valid:
            return False
        return (span_context.trace_id & _MASK64) < self.sample_rate * 2**64

    def encode(self, value: Any) -> tuple[str, int]:
        """JSON text of ``value`` after redaction, cut to ``max_chars``; returns (text, redactions)."""
        count = 0
        if self.redact:
            value, count = redact_value(value, max_chars=self.max_chars)
        text = orjson.dumps(value, default=str).decode()
        return truncate(text, self.max_chars), count


@dataclass
class SdkState:
    """Everything a call into the SDK reads: replaced whole by ``init()``/``shutdown()``, never mutated piecemeal
    except ``light`` (dropped when a foreign processor joins the provider)."""

    tracer: Tracer
    metrics: Metrics | None = None
    content: ContentPolicy = field(default_factory=ContentPolicy)
    budgets: BudgetTracker = field(default_factory=BudgetTracker)
    config: SdkConfig = field(default_factory=SdkConfig)
    active: bool = False
    # Set while genlens's own processor is the only one on the TracerProvider: LLM spans are then
    # light spans, finished on the export thread (genlens.sdk.lightspan)
    light: LightSpanFactory | None = None


def _default() -> SdkState:
    return SdkState(tracer=trace.get_tracer(SCOPE, __version__))


CURRENT: SdkState = _default()


def get() -> SdkState:
    return CURRENT


def install(new: SdkState) -> None:
    global CURRENT
    CURRENT = new


def reset() -> None:
    """Back to the pre-init state."""
    install(_default())
