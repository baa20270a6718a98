"""genlens: OpenTelemetry-native observability for LLM applications.

This module is the public SDK surface only; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
