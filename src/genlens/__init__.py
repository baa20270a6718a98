"""genlens: OpenTelemetry-native observability for LLM applications.

This module is the public SDK surface only; everything else is internal::

    import genlens
    genlens.init(service_name="support-bot")

Every function here is safe to call before ``init()`` (it is a no-op then, or
uses whatever OTel TracerProvider the application configured).
"""

from __future__ import annotations

__version__ = "0.1.0"

from genlens.sdk.context import context  # noqa: E402
from genlens.sdk.helpers import feedback, record_guardrail_rejection, record_validation_error  # noqa: E402
from genlens.sdk.prompts import Prompt, prompt  # noqa: E402
from genlens.sdk.setup import diagnostics, force_flush, init, shutdown  # noqa: E402
from genlens.sdk.spans import agent, llm_call, retrieval, span, tool, workflow  # noqa: E402

__all__ = [
    "Prompt",
    "__version__",
    "agent",
    "context",
    "diagnostics",
    "feedback",
    "force_flush",
    "init",
    "llm_call",
    "prompt",
    "record_guardrail_rejection",
    "record_validation_error",
    "retrieval",
    "shutdown",
    "span",
    "tool",
    "workflow",
]
