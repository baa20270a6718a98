"""Silences: alerts matching every label of a silence are still evaluated and shown, but not sent.

A silence comes from the ``alerts.silences`` settings: ``{matchers: {label: value},
until: ISO time, starts: ISO time (optional), comment}``.  It matches on the
alert's labels including ``alertname`` and ``severity``, as Alertmanager's
equality matchers do.  (A team with Alertmanager can silence there instead.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genlens.alerts.notify import Alert
from genlens.errors import BadRequest, ConfigError
from genlens.timeparse import parse_time


@dataclass(frozen=True)
class Silence:
    matchers: tuple[tuple[str, str], ...]
    until_ns: int
    starts_ns: int = 0
    comment: str = ""

    def matches(self, alert: Alert, now_ns: int) -> bool:
        if not self.starts_ns <= now_ns < self.until_ns:
            return False
        labels = alert.all_labels()
        return all(labels.get(k) == v for k, v in self.matchers)


def load_silences(entries: Sequence[Mapping[str, Any]]) -> list[Silence]:
    """Silences from settings entries; ``ConfigError`` naming the entry and the flaw."""
    out = []
    for i, raw in enumerate(entries):
        what = f"settings alerts.silences[{i}]"
        unknown = set(raw) - {"matchers", "until", "starts", "comment"}
        if unknown:
            raise ConfigError(f"{what}: unknown key {sorted(unknown)[0]!r} (matchers, until, starts, comment)")
        matchers = raw.get("matchers")
        if not isinstance(matchers, Mapping) or not matchers:
            raise ConfigError(f"{what}: matchers must map at least one label to a value")
        try:
            until = parse_time(str(raw["until"])) if "until" in raw else None
            starts = parse_time(str(raw["starts"])) if "starts" in raw else 0
        except BadRequest as exc:
            raise ConfigError(f"{what}: {exc}") from None
        if until is None:
            raise ConfigError(f"{what}: needs until (an ISO time): a silence without an end is a disabled alert")
        out.append(Silence(tuple((str(k), str(v)) for k, v in matchers.items()), until, starts,
                           str(raw.get("comment", ""))))
    return out
