"""The one redaction engine of the SDK and the server: tiers find, a policy decides, the engine replaces.

A **tier** finds sensitive values in a text (:class:`Tier`: ``find(text) ->
[Found]``): the pattern tier (:mod:`genlens.privacy.patterns`, always
available), the NER tier (:mod:`genlens.privacy.ner`, Presidio with a spaCy
model, an optional extra) and an LLM redactor (any callable given as a hook).
Their findings are merged — where two overlap the more specific type wins
(a key before an e-mail address before a phone number …), then the longer —
and each kept finding is replaced according to the **policy**: ``drop``
(a typed placeholder, ``[EMAIL]``), ``hash`` (``[EMAIL:9f86d081e1]``, a salted
HMAC so equal values stay groupable without being readable) or ``keep``
(counted, left in place).  The engine returns counts by tier and type, never
the values it found.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from genlens.privacy.patterns import Found, PatternTier

Action = Literal["drop", "hash", "keep"]
ACTIONS: tuple[str, ...] = ("drop", "hash", "keep")
DEFAULT_MAX_CHARS = 65536
TRUNCATION_MARK = "…[truncated {n} chars]"
MAX_DEPTH = 32
TOO_DEEP = "[TOO_DEEP]"

# Which finding wins an overlap: earlier in this list first, then the longer one.
PRECEDENCE: tuple[str, ...] = (
    "API_KEY", "EMAIL", "IBAN", "CARD", "SSN", "IP", "DOB", "ADDRESS", "PHONE", "PERSON", "LOCATION",
    "ORGANIZATION",
)
_RANK = {name: i for i, name in enumerate(PRECEDENCE)}


class Tier(Protocol):
    """Something that finds sensitive values in a text."""

    name: str

    def find(self, text: str) -> list[Found]: ...


LlmRedactor = Callable[[str], Iterable[tuple[str, int, int]]]


class HookTier:
    """The LLM-redactor hook: any callable ``text -> [(type, start, end)]`` (e.g. a call to a small model)."""

    name = "llm"

    def __init__(self, hook: LlmRedactor) -> None:
        self.hook = hook

    def find(self, text: str) -> list[Found]:
        out = []
        for kind, start, end in self.hook(text):
            if isinstance(kind, str) and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                out.append(Found(kind.upper()[:40], start, end, "llm"))
        return out


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars``, marked with how many characters were dropped.

    The one marker for the SDK (captured content) and the server (long OTLP
    attribute values), so a cut value reads the same wherever it was cut.
    """
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + TRUNCATION_MARK.format(n=len(text) - max_chars)


@dataclass(frozen=True)
class Policy:
    """What one feature's content goes through: which tiers run and what becomes of a finding.

    ``action`` applies to every type unless ``actions`` names the type.
    """

    tiers: tuple[str, ...] = ("pattern",)
    action: Action = "drop"
    actions: tuple[tuple[str, Action], ...] = ()

    def action_for(self, kind: str) -> Action:
        for name, action in self.actions:
            if name == kind:
                return action
        return self.action


@dataclass
class Counts:
    """What redaction found, by (tier, type), and how many texts were scanned."""

    found: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.found.values())

    def add(self, other: Counts) -> None:
        self.found.update(other.found)


def merge(found: Iterable[Found]) -> list[Found]:
    """Non-overlapping findings, in text order: on overlap the higher-precedence type, then the longer, wins."""
    ordered = sorted(found, key=lambda f: (_RANK.get(f.type, len(_RANK)), -(f.end - f.start), f.start))
    kept: list[Found] = []
    for item in ordered:
        if all(item.end <= k.start or item.start >= k.end for k in kept):
            kept.append(item)
    kept.sort(key=lambda f: f.start)
    return kept


class Redactor:
    """The tiers it can run and the salt of hashed placeholders; stateless per call, safe across threads."""

    def __init__(self, tiers: Mapping[str, Tier] | None = None, salt: bytes = b"",
                 max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.tiers: dict[str, Tier] = dict(tiers) if tiers is not None else {"pattern": PatternTier()}
        self.salt = salt
        self.max_chars = max_chars

    def check(self, policy: Policy) -> None:
        """Raise ``ValueError`` naming a tier the policy asks for that this redactor does not have."""
        missing = [t for t in policy.tiers if t not in self.tiers]
        if missing:
            raise ValueError(f"redaction tier {missing[0]!r} is not available (available: {', '.join(self.tiers)})")

    def find(self, text: str, policy: Policy) -> list[Found]:
        """The merged findings of the policy's tiers in ``text`` (already cut to size)."""
        found: list[Found] = []
        for name in policy.tiers:
            tier = self.tiers.get(name)
            if tier is not None:
                found.extend(tier.find(text))
        return merge(found) if len(found) > 1 else found

    def placeholder(self, kind: str, value: str, action: Action) -> str:
        if action == "hash":
            digest = hmac.new(self.salt, value.strip().casefold().encode(), hashlib.sha256).hexdigest()
            return f"[{kind}:{digest[:10]}]"
        return f"[{kind}]"

    def text(self, text: str, policy: Policy, counts: Counts | None = None) -> str:
        """``text`` with every finding replaced as the policy says; findings are added to ``counts``."""
        if not isinstance(text, str):
            text = str(text)
        text = truncate(text, self.max_chars)
        found = self.find(text, policy)
        if not found:
            return text
        parts: list[str] = []
        at = 0
        for item in found:
            if counts is not None:
                counts.found[(item.tier, item.type)] += 1
            action = policy.action_for(item.type)
            if action == "keep":
                continue
            parts.append(text[at:item.start])
            parts.append(self.placeholder(item.type, text[item.start:item.end], action))
            at = item.end
        parts.append(text[at:])
        return "".join(parts)

    def value(self, value: Any, policy: Policy, counts: Counts | None = None, _depth: int = 0) -> Any:
        """A copy of a JSON-like value (dicts, lists, scalars) with every string redacted.

        Keys are kept (they are field names, not content); nesting deeper than
        :data:`MAX_DEPTH` is replaced by a marker instead of being walked.
        """
        if isinstance(value, str):
            return self.text(value, policy, counts)
        if _depth > MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, dict):
            return {key: self.value(item, policy, counts, _depth + 1) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item, policy, counts, _depth + 1) for item in value]
        return value
