"""The windows an SLO is measured over and the SRE workbook's multi-window, multi-burn-rate alert pairs.

A pair fires when the burn rate over both its long and its short window exceeds its
factor: the long window proves the burn is significant (2 %, 5 % or 10 % of a
30-day budget), the short one that it is still going on, so the alert resolves
soon after the incident ends.
"""

from __future__ import annotations

from dataclasses import dataclass

# The windows the server computes and the exported rules record, shortest first (seconds).
WINDOWS: dict[str, int] = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400,
                           "3d": 259200}


@dataclass(frozen=True)
class BurnPair:
    severity: str  # page | ticket
    factor: float
    long: str
    short: str


PAIRS: tuple[BurnPair, ...] = (
    BurnPair("page", 14.4, "1h", "5m"),
    BurnPair("page", 6.0, "6h", "30m"),
    BurnPair("ticket", 1.0, "3d", "6h"),
)
