"""genlens's own application context (``app.llm.*``), plus ``user.id`` and ``tenant.id``.

These carry what no foreign convention has: feature, tenant, prompt template
version, experiment arm, streaming latencies measured by the SDK, budget
breaches.  They win over every other convention when a span carries both.
"""

from __future__ import annotations

from typing import Any

from genlens.semconv import attrs as a
from genlens.semconv._convert import (
    C_GENLENS,
    P_GENLENS,
    as_bool,
    as_nonneg_float,
    as_str,
)

P = P_GENLENS
C = C_GENLENS
KEYS: list[tuple[str, str | None, int, Any, int]] = [
    (a.APP_FEATURE, "feature", P, as_str, C),
    (a.APP_TENANT_ID, "tenant", P, as_str, C),
    (a.TENANT_ID, "tenant", P + 1, as_str, 0),
    (a.APP_PROMPT_TEMPLATE_ID, "prompt_id", P, as_str, C),
    (a.APP_PROMPT_TEMPLATE_SHA, "prompt_sha", P, as_str, C),
    (a.APP_EXPERIMENT_ID, "experiment_id", P, as_str, C),
    (a.APP_EXPERIMENT_VARIANT, "experiment_variant", P, as_str, C),
    (a.APP_CONVERSATION_ID, "conversation_id", P, as_str, C),
    (a.USER_ID, "user_id", P, as_str, 0),
    (a.APP_COST_USD, "cost_usd", P, as_nonneg_float, C),
    (a.APP_BUDGET_EXCEEDED, "budget_exceeded", P, as_bool, C),
    (a.APP_TTFT_S, "ttft_s", P, as_nonneg_float, C),
    (a.APP_TPOT_S, "tpot_s", P, as_nonneg_float, C),
    (a.APP_DECODE_TOKENS_PER_S, "decode_tps", P, as_nonneg_float, C),
    (a.APP_STREAMING, "streaming", P, as_bool, C),
    (a.APP_ERROR_CLASS, "x:error_class", P, as_str, C),
    (a.APP_SPAN_KIND, "k:app", P, as_str, C),
    (a.APP_CONTENT_SAMPLED, "content_sampled", P, as_bool, C),
    (a.APP_REDACTED, "redacted", P, as_bool, C),
    # No column of their own: kept in attributes, but they mark the span as genlens's.
    (a.APP_TOTAL_LATENCY_S, None, P, None, C),
    (a.APP_CONVERSATION_CUMULATIVE_TOKENS, None, P, None, C),
    (a.APP_RETRIEVAL_DOCUMENT_IDS, None, P, None, C),
    (a.APP_RETRIEVAL_DOCUMENT_SCORES, None, P, None, C),
]


def tenant_from_resource(resource: dict[str, Any]) -> str | None:
    """The tenant a whole batch part belongs to, when its spans do not say."""
    if not resource:
        return None
    return as_str(resource.get(a.APP_TENANT_ID)) or as_str(resource.get(a.TENANT_ID))
