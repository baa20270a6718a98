"""Prices and the cost function: one code path for the SDK and the server.

Where prices come from
----------------------
1. **Overrides** from a user price file (``genlens serve --prices FILE``, or the
   ``prices:`` section of the settings file) — negotiated rates, self-hosted
   models, models the library lacks.  An override wins over the library.
2. **genai-prices**, the bundled offline snapshot of the maintained price
   library (never updated over the network at run time).  It knows aliases and
   dated model versions, cache read/write prices, price changes over time,
   off-peak windows and context-length tiers.

A model neither knows is *unknown*: ``Cost(usd=None, source="unknown")`` and
counted in :attr:`PriceBook.unknown_models` — never shown as $0.

The cost
--------
With canonical usage (``input_tokens`` includes cache read and cache write,
``output_tokens`` includes reasoning)::

    cost = (input - cache_read - cache_write) × input price
         + cache_read × cache-read price + cache_write × cache-write price
         + output × output price

Reasoning tokens are billed as output (at a separate reasoning price only where
the library has one) and never added twice.  The price in force at the span's
timestamp applies.  Negative, non-integral or absurd counts (above
100,000,000 in one span, cache above input, reasoning above output) give
``Cost(None, "unknown", reason="invalid usage: …")``; nothing here raises on
bad span data.

Price file format (YAML, or JSON with the same shape)
-----------------------------------------------------
::

    prices:
      - model: my-llama-70b          # matched case-insensitively; a dated version
        provider: self-hosted        #   (name-2025-01-31, name-20250131, name@20250131)
        aliases: [llama-70b-prod]    #   and any library alias of this model match too
        input: 0.20                  # USD per 1M tokens (required)
        output: 0.60                 # USD per 1M tokens (required)
        cache_read: 0.02             # optional; default: the input price
        cache_write: 0.25            # optional; default: the input price
        valid_from: 2026-01-01       # optional UTC date; several entries = a price history
      - model: gpt-4o
        provider: openai             # optional; without it the entry matches any provider
        input: 2.00
        output: 8.00

A top-level list of entries is accepted as well.  Before an entry's first
``valid_from`` the library price (if any) applies.  Unknown keys, missing
required keys, negative or non-numeric prices, prices above 100,000 USD per 1M
tokens, bad dates and duplicate (provider, model, valid_from) entries raise
:class:`genlens.errors.ConfigError` naming the file, the entry and the key.
"""

from __future__ import annotations

from genlens.pricing.book import PriceBook
from genlens.pricing.library import LIBRARY_LABEL, canonical_provider
from genlens.pricing.stage import apply_costs
from genlens.pricing.usage import (
    COST_COMPUTED,
    COST_REPORTED,
    COST_UNKNOWN,
    MAX_TOKENS_PER_SPAN,
    Cost,
    Usage,
)

__all__ = [
    "COST_COMPUTED",
    "COST_REPORTED",
    "COST_UNKNOWN",
    "LIBRARY_LABEL",
    "MAX_TOKENS_PER_SPAN",
    "Cost",
    "PriceBook",
    "Usage",
    "apply_costs",
    "canonical_provider",
]
