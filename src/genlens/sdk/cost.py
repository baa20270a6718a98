"""Cost at the source, priced by the server's engine (:mod:`genlens.pricing`).

The SDK has no price book of its own: a second one drifted from the server's
(another tier rule, another provider alias table), so a call's ``app.cost_usd``
differed from what the server recomputed for the same span.  Now both ask one
:class:`~genlens.pricing.PriceBook`, with the same names in the same order
(response model, then request model), and so get the same answer.

``genlens.pricing`` pulls in the bundled price library (a few hundred ms of
imports), which a user's app must not pay for at ``import genlens``: it is
imported on the first priced call, not before.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from genlens.sdk import _safety

if TYPE_CHECKING:
    from genlens.pricing import PriceBook


@dataclass(frozen=True)
class Usage:
    """Token usage with OTel semantics: input includes cache tokens, output includes reasoning.

    The SDK's own light value (the pricing one lives behind the heavy import);
    the price book reads any object with these five counts.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


_book: PriceBook | None = None
_book_lock = threading.Lock()


def _load_book() -> PriceBook | None:
    global _book
    with _book_lock:
        if _book is None:
            try:
                from genlens.pricing import PriceBook

                _book = PriceBook.load()
            except Exception as exc:
                _safety.report("price book load", exc)
                return None
        return _book


def price_usd(provider: str, models: tuple[str | None, ...], usage: Usage, at_ns: int) -> float | None:
    """USD cost of one call, or ``None`` when no model name is priced.

    ``models`` are tried in order, the first one the book knows prices the call,
    as the server's pricing stage does with (response model, request model).
    """
    if not any(models):
        return None
    book = _book or _load_book()
    if book is None:
        return None
    try:
        result = book.cost_first_known(provider, models, usage, at_ns)
    except Exception as exc:
        _safety.report("pricing", exc)
        return None
    return result.usd
