"""genlens: OpenTelemetry-native observability for LLM applications.

This module is the public SDK surface only; everything else is internal::

    import genlens
    genlens.init(service_name="support-bot")

Every function here is safe to call before ``init()`` (it is a no-op then, or
uses whatever OTel TracerProvider the application configured).
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genlens.sdk.context import context
    from genlens.sdk.helpers import feedback, record_guardrail_rejection, record_validation_error
    from genlens.sdk.prompts import Prompt, prompt
    from genlens.sdk.setup import diagnostics, force_flush, init, shutdown
    from genlens.sdk.spans import agent, llm_call, retrieval, span, tool, workflow

# The SDK surface is imported on first use, so that `genlens --help` and the server's start do not
# pay for the SDK and OpenTelemetry; `import genlens; genlens.init(...)` behaves as an eager import.
_LAZY: dict[str, str] = {
    "context": "genlens.sdk.context",
    "feedback": "genlens.sdk.helpers",
    "record_guardrail_rejection": "genlens.sdk.helpers",
    "record_validation_error": "genlens.sdk.helpers",
    "Prompt": "genlens.sdk.prompts",
    "prompt": "genlens.sdk.prompts",
    "diagnostics": "genlens.sdk.setup",
    "force_flush": "genlens.sdk.setup",
    "init": "genlens.sdk.setup",
    "shutdown": "genlens.sdk.setup",
    "agent": "genlens.sdk.spans",
    "llm_call": "genlens.sdk.spans",
    "retrieval": "genlens.sdk.spans",
    "span": "genlens.sdk.spans",
    "tool": "genlens.sdk.spans",
    "workflow": "genlens.sdk.spans",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'genlens' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
