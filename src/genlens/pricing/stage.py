"""The pricing stage of the ingest pipeline: fill cost columns on canonical rows.

A pure function over a batch (no I/O): only ``llm`` and ``embedding`` rows
carry tokens (see :mod:`genlens.semconv.canonical`), so only they are priced;
agent/workflow rows keep their cost columns empty, so summing ``cost_usd`` over
a trace counts every call once.
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

from genlens.pricing.book import PriceBook
from genlens.pricing.usage import COST_REPORTED, Usage, refused_usage
from genlens.semconv.canonical import INVALID_USAGE

PRICED_KINDS = frozenset({"llm", "embedding"})


def _valid_reported(value: Any) -> TypeGuard[int | float]:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def apply_costs(rows: list[dict[str, Any]], book: PriceBook, *, keep_reported: bool = True) -> None:
    """Fill ``cost_usd`` / ``cost_source`` / ``price_source`` on llm and embedding rows. Mutates in place.

    A row whose ``cost_source`` is ``reported`` (or that carries a ``cost_usd``
    with no source) keeps its cost when ``keep_reported``; otherwise it is
    recomputed, and the reported cost is kept only when it cannot be.  A
    reported cost that is negative, NaN or not a number is never kept.  The
    price in force at the row's ``start_ns`` applies.  The response model (the
    dated version actually served) is tried before the request model.  A row whose span reported
    usage the normalizer refused (``canonical.INVALID_USAGE``, removed here) cannot be computed.
    """
    for row in rows:
        if row.get("kind") not in PRICED_KINDS:
            continue
        refused = row.pop(INVALID_USAGE, None)
        reported = row.get("cost_usd")
        source = row.get("cost_source")
        kept: float | None = None
        if (source == COST_REPORTED or (source is None and reported is not None)) and _valid_reported(reported):
            kept = float(reported)
        if kept is not None and keep_reported:
            row["cost_usd"] = kept
            row["cost_source"] = COST_REPORTED
            continue
        if refused:
            cost = refused_usage(refused)
        else:
            usage = Usage(row.get("input_tokens"), row.get("output_tokens"), row.get("cache_read_tokens"),
                          row.get("cache_write_tokens"), row.get("reasoning_tokens"))
            cost = book.cost_first_known(row.get("provider"), (row.get("response_model"), row.get("request_model")),
                                         usage, row.get("start_ns"))
        if cost.usd is None and kept is not None:
            row["cost_usd"] = kept
            row["cost_source"] = COST_REPORTED
            continue
        row["cost_usd"] = cost.usd
        row["cost_source"] = cost.source
        row["price_source"] = cost.price_source
