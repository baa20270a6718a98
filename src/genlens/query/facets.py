"""The filter bar's values (services, environments, features, models, tenants seen lately), cached per scope."""

from __future__ import annotations

import threading
import time

from genlens.store.base import AnalyticsReader
from genlens.timeparse import NS_PER_DAY

FACET_TTL_S = 60.0
FACET_CACHE_MAX = 64
FACET_WINDOW_NS = 7 * NS_PER_DAY


class FacetCache:
    """Filter-bar values per tenant scope, recomputed at most once a minute (bounded: oldest entry evicted)."""

    def __init__(self, store: AnalyticsReader) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, list[str]]]] = {}
        self.evictions = 0

    def get(self, tenant: str) -> dict[str, list[str]]:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(tenant)
            if hit and now - hit[0] < FACET_TTL_S:
                return hit[1]
        values = self._store.facet_values(tenant, time.time_ns() - FACET_WINDOW_NS)
        with self._lock:
            if tenant not in self._entries and len(self._entries) >= FACET_CACHE_MAX:
                oldest = min(self._entries, key=lambda k: self._entries[k][0])
                del self._entries[oldest]
                self.evictions += 1
            self._entries[tenant] = (now, values)
        return values
