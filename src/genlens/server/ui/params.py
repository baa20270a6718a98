"""The filter bar's state, parsed from and written back to the URL (so every view is a shareable link).

The tenant is not parsed here: it is the request's scope (:mod:`genlens.server.scope`), resolved once for
the page and its REST twin alike, and handed to :meth:`Filters.parse`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from genlens.errors import BadRequest
from genlens.server.scope import TenantScope
from genlens.store.queries import ALL_TENANTS, SpanFilter
from genlens.timeparse import parse_duration, parse_time

RANGES = ("15m", "1h", "6h", "24h", "7d", "30d")
REFRESH = ("", "30", "60", "300")
FILTER_KEYS = ("service", "environment", "feature", "model")  # and the tenant, which is the scope
MAX_VALUE = 200


def text_param(params: Any, key: str, max_len: int = MAX_VALUE) -> str | None:
    """A trimmed query parameter, None when absent or empty; over-long values are a 400, not a truncation."""
    value = params.get(key)
    if value is None:
        return None
    value = value.strip()
    if len(value) > max_len:
        raise BadRequest(f"{key} is longer than {max_len} characters")
    return value or None


def int_param(params: Any, key: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"{key} must be an integer, got {raw[:40]!r}") from exc
    if not lo <= value <= hi:
        raise BadRequest(f"{key} must be between {lo} and {hi}, got {value}")
    return value


@dataclass(frozen=True)
class Filters:
    range: str = "24h"
    start: str | None = None
    end: str | None = None
    service: str | None = None
    environment: str | None = None
    feature: str | None = None
    tenant: str | None = None  # the tenant the request named (kept in links); None: the scope's default
    model: str | None = None
    refresh: str = ""
    scope: str = ALL_TENANTS  # what the page reads: the request's scope, one tenant or every tenant

    @classmethod
    def parse(cls, params: Any, scope: TenantScope) -> Filters:
        rng = text_param(params, "range") or "24h"
        if rng not in RANGES:
            try:
                parse_duration(rng)
            except BadRequest as exc:
                raise BadRequest(f"range must be one of {', '.join(RANGES)} or a duration, got {rng[:40]!r}") from exc
        refresh = text_param(params, "refresh") or ""
        if refresh not in REFRESH:
            raise BadRequest(f"refresh must be one of 30, 60, 300 seconds, got {refresh[:20]!r}")
        values = {key: text_param(params, key) for key in (*FILTER_KEYS, "start", "end")}
        return cls(range=rng, refresh=refresh, tenant=scope.named, scope=scope.tenant, **values)

    def window(self, now_ns: int) -> tuple[int, int]:
        end = parse_time(self.end, now_ns) if self.end else now_ns
        start = parse_time(self.start, now_ns) if self.start else end - parse_duration(self.range)
        if start >= end:
            raise BadRequest("the time range starts after it ends")
        return start, end

    def span_filter(self, now_ns: int) -> SpanFilter:
        start, end = self.window(now_ns)
        return SpanFilter(tenant=self.scope, start_ns=start, end_ns=end, service=self.service,
                          environment=self.environment, feature=self.feature, model=self.model)

    def state(self) -> dict[str, str]:
        """Non-default values, for links that keep the state."""
        out = {k: v for k, v in asdict(self).items() if v and k != "scope"}
        if out.get("range") == "24h":
            out.pop("range")
        return out

    def qs(self, **overrides: Any) -> str:
        """A query string with this state and the overrides (None removes a key)."""
        state: dict[str, Any] = self.state()
        for key, value in overrides.items():
            if value is None or value == "":
                state.pop(key, None)
            else:
                state[key] = value
        return urlencode(state)
