"""Pattern-based redaction of personal data and secrets, applied at the source.

The SDK runs every piece of captured content through :func:`redact` before it
is put on a span, so nothing sensitive leaves the process; the server reuses
the same function on content that arrives from other instrumentations.

Patterns are deliberately simple, anchored on word boundaries and free of
nested quantifiers, so a hostile string cannot make them backtrack
catastrophically; input longer than ``max_chars`` is cut before scanning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEFAULT_MAX_CHARS = 65536
TRUNCATION_MARK = "…[truncated {n} chars]"


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars``, marked with how many characters were dropped.

    The one marker for the SDK (captured content) and the server (long OTLP
    attribute values), so a cut value reads the same wherever it was cut.
    """
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + TRUNCATION_MARK.format(n=len(text) - max_chars)


def _luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check used by payment card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_ok(match: str) -> bool:
    digits = re.sub(r"[ -]", "", match)
    return 13 <= len(digits) <= 19 and _luhn_ok(digits)


def _ssn_ok(match: str) -> bool:
    area, group, serial = match.split("-")
    return area not in {"000", "666"} and not area.startswith("9") and group != "00" and serial != "0000"


@dataclass(frozen=True)
class Rule:
    """One kind of sensitive value: a pattern, an optional validator, a label."""

    label: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None = None


# Order matters: secrets before cards (a key may contain digit runs), cards before phones.
RULES: tuple[Rule, ...] = (
    Rule("API_KEY", re.compile(
        r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,200}"
        r"|AKIA[0-9A-Z]{16}"
        r"|gh[pousr]_[A-Za-z0-9]{20,100}"
        r"|xox[abprs]-[A-Za-z0-9\-]{10,200}"
        r"|AIza[0-9A-Za-z_\-]{35}"
        r"|glpat-[A-Za-z0-9_\-]{20,100})")),
    Rule("API_KEY", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{20,500}=*")),
    Rule("EMAIL", re.compile(r"\b[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")),
    Rule("CARD", re.compile(r"\b\d(?:[ -]?\d){12,18}\b"), _card_ok),
    Rule("SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), _ssn_ok),
    Rule("PHONE", re.compile(
        r"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{2,4}\)[ .\-]?|\d{2,4}[ .\-])\d{3,4}[ .\-]?\d{3,4}\b")),
)


@dataclass(frozen=True)
class Redaction:
    """Result of redacting one text: the safe text and how many values were replaced."""

    text: str
    count: int
    truncated: bool = False


def redact(text: str, rules: Iterable[Rule] = RULES, max_chars: int = DEFAULT_MAX_CHARS) -> Redaction:
    """Replace every sensitive value in ``text`` by ``[REDACTED:<LABEL>]``.

    Text beyond ``max_chars`` is dropped (and marked) before scanning, which
    bounds the work per call whatever the caller passes.
    """
    if not isinstance(text, str):
        text = str(text)
    truncated = len(text) > max_chars
    text = truncate(text, max_chars)
    count = 0
    for rule in rules:
        def _sub(match: re.Match[str], rule: Rule = rule) -> str:
            nonlocal count
            found = match.group(0)
            if rule.check is not None and not rule.check(found):
                return found
            count += 1
            return f"[REDACTED:{rule.label}]"

        text = rule.pattern.sub(_sub, text)
    return Redaction(text, count, truncated)


def redact_value(value: object, max_chars: int = DEFAULT_MAX_CHARS, _depth: int = 0) -> tuple[object, int]:
    """Redact every string inside a JSON-like value (dicts, lists, scalars).

    Returns the redacted copy and the number of replacements.  Nesting deeper
    than 32 levels is replaced by a marker instead of being walked.
    """
    if _depth > 32:
        return "[REDACTED:TOO_DEEP]", 1
    if isinstance(value, str):
        result = redact(value, max_chars=max_chars)
        return result.text, result.count
    if isinstance(value, dict):
        out: dict[object, object] = {}
        total = 0
        for key, item in value.items():
            out[key], n = redact_value(item, max_chars, _depth + 1)
            total += n
        return out, total
    if isinstance(value, (list, tuple)):
        items = []
        total = 0
        for item in value:
            red, n = redact_value(item, max_chars, _depth + 1)
            items.append(red)
            total += n
        return items, total
    return value, 0
